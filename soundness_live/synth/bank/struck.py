"""Struck and plucked instruments: piano, mallets, organ, guitar and basses.

Each function renders one sampled key (``root``) and returns a :class:`Take`. One-shot sounds
carry their own decay; the organ is a seamless loop.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    Take,
    decaying_partials,
    faded,
    filtered,
    karplus_strong,
    looped,
    midi_hz,
    noise,
    normalised,
    periodic_tone,
    seconds,
)

SR = 22050
# A key range reaches up to ~6 semitones above its root; partials are kept below this so the
# transposed sample does not alias.
MAX_PARTIAL_HZ = 0.45 * SR / 2 ** (6 / 12)


def _by_key(root: int, low_key: int, high_key: int, low_value: float, high_value: float) -> float:
    """A value interpolated along the keyboard (e.g. decay times shorten upwards)."""
    return float(np.interp(root, [low_key, high_key], [low_value, high_value]))


def _mallet(t: np.ndarray, rng: np.random.Generator, tau_s: float, hi_hz: float) -> np.ndarray:
    """The thump of a mallet or hammer: a short low-passed noise burst."""
    return filtered(noise(len(t), rng) * np.exp(-t / tau_s), SR, 60.0, hi_hz)


def piano(root: int, rng: np.random.Generator) -> Take:
    """Piano: stretched (slightly inharmonic) partials, upper ones decaying faster, hammer."""
    f0 = midi_hz(root)
    t = seconds(_by_key(root, 33, 93, 2.4, 0.9), SR)
    stretch = 0.00012 * 2 ** ((root - 33) / 18)  # string stiffness rises up the keyboard
    ks = [k for k in range(1, 60) if k * f0 * np.sqrt(1 + stretch * k * k) < MAX_PARTIAL_HZ]
    freqs = [k * f0 * np.sqrt(1 + stretch * k * k) for k in ks]
    # 1/k spectrum with the notches of a hammer striking at 1/7.3 of the string length
    amps = [abs(np.sin(np.pi * k / 7.3)) / k**0.8 for k in ks]
    tau1 = _by_key(root, 33, 93, 1.4, 0.35)
    taus = [tau1 / (1 + 0.45 * (k - 1)) for k in ks]
    phases = rng.uniform(0, 2 * np.pi, len(ks))
    detune = 2 ** (0.35 / 1200)  # two strings per note, a fraction of a cent apart, beat slowly
    tone = decaying_partials([f * detune for f in freqs], amps, taus, t, phases)
    tone += decaying_partials([f / detune for f in freqs], amps, taus, t, phases[::-1])
    tone *= 1 - np.exp(-t / 0.0015)
    hammer = _mallet(t, rng, 0.006, 3500.0)
    data = normalised(tone) + 0.12 * normalised(hammer)
    return Take(faded(normalised(data), SR, 60), SR, root, recorded_hz=freqs[0])


def _bar(root: int, rng: np.random.Generator, modes, dur_s: float, click: tuple[float, float]):
    """A tuned bar: ``modes`` = (frequency ratio, amplitude, decay time) of each mode."""
    f0 = midi_hz(root)
    t = seconds(dur_s, SR)
    modes = [(r, a, tau) for r, a, tau in modes if r * f0 < MAX_PARTIAL_HZ]
    tone = decaying_partials(
        [r * f0 for r, _, _ in modes], [a for _, a, _ in modes], [tau for _, _, tau in modes], t
    )
    tone *= 1 - np.exp(-t / 0.0008)
    level, hi_hz = click
    data = normalised(tone) + level * normalised(_mallet(t, rng, 0.002, hi_hz))
    return Take(faded(normalised(data), SR, 40), SR, root, recorded_hz=f0)


def marimba(root: int, rng: np.random.Generator) -> Take:
    """Marimba: a near-sinusoidal fundamental, its tuned 4th harmonic and a quick decay."""
    tau = _by_key(root, 45, 93, 0.24, 0.11)
    modes = [(1.0, 1.0, tau), (3.98, 0.35, tau * 0.14), (9.2, 0.1, tau * 0.06)]
    return _bar(root, rng, modes, 1.1, (0.1, 2500.0))


def xylophone(root: int, rng: np.random.Generator) -> Take:
    """Xylophone: brighter (3rd and 6th partials), harder mallet, shorter than the marimba."""
    tau = _by_key(root, 57, 93, 0.13, 0.06)
    modes = [(1.0, 1.0, tau), (3.0, 0.8, tau * 0.6), (6.0, 0.4, tau * 0.35)]
    return _bar(root, rng, modes, 0.6, (0.3, 7000.0))


def glockenspiel(root: int, rng: np.random.Generator) -> Take:
    """Glockenspiel: steel bar modes 1 : 2.76 : 5.40 : 8.93, long ring."""
    modes = [(1.0, 1.0, 1.1), (2.76, 0.45, 0.45), (5.40, 0.25, 0.2), (8.93, 0.12, 0.1)]
    return _bar(root, rng, modes, 1.6, (0.15, 8000.0))


def celesta(root: int, rng: np.random.Generator) -> Take:
    """Celesta: soft hammered bars over resonators, almost harmonic, gentle."""
    modes = [(1.0, 1.0, 0.8), (2.0, 0.3, 0.3), (3.0, 0.08, 0.15), (4.0, 0.05, 0.1)]
    return _bar(root, rng, modes, 1.4, (0.06, 3000.0))


def organ(root: int, rng: np.random.Generator) -> Take:
    """Pipe organ: 8', 4', 2 2/3', 2', 1 3/5', 1 1/3', 1' ranks; exactly periodic, looped."""
    f0 = midi_hz(root)
    cycles = max(8, round(f0 * 0.25))
    length = round(cycles * SR / f0)  # a whole number of cycles in the loop
    recorded = cycles * SR / length
    ranks = [(1, 1.0), (2, 0.6), (3, 0.35), (4, 0.4), (5, 0.15), (6, 0.2), (8, 0.25)]
    ranks = [(h, a) for h, a in ranks if h * recorded < MAX_PARTIAL_HZ]
    period = periodic_tone(
        length,
        [h * cycles for h, _ in ranks],
        [a for _, a in ranks],
        rng.uniform(0, 2 * np.pi, len(ranks)),
    )
    lead = int(0.03 * SR)
    chiff = 0.05 * filtered(noise(lead, rng), SR, 1500.0, 6000.0) * np.linspace(1, 0, lead)
    data, loop = looped(normalised(period, 0.8), lead, chiff)
    return Take(data, SR, root, loop, recorded)


def _pluck_take(root: int, rng: np.random.Generator, dur_s: float, t60_s: float, soft_hz: float):
    """Karplus-Strong string plucked near the bridge; the pitch is measured afterwards."""
    f0 = midi_hz(root)
    period = int(round(SR / f0 - 0.5))  # the two-point average delays by half a sample
    excitation = filtered(noise(period * 4, rng), SR, 40.0, soft_hz)[:period]
    excitation -= np.roll(excitation, period // 5)  # pluck position comb
    excitation -= excitation.mean()
    loss = 10 ** (-3 / (t60_s * f0))
    n = int(dur_s * SR)
    tone = karplus_strong(n, period, excitation, loss)
    t = np.arange(n) / SR
    return faded(normalised(tone * (1 - np.exp(-t / 0.001))), SR, 80)


def nylon_guitar(root: int, rng: np.random.Generator) -> Take:
    """Nylon-string guitar: a soft Karplus-Strong pluck."""
    data = _pluck_take(root, rng, 2.0, _by_key(root, 40, 76, 3.5, 1.6), 3000.0)
    return Take(data, SR, root)


def acoustic_bass(root: int, rng: np.random.Generator) -> Take:
    """Acoustic (upright) bass: a dark, low pluck that dies away."""
    data = _pluck_take(root, rng, 1.8, 2.2, 900.0)
    return Take(data, SR, root)


def electric_bass(root: int, rng: np.random.Generator) -> Take:
    """Electric (finger) bass: rounder partials, upper ones fading first."""
    f0 = midi_hz(root)
    t = seconds(1.8, SR)
    ks = [k for k in range(1, 24) if k * f0 < min(MAX_PARTIAL_HZ, 4000.0)]
    amps = [abs(np.sin(np.pi * k * 0.17)) / k for k in ks]
    taus = [0.65 / (1 + 0.6 * (k - 1)) for k in ks]
    tone = decaying_partials([k * f0 for k in ks], amps, taus, t, rng.uniform(0, 6.28, len(ks)))
    tone *= 1 - np.exp(-t / 0.002)
    return Take(faded(normalised(tone), SR, 80), SR, root, recorded_hz=f0)
