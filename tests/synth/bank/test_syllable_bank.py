"""The sung syllables of the bundled bank (bank 1), heard through the synth.

Each syllable must sound at the key's pitch, carry its vowel's formants, and be counted by our
own voice analysis as one syllable per note: the engine's own prompts must be countable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import NoteOff, NoteOn, ProgramChange
from soundness_live.synth.bank.syllables import BANK, KIT_PROGRAM, KIT_RANGES, SYLLABLES, VOWELS
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from soundness_live.voice.analysis import analyze_voice
from soundness_live.voice.pitch import track_pitch

SF2 = Path(__file__).resolve().parents[3] / "soundfonts" / "soundness-gm.sf2"
RATE = 48_000
NOISE_DBFS = -65.0  # a quiet room: the VAD adapts to it as it would to a real microphone


@pytest.fixture(scope="module")
def bank():
    return load_soundfont(SF2)


def render(sf, program: int, keys: list[int], *, beat_s=0.6, hold_s=0.36, lead_s=0.6, tail_s=0.8):
    """Notes ``keys`` one per beat on the syllable preset, mono, with a quiet noise floor."""
    renderer = Renderer(Synth(sf, RATE), OutputStage(RATE, -6.0))
    renderer.scheduler.add(ProgramChange(0, 0, program, BANK))
    for i, key in enumerate(keys):
        frame = int((lead_s + i * beat_s) * RATE)
        renderer.scheduler.add(NoteOn(frame, 0, key, 100))
        renderer.scheduler.add(NoteOff(frame + int(hold_s * RATE), 0, key))
    n = int((lead_s + len(keys) * beat_s + tail_s) * RATE)
    mono = render_offline(renderer, n).mean(axis=1).astype(np.float64)
    noise = np.random.default_rng(program).normal(0.0, 10 ** (NOISE_DBFS / 20), n)
    return mono + noise


def test_bank_one_has_a_preset_per_syllable_and_the_kit(bank):
    names = {program: bank.presets[(BANK, program)].name for program in range(11)}
    assert names == {**{i: f"Syllable {s}" for i, s in enumerate(SYLLABLES)}, 10: "Syllable kit"}
    for program in range(len(SYLLABLES)):
        preset = bank.presets[(BANK, program)]
        assert [len(preset.regions_for(key, 100)) for key in range(128)] == [1] * 128


def vowel_pitch_hz(x: np.ndarray, start_s: float, floor_hz: float, ceiling_hz: float) -> float:
    """Median f0 of 0.5 s of ``x`` from ``start_s`` (the vowel of a note)."""
    segment = x[int(start_s * RATE) : int((start_s + 0.5) * RATE)]
    track = track_pitch(segment, RATE, floor_hz=floor_hz, ceiling_hz=ceiling_hz)
    return float(np.median(track.f0_hz[track.voiced]))


def test_the_kit_plays_one_syllable_per_range_from_c4(bank):
    kit = bank.presets[(BANK, KIT_PROGRAM)]
    covered = [key for key in range(128) if kit.regions_for(key, 100)]
    ranges = [range(lo, hi + 1) for lo, hi in KIT_RANGES.values()]
    assert covered == sorted(key for keys in ranges for key in keys)
    for syllable in ("a", "ba", "la"):
        lo, hi = KIT_RANGES[syllable]
        for key, want_hz in ((lo, 261.63), (hi, 261.63 * 2 ** ((hi - lo) / 12))):
            x = render(bank, KIT_PROGRAM, [key], hold_s=0.8)
            heard_hz = vowel_pitch_hz(x, 0.85, 150.0, 500.0)
            assert abs(1200 * np.log2(heard_hz / want_hz)) < 5.0, (syllable, key)


@pytest.mark.parametrize("syllable", SYLLABLES)
def test_a4_sounds_440_hz_on_the_vowel(bank, syllable):
    x = render(bank, SYLLABLES.index(syllable), [69], hold_s=0.8)
    f0_hz = vowel_pitch_hz(x, 0.85, 300.0, 600.0)  # from 250 ms into the note: the vowel
    assert abs(1200 * np.log2(f0_hz / 440.0)) < 5.0


def harmonic_formants(x: np.ndarray, f0_hz: float) -> tuple[float, float]:
    """(F1, F2): the envelope peak at the strongest harmonic (after +6 dB/octave pre-emphasis)
    in the F1 band, then above it. With harmonics f0 apart a formant is known to about f0 / 2."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    harmonics_hz = np.arange(1, int(4000 / f0_hz)) * f0_hz
    level = np.array([spectrum[np.abs(freqs - h) < f0_hz / 4].max() * h for h in harmonics_hz])

    def strongest(lo_hz: float, hi_hz: float) -> float:
        inside = np.flatnonzero((harmonics_hz >= lo_hz) & (harmonics_hz <= hi_hz))
        k = int(inside[np.argmax(level[inside])])
        if not 0 < k < len(level) - 1:
            return float(harmonics_hz[k])
        a, b, c = np.log(level[k - 1 : k + 2])  # the envelope's peak between the harmonics
        return float(harmonics_hz[k] + f0_hz * 0.5 * (a - c) / (a - 2 * b + c))

    f1 = strongest(200.0, 1000.0)
    return f1, strongest(f1 + 300.0, 3000.0)


@pytest.mark.parametrize("syllable", SYLLABLES)
def test_the_vowel_has_its_formants(bank, syllable):
    f0_hz = 440.0 * 2 ** ((55 - 69) / 12)  # key 55 plays the lowest sampled root unshifted
    x = render(bank, SYLLABLES.index(syllable), [55], hold_s=1.0)
    f1, f2 = harmonic_formants(x[int(0.9 * RATE) : int(1.5 * RATE)], f0_hz)
    want = VOWELS[syllable[-1]]
    for got, (target, _) in zip((f1, f2), want, strict=False):
        assert abs(got - target) <= f0_hz / 2 + 0.05 * target, (syllable, got, target)

    def distance(vowel: str) -> float:
        targets = [VOWELS[vowel][0][0], VOWELS[vowel][1][0]]
        return float(np.hypot(*(np.log([f1, f2]) - np.log(targets))))

    assert min(VOWELS, key=distance) == syllable[-1]


@pytest.mark.parametrize("syllable", SYLLABLES)
def test_voice_analysis_counts_one_syllable_per_note(bank, syllable):
    program = SYLLABLES.index(syllable)
    one = analyze_voice(render(bank, program, [67]), RATE, listen_from_ms=300.0)
    two = analyze_voice(render(bank, program, [67, 64]), RATE, listen_from_ms=300.0)
    same = analyze_voice(render(bank, program, [62, 62]), RATE, listen_from_ms=300.0)
    assert (one.syllables, two.syllables, same.syllables) == (1, 2, 2)
    assert two.contour == ("falling",)
