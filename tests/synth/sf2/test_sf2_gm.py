"""General MIDI: the GM fallback rule, and Debian's GM SoundFonts parsed with sane regions."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from soundness_live.errors import ParameterError
from soundness_live.synth.region import Preset, SoundFontData
from soundness_live.synth.sf2.read import find_preset, load_soundfont, read_soundfont_header
from tests.conftest import require

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
FLUIDR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def _bank(*keys: tuple[int, int]) -> SoundFontData:
    presets = {k: Preset(f"{k}", k[0], k[1]) for k in keys}
    return SoundFontData("t", "0" * 64, np.zeros(0, np.float32), presets)


def _found(sf: SoundFontData, bank: int, program: int) -> tuple[int, int]:
    preset = find_preset(sf, bank, program)
    return (preset.bank, preset.program)


def test_exact_match_wins():
    assert _found(_bank((0, 0), (0, 27), (8, 27)), 8, 27) == (8, 27)


def test_variation_bank_falls_back_to_bank_0_same_program():
    assert _found(_bank((0, 0), (0, 27)), 8, 27) == (0, 27)


def test_missing_program_takes_the_lowest_of_its_gm_family():
    sf = _bank((0, 0), (0, 26), (0, 29), (0, 32))
    assert _found(sf, 0, 24) == (0, 26)  # guitars 24-31: 26 is the lowest present
    assert _found(sf, 0, 31) == (0, 26)


def test_family_absent_falls_back_to_piano_then_anything_melodic():
    assert _found(_bank((0, 0), (0, 40), (128, 0)), 0, 73) == (0, 0)
    assert _found(_bank((0, 40), (1, 3), (128, 0)), 0, 73) == (0, 40)


def test_drums_fall_back_to_the_standard_kit():
    sf = _bank((0, 0), (128, 0), (128, 25))
    assert _found(sf, 128, 16) == (128, 0)
    assert _found(_bank((0, 0), (128, 25)), 128, 16) == (128, 25)
    assert _found(_bank((0, 3)), 128, 0) == (0, 3)


def test_bad_numbers_and_empty_banks():
    with pytest.raises(ParameterError, match="program must be in 0..127, got 128"):
        find_preset(_bank((0, 0)), 0, 128)
    with pytest.raises(ParameterError, match="bank"):
        find_preset(_bank((0, 0)), -1, 0)
    with pytest.raises(ParameterError, match="no presets"):
        find_preset(_bank(), 0, 0)


def _check_gm(sf: SoundFontData) -> None:
    assert all((0, p) in sf.presets for p in range(128)), "a GM program is missing"
    assert (128, 0) in sf.presets, "the GM drum kit is missing"
    n = len(sf.sample_data)
    assert sf.sample_data.dtype == np.float32
    assert -1.0 <= sf.sample_data.min() and sf.sample_data.max() <= 1.0
    for preset in sf.presets.values():
        assert preset.regions, f"{preset.name} has no regions"
        for r in preset.regions:
            assert 0 <= r.sample_start < r.sample_end <= n
            assert r.sample_start <= r.loop_start <= r.loop_end <= r.sample_end
            assert 0 <= r.key_lo <= r.key_hi <= 127 and 0 <= r.vel_lo <= r.vel_hi <= 127
            assert 4000 <= r.sample_rate <= 96000 and 0 <= r.root_key <= 127
            assert 0 <= r.attenuation_cb <= 1440 and -1.0 <= r.pan <= 1.0
            assert r.attack_s < 120 and r.release_s < 120
    piano = sf.presets[(0, 0)]
    assert all(piano.regions_for(key, 100) for key in range(21, 109)), "piano keys uncovered"
    kit = sf.presets[(128, 0)]
    assert all(kit.regions_for(key, 100) for key in (35, 36, 38, 42, 46, 49, 51))


def test_timgm6mb_is_a_complete_gm_bank():
    require(os.path.exists(TIMGM), "apt-get install timgm6mb-soundfont")
    sf = load_soundfont(TIMGM)
    _check_gm(sf)
    assert sf.path == TIMGM and len(sf.sha256) == 64
    header = read_soundfont_header(TIMGM)
    assert len(header.presets) == len(sf.presets) and header.name == sf.name


def test_fluidr3_is_a_complete_gm_bank_and_loads_quickly():
    require(os.path.exists(FLUIDR3), "apt-get install fluid-soundfont-gm")
    started = time.perf_counter()
    sf = load_soundfont(FLUIDR3)
    elapsed_s = time.perf_counter() - started
    assert elapsed_s < 10.0, f"FluidR3_GM.sf2 took {elapsed_s:.1f} s to load"
    _check_gm(sf)
    assert len(sf.sample_data) > 70_000_000
