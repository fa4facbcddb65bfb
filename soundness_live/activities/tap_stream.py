"""The tap stream of a tempo-following run, and which of its taps are a paced trial's.

One :class:`TapStream` per run. The rule is METRICS.md §1's (``metrics.tap_windows``): double
taps are marked over the whole stream, across trials; each tap belongs to the trial whose heard
beat is nearest, inside that trial's window. The stream remembers the heard beats of the trials
already recorded, so a tap early for the first beat of a trial is not also claimed by the trial
before it; the next trial's first beat is passed in, planned before the trial is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..metrics.tap_windows import taps_of_trial
from ..metrics.timing import mark_double_taps
from .base import Response, note_ons


@dataclass(frozen=True)
class TrialTaps:
    """A paced trial's share of the stream: every tap in it (double taps too, as played), the
    kept tap times in ms (double taps removed), and how many double taps it held."""

    taps: tuple[Response, ...]
    kept_ms: tuple[float, ...]
    double_taps: int


@dataclass
class TapStream:
    """Every tap of one run from ``since_frame`` on, in ms on the engine's axis."""

    since_frame: int
    sample_rate: int
    double_tap_ms: float
    claimed_until_ms: float = -math.inf  # taps before this belong to an unpaced trial
    heard_beats_ms: list[float] = field(default_factory=list)  # trials already recorded

    def ms(self, frame: float) -> float:
        """A frame on the engine's axis in ms."""
        return frame * 1000.0 / self.sample_rate

    def claim_until(self, frame: float) -> None:
        """The taps before ``frame`` are an unpaced trial's: no paced trial takes them."""
        self.claimed_until_ms = max(self.claimed_until_ms, self.ms(frame))

    def kept_ms(self, responses: Sequence[Response], since_frame: float) -> list[float]:
        """The times of the taps from ``since_frame`` on that are not double taps."""
        taps = note_ons(responses)
        times = np.array([self.ms(t.frame) for t in taps], dtype=float)
        kept = times[~mark_double_taps(times, self.double_tap_ms)]
        return [float(t) for t in kept if t >= self.ms(since_frame)]

    def trial_taps(
        self,
        responses: Sequence[Response],
        beats_ms: Sequence[float],
        next_first_beat_ms: float | None,
    ) -> TrialTaps:
        """The taps of the trial with heard beats ``beats_ms`` (silent ones included), from
        ``responses`` (the stream so far); the trial's beats join the stream's history."""
        taps = note_ons(responses)
        times = np.array([self.ms(t.frame) for t in taps], dtype=float)
        doubles = mark_double_taps(times, self.double_tap_ms)
        later = () if next_first_beat_ms is None else (next_first_beat_ms,)
        mine = taps_of_trial(
            times, beats_ms, earlier_beats_ms=self.heard_beats_ms, later_beats_ms=later
        ) & (times >= self.claimed_until_ms)
        self.heard_beats_ms.extend(float(b) for b in beats_ms)
        return TrialTaps(
            taps=tuple(t for t, own in zip(taps, mine, strict=True) if own),
            kept_ms=tuple(float(t) for t in times[mine & ~doubles]),
            double_taps=int(np.count_nonzero(mine & doubles)),
        )
