"""Offline rendering to WAV through exactly the live path: Scheduler -> Renderer (Synth +
OutputStage), block by block. Used by ``soundness-live render`` and ``soundness-live demo``.

Offline is not real time, so the output stage's look-ahead is rendered ahead and dropped: frame
f of the WAV is the sound scheduled at frame f.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..audio.wav import WavWriter
from ..core.clock import check_sample_rate
from ..core.events import DRUM_CHANNEL, NoteOff, NoteOn, ProgramChange, SynthEvent
from ..errors import ParameterError
from ..midi.files import read_midi_events
from ..synth.renderer import Renderer, build_renderer

__all__ = ["RenderReport", "render_events", "render_midi_file", "render_demo_piece", "demo_events"]

TAIL_MAX_S = 5.0  # after the last event, render the release tail for at most this long
SILENCE_DBFS = -90.0  # the tail stops once no voice sounds and the output is below this
PROGRESS_EVERY_S = 0.5


@dataclass(frozen=True)
class RenderReport:
    """What an offline render produced."""

    wav_path: str
    frames: int
    sample_rate: int
    peak_dbfs: float  # -inf for silence
    late_events: int
    voices_max: int
    soundfont: str

    @property
    def seconds(self) -> float:
        """Length of the WAV in seconds."""
        return self.frames / self.sample_rate

    def __str__(self) -> str:
        return (
            f"{self.seconds:.2f} s at {self.sample_rate} Hz, peak {self.peak_dbfs:.1f} dBFS, "
            f"{self.late_events} late events, up to {self.voices_max} voices ({self.soundfont})"
        )


def _check_block(block_size: int) -> int:
    if not isinstance(block_size, int) or not 1 <= block_size <= 8192:
        raise ParameterError(f"block_size must be an integer in 1..8192, got {block_size!r}")
    return block_size


def render_events(
    events: Sequence[SynthEvent],
    wav_path: str | os.PathLike[str],
    soundfont_path: str | os.PathLike[str] | None = None,
    sample_rate: int = 48_000,
    block_size: int = 512,
    progress: Callable[[float], None] | None = None,
    end_frame: int = 0,
    cap_dbfs: float = -6.0,
) -> RenderReport:
    """Render ``events`` (at frames of ``sample_rate``) to a 16-bit WAV, then the release tail.

    Rendering covers at least up to ``end_frame``; the tail stops when nothing sounds any
    more, or after ``TAIL_MAX_S``.
    """
    check_sample_rate(sample_rate)
    _check_block(block_size)
    renderer, soundfont = build_renderer(soundfont_path, sample_rate, cap_dbfs)
    renderer.scheduler.extend(list(events))
    last = max([end_frame, *(e.frame for e in events)]) if events else end_frame
    limit = last + int(TAIL_MAX_S * sample_rate)
    peak = _render_to(renderer, wav_path, block_size, last, limit, progress)
    return RenderReport(
        str(wav_path),
        renderer.frame - renderer.delay_frames,  # the frames written
        sample_rate,
        20.0 * math.log10(peak) if peak > 0 else -math.inf,
        renderer.late_events,
        renderer.synth.peak_voices,
        str(soundfont["name"]),
    )


def _render_to(
    renderer: Renderer,
    wav_path: str | os.PathLike[str],
    block_size: int,
    last: int,
    limit: int,
    progress: Callable[[float], None] | None,
) -> float:
    """Render blocks into the WAV until past ``last`` and silent, or ``limit``; the peak."""
    block = np.zeros((block_size, 2), dtype=np.float32)
    silence = 10.0 ** (SILENCE_DBFS / 20.0)
    step = int(PROGRESS_EVERY_S * renderer.sample_rate)
    peak, next_report = 0.0, 0
    delay = renderer.delay_frames  # the stage's first output frames: its delay line's silence
    with WavWriter(wav_path, renderer.sample_rate, 2) as writer:
        while renderer.frame < limit:
            dropped = min(block_size, max(0, delay - renderer.frame))
            renderer.render_into(block)
            writer.write(block[dropped:])
            block_peak = float(np.abs(block).max())
            peak = max(peak, block_peak)
            if renderer.frame > last and renderer.synth.active_voices == 0:
                if block_peak < silence:
                    break
            if progress is not None and renderer.frame >= next_report:
                progress(min(1.0, renderer.frame / max(1, last)) * 0.99)
                next_report = renderer.frame + step
        if delay:
            lookahead = np.zeros((delay, 2), dtype=np.float32)
            renderer.render_into(lookahead)  # the last frames' look-ahead, rendered ahead
            writer.write(lookahead)
            peak = max(peak, float(np.abs(lookahead).max()))
    if progress is not None:
        progress(1.0)
    return peak


def render_midi_file(
    midi_path: str | os.PathLike[str],
    wav_path: str | os.PathLike[str],
    soundfont_path: str | os.PathLike[str] | None = None,
    sample_rate: int = 48_000,
    block_size: int = 512,
    progress: Callable[[float], None] | None = None,
) -> RenderReport:
    """Render a Standard MIDI File to a 16-bit stereo WAV through the engine's synth."""
    performance = read_midi_events(midi_path, sample_rate)
    return render_events(
        performance.synth_events(),
        wav_path,
        soundfont_path,
        sample_rate,
        block_size,
        progress,
        end_frame=performance.end_frame,
    )


def demo_events(sample_rate: int = 48_000, tempo_bpm: float = 100.0) -> list[SynthEvent]:
    """A ~12 s groove: drums (kick, snare, hats), a marimba tune and a bass line, 5 bars."""
    beat = 60.0 / tempo_bpm * sample_rate

    def at(beats: float) -> int:
        return int(round(beats * beat))

    events: list[SynthEvent] = [ProgramChange(0, 0, 12), ProgramChange(0, 1, 33)]
    events += [ProgramChange(0, DRUM_CHANNEL, 0)]

    def note(channel: int, key: int, start: float, length: float, velocity: int) -> None:
        events.append(NoteOn(at(start), channel, key, velocity))
        events.append(NoteOff(at(start + length), channel, key))

    for bar in range(5):
        b = bar * 4.0
        for eighth in range(8):
            note(
                DRUM_CHANNEL,
                46 if eighth == 7 else 42,
                b + eighth / 2,
                0.25,
                70 + 20 * (eighth % 2 == 0),
            )
        note(DRUM_CHANNEL, 36, b, 0.5, 115)
        note(DRUM_CHANNEL, 36, b + 2.5 if bar % 2 else b + 2, 0.5, 105)
        note(DRUM_CHANNEL, 38, b + 1, 0.5, 100)
        note(DRUM_CHANNEL, 38, b + 3, 0.5, 105)
        note(1, (36, 33, 29, 31, 36)[bar], b, 1.8, 100)
        note(1, (43, 40, 36, 38, 36)[bar], b + 2, 1.8, 90)
    note(DRUM_CHANNEL, 49, 0, 2, 100)
    note(DRUM_CHANNEL, 49, 16, 4, 110)
    tune = [(72, 0, 1), (76, 1, 1), (79, 2, 1.5), (76, 3.5, 0.5), (74, 4, 1), (72, 5, 1),
            (69, 6, 2), (67, 8, 1), (69, 9, 1), (72, 10, 1), (74, 11, 1), (76, 12, 1.5),
            (74, 13.5, 0.5), (72, 14, 2), (72, 16, 4), (76, 16, 4), (79, 16, 4)]  # fmt: skip
    for key, start, length in tune:
        note(0, key, start, length, 96)
    events.sort(key=lambda e: e.frame)
    return events


def render_demo_piece(
    wav_path: str | os.PathLike[str],
    soundfont_path: str | os.PathLike[str] | None = None,
    sample_rate: int = 48_000,
    block_size: int = 512,
    progress: Callable[[float], None] | None = None,
) -> RenderReport:
    """Render the built-in demo piece (:func:`demo_events`) to a WAV."""
    events = demo_events(sample_rate)
    return render_events(events, wav_path, soundfont_path, sample_rate, block_size, progress)
