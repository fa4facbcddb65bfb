"""Tempo-following scores: taps against beats (METRICS.md §1).

All times are ms on the engine's axis, beats as HEARD (DAC time), unrounded. A measure that
cannot be computed is ``None``. Sources: REPP (Anglada-Tort, Harrison & Jacoby 2022, Behav Res
Methods) for one-to-one matching and the reliability flag; BRAMS MusicTap / BAASTA (Dalla Bella
et al. 2017) for double taps; Zar / CircStat for circular statistics (``circular.py``).
``FollowChild`` and ``tempo_step`` (GEM adaptive metronome, Thaut's rhythmic auditory
stimulation) live in ``follow.py`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import (
    as_times_ms,
    check_positive,
    circular_mean_ms,
    circular_sd,
    phases_rad,
    rayleigh_p,
    resultant_length,
)
from soundness_live.metrics.follow import FollowChild, tempo_step

__all__ = [
    "FollowChild",
    "TapMatch",
    "mark_double_taps",
    "match_taps",
    "preferred_tempo",
    "remove_double_taps",
    "score_kept_taps",
    "score_synchronisation",
    "tempo_step",
]

Metrics = dict[str, float | int | bool | str | list | None]

#: REPP: fewer than 6 matched taps give no trustworthy timing score.
MIN_MATCHED_FOR_RELIABLE = 6

ASYNCHRONY_METRICS = (
    "mean_asynchrony_ms",
    "sd_asynchrony_ms",
    "resultant_length",
    "circular_mean_ms",
    "circular_sd",
    "rayleigh_p",
)


def mark_double_taps(taps_ms: Iterable[float], min_iti_ms: float = 180.0) -> np.ndarray:
    """One bool per tap of ``taps_ms`` (in the order given): is it a double tap?

    A tap coming <= ``min_iti_ms`` after the previous RAW tap in time (kept or not) is a double
    tap (BRAMS MusicTap rule). Measuring from the previous raw tap makes a bounce or tremolo on
    the pad collapse to its first tap; measuring from the previous kept tap would instead keep
    every other tap of a fast tremolo and invent a regular tap stream the child never meant.
    Either way kept ITIs exceed ``min_iti_ms``. ``min_iti_ms = 0`` marks exact duplicates only.
    Whether a tap is a double tap depends only on the taps before it, so the marks of a stream
    never change as it grows: a session's whole tap stream is marked once (METRICS.md §1).
    """
    if not math.isfinite(min_iti_ms) or min_iti_ms < 0.0:
        raise ParameterError(f"min_iti_ms: expected a finite number >= 0, got {min_iti_ms!r}")
    taps = as_times_ms(taps_ms, "taps_ms")
    order = np.argsort(taps, kind="stable")
    marks = np.zeros(taps.size, dtype=bool)
    marks[order[1:]] = np.diff(taps[order]) <= min_iti_ms
    return marks


def remove_double_taps(taps_ms: Sequence[float], min_iti_ms: float = 180.0) -> list[float]:
    """Taps in time order without double taps (``mark_double_taps``)."""
    taps = as_times_ms(taps_ms, "taps_ms")
    return [float(t) for t in np.sort(taps[~mark_double_taps(taps, min_iti_ms)])]


@dataclass(frozen=True)
class TapMatch:
    """One-to-one pairing of beats and taps (indices into the sequences given to
    ``match_taps``); ``pairs`` and ``asynchronies_ms`` are in beat order."""

    pairs: tuple[tuple[int, int], ...]
    asynchronies_ms: tuple[float, ...]
    missed_beats: tuple[int, ...]
    extra_taps: tuple[int, ...]
    window_ms: tuple[float, ...] = field(default=())

    def asynchrony_for_beat(self, n_beats: int) -> list[float | None]:
        """Asynchrony of every beat (``None`` for a missed beat), in beat order."""
        per_beat: list[float | None] = [None] * n_beats
        for (beat, _tap), asynchrony in zip(self.pairs, self.asynchronies_ms, strict=True):
            per_beat[beat] = asynchrony
        return per_beat


def _beat_windows_ms(beats: np.ndarray, ioi_ms: float | None, window: float) -> np.ndarray:
    """Half-width of each beat's window: ``window`` x its IOI.

    With ``ioi_ms`` given every beat uses it. Otherwise a beat's local IOI is the SHORTER of
    its intervals to the neighbouring beats, so that with window < 0.5 no two windows overlap
    even in an uneven rhythm.
    """
    if ioi_ms is not None:
        return np.full(beats.size, window * check_positive(ioi_ms, "ioi_ms"))
    if beats.size < 2:
        raise ParameterError(
            f"ioi_ms: expected a beat interval when fewer than 2 beats are given, got "
            f"{beats.size} beat(s) and ioi_ms=None"
        )
    gaps = np.diff(beats)
    local = np.minimum(np.concatenate(([gaps[0]], gaps)), np.concatenate((gaps, [gaps[-1]])))
    return window * local


def _checked_beats(beats_ms: Sequence[float]) -> np.ndarray:
    beats = as_times_ms(beats_ms, "beats_ms")
    if beats.size == 0:
        raise ParameterError("beats_ms: expected at least one beat, got none")
    if np.any(np.diff(beats) <= 0.0):
        raise ParameterError("beats_ms: expected strictly increasing beat times in ms")
    return beats


def match_taps(
    beats_ms: Sequence[float],
    taps_ms: Sequence[float],
    ioi_ms: float | None = None,
    window: float = 0.4,
) -> TapMatch:
    """Pair beats and taps one-to-one within +-``window`` x IOI (REPP, Anglada-Tort et al. 2022).

    Assignment order: all (beat, tap) candidates inside a beat's window are taken globally by
    smallest |asynchrony| first (ties: earlier beat, then earlier tap), each beat and each tap
    used at most once. This makes "each beat takes the nearest unused tap" independent of the
    order beats are visited; with disjoint windows (the default) it equals every beat taking
    its own nearest tap. Window edges are inclusive. Double taps are NOT removed here.
    """
    if not 0.0 < window < 1.0:
        raise ParameterError(f"window: expected a fraction of the IOI in (0, 1), got {window!r}")
    beats = _checked_beats(beats_ms)
    taps = as_times_ms(taps_ms, "taps_ms")
    half_widths = _beat_windows_ms(beats, ioi_ms, window)
    candidates = [
        (abs(float(taps[t] - beats[b])), b, t)
        for b in range(beats.size)
        for t in np.flatnonzero(np.abs(taps - beats[b]) <= half_widths[b])
    ]
    beat_to_tap: dict[int, int] = {}
    used_taps: set[int] = set()
    for _distance, b, t in sorted(candidates):
        if b not in beat_to_tap and t not in used_taps:
            beat_to_tap[b] = int(t)
            used_taps.add(int(t))
    pairs = tuple(sorted(beat_to_tap.items()))
    return TapMatch(
        pairs=pairs,
        asynchronies_ms=tuple(float(taps[t] - beats[b]) for b, t in pairs),
        missed_beats=tuple(b for b in range(beats.size) if b not in beat_to_tap),
        extra_taps=tuple(t for t in range(taps.size) if t not in used_taps),
        window_ms=tuple(float(w) for w in half_widths),
    )


def _iti_measures(kept_taps: Sequence[float], period_ms: float | None) -> Metrics:
    """Median ITI, BPM, ITI CV (sample SD / mean) and tempo ratio; null below 3 kept taps."""
    if len(kept_taps) < 3:
        return {"iti_cv": None, "median_iti_ms": None, "tapping_bpm": None, "tempo_ratio": None}
    itis = np.diff(np.asarray(kept_taps, dtype=float))
    median_iti = float(np.median(itis))
    return {
        "iti_cv": float(np.std(itis, ddof=1) / np.mean(itis)),
        "median_iti_ms": median_iti,
        "tapping_bpm": 60000.0 / median_iti,
        "tempo_ratio": None if period_ms is None else median_iti / period_ms,
    }


def _asynchrony_measures(asynchronies: Sequence[float], period_ms: float) -> Metrics:
    """Mean/SD asynchrony and circular measures; all null below 2 matched taps."""
    if len(asynchronies) < 2:
        return dict.fromkeys(ASYNCHRONY_METRICS)
    values = np.asarray(asynchronies, dtype=float)
    phases = phases_rad(values, period_ms)
    length = resultant_length(phases)
    return {
        "mean_asynchrony_ms": float(np.mean(values)),
        "sd_asynchrony_ms": float(np.std(values, ddof=1)),
        "resultant_length": length,
        "circular_mean_ms": circular_mean_ms(phases, period_ms),
        "circular_sd": circular_sd(length),
        "rayleigh_p": rayleigh_p(length, values.size),
    }


def _window_measures(per_beat: list[float | None], timing_window_ms: float) -> Metrics:
    """Share of beats (in %) with a matched tap within +-timing_window_ms, and the longest run
    of consecutive such beats."""
    inside = [a is not None and abs(a) <= timing_window_ms for a in per_beat]
    longest = run = 0
    for ok in inside:
        run = run + 1 if ok else 0
        longest = max(longest, run)
    return {"within_window_pct": 100.0 * sum(inside) / len(inside), "longest_run": longest}


def score_synchronisation(
    beats_ms: Sequence[float],
    taps_ms: Sequence[float],
    *,
    ioi_ms: float | None = None,
    timing_window_ms: float = 15.0,
    double_tap_ms: float = 180.0,
    match_window: float = 0.4,
) -> Metrics:
    """Score a paced tapping trial (METRICS.md §1) from all its taps: drop double taps
    (``remove_double_taps``), then :func:`score_kept_taps`."""
    kept = remove_double_taps(taps_ms, double_tap_ms)
    return score_kept_taps(
        beats_ms,
        kept,
        double_taps=len(taps_ms) - len(kept),
        ioi_ms=ioi_ms,
        timing_window_ms=timing_window_ms,
        match_window=match_window,
    )


def score_kept_taps(
    beats_ms: Sequence[float],
    kept_taps_ms: Sequence[float],
    *,
    double_taps: int = 0,
    ioi_ms: float | None = None,
    timing_window_ms: float = 15.0,
    match_window: float = 0.4,
) -> Metrics:
    """Score a paced tapping trial from its taps with double taps already removed (the
    activity removes them over the whole tap stream); keys are the METRICS.md names.

    Taps are matched one-to-one (``match_taps``), then measured. Asynchrony a = tap - heard beat
    (negative = early). The period used for phases, the circular mean in ms and the tempo ratio
    is ``ioi_ms`` or else the median beat interval. Reading of the "fewer than 6" rule: mean/SD
    asynchrony and the circular measures are computed from >= 2 matched taps (null below, as
    the metric table says) and ``reliable`` is False unless >= 6 beats are matched and the kept
    taps number 50-150 % of the beats (REPP), so a goal can require ``reliable``.
    ``double_taps`` (the count of taps dropped) is passed through to the metrics.
    """
    beats = _checked_beats(beats_ms)
    kept = sorted(float(t) for t in as_times_ms(kept_taps_ms, "kept_taps_ms"))
    match = match_taps(beats_ms, kept, ioi_ms=ioi_ms, window=match_window)
    period_ms = float(ioi_ms) if ioi_ms is not None else float(np.median(np.diff(beats)))
    per_beat = match.asynchrony_for_beat(beats.size)
    n_matched = len(match.pairs)
    taps_share = len(kept) / beats.size
    return {
        **_asynchrony_measures(match.asynchronies_ms, period_ms),
        **_iti_measures(kept, period_ms),
        "hit_rate": n_matched / beats.size,
        "missed_beats": len(match.missed_beats),
        "extra_taps": len(match.extra_taps),
        **_window_measures(per_beat, timing_window_ms),
        "matched_taps": n_matched,
        "double_taps": int(double_taps),
        "reliable": 0.5 <= taps_share <= 1.5 and n_matched >= MIN_MATCHED_FOR_RELIABLE,
        "asynchronies_ms": list(match.asynchronies_ms),
    }


def preferred_tempo(taps_ms: Sequence[float], double_tap_ms: float = 180.0) -> Metrics:
    """Unpaced (spontaneous) tapping: median ITI, BPM and ITI CV after removing double taps.

    The child's preferred tempo is where rhythmic auditory stimulation starts (Thaut); the
    median resists a pause or a stray tap. Null when fewer than 3 taps are kept.
    """
    kept = remove_double_taps(taps_ms, double_tap_ms)
    measures = _iti_measures(kept, None)
    del measures["tempo_ratio"]
    return {**measures, "kept_taps": len(kept), "double_taps": len(taps_ms) - len(kept)}
