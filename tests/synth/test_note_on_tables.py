"""A note-on from the region tables (:mod:`soundness_live.synth.note_on`) gives a voice the
numbers :func:`soundness_live.synth.voice_setup.new_voice` computes, region by region, on
FluidR3 and TimGM6mb and on a zone with modulators of every kind, and the same sound."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
import pytest

from soundness_live.core.events import (
    ChannelPressure,
    ControlChange,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
    SynthEvent,
)
from soundness_live.synth import voice_state as vs
from soundness_live.synth.note_on import (
    N_SOURCES,
    PRESSURE_AT,
    WHEEL_AT,
    WHEEL_RANGE_AT,
    RegionTables,
    start_voice,
)
from soundness_live.synth.region import (
    Modulator,
    Region,
    SoundFontData,
    region_loop_mode,
)
from soundness_live.synth.sf2.read import DRUM_BANK, load_soundfont
from soundness_live.synth.synth import Synth
from soundness_live.synth.voice_setup import new_voice
from tests.conftest import require
from tests.synth.test_synth import RATE, tone_font
from tests.synth.voice_model import with_model_note_on

FONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2")
# piano, vibraphone, organ, guitars, bass, strings, brass, reed, flute, synth lead and pad,
# timpani, effects: filters, LFOs, both envelopes, key scaling and layered zones
PROGRAMS = ((0, 0), (0, 11), (0, 19), (0, 24), (0, 30), (0, 33), (0, 48), (0, 47), (0, 56))
PROGRAMS += ((0, 61), (0, 66), (0, 73), (0, 81), (0, 89), (0, 118), (DRUM_BANK, 0))
CONTROLLERS = {1: 37, 2: 90, 7: 91, 10: 23, 11: 105, 74: 12}
PRESSURE, WHEEL, WHEEL_RANGE = 44, 11_000, 7.5
GAIN = 0.2
UNTOUCHED = {vs.LOOP_MODE, vs.CHANNEL, vs.KEY, vs.EXCLUSIVE}  # new_voice leaves them
ODD_MODULATORS = (
    Modulator(0x0082, 48, 480),  # CC2, linear: attenuation
    Modulator(0x000D, 8, -2400),  # channel pressure closes the filter
    Modulator(0x0603, 17, 300),  # key, bipolar concave: pan
    Modulator(0x0A02, 9, 120, 0x0C4A),  # velocity bipolar convex x CC74 switch: Q
    Modulator(0x0102, 22, -700, 0, 2),  # velocity, negative, absolute value: LFO rate
    Modulator(0x0010, 51, 3),  # the wheel's range: coarse tune
    Modulator(0x020E, 7, 1000, 0x0081),  # the wheel x CC1: mod envelope to pitch
    Modulator(0x0581, 24, -500),  # CC1 negative concave: vibrato rate
    Modulator(0x000A, 21, 800),  # polyphonic pressure (at rest): LFO delay
    Modulator(0x0502, 48, 200),  # the default velocity curve, replaced
)


@lru_cache(maxsize=2)
def font(path: str) -> SoundFontData:
    """The font at ``path``, loaded once."""
    return load_soundfont(path)


def regions_of(soundfont: SoundFontData) -> list[Region]:
    """Every region of PROGRAMS' presets in ``soundfont``."""
    found = [soundfont.presets.get(key) for key in PROGRAMS]
    return [region for preset in found if preset is not None for region in preset.regions]


def note_sources() -> np.ndarray:
    """The note-on sources of 16 channels: CONTROLLERS over General MIDI's reset values."""
    sources = np.zeros((16, N_SOURCES))
    controllers = [{7: 100, 10: 64, 11: 127, 100: 127, 101: 127}.get(n, 0) for n in range(128)]
    for number, value in CONTROLLERS.items():
        controllers[number] = value
    sources[:, :128] = controllers
    sources[:, PRESSURE_AT], sources[:, WHEEL_AT] = PRESSURE, WHEEL
    sources[:, WHEEL_RANGE_AT] = WHEEL_RANGE
    return sources


def assert_same_voice(tables: RegionTables, region: Region, key: int, velocity: int) -> None:
    """Both set-ups of one voice, field by field."""
    sources = note_sources()
    controllers = [int(x) for x in sources[3, :128]]
    wheel = (PRESSURE, WHEEL, WHEEL_RANGE)
    state, params = new_voice(region, key, velocity, controllers, RATE, GAIN, wheel)
    got_state = vs.voice_columns(vs.N_STATE, 2, np.int64) - 7  # not left over from before
    got_params = vs.voice_columns(vs.N_PARAMS, 2, np.float64) + np.nan
    number = tables.number(region)
    start_voice(
        got_state,
        got_params,
        1,
        tables.arrays,
        number,
        3,
        key,
        velocity,
        sources,
        float(RATE),
        GAIN,
    )
    where = f"keys {region.key_lo}-{region.key_hi}, velocities {region.vel_lo}-{region.vel_hi}"
    where += f": key {key}, velocity {velocity}"
    rows = [r for r in range(vs.N_STATE) if r not in UNTOUCHED]
    assert got_state[rows, 1].tolist() == state[rows].tolist(), where
    np.testing.assert_allclose(got_params[:, 1], params, rtol=0, atol=1e-6, err_msg=where)
    assert got_state[vs.LOOP_MODE, 1] == region_loop_mode(region)
    assert got_state[vs.CHANNEL, 1] == 3 and got_state[vs.KEY, 1] == key
    assert got_state[vs.EXCLUSIVE, 1] == region.exclusive_class
    assert got_state[0, 0] == -7 and np.isnan(got_params[0, 0])  # the other column untouched


@pytest.mark.parametrize("path", FONTS)
def test_every_region_of_the_programs_sets_up_as_new_voice(path: str) -> None:
    require(
        os.path.exists(path),
        f"{path} is not installed (apt install fluid-soundfont-gm / timgm6mb-soundfont)",
    )
    regions = regions_of(font(path))
    tables = RegionTables(regions, RATE)
    assert len(regions) > 100
    for region in regions:
        low, high = region.key_lo, region.key_hi
        for key in sorted({low, (low + high) // 2, high}):
            for velocity in sorted({max(region.vel_lo, 1), region.vel_hi}):
                assert_same_voice(tables, region, key, velocity)


def test_a_zone_with_modulators_of_every_kind_sets_up_as_new_voice() -> None:
    region = tone_font(instrument_modulators=ODD_MODULATORS).presets[(0, 0)].regions[0]
    region = Region(
        **{
            **_fields(region),
            "key_to_hold_tc": 30.0,
            "key_to_mod_decay_tc": -50.0,
            "hold_s": 0.2,
            "mod_decay_s": 0.4,
            "fixed_velocity": -1,
        }
    )
    tables = RegionTables((), RATE)  # a region made by hand: numbered when first played
    for key in (0, 21, 60, 64, 100, 127):
        for velocity in (1, 40, 64, 65, 127):
            assert_same_voice(tables, region, key, velocity)


def _fields(region: Region) -> dict:
    return {name: getattr(region, name) for name in Region.__dataclass_fields__}


@pytest.mark.parametrize("path", FONTS)
def test_the_programs_sound_as_with_new_voice(path: str) -> None:
    require(os.path.exists(path), f"{path} is not installed")
    events: list[SynthEvent] = [ChannelPressure(0, 1, 30), PitchBend(0, 1, 9000)]
    events += [ControlChange(0, 1, n, value) for n, value in CONTROLLERS.items()]
    for n, (bank, program) in enumerate(PROGRAMS):
        channel = 9 if bank == DRUM_BANK else 1
        if bank != DRUM_BANK:
            events.append(ProgramChange(0, channel, program))
        for key, velocity in ((36 + 3 * n, 50), (60 + n, 127), (70 + n, 90)):
            events += [NoteOn(0, channel, key, velocity), NoteOff(0, channel, key)]
    new, old = Synth(font(path), RATE), with_model_note_on(Synth(font(path), RATE))
    outputs = []
    for synth in (new, old):
        block = np.zeros((2400, 2), np.float32)
        rendered = []
        for event in events:
            synth.handle(event)
            synth.render(block)
            rendered.append(block.copy())
        outputs.append(np.concatenate(rendered))
    assert np.abs(outputs[1]).max() > 0.01
    assert np.array_equal(outputs[0], outputs[1])


@pytest.mark.parametrize("path", FONTS)
def test_a_note_finds_the_regions_of_its_key_and_velocity_in_the_presets_order(path: str) -> None:
    require(os.path.exists(path), f"{path} is not installed")
    synth = Synth(font(path), RATE)
    for preset in font(path).presets.values():
        for key in range(128):
            for velocity in (1, 63, 64, 100, 127):
                found = synth._regions_for(preset, key, velocity)
                assert found == preset.regions_for(key, velocity), (preset.name, key, velocity)
