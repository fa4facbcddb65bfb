"""Which paced trial a tap belongs to (METRICS.md §1, "Matching taps to beats").

A paced trial's window runs from its first heard beat less half the first interval to its last
beat (silent continuation beats included) plus half the last interval, edges inclusive; the
intervals are the ones heard at the window's two ends. A tap belongs to the trial whose heard
beat is nearest (a tie goes to the later trial), and only if it lies in that trial's window.
So a child who anticipates beat 1 by 50 ms still has that tap counted, while a tap in the pause
between two trials counts in neither. Windows of neighbouring trials can overlap (a short pause,
or a slower trial after a faster one): the nearest-beat rule settles every tap in the overlap.

Double taps are removed over the whole tap stream before any of this (``mark_double_taps``).
Times are ms on the engine's axis, beats as heard.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import as_times_ms

__all__ = ["taps_of_trial", "trial_window_ms"]


def _checked_trial_beats(beats_ms: Iterable[float], name: str) -> np.ndarray:
    beats = as_times_ms(beats_ms, name)
    if beats.size < 2 or np.any(np.diff(beats) <= 0.0):
        raise ParameterError(
            f"{name}: expected at least 2 strictly increasing beat times in ms, got {beats_ms!r}"
        )
    return beats


def trial_window_ms(beats_ms: Iterable[float]) -> tuple[float, float]:
    """(start, end) of a paced trial's window: first beat - 0.5 x its interval as heard, last
    beat + 0.5 x its interval as heard (``beats_ms``: every beat, silent ones included)."""
    beats = _checked_trial_beats(beats_ms, "beats_ms")
    return (
        float(beats[0] - 0.5 * (beats[1] - beats[0])),
        float(beats[-1] + 0.5 * (beats[-1] - beats[-2])),
    )


def _distance_to_nearest(times: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Per time, |time - the nearest of ``beats``| (inf when there are no beats)."""
    if beats.size == 0:
        return np.full(times.size, np.inf)
    beats = np.sort(beats)
    right = np.clip(np.searchsorted(beats, times), 0, beats.size - 1)
    left = np.clip(right - 1, 0, beats.size - 1)
    return np.minimum(np.abs(times - beats[left]), np.abs(times - beats[right]))


def taps_of_trial(
    taps_ms: Iterable[float],
    beats_ms: Iterable[float],
    *,
    earlier_beats_ms: Iterable[float] = (),
    later_beats_ms: Iterable[float] = (),
) -> np.ndarray:
    """One bool per tap: does it belong to the trial with heard beats ``beats_ms``?

    ``earlier_beats_ms`` / ``later_beats_ms`` are the heard beats of the other trials of the
    run, before and after this one (only those that can be nearer to a tap in this trial's
    window matter: in practice the previous trial's beats and the next trial's first beat). A
    tap belongs here when it lies in :func:`trial_window_ms` (edges inclusive), no earlier
    trial's beat is nearer, and every later trial's beat is farther (ties go to the later
    trial).
    """
    taps = as_times_ms(taps_ms, "taps_ms")
    beats = _checked_trial_beats(beats_ms, "beats_ms")
    start_ms, end_ms = trial_window_ms(beats)
    own = _distance_to_nearest(taps, beats)
    earlier = _distance_to_nearest(taps, as_times_ms(earlier_beats_ms, "earlier_beats_ms"))
    later = _distance_to_nearest(taps, as_times_ms(later_beats_ms, "later_beats_ms"))
    return (taps >= start_ms) & (taps <= end_ms) & (own <= earlier) & (own < later)
