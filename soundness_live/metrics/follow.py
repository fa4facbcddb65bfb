"""Tempo that moves: the music following the child, and tempo progression (METRICS.md §1).

Sources: the adaptive metronome of Fairhurst, Janata & Keller (2013, Cereb Cortex) as run by
GEM (Fink, Alexander & Janata 2022), with the linear phase/period correction of Repp & Keller
(2008, Hum Mov Sci); rhythmic auditory stimulation progression after Thaut (2005; Thaut &
Abiru 2010).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import as_times_ms, check_positive

__all__ = ["FollowChild", "tempo_step"]

Metrics = dict[str, float | int | bool | str | list | None]


def _bpm_band_ms(min_bpm: float, max_bpm: float) -> tuple[float, float]:
    low = check_positive(min_bpm, "min_bpm")
    high = check_positive(max_bpm, "max_bpm")
    if low >= high:
        raise ParameterError(f"min_bpm/max_bpm: expected min_bpm < max_bpm, got {low} and {high}")
    return 60000.0 / high, 60000.0 / low


class FollowChild:
    """The music follows the child: the GEM adaptive metronome (Fairhurst, Janata & Keller
    2013; Fink, Alexander & Janata 2022), linear phase/period correction (Repp & Keller 2008).

    Phase correction: next = last + T + alpha * mean asynchrony (alpha 0 = steady beat,
    1 = chases the child). Period correction: T <- T + beta * (ITI - T) when the child's last
    ITI is given. Both the period T and every scheduled interval are clamped to the
    therapist's band, so the heard tempo never leaves it. ``tempo_curve_bpm`` logs the tempo
    of each scheduled interval.
    """

    def __init__(
        self,
        ioi_ms: float,
        alpha: float = 0.3,
        beta: float = 0.0,
        min_bpm: float = 40.0,
        max_bpm: float = 150.0,
    ) -> None:
        for name, gain in (("alpha", alpha), ("beta", beta)):
            if not 0.0 <= gain <= 1.0:
                raise ParameterError(f"{name}: expected a gain in [0, 1], got {gain!r}")
        self.min_ioi_ms, self.max_ioi_ms = _bpm_band_ms(min_bpm, max_bpm)
        period = check_positive(ioi_ms, "ioi_ms")
        # 60000 / bpm round trips may land a hair outside the band: only a real excess fails
        if not self.min_ioi_ms - 1e-6 <= period <= self.max_ioi_ms + 1e-6:
            raise ParameterError(
                f"ioi_ms: expected {self.min_ioi_ms:g}-{self.max_ioi_ms:g} ms "
                f"({min_bpm:g}-{max_bpm:g} BPM), got {ioi_ms!r}"
            )
        self.period_ms = self._clamp(period)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.tempo_curve_bpm: list[float] = []
        self._heard_taps = False

    def _clamp(self, interval_ms: float) -> float:
        return min(max(interval_ms, self.min_ioi_ms), self.max_ioi_ms)

    def next_beat(
        self,
        last_beat_ms: float,
        asynchronies_ms: Sequence[float],
        last_iti_ms: float | None = None,
    ) -> tuple[float, float]:
        """Time of the next beat and the interval to it (ms), from the asynchronies of the
        child's taps to the last beat (empty: no tap, no phase correction) and their last ITI."""
        asynchronies = as_times_ms(asynchronies_ms, "asynchronies_ms")
        if last_iti_ms is not None:
            iti = check_positive(last_iti_ms, "last_iti_ms")
            self.period_ms = self._clamp(self.period_ms + self.beta * (iti - self.period_ms))
            self._heard_taps = True
        shift_ms = self.alpha * float(np.mean(asynchronies)) if asynchronies.size else 0.0
        self._heard_taps = self._heard_taps or asynchronies.size > 0
        interval_ms = self._clamp(self.period_ms + shift_ms)
        self.tempo_curve_bpm.append(60000.0 / interval_ms)
        return float(last_beat_ms) + interval_ms, interval_ms

    def metrics(self) -> Metrics:
        """``tempo_curve_bpm`` (per beat) and ``final_bpm``; both null when no tap was heard."""
        if not self._heard_taps or not self.tempo_curve_bpm:
            return {"tempo_curve_bpm": None, "final_bpm": None}
        return {
            "tempo_curve_bpm": list(self.tempo_curve_bpm),
            "final_bpm": self.tempo_curve_bpm[-1],
        }


def tempo_step(
    current_bpm: float,
    *,
    criterion_met: bool,
    step_pct: float = 5.0,
    min_bpm: float,
    max_bpm: float,
) -> float:
    """Next trial's tempo under rhythmic auditory stimulation progression (Thaut): move by
    ``step_pct`` % (5-10 % in RAS; negative moves down) only when the criterion (e.g. R and
    hit rate) was met, and keep the result within [min_bpm, max_bpm]."""
    current = check_positive(current_bpm, "current_bpm")
    if not math.isfinite(step_pct) or not -50.0 <= step_pct <= 50.0:
        raise ParameterError(f"step_pct: expected a percentage in [-50, 50], got {step_pct!r}")
    _bpm_band_ms(min_bpm, max_bpm)
    target = current * (1.0 + step_pct / 100.0) if criterion_met else current
    return min(max(target, float(min_bpm)), float(max_bpm))
