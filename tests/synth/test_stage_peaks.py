"""The stage's input peaks against the recurrence written out sample by sample.

``_value_peak`` keeps four running maxima side by side and joins them at the end; a maximum
is exact in any order, so every input peak must be the one a single scan of the 48 held-window
values gives, to the bit. Here the stage's ``_input_peaks`` runs on random signals (zeros,
negative zeros, subnormals, full scale and beyond) cut into random blocks, the history kept
before each block as the stage keeps it, and each peak is held to that scan run once over the
whole signal.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import pytest

from soundness_live.synth import stage_kernel as sk

KEPT = 24 + sk.KEPT_BEFORE  # the frames before a block at 48 kHz: the delay and 11 more

_kernels: dict[str, Callable[..., object]] = {}


def kernel(name: str) -> Callable[..., object]:
    """The stage's own step ``name``, compiled callable from Python (the stage links it in)."""
    if name not in _kernels:
        _kernels[name] = numba.njit(getattr(sk, name).py_func)
    return _kernels[name]


@numba.njit
def scanned(signal: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Each sample's largest held-window value over both channels: the recurrence run from
    the signal's start, its 48 values scanned one after the other."""
    recurrence = np.zeros((2, 4 * sk.WINDOW_FRAMES))
    peaks = np.zeros(signal.shape[0])
    for s in range(signal.shape[0]):
        for channel in range(2):
            r, sample = recurrence[channel], signal[s, channel]
            peak = abs(sample)
            for c in range(4 * sk.WINDOW_FRAMES):
                value = abs(sk._NEWEST[c] * sample + r[c])
                if value > peak:
                    peak = value
            if channel == 0 or peak > peaks[s]:
                peaks[s] = peak
            for c in range(4 * sk.WINDOW_FRAMES - 4):
                r[c] = r[c + 4] + sk._STEP[c] * sample
            r[4 * sk.WINDOW_FRAMES - 4 :] = 0.0
    return peaks


def random_signal(rng: np.random.Generator, frames: int) -> np.ndarray:
    """Float64 stereo of every kind the filtered input can hold, within +-8 (+18 dBFS)."""
    scale = rng.choice([1e-310, 1e-6, 0.1, 1.0, 8.0], size=(frames, 1))
    signal = np.clip(rng.standard_normal((frames, 2)) * scale, -8.0, 8.0)
    signal[rng.random((frames, 2)) < 0.1] = 0.0
    signal[rng.random((frames, 2)) < 0.05] = -0.0
    signal[rng.random((frames, 2)) < 0.02] = 8.0
    return signal


def in_blocks(signal: np.ndarray, sizes: list[int]) -> np.ndarray:
    """The stage's input peaks of ``signal`` (after KEPT frames of silence) in blocks of the
    sizes given in turn, each block's ``inputs`` the KEPT frames before it and the block."""
    padded = np.concatenate([np.zeros((KEPT, 2)), signal])
    out, start, turn = [], KEPT, 0
    while start < len(padded):
        n = min(sizes[turn % len(sizes)], len(padded) - start)
        inputs = padded[start - KEPT : start + n].copy()
        peaks = np.full(n, np.nan)
        kernel("_input_peaks")(inputs, KEPT, n, np.full((2, 4 * sk.WINDOW_FRAMES), np.nan), peaks)
        out.append(peaks)
        start, turn = start + n, turn + 1
    return np.concatenate(out)


@pytest.mark.parametrize("seed", range(6))
def test_input_peaks_are_the_scanned_recurrence_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    signal = random_signal(rng, 3000)
    expected = scanned(np.concatenate([np.zeros((KEPT, 2)), signal]))[KEPT:]
    for sizes in ([1], [64], [256], [7, 64, 1, 300, 11, 12], list(rng.integers(1, 600, 9))):
        got = in_blocks(signal, [int(size) for size in sizes])
        assert got.tobytes() == expected.tobytes(), sizes


def test_the_sample_itself_is_among_its_values() -> None:
    """A lone full-scale sample after silence: its own magnitude is one of the peaks scanned."""
    signal = np.zeros((40, 2))
    signal[20] = (-8.0, 0.5)
    got = in_blocks(signal, [64])
    assert got.tobytes() == scanned(np.concatenate([np.zeros((KEPT, 2)), signal]))[KEPT:].tobytes()
    assert got[20] >= 8.0
