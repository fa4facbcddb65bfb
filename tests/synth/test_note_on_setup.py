"""A note-on computes its voice from the channel's controllers as they are now, in one
compiled call over the region's tables (no Python set-up per note): a note after CC7, CC11,
CC10 and CC1 changes sounds as on a synth that had them from the start, and a font's own
modulator reading a controller at note-on follows it."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.events import ControlChange, NoteOff, NoteOn, SynthEvent
from soundness_live.synth.region import Modulator
from soundness_live.synth.synth import Synth
from tests.synth.test_synth import RATE, tone_font

CC2_TO_ATTENUATION = Modulator(0x0082, 48, 480)  # CC2 (breath), linear: 480 cB at 128/128


def play(synth: Synth, events: list[SynthEvent], frames: int = 4800) -> np.ndarray:
    """``events`` now, then ``frames`` rendered."""
    for event in events:
        synth.handle(event)
    out = np.zeros((frames, 2), np.float32)
    synth.render(out)
    return out


def test_a_note_after_controller_changes_sounds_as_under_them_from_the_start() -> None:
    synth = Synth(tone_font(), RATE)
    play(synth, [NoteOn(0, 0, 69, 100)])
    play(synth, [NoteOff(0, 0, 69)], 24_000)
    changes = [ControlChange(0, 0, 7, 70), ControlChange(0, 0, 10, 20)]
    changes += [ControlChange(0, 0, 11, 90), ControlChange(0, 0, 1, 127)]
    second = play(synth, [*changes, NoteOn(0, 0, 69, 100)])
    assert np.abs(second).max() > 0.01
    fresh = Synth(tone_font(), RATE)
    play(fresh, changes)
    assert np.array_equal(play(fresh, [NoteOn(0, 0, 69, 100)]), second)


def test_a_source_read_at_note_on_is_read_then() -> None:
    font = tone_font(instrument_modulators=(CC2_TO_ATTENUATION,))
    synth = Synth(font, RATE)
    loud = play(synth, [NoteOn(0, 0, 69, 100)])
    play(synth, [NoteOff(0, 0, 69)], 24_000)
    quiet = play(synth, [ControlChange(0, 0, 2, 127), NoteOn(0, 0, 69, 100)])
    ratio_db = 20 * np.log10(np.abs(quiet[2400:]).max() / np.abs(loud[2400:]).max())
    assert ratio_db == pytest.approx(-48.0 * 127 / 128, abs=0.05)  # 476.25 cB: -47.6 dB


def test_a_note_on_reads_the_controllers_a_reset_left() -> None:
    font = tone_font(instrument_modulators=(CC2_TO_ATTENUATION,))
    synth, fresh = Synth(font, RATE), Synth(font, RATE)
    play(synth, [ControlChange(0, 0, 2, 127), ControlChange(0, 0, 121, 0)])
    after_reset = play(synth, [NoteOn(0, 0, 69, 100)])
    assert np.array_equal(after_reset, play(fresh, [NoteOn(0, 0, 69, 100)]))
