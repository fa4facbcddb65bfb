"""The largest magnitude of a vector, fast: what the output stage asks of every block."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["PEAK"]


def _numpy_peak(values: np.ndarray) -> float:
    """The largest ``|v|`` of the 1-D float64 ``values`` (NaN if one is NaN)."""
    return float(np.maximum.reduce(np.abs(values)))


def _fast_peak() -> Callable[[np.ndarray], float]:
    """The largest ``|v|`` through BLAS ``idamax``: ~0.4 us where numpy's reduction takes
    ~3 us. NaN may be passed over: callers find it elsewhere. Used only if it agrees with
    numpy here, on vectors that put the peak everywhere, signed and tied."""
    try:
        from scipy.linalg.blas import idamax
    except ImportError:
        return _numpy_peak
    rng = np.random.default_rng(0)
    for n in (*range(1, 70), 127, 128, 129, 130, 1024, 1025):
        for values in (rng.standard_normal(n), -np.abs(rng.standard_normal(n)), np.ones(n)):
            values[rng.integers(n)] *= 3.0
            if abs(values.item(idamax(values))) != _numpy_peak(values):
                return _numpy_peak
    return lambda values: abs(values.item(idamax(values)))


PEAK = _fast_peak()
"""``PEAK(values)``: the largest ``|v|`` of a 1-D float64 vector (NaN may be passed over)."""
