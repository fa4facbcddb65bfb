"""A note-on reuses a new voice's state kept from an earlier note of the same key and
velocity whatever CC7, CC11, CC10 and CC1 are now (they are set on the voice after), and
computes it again only when a source its modulators read at note-on has changed; the sound is
the same, sample for sample, as a synth that computed it afresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from soundness_live.core.events import ControlChange, NoteOff, NoteOn, SynthEvent
from soundness_live.synth import synth as synth_module
from soundness_live.synth.modulators import READS_PRESSURE, note_on_reads
from soundness_live.synth.region import Modulator
from soundness_live.synth.synth import Synth
from tests.synth.test_synth import RATE, tone_font

CC2_TO_ATTENUATION = Modulator(0x0082, 48, 480)  # CC2 (breath), linear: 480 cB at 128/128
PRESSURE_TO_FC = Modulator(0x000D, 8, -2400)  # channel pressure closes the filter


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The keys of the new voices' states computed (new_voice's calls), in order."""
    calls: list[int] = []
    original: Callable[..., Any] = synth_module.new_voice

    def counted(region: object, key: int, *args: Any) -> Any:
        calls.append(key)
        return original(region, key, *args)

    monkeypatch.setattr(synth_module, "new_voice", counted)
    return calls


def play(synth: Synth, events: list[SynthEvent], frames: int = 4800) -> np.ndarray:
    """``events`` now, then ``frames`` rendered."""
    for event in events:
        synth.handle(event)
    out = np.zeros((frames, 2), np.float32)
    synth.render(out)
    return out


def test_a_volume_pan_or_wheel_change_reuses_the_kept_voice_state(made: list[int]) -> None:
    synth = Synth(tone_font(), RATE)
    play(synth, [NoteOn(0, 0, 69, 100)])
    play(synth, [NoteOff(0, 0, 69)], 24_000)
    changes = [ControlChange(0, 0, 7, 70), ControlChange(0, 0, 10, 20)]
    changes += [ControlChange(0, 0, 11, 90), ControlChange(0, 0, 1, 127)]
    second = play(synth, [*changes, NoteOn(0, 0, 69, 100)])
    assert made == [69]  # the second note-on computed nothing
    assert np.abs(second).max() > 0.01
    fresh = Synth(tone_font(), RATE)
    play(fresh, [NoteOn(0, 0, 69, 100)])
    play(fresh, [NoteOff(0, 0, 69)], 24_000)
    fresh._new_voices.clear()  # computed afresh under the new controllers
    assert np.array_equal(play(fresh, [*changes, NoteOn(0, 0, 69, 100)]), second)
    assert made == [69, 69, 69]  # the fresh synth's two


def test_a_source_read_at_note_on_makes_the_state_again(made: list[int]) -> None:
    font = tone_font(instrument_modulators=(CC2_TO_ATTENUATION,))
    synth = Synth(font, RATE)
    loud = play(synth, [NoteOn(0, 0, 69, 100)])
    play(synth, [NoteOff(0, 0, 69)], 24_000)
    quiet = play(synth, [ControlChange(0, 0, 2, 127), NoteOn(0, 0, 69, 100)])
    assert made == [69, 69]
    ratio_db = 20 * np.log10(np.abs(quiet[2400:]).max() / np.abs(loud[2400:]).max())
    assert ratio_db == pytest.approx(-48.0 * 127 / 128, abs=0.05)  # 476.25 cB: -47.6 dB


def test_note_on_reads_names_what_a_voices_modulators_read_beyond_the_followed_routes() -> None:
    from soundness_live.synth.modulators import DEFAULT_MODULATORS

    assert note_on_reads(DEFAULT_MODULATORS) == ()
    assert note_on_reads((*DEFAULT_MODULATORS, CC2_TO_ATTENUATION, PRESSURE_TO_FC)) == (
        2,
        READS_PRESSURE,
    )
