"""Syllables sung through the synth's syllable instrument, offline: the virtual singer's voice.

The virtual singer (:class:`soundness_live.voice.sources.VirtualSinger`) is given a
:class:`SyllableSinger` to sing its answers with: each syllable on its preset of bank 1
(:data:`soundness_live.activities.sung_prompts.SYLLABLES`; one the bank does not have is sung
on "la"), rendered by a renderer of its own, never the session's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..activities.sung_prompts import SYLLABLE_BANK, SYLLABLE_PROGRAMS
from ..core.events import NoteOff, NoteOn, ProgramChange
from .renderer import build_renderer, render_as_scheduled


class SyllableSinger:
    """Sings syllables at ``sample_rate`` through ``soundfont`` (None: the bundled bank)."""

    def __init__(self, sample_rate: int, soundfont: str | Path | None = None) -> None:
        self.sample_rate = sample_rate
        self.soundfont = soundfont

    def __call__(
        self, syllables: Sequence[str], notes: Sequence[int], *, hold_ms: float, ioi_ms: float
    ) -> np.ndarray:
        """The syllables sung on ``notes`` through the synth, mono, peak 1 (no room noise)."""
        renderer, _ = build_renderer(self.soundfont, self.sample_rate, 0.0)
        hold, ioi = hold_ms * self.sample_rate / 1000, ioi_ms * self.sample_rate / 1000
        for i, (syllable, note) in enumerate(zip(syllables, notes, strict=True)):
            frame = int(i * ioi)
            program = SYLLABLE_PROGRAMS.get(syllable, SYLLABLE_PROGRAMS["la"])
            renderer.scheduler.add(ProgramChange(frame, 0, program, SYLLABLE_BANK))
            renderer.scheduler.add(NoteOn(frame, 0, int(note), 100))
            renderer.scheduler.add(NoteOff(frame + int(hold), 0, int(note)))
        length = int((len(syllables) - 1) * ioi + hold + 0.3 * self.sample_rate)
        mono = render_as_scheduled(renderer, length).mean(axis=1)
        return (mono / max(float(np.max(np.abs(mono))), 1e-9)).astype(np.float32)
