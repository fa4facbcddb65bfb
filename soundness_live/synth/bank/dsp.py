"""Signal building blocks for the bundled bank: numpy only, deterministic for a given seed.

Filtering is done in the frequency domain (one FFT per sound) so no IIR filter library is
needed; sustained tones are built exactly periodic so their loops are seamless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SEED = 20240611  # fixed: the bank is the same on every build

Floats = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Take:
    """One synthesised sample: ``data`` in -1..1, played unshifted at ``root_key``.

    ``recorded_hz`` is the fundamental actually in the data (None: measure it); the bank
    stores the difference from the root key's equal-tempered pitch as the sample's pitch
    correction, so a periodic tone need not land exactly on a tempered frequency.
    """

    data: np.ndarray
    sample_rate: int
    root_key: int
    loop: tuple[int, int] | None = None
    recorded_hz: float | None = None


def midi_hz(key: float) -> float:
    """Equal-tempered frequency of a MIDI key (A4 = key 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((key - 69.0) / 12.0)


def seconds(n_s: float, sample_rate: int) -> np.ndarray:
    """Time axis in seconds for ``n_s`` seconds of samples."""
    return np.arange(int(round(n_s * sample_rate))) / sample_rate


def decaying_partials(
    freqs_hz: Floats,
    amps: Floats,
    taus_s: Floats,
    t: np.ndarray,
    phases: Floats | None = None,
) -> np.ndarray:
    """Sum of exponentially decaying sinusoids (one row per partial, summed)."""
    out = np.zeros_like(t)
    phases = phases if phases is not None else [0.0] * len(freqs_hz)
    for f, a, tau, ph in zip(freqs_hz, amps, taus_s, phases, strict=True):
        out += a * np.exp(-t / tau) * np.sin(2 * np.pi * f * t + ph)
    return out


def band_gain(freqs_hz: np.ndarray, lo_hz: float | None, hi_hz: float | None, order: int = 2):
    """Butterworth-like magnitude: high-pass at ``lo_hz`` and low-pass at ``hi_hz``."""
    f = np.maximum(freqs_hz, 1e-3)
    gain = np.ones_like(f)
    if lo_hz is not None:
        gain /= np.sqrt(1.0 + (lo_hz / f) ** (2 * order))
    if hi_hz is not None:
        gain /= np.sqrt(1.0 + (f / hi_hz) ** (2 * order))
    return gain


def filtered(x: np.ndarray, sample_rate: int, lo_hz=None, hi_hz=None, order: int = 2):
    """Zero-phase band filter of a whole signal, in the frequency domain."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / sample_rate)
    return np.fft.irfft(spectrum * band_gain(freqs, lo_hz, hi_hz, order), n=len(x))


def noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """White noise, unit variance."""
    return rng.standard_normal(n)


def periodic_noise(n: int, sample_rate: int, rng: np.random.Generator, lo_hz, hi_hz):
    """Band-limited noise that repeats seamlessly every ``n`` samples (for loops)."""
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    spectrum = rng.standard_normal(len(freqs)) + 1j * rng.standard_normal(len(freqs))
    spectrum *= band_gain(freqs, lo_hz, hi_hz, order=2)
    spectrum[0] = 0.0
    out = np.fft.irfft(spectrum, n=n)
    return out / (np.std(out) + 1e-12)


def periodic_tone(n: int, bins: Sequence[int], amps: Floats, phases: Floats) -> np.ndarray:
    """Exactly periodic sum of sinusoids: ``bins[i]`` cycles per ``n`` samples each."""
    spectrum = np.zeros(n // 2 + 1, dtype=complex)
    for b, a, ph in zip(bins, amps, phases, strict=True):
        if 0 < b < n // 2:
            spectrum[b] += a * n / 2 * np.exp(1j * (ph - np.pi / 2))
    return np.fft.irfft(spectrum, n=n)


def looped(periodic: np.ndarray, lead: int, onset: np.ndarray | None = None):
    """Data and loop for a sustained sound: ``lead`` samples then one period to loop.

    The data is the periodic signal itself, so the loop's end runs on into its start
    without a seam; ``onset`` (a transient such as a chiff or a bow scrape) is added to the
    lead only.
    """
    data = np.resize(periodic, lead + len(periodic)).astype(np.float64)
    if onset is not None:
        m = min(len(onset), lead)
        data[:m] += onset[:m]
    return data, (lead, lead + len(periodic))


def karplus_strong(
    n: int, period: int, excitation: np.ndarray, loss: float, blend: float = 0.5
) -> np.ndarray:
    """Plucked string: y[i] = loss * ((1-blend) y[i-P] + blend y[i-P-1]), one period at a time.

    Each block of ``period`` samples depends only on the block before it, so the recursion
    runs as a numpy operation per period instead of a Python loop per sample.
    """
    out = np.zeros(n + period + 1)
    out[1 : period + 1] = excitation[:period]
    pos = period + 1
    while pos < len(out):
        m = min(period, len(out) - pos)
        prev = out[pos - period : pos - period + m]
        prev2 = out[pos - period - 1 : pos - period - 1 + m]
        out[pos : pos + m] = loss * ((1 - blend) * prev + blend * prev2)
        pos += m
    return out[1 : n + 1]


def normalised(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale so the largest magnitude is ``peak``."""
    top = float(np.max(np.abs(x)))
    return x * (peak / top) if top > 0 else x


def faded(x: np.ndarray, sample_rate: int, fade_ms: float = 30.0) -> np.ndarray:
    """Fade the last ``fade_ms`` to zero so a one-shot sample ends without a click."""
    m = min(len(x), int(sample_rate * fade_ms / 1000))
    out = x.copy()
    if m > 0:
        out[-m:] *= np.cos(np.linspace(0, np.pi / 2, m)) ** 2
    return out


def measure_f0(x: np.ndarray, sample_rate: int, guess_hz: float) -> float:
    """Frequency of the strongest spectral peak within a semitone of ``guess_hz``."""
    n = len(x)
    size = 1 << int(np.ceil(np.log2(n * 8)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(n), size))
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    band = np.flatnonzero((freqs > guess_hz * 2 ** (-1 / 12)) & (freqs < guess_hz * 2 ** (1 / 12)))
    i = int(band[np.argmax(spectrum[band])])
    a, b, c = np.log(spectrum[i - 1 : i + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c != 0 else 0.0
    return float((i + shift) * sample_rate / size)


def key_ranges(roots: tuple[int, ...]) -> list[tuple[int, int]]:
    """Split 0..127 between sampled roots at the midpoints; the outer ones reach the ends."""
    bounds = [0] + [(a + b) // 2 + 1 for a, b in zip(roots, roots[1:], strict=False)] + [128]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(len(roots))]
