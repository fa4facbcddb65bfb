"""The compiled note-on chooses the voices it releases, cuts and steals by the synth's rules
(a key restarted, an exclusive class, the oldest released then the oldest held when the bank is
full), exactly as the Python note-on it replaced (:mod:`tests.synth.voice_model`), and
allocates nothing per note."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest

from soundness_live.core.events import DRUM_CHANNEL, ControlChange, NoteOff, NoteOn, ProgramChange
from soundness_live.synth import voice_state as vs
from soundness_live.synth.envelope import RELEASE, SECTIONS
from soundness_live.synth.region import LOOP_UNTIL_RELEASE, Preset, SoundFontData
from soundness_live.synth.synth import STEAL_FADE_MS, Synth
from tests.conftest import require
from tests.synth.test_note_on_tables import font
from tests.synth.test_realtime_allocations import handling_peak_bytes
from tests.synth.test_synth import RATE, tone_font
from tests.synth.voice_model import with_model_note_on

FLUID_R3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
OPEN_HAT, CLOSED_HAT, SNARE = 46, 42, 38
STEAL_FRAMES = int(round(STEAL_FADE_MS * RATE / 1000))
CHOKE_PERIODS = 1 + int(RATE / 64 * 2.0 ** (-200.0 / 1200.0))  # FluidSynth's -200 timecents


def hat_font() -> SoundFontData:
    """A kit whose open (46) and closed (42) hats share exclusive class 1 and whose snare (38)
    has class 2, a looped-until-release tone from key 50 up; that tone on every key in bank 0."""
    tone = tone_font(loop_mode=LOOP_UNTIL_RELEASE)
    (base,) = tone.presets[0, 0].regions
    hats = tuple(
        replace(base, key_lo=k, key_hi=k, exclusive_class=c, loop_mode=0)
        for k, c in ((OPEN_HAT, 1), (CLOSED_HAT, 1), (SNARE, 2))
    )
    kit = Preset("kit", 128, 0, (*hats, replace(base, key_lo=50)))
    presets = {(0, 0): Preset("tone", 0, 0, (base,)), (128, 0): kit}
    return SoundFontData("hats", "0" * 64, tone.sample_data, presets)


def keys_of(synth: Synth) -> list[tuple[int, int, int, int]]:
    """(channel, key, released, killed) of each voice in the bank, in start order."""
    state = synth.voices.state[:, : synth.voices.count]
    rows = [vs.CHANNEL, vs.KEY, vs.RELEASED, vs.KILLED]
    return [tuple(int(x) for x in column) for column in state[rows].T]


def test_a_repeated_key_releases_its_sounding_voice_on_its_channel_only() -> None:
    synth = Synth(hat_font(), RATE, max_voices=8)
    for channel in (0, 1, 0):
        synth.handle(NoteOn(0, channel, 60, 100))
    assert keys_of(synth) == [(0, 60, 1, 0), (1, 60, 0, 0), (0, 60, 0, 0)]
    state = synth.voices.state
    assert state[vs.NOTE_OFF, 0] == 1 and state[vs.NOTE_OFF, 1:3].tolist() == [0, 0]
    assert state[vs.LOOP_MODE, 0] == 0  # loop until release: it left its loop
    assert state[vs.LOOP_MODE, 2] == LOOP_UNTIL_RELEASE


def test_an_exclusive_class_cuts_its_own_class_on_its_channel_only() -> None:
    synth = Synth(hat_font(), RATE, max_voices=8)
    synth.handle(ProgramChange(0, 3, 0, 128))
    for channel, key in ((3, OPEN_HAT), (DRUM_CHANNEL, OPEN_HAT), (DRUM_CHANNEL, SNARE)):
        synth.handle(NoteOn(0, channel, key, 100))
    synth.handle(NoteOn(0, DRUM_CHANNEL, CLOSED_HAT, 100))
    assert keys_of(synth) == [
        (3, OPEN_HAT, 0, 0),
        (DRUM_CHANNEL, OPEN_HAT, 1, 0),
        (DRUM_CHANNEL, SNARE, 0, 0),
        (DRUM_CHANNEL, CLOSED_HAT, 0, 0),
    ]
    for which in (0, 1):  # both envelopes fall in full over -200 timecents
        section = which * SECTIONS + RELEASE
        assert synth.voices.state[vs.ENV_COUNTS + section, 1] == CHOKE_PERIODS
        assert synth.voices.params[vs.ENV + section * 4 + 1, 1] == -1.0 / CHOKE_PERIODS
    assert synth.voices.state[vs.ENV_COUNTS + RELEASE, 0] != CHOKE_PERIODS


def test_a_full_bank_steals_the_oldest_released_voice_then_the_oldest_held() -> None:
    synth = Synth(hat_font(), RATE, max_voices=3)
    for key in (60, 61, 62):
        synth.handle(NoteOn(0, 0, key, 100))
    synth.handle(NoteOff(0, 0, 61))
    synth.handle(NoteOn(0, 0, 63, 100))
    assert keys_of(synth) == [(0, 60, 0, 0), (0, 61, 1, 1), (0, 62, 0, 0), (0, 63, 0, 0)]
    synth.handle(NoteOn(0, 0, 64, 100))
    assert keys_of(synth)[0] == (0, 60, 1, 1) and synth.voices.state[vs.FADE_FRAMES, 0] == 144
    assert STEAL_FRAMES == 144
    # more note-ons than the bank's columns inside one steal fade: the oldest fading go
    for key in (65, 66, 67):
        synth.handle(NoteOn(0, 0, key, 100))
    assert synth.voices.count == synth.voices.capacity == 6
    assert [k for _, k, _, killed in keys_of(synth) if not killed] == [65, 66, 67]
    assert [k for _, k, _, _ in keys_of(synth)] == [62, 63, 64, 65, 66, 67]


def _events(seed: int, drums: list[int], n: int = 400) -> list:
    """Note-ons and offs on three channels, the pedal now and then, from ``seed``."""
    rng = np.random.default_rng(seed)
    events: list = [ProgramChange(0, 1, 48), ProgramChange(0, 2, 11)]
    for _ in range(n):
        channel = int(rng.choice([1, 2, DRUM_CHANNEL]))
        key = int(rng.choice(drums)) if channel == DRUM_CHANNEL else int(rng.integers(40, 52))
        draw = rng.random()
        if draw < 0.6:
            events.append(NoteOn(0, channel, key, int(rng.integers(1, 128))))
        elif draw < 0.95:
            events.append(NoteOff(0, channel, key))
        else:
            events.append(ControlChange(0, channel, 64, int(rng.choice([0, 127]))))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_compiled_note_on_leaves_the_bank_as_the_python_one_did(seed: int) -> None:
    require(os.path.exists(FLUID_R3), f"{FLUID_R3} is not installed")
    soundfont = font(FLUID_R3)  # layered zones, exclusive classes (hats, whistles, cuica)
    drums = [OPEN_HAT, CLOSED_HAT, 44, SNARE, 36, 71, 72, 78, 79, 80, 81]
    new = Synth(soundfont, RATE, max_voices=6)
    old = with_model_note_on(Synth(soundfont, RATE, max_voices=6))
    rng = np.random.default_rng(seed)
    steals = 0
    for event in _events(seed, drums):
        frames = int(rng.choice([0, 0, 1, 64, 700]))
        for synth in (new, old):
            synth.handle(event)
            synth.render(np.zeros((frames, 2), np.float32))
        count = new.voices.count
        assert count == old.voices.count, event
        assert np.array_equal(new.voices.state[:, :count], old.voices.state[:, :count]), event
        np.testing.assert_allclose(
            new.voices.params[:, :count], old.voices.params[:, :count], rtol=0, atol=1e-9
        )
        steals += int(new.voices.state[vs.FADE_FRAMES, :count].astype(bool).sum())
    assert steals > 0  # the bank did fill


def _note_on_peak_bytes(sounding: int) -> int:
    """The most memory held at once by 20 note-ons beyond what was held before, among
    ``sounding`` voices or a few more (a note restarted, a class cut, never a steal)."""
    synth = Synth(hat_font(), RATE, max_voices=1024)
    synth.prepare()
    for key in range(sounding):
        synth.handle(NoteOn(0, 1 + key % 8, 50 + key % 70, 100))
    events = [NoteOn(0, 0, 40 + key, 100) for key in range(20)]
    synth.handle(events[0])  # the first note-on of a kind: numba's dispatch made ready
    peak = handling_peak_bytes(synth, events)
    assert synth.voices.count == sounding + 21
    return peak


def test_a_note_on_allocates_nothing_per_voice_sounding() -> None:
    # a mask or an index array over the voices would hold a byte or more a voice at once;
    # what is left is numba's dispatch of the one call (its arguments' types) and the voice
    # count's Python int, the same at any count (above 256: numbers Python keeps no copy of)
    few, many = _note_on_peak_bytes(300), _note_on_peak_bytes(900)
    assert many == few and few < 1024, (few, many)
