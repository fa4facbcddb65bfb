"""Write a SoundFont with the writer, read it back, and check every generator rule of §9.4."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soundness_live.synth.region import LOOP_CONTINUOUS, LOOP_NONE, LOOP_UNTIL_RELEASE
from soundness_live.synth.sf2.read import parse_soundfont, timecents_to_seconds
from soundness_live.synth.sf2.write import (
    GUARD_POINTS,
    InstrumentSpec,
    PresetSpec,
    SampleSpec,
    ZoneSpec,
    sf2_bytes,
)

RATE = 22050


def _sine(n: int, freq_hz: float = 440.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq_hz * np.arange(n) / RATE)


SAMPLES = [
    SampleSpec("short", _sine(1000), RATE, root_key=69, pitch_correction_cents=-7, loop=(100, 900)),
    SampleSpec("long", _sine(40000, 220.0), 32000, root_key=57, loop=(33000, 39000)),
]


def _bank(instrument: InstrumentSpec, preset_zones: tuple[ZoneSpec, ...], **preset_kw) -> dict:
    preset = PresetSpec("P", 0, 5, preset_zones, **preset_kw)
    return parse_soundfont(sf2_bytes("Bank", SAMPLES, [instrument], [preset]), "mem.sf2").presets


PLAIN_PRESET = (ZoneSpec("I"),)


def _regions(inst_zones, preset_zones=PLAIN_PRESET, inst_global=None, **preset_kw):
    instrument = InstrumentSpec("I", tuple(inst_zones), inst_global)
    return _bank(instrument, tuple(preset_zones), **preset_kw)[(0, 5)].regions


def test_defaults_of_a_bare_zone():
    (region,) = _regions([ZoneSpec("short")])
    assert (region.key_lo, region.key_hi, region.vel_lo, region.vel_hi) == (0, 127, 0, 127)
    assert (region.sample_start, region.sample_end) == (0, 1000)
    assert region.loop_mode == LOOP_NONE
    assert region.root_key == 69 and region.tune_cents == -7.0 and region.scale_tuning == 100.0
    assert region.attack_s == 0.0 and region.decay_s == 0.0 and region.release_s == 0.0
    assert region.sustain_cb == 0.0 and region.attenuation_cb == 0.0 and region.pan == 0.0
    assert region.fixed_key == -1 and region.fixed_velocity == -1 and region.exclusive_class == 0
    assert region.sample_rate == RATE


def test_second_sample_positions_are_absolute_after_the_guard_points():
    (region,) = _regions([ZoneSpec("long", {"sampleModes": 1})])
    first = 1000 + GUARD_POINTS
    assert (region.sample_start, region.sample_end) == (first, first + 40000)
    assert (region.loop_start, region.loop_end) == (first + 33000, first + 39000)
    assert region.loop_mode == LOOP_CONTINUOUS and region.sample_rate == 32000


def test_global_instrument_zone_is_the_fallback_and_local_values_win():
    inst_global = ZoneSpec(None, {"attackVolEnv": 1200, "pan": -100})
    local = [
        ZoneSpec("short", {"pan": 250}, key_range=(0, 59)),
        ZoneSpec("short", key_range=(60, 127)),
    ]
    low, high = _regions(local, inst_global=inst_global)
    assert low.attack_s == pytest.approx(2.0) and high.attack_s == pytest.approx(2.0)
    assert low.pan == pytest.approx(0.5) and high.pan == pytest.approx(-0.2)


def test_preset_values_are_offsets_added_to_instrument_values():
    inst = [ZoneSpec("short", {"coarseTune": 1, "fineTune": 10, "initialAttenuation": 100})]
    preset = [ZoneSpec("I", {"coarseTune": 2, "fineTune": -3, "initialAttenuation": 50})]
    (region,) = _regions(inst, preset)
    assert region.tune_cents == 300 + 7 - 7  # coarse 3, fine 7, sample correction -7
    assert region.attenuation_cb == 150


def test_preset_global_zone_offsets_apply_to_every_preset_zone():
    preset = [ZoneSpec("I", key_range=(0, 63)), ZoneSpec("I", {"releaseVolEnv": 1200})]
    low, high = _regions(
        [ZoneSpec("short", {"releaseVolEnv": 0})],
        preset,
        global_zone=ZoneSpec(None, {"releaseVolEnv": -1200}),
    )
    assert low.release_s == pytest.approx(0.5)  # 0 + -1200 timecents from the global zone
    assert high.release_s == pytest.approx(2.0)  # local 1200 supersedes the global offset


def test_sums_are_clamped_to_the_spec_ranges():
    inst = [ZoneSpec("short", {"pan": 400, "initialAttenuation": 1400, "sustainVolEnv": 1000})]
    preset = [ZoneSpec("I", {"pan": 300, "initialAttenuation": 200, "sustainVolEnv": 900})]
    (region,) = _regions(inst, preset)
    assert region.pan == 1.0 and region.attenuation_cb == 1440 and region.sustain_cb == 1440


def test_instrument_only_generators_are_ignored_at_preset_level():
    preset = [ZoneSpec("I", {"overridingRootKey": 10, "exclusiveClass": 3, "sampleModes": 1})]
    (region,) = _regions([ZoneSpec("short")], preset)
    assert region.root_key == 69 and region.exclusive_class == 0 and region.loop_mode == LOOP_NONE


def test_key_and_velocity_ranges_intersect_and_empty_intersections_are_dropped():
    inst = [
        ZoneSpec("short", key_range=(40, 70), vel_range=(0, 100)),
        ZoneSpec("short", key_range=(90, 100)),
    ]
    (region,) = _regions(inst, [ZoneSpec("I", key_range=(60, 80), vel_range=(50, 127))])
    assert (region.key_lo, region.key_hi, region.vel_lo, region.vel_hi) == (60, 70, 50, 100)


@pytest.mark.parametrize(
    ("timecents", "seconds"), [(-12000, 0.0), (-32768, 0.0), (0, 1.0), (1200, 2.0), (-1200, 0.5)]
)
def test_timecents(timecents, seconds):
    assert timecents_to_seconds(timecents) == pytest.approx(seconds)


def test_envelope_units():
    gens = {
        "delayVolEnv": -2400,
        "attackVolEnv": -7973,  # about 10 ms
        "holdVolEnv": 0,
        "decayVolEnv": 2400,
        "sustainVolEnv": 300,
        "releaseVolEnv": -1200,
        "keynumToVolEnvHold": 50,
        "keynumToVolEnvDecay": -100,
    }
    (region,) = _regions([ZoneSpec("short", gens)])
    assert region.delay_s == pytest.approx(0.25)
    assert region.attack_s == pytest.approx(2 ** (-7973 / 1200))
    assert region.hold_s == 1.0 and region.decay_s == pytest.approx(4.0)
    assert region.sustain_cb == 300 and region.release_s == pytest.approx(0.5)
    assert region.key_to_hold_tc == 50 and region.key_to_decay_tc == -100


def test_sample_offsets_fine_and_coarse():
    gens = {
        "sampleModes": 3,
        "startAddrsOffset": 10,
        "endAddrsOffset": -20,
        "startloopAddrsOffset": 5,
        "endloopAddrsOffset": -6,
        "startAddrsCoarseOffset": 1,
    }
    (region,) = _regions([ZoneSpec("long", gens)])
    first = 1000 + GUARD_POINTS
    assert region.sample_start == first + 32768 + 10
    assert region.sample_end == first + 40000 - 20
    assert region.loop_start == first + 33000 + 5
    assert region.loop_end == first + 39000 - 6
    assert region.loop_mode == LOOP_UNTIL_RELEASE


def test_loop_moved_before_the_start_is_clamped_into_the_played_part():
    gens = {"sampleModes": 1, "startAddrsCoarseOffset": 1, "startloopAddrsCoarseOffset": -1}
    (region,) = _regions([ZoneSpec("long", gens)])
    assert region.loop_start == region.sample_start == 1000 + GUARD_POINTS + 32768
    assert region.loop_end == 1000 + GUARD_POINTS + 39000


def test_sample_mode_2_means_no_loop():
    (region,) = _regions([ZoneSpec("short", {"sampleModes": 2})])
    assert region.loop_mode == LOOP_NONE


def test_root_key_tuning_and_fixed_generators():
    gens = {
        "overridingRootKey": 60,
        "scaleTuning": 50,
        "exclusiveClass": 7,
        "keynum": 36,
        "velocity": 100,
    }
    (region,) = _regions([ZoneSpec("short", gens)])
    assert region.root_key == 60 and region.scale_tuning == 50 and region.exclusive_class == 7
    assert region.fixed_key == 36 and region.fixed_velocity == 100


def test_zone_after_the_first_without_a_sample_is_ignored():
    instrument = InstrumentSpec("I", (ZoneSpec("short"), ZoneSpec(None, {"pan": 500})))
    (region,) = _bank(instrument, (ZoneSpec("I"),))[(0, 5)].regions
    assert region.pan == 0.0


def test_sample_data_is_float32_and_matches_the_written_samples():
    preset = PresetSpec("P", 0, 0, (ZoneSpec("I"),))
    inst = InstrumentSpec("I", (ZoneSpec("short"),))
    sf = parse_soundfont(sf2_bytes("Bank", SAMPLES, [inst], [preset]), "mem.sf2")
    assert sf.sample_data.dtype == np.float32
    np.testing.assert_allclose(sf.sample_data[:1000], SAMPLES[0].data, atol=1.0 / 32767)
    assert not sf.sample_data[1000 : 1000 + GUARD_POINTS].any()
    assert len(sf.sha256) == 64 and sf.name == "Bank"
    assert math.isclose(float(np.max(sf.sample_data)), 0.5, abs_tol=1e-3)
