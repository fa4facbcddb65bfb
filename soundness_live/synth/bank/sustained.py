"""Sustained, looped instruments: string ensemble, pad, choir "aah" and flute.

Every sound is built exactly periodic over its loop (each component makes a whole number of
cycles, vibrato included), so the loop has no seam. The slow attacks are left to the volume
envelope; the sample is the steady sound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .dsp import Take, filtered, looped, midi_hz, noise, normalised, periodic_noise, periodic_tone

SR = 22050
MAX_PARTIAL_HZ = 0.45 * SR / 2 ** (6 / 12)
# Vowel /a/ (as in "father"): formant frequency, bandwidth, both in Hz.
FORMANTS_A = ((750.0, 90.0), (1150.0, 110.0), (2550.0, 160.0), (3500.0, 250.0))


def _cycles(f_hz: float, loop_s: float) -> int:
    return max(1, round(f_hz * loop_s))


def _ensemble(
    root: int, rng: np.random.Generator, loop_s: float, detunes: Sequence[float], slope: float
) -> tuple[np.ndarray, float]:
    """Detuned sawtooth-like voices; returns one loop period and the centre frequency."""
    length = round(loop_s * SR)
    centre = _cycles(midi_hz(root), length / SR)
    bins: list[int] = []
    amps: list[float] = []
    # The fundamental is one voice: detuned fundamentals beat slowly (one swell per loop),
    # which sounds like a tremolo; the ensemble shimmer comes from the upper partials.
    bins.append(centre)
    amps.append(np.sqrt(len(detunes)))
    for cents in detunes:
        # each voice makes a whole number of cycles per loop; at least one cycle apart
        step = round(centre * (2 ** (cents / 1200) - 1))
        voice = centre + (step if step or not cents else int(np.sign(cents)))
        ks = [k for k in range(2, 200) if k * voice * SR / length < MAX_PARTIAL_HZ]
        bins += [k * voice for k in ks]
        amps += [1.0 / k**slope for k in ks]
    tone = periodic_tone(length, bins, amps, rng.uniform(0, 2 * np.pi, len(bins)))
    return tone, centre * SR / length


def strings(root: int, rng: np.random.Generator) -> Take:
    """String ensemble: bright detuned saws with a gentle high roll-off, looped."""
    tone, recorded = _ensemble(root, rng, 1.5, (-7.0, 0.0, 6.0), 1.0)
    tone = filtered(tone, SR, 60.0, 5000.0, order=1)  # zero-phase filtering keeps it periodic
    lead = int(0.05 * SR)
    scrape = 0.05 * filtered(noise(lead, rng), SR, 2000.0, 8000.0) * np.linspace(1, 0, lead)
    data, loop = looped(normalised(tone, 0.8), lead, scrape)
    return Take(data, SR, root, loop, recorded)


def pad(root: int, rng: np.random.Generator) -> Take:
    """Warm pad: four detuned, softened saws, looped; the envelope gives the slow swell."""
    tone, recorded = _ensemble(root, rng, 1.5, (-9.0, -3.0, 3.0, 9.0), 1.4)
    tone = filtered(tone, SR, 60.0, 2500.0, order=1)
    data, loop = looped(normalised(tone, 0.8), 0)
    return Take(data, SR, root, loop, recorded)


def formant_gain(freqs_hz: np.ndarray, formants=FORMANTS_A) -> np.ndarray:
    """Cascade of two-pole resonators (unity gain at 0 Hz): the vocal tract for one vowel."""
    gain = np.ones_like(freqs_hz)
    for centre, bandwidth in formants:
        gain *= centre**2 / np.sqrt((centre**2 - freqs_hz**2) ** 2 + (bandwidth * freqs_hz) ** 2)
    return gain


def _sung_voice(
    t: np.ndarray, f_hz: float, vib_hz: float, vib_cents: float, phase: float
) -> np.ndarray:
    """One singer: glottal source (-12 dB/octave) + lip radiation (+6) through the formants.

    Each harmonic is weighted by the vocal tract at its *instantaneous* frequency, so the
    vibrato also moves the harmonics across the formants, as in a real voice.
    """
    depth_hz = f_hz * (2 ** (vib_cents / 1200) - 1)
    vib = 2 * np.pi * vib_hz * t + phase
    theta = 2 * np.pi * f_hz * t + depth_hz / vib_hz * np.sin(vib)
    inst_hz = f_hz + depth_hz * np.cos(vib)
    out = np.zeros_like(t)
    for k in range(1, int(5000.0 / f_hz)):  # the voice carries little above 5 kHz
        f_k = k * inst_hz
        source = 1.0 / (1.0 + (f_k / 150.0) ** 2)  # glottal pulse spectrum
        out += source * (f_k / 1000.0) * formant_gain(f_k) * np.sin(k * theta + 0.3 * k * k)
    return out


def choir(root: int, rng: np.random.Generator) -> Take:
    """Choir "aah": three singers, slightly detuned, each with their own vibrato; looped."""
    loop_s = 2.0
    length = round(loop_s * SR)
    t = np.arange(length) / SR
    centre = _cycles(midi_hz(root), loop_s)
    # (cycles, vibrato cycles) per loop, chosen so no two voices put a vibrato sideband on
    # the same frequency, where their random phases could cancel and skew the pitch
    voices = [(centre, 11), (centre + 1, 13), (centre - 1, 9)]
    # one leading voice and two quieter ones keep the swell of their beating shallow
    tone = np.zeros_like(t)
    for (c, v), level in zip(voices, (1.0, 0.45, 0.45), strict=True):
        tone += level * _sung_voice(t, c / loop_s, v / loop_s, 22.0, rng.uniform(0, 2 * np.pi))
    breath = periodic_noise(length, SR, rng, 300.0, 6000.0)
    breath = np.fft.irfft(np.fft.rfft(breath) * formant_gain(np.fft.rfftfreq(length, 1 / SR)))
    tone = normalised(tone) + 0.03 * normalised(breath)
    data, loop = looped(normalised(tone, 0.8), 0)
    return Take(data, SR, root, loop, centre / loop_s)


def flute(root: int, rng: np.random.Generator) -> Take:
    """Flute: nearly sinusoidal, breathy, light vibrato; a chiff at the start, then a loop."""
    loop_s = 1.0
    length = round(loop_s * SR)
    t = np.arange(length) / SR
    f_hz = _cycles(midi_hz(root), loop_s) / loop_s
    depth_hz = f_hz * (2 ** (10 / 1200) - 1)
    theta = 2 * np.pi * f_hz * t + depth_hz / 5.0 * np.sin(2 * np.pi * 5.0 * t)
    harmonics = [(1, 1.0), (2, 0.22), (3, 0.09), (4, 0.04), (5, 0.02)]
    tone = sum(a * np.sin(k * theta) for k, a in harmonics if k * f_hz < MAX_PARTIAL_HZ)
    tone *= 1 + 0.04 * np.sin(2 * np.pi * 5.0 * t)  # breath pressure follows the vibrato
    breath = periodic_noise(length, SR, rng, 1000.0, 7000.0)
    tone = normalised(tone) + 0.04 * breath
    lead = int(0.08 * SR)
    chiff = 0.25 * filtered(noise(lead, rng), SR, 1500.0, 6000.0) * np.linspace(1, 0, lead) ** 2
    data, loop = looped(normalised(tone, 0.8), lead, chiff)
    return Take(data, SR, root, loop, f_hz)
