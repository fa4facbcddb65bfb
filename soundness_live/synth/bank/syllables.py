"""Sung syllables for vocal prompts: "ba", "ma", "da", "pa", "la" and the vowels a e i o u.

Each take is a synthetic singer: a glottal source (harmonics falling 12 dB/octave, +6 dB lip
radiation) through a cascade of formant resonators, with small jitter and shimmer. The source
runs through the whole take; the formants glide from the consonant's locus to the vowel's
targets, and the vowel then holds still so its last ``LOOP_S`` is an exact period of the sound
(every component makes a whole number of cycles), looped seamlessly while a key is held.
Consonant onsets: a voice bar then a burst for b/d, a silent closure, burst and aspiration
for p (voicing starts ~60 ms after the burst), a nasal murmur for m, a lateral for l.

In the bank (bank 1): one preset per syllable over the whole key range (programs 0..9, sampled
at ``ROOTS`` so no key shifts the formants by more than 3.5 semitones) and the "Syllable kit"
(program 10), one syllable per key range (``KIT_RANGES``; each range sounds from C4 up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...activities.sung_prompts import SYLLABLE_BANK, SYLLABLES
from ..sf2.write import InstrumentSpec, PresetSpec, SampleSpec, ZoneSpec
from .dsp import SEED, Take, filtered, key_ranges, midi_hz
from .sustained import formant_gain

SR = 22050
BANK = SYLLABLE_BANK  # the sung syllables' bank, as the vocal prompts ask for it
KIT_PROGRAM = 10
ROOTS = (55, 62, 69, 76)
LOOP_S = 0.2  # loop length: the vowel's steady part, whole cycles of every component
ONSET_S = 0.15  # consonant and formant transition, before the loop
RELEASE_S = 0.12

Formants = tuple[tuple[float, float], ...]  # (centre Hz, bandwidth Hz) x 4

# Vowel targets for a light (child/female-like) voice, after Peterson & Barney / Hillenbrand.
VOWELS: dict[str, Formants] = {
    "a": ((800.0, 80.0), (1200.0, 90.0), (2700.0, 150.0), (3600.0, 250.0)),
    "e": ((450.0, 70.0), (2100.0, 100.0), (2800.0, 150.0), (3600.0, 250.0)),
    "i": ((300.0, 60.0), (2600.0, 100.0), (3200.0, 150.0), (3900.0, 250.0)),
    "o": ((480.0, 70.0), (880.0, 80.0), (2700.0, 150.0), (3500.0, 250.0)),
    "u": ((340.0, 60.0), (800.0, 80.0), (2600.0, 150.0), (3400.0, 250.0)),
}
_BILABIAL: Formants = ((250.0, 80.0), (900.0, 120.0), (2200.0, 200.0), (3300.0, 300.0))
_ALVEOLAR: Formants = ((250.0, 80.0), (1800.0, 120.0), (2700.0, 200.0), (3500.0, 300.0))
_NASAL: Formants = ((250.0, 60.0), (1100.0, 400.0), (2300.0, 400.0), (3300.0, 400.0))
_LATERAL: Formants = ((360.0, 70.0), (1300.0, 120.0), (2800.0, 200.0), (3600.0, 300.0))
_VOICE_BAR: Formants = ((200.0, 80.0), (1000.0, 1000.0), (2500.0, 1000.0), (3500.0, 1000.0))

# Syllable kit (program 10): keys per syllable; key `lo` of each range sounds C4 (key 60).
KIT_RANGES: dict[str, tuple[int, int]] = {
    "a": (36, 37),
    "e": (38, 39),
    "i": (40, 41),
    "o": (42, 43),
    "u": (44, 45),
    "ba": (48, 52),
    "ma": (53, 57),
    "da": (58, 62),
    "pa": (63, 67),
    "la": (68, 72),
}


@dataclass(frozen=True)
class Plan:
    """A syllable's onset: voicing level (dB) and formants at times (s); noise bursts."""

    anchors: tuple[tuple[float, float, Formants], ...]  # (time s, voicing dB, formants)
    bursts: tuple[tuple[float, float, float, float, float], ...] = ()  # t, dur, lo, hi, dB


def _plan(syllable: str) -> Plan:
    """The onset of ``syllable`` as voicing/formant anchors and noise bursts."""
    vowel = VOWELS[syllable[-1]]
    silent = -120.0
    if syllable == "ba":
        anchors = ((0.0, -30.0, _VOICE_BAR), (0.045, -30.0, _VOICE_BAR), (0.05, -6.0, _BILABIAL))
        return Plan(anchors + ((0.1, 0.0, vowel),), ((0.045, 0.008, 300.0, 2500.0, -16.0),))
    if syllable == "da":
        anchors = ((0.0, -30.0, _VOICE_BAR), (0.045, -30.0, _VOICE_BAR), (0.05, -6.0, _ALVEOLAR))
        return Plan(anchors + ((0.1, 0.0, vowel),), ((0.045, 0.008, 2500.0, 6000.0, -14.0),))
    if syllable == "pa":
        anchors = ((0.0, silent, _BILABIAL), (0.1, silent, _BILABIAL), (0.11, -6.0, _BILABIAL))
        bursts = ((0.035, 0.01, 300.0, 3000.0, -10.0), (0.045, 0.06, 600.0, 5000.0, -22.0))
        return Plan(anchors + ((0.14, 0.0, vowel),), bursts)
    if syllable == "ma":
        anchors = ((0.0, -14.0, _NASAL), (0.07, -12.0, _NASAL), (0.075, -4.0, _BILABIAL))
        return Plan(anchors + ((0.12, 0.0, vowel),))
    if syllable == "la":
        anchors = ((0.0, -12.0, _LATERAL), (0.06, -9.0, _LATERAL), (0.12, 0.0, vowel))
        return Plan(anchors)
    return Plan(((0.0, -30.0, vowel), (0.03, 0.0, vowel)))  # a vowel: a soft glottal onset


def _track(t_s: np.ndarray, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: voicing amplitude (linear) and the 4 (centre, bandwidth) formant pairs."""
    times = [a[0] for a in plan.anchors]
    level_db = np.interp(t_s, times, [a[1] for a in plan.anchors])
    formants = np.array([a[2] for a in plan.anchors])  # (anchors, 4, 2)
    track = np.empty((len(t_s), 4, 2))
    for i in range(4):
        for j in range(2):
            track[:, i, j] = np.interp(t_s, times, formants[:, i, j])
    return 10.0 ** (level_db / 20.0), track


def _modulation(t_s: np.ndarray, rng: np.random.Generator, depth: float) -> np.ndarray:
    """Small random wobble made of whole cycles per loop (so the loop stays exact)."""
    out = np.zeros_like(t_s)
    for cycles in (7, 13, 23, 37):
        phase = rng.uniform(0.0, 2 * np.pi)
        out += rng.normal(0.0, depth) * np.sin(2 * np.pi * cycles * t_s / LOOP_S + phase)
    return out


def _voiced(t_s: np.ndarray, f_hz: float, plan: Plan, rng: np.random.Generator) -> np.ndarray:
    """The glottal source through the moving formants: jitter ~0.4 %, shimmer ~3 %, and a
    gentle 5 Hz loudness swell (one cycle per loop; no vibrato, so the pitch stays exact)."""
    # Jitter: a frequency wobble whose integral (the phase term) is periodic over the loop.
    theta = 2 * np.pi * f_hz * t_s + _modulation(t_s, rng, 0.004 * f_hz * LOOP_S / 20.0)
    shimmer = (1.0 + _modulation(t_s, rng, 0.015)) * (1.0 + 0.1 * np.sin(2 * np.pi * t_s / LOOP_S))
    level, track = _track(t_s, plan)
    out = np.zeros_like(t_s)
    for k in range(1, int(5000.0 / f_hz) + 1):
        f_k = k * f_hz
        source = 1.0 / (1.0 + (f_k / 150.0) ** 2) * (f_k / 1000.0)
        gain = np.ones_like(t_s)
        for i in range(4):
            centre, width = track[:, i, 0], track[:, i, 1]
            gain *= centre**2 / np.sqrt((centre**2 - f_k**2) ** 2 + (width * f_k) ** 2)
        out += source * gain * np.sin(k * theta + 0.3 * k * k)
    return out * level * shimmer


def _bursts(n: int, plan: Plan, vowel: Formants, rng: np.random.Generator) -> np.ndarray:
    """Noise bursts and aspiration, shaped by a quick attack and decay."""
    out = np.zeros(n)
    for start_s, dur_s, lo_hz, hi_hz, level_db in plan.bursts:
        a, m = int(start_s * SR), max(int(dur_s * SR), 8)
        burst = filtered(rng.standard_normal(m), SR, lo_hz, hi_hz)
        if dur_s > 0.03:  # aspiration: breath through the open vocal tract of the vowel
            shaped = np.fft.rfft(burst) * formant_gain(np.fft.rfftfreq(m, 1 / SR), vowel[1:])
            burst = np.fft.irfft(shaped, n=m)
        shape = np.minimum(1.0, np.arange(m) / (0.002 * SR)) * np.linspace(1.0, 0.2, m)
        burst *= shape / (np.std(burst) + 1e-12)
        out[a : a + m] += 10.0 ** (level_db / 20.0) * 0.25 * burst[: n - a]
    return out


def syllable_take(syllable: str, root: int, rng: np.random.Generator) -> Take:
    """One syllable sung at MIDI key ``root``: onset, then a looped steady vowel."""
    if syllable not in SYLLABLES:
        raise ValueError(f"syllable must be one of {', '.join(SYLLABLES)}, got {syllable!r}")
    cycles = max(1, round(midi_hz(root) * LOOP_S))
    f_hz = cycles / LOOP_S  # whole cycles per loop; the bank stores the tuning difference
    lead, length = int(ONSET_S * SR), int(LOOP_S * SR)
    t_s = np.arange(lead + length) / SR
    plan = _plan(syllable)
    data = _voiced(t_s, f_hz, plan, rng) + _bursts(len(t_s), plan, VOWELS[syllable[-1]], rng)
    steady_rms = float(np.sqrt(np.mean(data[lead:] ** 2)))
    data *= 0.22 / steady_rms  # every syllable equally loud on its vowel
    data *= min(1.0, 0.95 / float(np.max(np.abs(data))))
    return Take(data, SR, root, (lead, lead + length), f_hz)


def _instrument(name: str, zones: Sequence[ZoneSpec]) -> InstrumentSpec:
    envelope = {
        "attackVolEnv": round(1200 * np.log2(0.004)),
        "releaseVolEnv": round(1200 * np.log2(RELEASE_S)),
        "sampleModes": 1,
    }
    return InstrumentSpec(name, tuple(zones), ZoneSpec(None, envelope))


def syllable_bank() -> tuple[list[SampleSpec], list[InstrumentSpec], list[PresetSpec]]:
    """Samples, instruments and presets of bank 1 (see the module docstring)."""
    samples: list[SampleSpec] = []
    instruments: list[InstrumentSpec] = []
    presets: list[PresetSpec] = []
    kit: list[ZoneSpec] = []
    for program, syllable in enumerate(SYLLABLES):
        zones = []
        for root, keys in zip(ROOTS, key_ranges(ROOTS), strict=True):
            take = syllable_take(syllable, root, np.random.default_rng([SEED, BANK, program, root]))
            name = f"Syl {syllable} {root}"
            cents = round(1200 * np.log2(midi_hz(root) / float(take.recorded_hz or 1.0)))
            samples.append(SampleSpec(name, take.data, SR, root, cents, take.loop))
            zones.append(ZoneSpec(name, key_range=keys))
        preset_name = f"Syllable {syllable}"
        instruments.append(_instrument(preset_name, zones))
        presets.append(PresetSpec(preset_name, BANK, program, (ZoneSpec(preset_name),)))
        lo, hi = KIT_RANGES[syllable]
        # the middle root's take, tuned so key `lo` sounds C4 and the range rises from there
        gens = {"overridingRootKey": lo, "coarseTune": 60 - ROOTS[1]}
        kit.append(ZoneSpec(f"Syl {syllable} {ROOTS[1]}", gens, key_range=(lo, hi)))
    kit.sort(key=lambda z: z.key_range or (0, 0))
    instruments.append(_instrument("Syllable kit", kit))
    presets.append(PresetSpec("Syllable kit", BANK, KIT_PROGRAM, (ZoneSpec("Syllable kit"),)))
    return samples, instruments, presets
