"""The bundled bank's layout: GM mapping, key coverage, tuning, loops, drum-kit rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundness_live.synth.bank import MELODIC
from soundness_live.synth.bank.drums import KIT
from soundness_live.synth.bank.dsp import key_ranges
from soundness_live.synth.region import LOOP_CONTINUOUS, LOOP_NONE
from soundness_live.synth.sf2.read import load_soundfont
from tests.conftest import require

BANK = Path(__file__).resolve().parents[3] / "soundfonts" / "soundness-gm.sf2"
MELODIC_PROGRAMS = [0, 8, 9, 12, 13, 19, 24, 32, 33, 48, 52, 73, 88]
GM_DRUM_KEYS = list(range(35, 82))  # the whole General MIDI kit
# keys that cannot sound at once: hi-hats 1, whistles 2, guiros 3, cuicas 4, triangles 5
EXCLUSIVE = {42: 1, 44: 1, 46: 1, 71: 2, 72: 2, 73: 3, 74: 3, 78: 4, 79: 4, 80: 5, 81: 5}
MUTE_TRIANGLE = 80
SUSTAINED = {19, 48, 52, 73, 88}


@pytest.fixture(scope="module")
def bank():
    return load_soundfont(BANK)


def root_signal(sf, region, dur_s: float = 3.0) -> np.ndarray:
    """The region's sample played at its root key (loop repeated), read from the data."""
    data = sf.sample_data
    if region.loop_mode == LOOP_NONE:
        return data[region.sample_start : region.sample_end].astype(np.float64)
    head = data[region.sample_start : region.loop_end]
    loop = data[region.loop_start : region.loop_end]
    repeats = int(np.ceil(dur_s * region.sample_rate / len(loop))) + 1
    return np.concatenate([head, np.tile(loop, repeats)]).astype(np.float64)


def mean_pitch_hz(x: np.ndarray, sample_rate: int, guess_hz: float) -> float:
    """Power-weighted mean instantaneous frequency of the partial within a semitone of the
    guess (so vibrato and ensemble detuning average out as the ear hears them)."""
    freqs = np.fft.fftfreq(len(x), 1.0 / sample_rate)
    band = (freqs > guess_hz * 2 ** (-1 / 12)) & (freqs < guess_hz * 2 ** (1 / 12))
    analytic = np.fft.ifft(np.fft.fft(x) * band)
    analytic = analytic[len(x) // 10 : -len(x) // 10]  # drop the circular-FFT edges
    inst_hz = np.diff(np.unwrap(np.angle(analytic))) * sample_rate / (2 * np.pi)
    weight = np.abs(analytic[1:]) ** 2
    return float((inst_hz * weight).sum() / weight.sum())


def test_bank_is_small_and_has_the_gm_presets(bank):
    assert BANK.stat().st_size < 5_000_000
    gm = sorted(key for key in bank.presets if key[0] in (0, 128))  # bank 1: syllables
    assert gm == [(0, p) for p in MELODIC_PROGRAMS] + [(128, 0)]
    assert bank.name == "Soundness GM"
    rates = {r.sample_rate for p in bank.presets.values() for r in p.regions}
    assert rates <= {22050, 32000}


@pytest.mark.parametrize("program", MELODIC_PROGRAMS)
def test_every_key_plays_exactly_one_region(bank, program):
    preset = bank.presets[(0, program)]
    assert [len(preset.regions_for(key, 100)) for key in range(128)] == [1] * 128
    expected_loop = LOOP_CONTINUOUS if program in SUSTAINED else LOOP_NONE
    assert {r.loop_mode for r in preset.regions} == {expected_loop}


@pytest.mark.parametrize("program", MELODIC_PROGRAMS)
def test_key_69_sounds_440_hz(bank, program):
    (region,) = bank.presets[(0, program)].regions_for(69, 100)
    x = root_signal(bank, region)[: int(2.5 * region.sample_rate)]
    recorded_hz = mean_pitch_hz(x, region.sample_rate, 440.0 * 2 ** ((region.root_key - 69) / 12))
    cents = region.scale_tuning * (69 - region.root_key) + region.tune_cents
    heard_hz = recorded_hz * 2 ** (cents / 1200)
    assert abs(1200 * np.log2(heard_hz / 440.0)) < 5.0


@pytest.mark.parametrize("program", sorted(SUSTAINED))
def test_loops_are_seamless_and_hold_their_level(bank, program):
    for region in bank.presets[(0, program)].regions:
        assert region.sustain_cb == 0  # the envelope holds while the key is down
        loop = bank.sample_data[region.loop_start : region.loop_end].astype(np.float64)
        assert len(loop) >= region.sample_rate // 5  # long enough not to buzz
        seam = abs(loop[0] - loop[-1])
        assert seam <= np.abs(np.diff(loop)).max()  # no bigger jump than inside the loop
        # level in overlapping 250 ms windows: ensemble beating may swell gently, not pump
        window = min(len(loop), region.sample_rate // 4)
        levels_db = [
            10 * np.log10(np.mean(loop[i : i + window] ** 2))
            for i in range(0, len(loop) - window + 1, window // 2)
        ]
        assert max(levels_db) - min(levels_db) < 5.0


def test_key_ranges_split_between_roots():
    assert key_ranges((40, 50, 60)) == [(0, 45), (46, 55), (56, 127)]
    assert key_ranges((60,)) == [(0, 127)]


def test_drum_kit_keys_and_rules(bank):
    kit = bank.presets[(128, 0)]
    for key in GM_DRUM_KEYS:
        (region,) = kit.regions_for(key, 100)
        assert region.scale_tuning == 0 and region.loop_mode == LOOP_NONE
        assert region.exclusive_class == EXCLUSIVE.get(key, 0), key
        length_s = (region.sample_end - region.sample_start) / region.sample_rate
        if key == MUTE_TRIANGLE:  # the open triangle's sample, damped by its envelope
            (open_region,) = kit.regions_for(81, 100)
            assert region.sample_start == open_region.sample_start
            assert region.sustain_cb >= 960 and region.release_s == region.decay_s < 1.0
        else:  # a note-off, however quick, costs at most 5 dB by the sample's end
            assert region.release_s >= 0.99 * min(20 * length_s, 100.0), key  # timecents


def test_build_is_deterministic():
    sound = KIT[3]  # acoustic snare: noise-based, so seeding matters
    from soundness_live.synth.bank.dsp import SEED

    def render():
        return sound.render(np.random.default_rng([SEED, 128, 3]))

    np.testing.assert_array_equal(render(), render())
    program = MELODIC[4]
    first = program.render(69, np.random.default_rng([SEED, program.program, 69]))
    again = program.render(69, np.random.default_rng([SEED, program.program, 69]))
    np.testing.assert_array_equal(first.data, again.data)


def test_fluidsynth_plays_the_bank_in_tune(bank):
    try:
        import fluidsynth
    except ImportError:
        fluidsynth = None
    require(
        fluidsynth is not None, "pyfluidsynth with libfluidsynth (apt-get install libfluidsynth3)"
    )
    rate = 44100
    synth = fluidsynth.Synth(samplerate=float(rate))
    try:
        synth.setting("synth.reverb.active", 0)
        synth.setting("synth.chorus.active", 0)
        font = synth.sfload(str(BANK))
        assert font >= 0
        for program in (0, 12, 52):
            synth.program_select(0, font, 0, program)
            synth.noteon(0, 69, 100)
            stereo = np.asarray(synth.get_samples(rate), dtype=np.float64).reshape(-1, 2)
            synth.noteoff(0, 69)
            synth.get_samples(rate)  # let it die away before the next preset
            heard_hz = mean_pitch_hz(stereo.mean(axis=1), rate, 440.0)
            assert abs(1200 * np.log2(heard_hz / 440.0)) < 5.0, program
    finally:
        synth.delete()
