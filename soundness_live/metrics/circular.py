"""Circular statistics of tap phases (METRICS.md §1).

Asynchronies become relative phases phi_k = 2*pi*a_k / IOI so that a tap half a period early
and one half a period late are the same event on the circle. The measures follow Zar,
*Biostatistical Analysis* (ch. 26-27) and Berens' CircStat toolbox (``circ_r``, ``circ_mean``,
``circ_std``, ``circ_rtest``), as used for tapping by Sowiński & Dalla Bella (BAASTA) and the
REPP pipeline (Anglada-Tort, Harrison & Jacoby 2022).

Also the small input checks shared by the metric modules (finite times in ms).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from soundness_live.errors import ParameterError

__all__ = [
    "as_times_ms",
    "check_positive",
    "circular_mean_ms",
    "circular_sd",
    "phases_rad",
    "rayleigh_p",
    "resultant_length",
]


def as_times_ms(values: Iterable[float], name: str) -> np.ndarray:
    """Times in ms as a float array; ``ParameterError`` naming ``name`` if one is not finite."""
    try:
        times = np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected a sequence of times in ms, got {values!r}") from exc
    bad = ~np.isfinite(times)
    if bad.any():
        raise ParameterError(
            f"{name}: expected finite times in ms, got {times[bad][0]!r} at index "
            f"{int(np.flatnonzero(bad)[0])}"
        )
    return times


def check_positive(value: float, name: str) -> float:
    """``value`` as a float if it is finite and > 0, else ``ParameterError`` naming it."""
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ParameterError(f"{name}: expected a finite number > 0, got {value!r}")
    return number


def phases_rad(asynchronies_ms: Iterable[float], period_ms: float) -> np.ndarray:
    """Relative phases phi_k = 2*pi*a_k / period, in radians (negative = early)."""
    period = check_positive(period_ms, "period_ms")
    return 2.0 * math.pi * as_times_ms(asynchronies_ms, "asynchronies_ms") / period


def _mean_vector(phases: np.ndarray) -> complex:
    return complex(np.mean(np.exp(1j * phases)))


def resultant_length(phases: Iterable[float]) -> float | None:
    """Mean resultant length R = |mean(exp(i*phi))|: 0 random ... 1 locked (Zar eq. 26.4).

    ``None`` for no phases.
    """
    values = np.asarray(list(phases), dtype=float)
    if values.size == 0:
        return None
    return abs(_mean_vector(values))


def circular_mean_ms(phases: Iterable[float], period_ms: float) -> float | None:
    """Circular mean direction theta = arg(sum exp(i*phi)) expressed in ms: theta*period/(2*pi).

    The value lies in (-period/2, period/2]. ``None`` for no phases or when the mean vector is
    (numerically) zero, where the direction is undefined (CircStat ``circ_mean``).
    """
    values = np.asarray(list(phases), dtype=float)
    if values.size == 0:
        return None
    vector = _mean_vector(values)
    if abs(vector) < 1e-12:
        return None
    return (
        math.atan2(vector.imag, vector.real)
        * check_positive(period_ms, "period_ms")
        / (2.0 * math.pi)
    )


def circular_sd(length: float | None) -> float | None:
    """Circular standard deviation sqrt(-2 ln R) in radians (Zar eq. 26.21; CircStat circ_std).

    ``None`` when R is unknown or zero (the SD is infinite there, which JSON cannot hold).
    """
    if length is None or length <= 0.0:
        return None
    return math.sqrt(max(0.0, -2.0 * math.log(min(length, 1.0))))


def rayleigh_p(length: float | None, n: int) -> float | None:
    """Rayleigh test of uniformity, p-value by Zar's approximation (Zar eq. 27.4; CircStat
    ``circ_rtest``): with Rn = n*R, p = exp(sqrt(1 + 4n + 4(n^2 - Rn^2)) - (1 + 2n)).

    p < .05 is read as "synchronised". ``None`` when R is unknown or n < 2. The result is
    clipped to [0, 1] against rounding.
    """
    if length is None or n < 2:
        return None
    rn = n * min(max(length, 0.0), 1.0)
    p = math.exp(math.sqrt(1.0 + 4.0 * n + 4.0 * (n * n - rn * rn)) - (1.0 + 2.0 * n))
    return min(max(p, 0.0), 1.0)
