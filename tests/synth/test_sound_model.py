"""The SoundFont 2.04 sound model, figure by figure as FluidSynth 2.3 gives it: modulator
curves, the font's modulators, controllers that follow a sounding note, the filter, the
envelope's 96 dB scale."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import ControlChange, NoteOn
from soundness_live.synth.modulators import (
    CC10_PAN,
    ControllerAmounts,
    NoteSources,
    modulation,
    voice_modulators,
)
from soundness_live.synth.region import Modulator
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.conftest import require
from tests.synth.test_synth import PERIOD, RATE, level_db, tone_font

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
GM_RESET = [{7: 100, 10: 64, 11: 127}.get(n, 0) for n in range(128)]
ATTENUATION, FILTER_FC = 48, 8


def attenuation_cb(key: int, velocity: int, controllers: list[int] = GM_RESET) -> float:
    """Centibels from the default modulators (velocity, CC7, CC11) for a note."""
    totals, amounts = modulation(voice_modulators((), ()), NoteSources(key, velocity, controllers))
    return totals[ATTENUATION] + amounts.attenuation_cb(controllers[7], controllers[11])


@pytest.mark.parametrize(
    ("velocity", "expected_cb"),
    [(127, 1.36 + 42.9 + 1.36), (100, 42.9 + 42.9 + 1.36), (64, 120.4 + 42.9 + 1.36)],
)
def test_default_modulators_attenuate_as_fluidsynth(velocity: int, expected_cb: float) -> None:
    # FluidSynth: velocity 127 -> 1.36 cB, 100 -> 42.9, 64 -> 120.4; CC7 100 -> 42.9; CC11 127
    # -> 1.36 (sources over 128, concave curve interpolated between its 128 points); those
    # figures are rounded to 0.05 cB
    assert attenuation_cb(60, velocity) == pytest.approx(expected_cb, abs=0.1)


def test_velocity_to_cutoff_contributes_nothing_as_in_fluidsynth() -> None:
    for velocity in (1, 64, 127):
        totals, _ = modulation(voice_modulators((), ()), NoteSources(60, velocity, GM_RESET))
        assert totals.get(FILTER_FC, 0.0) == 0.0
    spec_default = Modulator(0x0102, FILTER_FC, -2400, 0x0D02)  # as a font may restate it
    totals, _ = modulation(voice_modulators((spec_default,), ()), NoteSources(60, 1, GM_RESET))
    assert totals.get(FILTER_FC, 0.0) == 0.0


def test_instrument_modulators_replace_defaults_and_preset_ones_add() -> None:
    wide_pan = Modulator(CC10_PAN.source, CC10_PAN.destination, 1000)
    _, amounts = modulation(voice_modulators((wide_pan,), ()), NoteSources(60, 100, GM_RESET))
    assert amounts == ControllerAmounts(pan=1000.0)
    _, amounts = modulation(voice_modulators((), (wide_pan,)), NoteSources(60, 100, GM_RESET))
    assert amounts == ControllerAmounts(pan=1500.0)
    key_to_cutoff = Modulator(0x0003, FILTER_FC, 1200)  # key, linear: +1200 x key / 128
    totals, _ = modulation(voice_modulators((key_to_cutoff,), ()), NoteSources(64, 100, GM_RESET))
    assert totals[FILTER_FC] == 600.0


def test_a_fonts_modulators_are_read_from_the_file() -> None:
    require(TIMGM.is_file(), "apt-get install timgm6mb-soundfont")
    regions = load_soundfont(TIMGM).presets[(0, 10)].regions  # music box
    found = {m for region in regions for m in region.instrument_modulators}
    assert Modulator(0x028A, 17, 1000) in found  # TimGM6mb widens CC10 pan to +-1000


def steady_level_db(synth: Synth, frames: int = RATE // 2) -> float:
    out = np.zeros((frames, 2), np.float32)
    synth.render(out)
    return level_db(out[frames // 2 :])


def test_volume_and_expression_follow_a_sounding_note() -> None:
    synth = Synth(tone_font(), RATE)
    synth.handle(NoteOn(0, 0, 69, 100))
    before = steady_level_db(synth)
    synth.handle(ControlChange(synth.frame, 0, 7, 64))
    synth.handle(ControlChange(synth.frame, 0, 11, 100))
    after = steady_level_db(synth)
    # CC7 100 -> 64: 42.9 -> 120.4 cB; CC11 127 -> 100: 1.36 -> 42.9 cB
    assert before - after == pytest.approx((120.4 - 42.9 + 42.9 - 1.36) / 10, abs=0.02)


def test_pan_follows_a_sounding_note_with_fluidsynths_law() -> None:
    synth = Synth(tone_font(), RATE)
    synth.handle(NoteOn(0, 0, 69, 100))
    synth.handle(ControlChange(0, 0, 10, 0))  # hard left: -500
    out = np.zeros((RATE // 4, 2), np.float32)
    synth.render(out)
    right_over_left = np.abs(out[RATE // 8 :, 1]).max() / np.abs(out[RATE // 8 :, 0]).max()
    assert right_over_left == pytest.approx(math.sin(0.0), abs=1e-6)
    synth.handle(ControlChange(synth.frame, 0, 10, 64))  # centre
    synth.render(out)
    assert np.abs(out[RATE // 8 :, 1]).max() == pytest.approx(np.abs(out[RATE // 8 :, 0]).max())


def test_a_cutoff_at_the_tones_frequency_takes_3_db() -> None:
    tone_hz = RATE / PERIOD * 440 / 480  # key 69 plays the tone at 440 Hz
    at_tone = 1200 * math.log2(tone_hz / 8.175798915643707)
    levels = []
    for cutoff in (13500.0, at_tone):
        synth = Synth(tone_font(filter_fc_cents=cutoff), RATE)
        synth.handle(NoteOn(0, 0, 69, 100))
        levels.append(steady_level_db(synth))
    # a Butterworth low-pass (Q 0 cB) is 3.01 dB down at its cutoff, flat far below it
    assert levels[0] - levels[1] == pytest.approx(3.01, abs=0.02)


def test_resonance_lifts_the_cutoff_and_lowers_the_rest_by_its_gain() -> None:
    tone_hz = RATE / PERIOD * 440 / 480
    at_tone = 1200 * math.log2(tone_hz / 8.175798915643707)
    levels = []
    for q_cb in (0.0, 120.0):
        synth = Synth(tone_font(filter_fc_cents=at_tone, filter_q_cb=q_cb), RATE)
        synth.handle(NoteOn(0, 0, 69, 100))
        levels.append(steady_level_db(synth))
    # Q 120 cB: 12 - 3.01 dB of resonance at the cutoff, less the 1/sqrt(Q) gain (-4.5 dB),
    # against 0 - 3.01 dB at Q 0 with its +1.5 dB gain
    q_gain = 10 * math.log10(10 ** ((12 - 3.01) / 20))  # 1/sqrt(q) in dB, negated
    expected = (12 - 3.01 - q_gain) - (-3.01 - 10 * math.log10(10 ** (-3.01 / 20)))
    assert levels[1] - levels[0] == pytest.approx(expected, abs=0.05)


def test_sustain_sounds_at_96_percent_of_its_centibels_as_in_fluidsynth() -> None:
    sustained = []
    for sustain_cb in (0.0, 200.0):
        synth = Synth(tone_font(decay_s=0.1, sustain_cb=sustain_cb), RATE)
        synth.handle(NoteOn(0, 0, 69, 100))
        sustained.append(steady_level_db(synth))
    assert sustained[0] - sustained[1] == pytest.approx(0.96 * 200 / 10, abs=0.02)
