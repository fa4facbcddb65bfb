"""Pitch through the synth: every pitched General MIDI program at key 69 sounds A4 = 440 Hz,
in the bundled bank and in Debian's TimGM6mb; every GM drum key sounds.

Not measured (unpitched in General MIDI): programs 112-127 — percussive and sound effects
(tinkle bell, agogo, steel drums, woodblock, taiko, melodic tom, synth drum, reverse cymbal,
fret noise, breath, seashore, bird, telephone, helicopter, applause, gunshot).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from soundness_live.core.events import NoteOn, ProgramChange
from soundness_live.synth.region import SoundFontData
from soundness_live.synth.sf2.find import default_soundfont_path
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.conftest import require

RATE = 48_000
TIMGM6MB = "/usr/share/sounds/sf2/TimGM6mb.sf2"
PITCHED = range(112)

# TimGM6mb's own samples are out of tune at A4 for these programs (cents; FluidSynth 2.3
# measures the same within 1 cent): the synth must reproduce the bank, not 440 Hz.
TIMGM6MB_DETUNED = {
    8: 5.2, 9: 10.0, 22: -29.3, 44: -6.9, 47: -14.8, 51: -6.8, 55: 25.0, 62: 9.5, 63: 8.6,
    78: -19.1, 83: 9.1, 95: -6.3, 97: -5.5, 98: 5.2, 101: 14.0, 104: 5.2,
}  # fmt: skip
# no measurable fundamental near A4 in TimGM6mb: 14 tubular bells (the strike partials are
# 65 dB above it), 31 guitar harmonics (sounds the octave); 90 poly synth is two layers
# 4 cents apart whose beating has no single peak.
TIMGM6MB_UNMEASURABLE = {14, 31, 90}


def fundamental_hz(audio: np.ndarray, expected_hz: float) -> float:
    """Frequency of the strongest spectral peak within 50 cents of ``expected_hz``.

    Hann window over the whole excerpt, zero-padded to 2**18 points (0.18 Hz bins), peak
    refined by a parabola through the log magnitudes (well under a cent of error).
    """
    x = audio.astype(np.float64) - audio.mean()
    size = 1 << 18
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), size)) + 1e-30
    bin_hz = RATE / size
    lo = int(expected_hz * 2 ** (-0.5 / 12) / bin_hz)
    hi = int(expected_hz * 2 ** (0.5 / 12) / bin_hz)
    k = lo + int(np.argmax(spectrum[lo:hi]))
    a, b, c = np.log(spectrum[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * bin_hz


def play(font: SoundFontData, bank: int, program: int, key: int, seconds: float) -> np.ndarray:
    channel = 9 if bank == 128 else 0
    synth = Synth(font, RATE)
    synth.handle(ProgramChange(0, channel, program, bank))
    synth.handle(NoteOn(0, channel, key, 100))
    out = np.zeros((int(seconds * RATE), 2), np.float32)
    synth.render(out)
    return out


def cents_at_a4(font: SoundFontData, program: int) -> float:
    audio = play(font, 0, program, 69, 0.7)
    mono = audio[int(0.1 * RATE) :].sum(axis=1)  # after the attack
    return 1200 * math.log2(fundamental_hz(mono, 440.0) / 440.0)


@pytest.fixture(scope="module")
def bundled() -> SoundFontData:
    return load_soundfont(default_soundfont_path())


@pytest.fixture(scope="module")
def timgm6mb() -> SoundFontData:
    require(os.path.exists(TIMGM6MB), "apt-get install timgm6mb-soundfont")
    return load_soundfont(TIMGM6MB)


def test_fundamental_estimate_is_exact_on_a_known_tone() -> None:
    t = np.arange(int(0.6 * RATE)) / RATE
    tone = np.sin(2 * np.pi * 441.3 * t) + 0.5 * np.sin(2 * np.pi * 882.6 * t)
    assert fundamental_hz(tone, 440.0) == pytest.approx(441.3, abs=0.05)


def test_bundled_bank_plays_a4_on_every_pitched_program(bundled: SoundFontData) -> None:
    off = {p: round(c, 1) for p in PITCHED if abs(c := cents_at_a4(bundled, p)) > 5.0}
    assert off == {}


def test_timgm6mb_plays_a4_on_every_pitched_program(timgm6mb: SoundFontData) -> None:
    off = {}
    for program in PITCHED:
        if program in TIMGM6MB_UNMEASURABLE:
            continue
        cents = cents_at_a4(timgm6mb, program)
        if abs(cents - TIMGM6MB_DETUNED.get(program, 0.0)) > 5.0:
            off[program] = round(cents, 1)
    assert off == {}


def silent_drum_keys(font: SoundFontData, keys: list[int]) -> list[int]:
    return [key for key in keys if np.abs(play(font, 128, 0, key, 0.1)).max() < 1e-3]


def test_every_gm_drum_key_sounds_in_timgm6mb(timgm6mb: SoundFontData) -> None:
    assert silent_drum_keys(timgm6mb, list(range(35, 82))) == []


def test_every_gm_drum_key_of_the_bundled_kit_sounds(bundled: SoundFontData) -> None:
    kit = bundled.presets[(128, 0)]
    assert [key for key in range(35, 82) if not kit.regions_for(key, 100)] == []
    assert silent_drum_keys(bundled, list(range(35, 82))) == []
