"""Circular statistics against hand-computed values (Zar; CircStat)."""

from __future__ import annotations

import math

import pytest

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import (
    as_times_ms,
    circular_mean_ms,
    circular_sd,
    phases_rad,
    rayleigh_p,
    resultant_length,
)


def test_rayleigh_p_for_ten_phases_by_hand() -> None:
    # 5 phases at 0 and 5 at pi/2: mean vector (0.5, 0.5), R = sqrt(0.5), Rn = 10 R, Rn^2 = 50.
    # p = exp(sqrt(1 + 40 + 4 (100 - 50)) - 21) = exp(sqrt(241) - 21) = exp(15.5241747 - 21)
    phases = [0.0] * 5 + [math.pi / 2] * 5
    length = resultant_length(phases)
    assert length == pytest.approx(math.sqrt(0.5))
    assert rayleigh_p(length, 10) == pytest.approx(0.00418677, rel=1e-5)


def test_rayleigh_p_limits() -> None:
    # R = 0: sqrt(1 + 4n + 4n^2) = 1 + 2n, so p = exp(0) = 1.
    assert rayleigh_p(0.0, 12) == pytest.approx(1.0)
    # R = 1, n = 10: p = exp(sqrt(41) - 21) = exp(6.40312 - 21) = 4.5716e-7
    assert rayleigh_p(1.0, 10) == pytest.approx(math.exp(math.sqrt(41.0) - 21.0))
    assert rayleigh_p(1.0, 10) < 1e-6
    assert rayleigh_p(0.9, 1) is None
    assert rayleigh_p(None, 10) is None


def test_circular_mean_in_ms_and_wrap_around() -> None:
    assert circular_mean_ms(phases_rad([-20.0, -20.0], 500.0), 500.0) == pytest.approx(-20.0)
    # +240 and -240 ms of a 500 ms period sit either side of the half-period point: the mean
    # direction is half a period away, not 0 as the arithmetic mean says.
    assert abs(circular_mean_ms(phases_rad([240.0, -240.0], 500.0), 500.0)) == pytest.approx(250)
    # opposite phases cancel: no direction
    assert circular_mean_ms([0.0, math.pi], 500.0) is None
    assert circular_mean_ms([], 500.0) is None


def test_circular_sd() -> None:
    assert circular_sd(1.0) == 0.0
    assert circular_sd(math.exp(-0.5)) == pytest.approx(1.0)  # sqrt(-2 * -0.5)
    assert circular_sd(0.0) is None
    assert circular_sd(None) is None
    assert resultant_length([]) is None


def test_times_must_be_finite_numbers() -> None:
    with pytest.raises(ParameterError, match="taps_ms.*index 1"):
        as_times_ms([1.0, float("nan")], "taps_ms")
    with pytest.raises(ParameterError, match="beats_ms"):
        as_times_ms(["one"], "beats_ms")
    with pytest.raises(ParameterError, match="period_ms"):
        phases_rad([1.0], 0.0)
