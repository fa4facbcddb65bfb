"""The limiter's sliding computations against a direct recomputation.

The stage's ``_envelope`` and ``_gain`` take each window's maximum with runs (``_window_max``),
the mean gain as a running sum, a window peak's log only when it changed and the envelope's exp
only where it may be over the target. Here they are driven block by block, the history handed on
as the stage hands it on (``_keep``), in blocks of 1..1024 frames, over signals made to break
them: random peaks, steps, full-scale alternation, silence to loud, a slow fall (every window's
maximum leaving it at its oldest end). Each is held to the computation written out sample by
sample from the whole signal: every window's maximum scanned, every log and exp taken, every
mean summed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np
import pytest

from soundness_live.synth import stage_kernel as sk

REACH, ATTACK, FRONT = 11, 13, 24  # 48 kHz: a delay of 24 frames
DECAY = -1.0 / 2880.0  # the release per frame in the log domain (60 ms at 48 kHz)
TARGET = 0.5

_kernels: dict[str, Callable[..., object]] = {}


def kernel(name: str) -> Callable[..., object]:
    """The stage's own step ``name``, compiled callable from Python (the stage links it in)."""
    if name not in _kernels:
        _kernels[name] = numba.njit(getattr(sk, name).py_func)
    return _kernels[name]


def drive(peaks: np.ndarray, blocks: list[int]) -> dict[str, np.ndarray]:
    """Envelopes, held envelopes and gains of every sample, the stage's steps run on ``peaks``
    in blocks of the sizes given in turn (the history carried as a resized stage carries it)."""
    ints = np.zeros(sk.N_INTS, np.int64)
    ints[sk.DELAY], ints[sk.REACH], ints[sk.ATTACK] = FRONT, REACH, ATTACK
    floats = np.zeros(sk.N_FLOATS)
    floats[sk.PEAK_MAX], floats[sk.LOG_DECAY] = -np.inf, DECAY
    front = np.zeros((sk.TRACE_ROWS, FRONT))
    seen: dict[str, list[np.ndarray]] = {"envelopes": [], "held": [], "gain": []}
    start, turn = 0, 0
    while start < len(peaks):
        n = min(blocks[turn % len(blocks)], len(peaks) - start)
        trace = np.full((sk.TRACE_ROWS, FRONT + n), np.nan)  # nothing unwritten is read
        trace[:, :FRONT] = front
        trace[sk.PEAKS, REACH : REACH + n] = peaks[start : start + n]
        kernel("_envelope")(trace, n, ints, floats, TARGET)
        kernel("_gain")(trace, n, ints, TARGET)
        seen["envelopes"].append(trace[sk.ENVELOPES, ATTACK : ATTACK + n].copy())
        seen["held"].append(trace[sk.HELD, ATTACK : ATTACK + n].copy())
        seen["gain"].append(trace[sk.GAIN, :n].copy())
        kernel("_keep")(trace, n, ints, floats, TARGET)
        front = trace[:, :FRONT].copy()
        ints[sk.FRAME] += n
        start, turn = start + n, turn + 1
    return {name: np.concatenate(parts) for name, parts in seen.items()}


def direct(peaks: np.ndarray) -> dict[str, np.ndarray]:
    """The same figures written out sample by sample: each window scanned, each log and exp
    taken, each mean summed (the histories start at 0, as a new stage's)."""
    row = np.concatenate([np.zeros(REACH), peaks])  # the PEAKS row, REACH before
    envelopes, running = [], -math.inf
    for j in range(len(peaks)):
        window_peak = max(row[j : j + REACH + 1])
        ramp = (j - REACH) * DECAY
        running = max(running, math.log(max(window_peak, sk.QUIET_FLOOR)) - ramp)
        envelopes.append(math.exp(running + ramp))
    along = np.concatenate([np.zeros(ATTACK), envelopes])
    held = np.array([max(along[j : j + ATTACK + 1]) for j in range(len(peaks))])
    gains = TARGET / np.maximum(np.concatenate([np.zeros(ATTACK), held]), TARGET)
    gain = np.array([sum(gains[j : j + ATTACK + 1]) / (ATTACK + 1) for j in range(len(peaks))])
    return {"envelopes": np.array(envelopes), "held": held, "gain": gain, "gains": gains}


def signals() -> dict[str, np.ndarray]:
    """Peaks (the largest held-window value of each sample) made to break sliding windows."""
    rng = np.random.default_rng(5)
    n = 3000
    steps = np.repeat(np.concatenate([[0.0, 0.3], rng.choice([0.0, 0.3, 0.51, 1.0, 4.0], 58)]), 50)
    alternating = np.where(np.arange(n) % 2 == 0, 4.0, 0.0)  # full scale, then nothing
    silence_to_loud = np.concatenate([np.zeros(1000), np.full(1000, 4.0), np.zeros(1000)])
    falling = np.linspace(4.0, 0.0, n)  # a window's maximum is its oldest sample
    rising = np.linspace(0.0, 4.0, n)  # a new maximum, and a new log, every sample
    spikes = np.zeros(n)
    spikes[rng.choice(n, 40, replace=False)] = rng.uniform(0.5, 4.0, 40)
    return {
        "random": rng.uniform(0.0, 2.0, n) ** 3,
        "steps": steps,
        "alternating": alternating,
        "silence to loud": silence_to_loud,
        "falling": falling,
        "rising": rising,
        "spikes": spikes,
        "tied": np.full(n, 0.75),  # every window's maximum met many times
    }


SPLITS = {
    "1": [1],
    "13, 14, 15 (the attack's window)": [13, 14, 15],
    "64": [64],
    "255, 1024, 2, 512, 1": [255, 1024, 2, 512, 1],
    "random 1..1024": list(np.random.default_rng(9).integers(1, 1025, 50)),
}


@pytest.mark.parametrize("split", sorted(SPLITS))
@pytest.mark.parametrize("name", sorted(signals()))
def test_sliding_computations_give_the_direct_ones(name: str, split: str) -> None:
    peaks = signals()[name]
    got, expected = drive(peaks, SPLITS[split]), direct(peaks)
    over = got["envelopes"] != 0.0
    # over the target: the envelope to the rounding of exp (the same steps, libm's exp and log)
    np.testing.assert_allclose(got["envelopes"][over], expected["envelopes"][over], rtol=1e-14)
    # kept as 0 only where it was surely under the target (the gain it asks for is 1 either way)
    assert (expected["envelopes"][~over] <= TARGET * (1.0 - 1e-7)).all()
    # held: the window's maximum of the envelopes the stage kept, to the bit
    along = np.concatenate([np.zeros(ATTACK), got["envelopes"]])
    scanned = np.array([along[j : j + ATTACK + 1].max() for j in range(len(peaks))])
    assert got["held"].tobytes() == scanned.tobytes()
    np.testing.assert_allclose(
        np.maximum(got["held"], TARGET), np.maximum(expected["held"], TARGET), rtol=1e-14
    )
    # the mean gain: within the rounding of a sum of 14, and exactly 1 where the window's are
    np.testing.assert_allclose(got["gain"], expected["gain"], rtol=1e-14, atol=0.0)
    whole = np.array(
        [(expected["gains"][j : j + ATTACK + 1] == 1.0).all() for j in range(len(peaks))]
    )
    assert (got["gain"][whole] == 1.0).all() and (got["gain"][~whole] < 1.0).all()


def test_the_signals_reach_every_branch() -> None:
    """The cases are worth having: every signal limited, and those that fall quiet have their
    envelopes kept as 0 there and the gain back at exactly 1."""
    for name, peaks in signals().items():
        got = drive(peaks, [64])
        assert (got["envelopes"] > TARGET).any() and (got["gain"] < 1.0).any(), name
        if name in {"steps", "silence to loud", "spikes"}:
            assert (got["envelopes"] == 0.0).any() and (got["gain"] == 1.0).any(), name


@pytest.mark.parametrize("width", [1, 2, 12, 14, 86])
def test_window_max_is_the_scanned_maximum(width: int) -> None:
    rng = np.random.default_rng(width)
    for n in (1, 2, width - 1, width, width + 1, 3 * width + 5, 1024):
        if n < 1:
            continue
        values = rng.standard_normal(n + width - 1)
        values[rng.integers(0, len(values), 3)] = 7.0  # ties of the maximum
        from_here, to_here = np.full(len(values), np.nan), np.full(len(values), np.nan)
        kernel("_window_max")(values, n, width, from_here, to_here)
        found = np.maximum(from_here[:n], to_here[width - 1 : width - 1 + n])
        scanned = np.array([values[i : i + width].max() for i in range(n)])
        assert found.tobytes() == scanned.tobytes()
