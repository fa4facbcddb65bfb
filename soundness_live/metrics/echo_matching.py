"""In-order matching of an echo with a call, within a tolerance (METRICS.md §2).

Call and echo notes are paired one to one and in order, a pair only when the onsets are within
the tolerance: equal keys make a hit, different keys a substitution; a call note left out is an
omission, an echo note left out an insertion. Only alignments that pair every note they can
count (no call note and echo note within the tolerance of each other are both left out between
the same two pairs), so a wrong note played in a call note's place is a substitution, never an
omission and an insertion. Among those: the most hits, then the fewest substitutions, then the
smallest summed |onset error|.

The dynamic programme runs in numpy over many candidate mappings of the echo at once (one row
of arrays per call note); ``echo_alignment`` searches the mappings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from soundness_live.errors import ParameterError

__all__ = [
    "ROUNDING_MS",
    "EchoAlignment",
    "MatchProblem",
    "NoteKey",
    "align_echo",
    "alignment_of",
    "best_scores",
    "hits_of",
    "reach_bands",
    "trace_back",
]

ROUNDING_MS = 1e-6  # onsets this close to the tolerance's edge are inside it (float rounding)
NoteKey = int | str


@dataclass(frozen=True)
class EchoAlignment:
    """In-order alignment of call and echo: ``hits`` and ``substitutions`` are (call index,
    echo index) pairs; ``omissions`` call indices; ``insertions`` echo indices; ``errors_ms``
    the onset error (mapped echo - call) of each hit, on the call's axis."""

    hits: tuple[tuple[int, int], ...]
    substitutions: tuple[tuple[int, int], ...]
    omissions: tuple[int, ...]
    insertions: tuple[int, ...]
    errors_ms: tuple[float, ...]


@dataclass(frozen=True)
class MatchProblem:
    """Call and echo as arrays: onsets (sorted) and keys as small integers; the weights of the
    timed alignment score (``_weights``)."""

    call_on: np.ndarray
    call_key: np.ndarray
    echo_on: np.ndarray
    echo_key: np.ndarray
    tolerance_ms: float
    hit_weight: float
    substitution_weight: float

    @classmethod
    def of(cls, call_keys, call_on, echo_keys, echo_on, tolerance_ms) -> MatchProblem:
        if not 0.0 <= float(tolerance_ms) < math.inf:
            raise ParameterError(
                f"tolerance_ms: expected a finite number >= 0, got {tolerance_ms!r}"
            )
        codes: dict[NoteKey, int] = {}
        for key in (*call_keys, *echo_keys):
            codes.setdefault(key, len(codes))
        substitution = len(call_keys) * (float(tolerance_ms) + 1.0) + 1.0
        return cls(
            np.asarray(call_on, dtype=float),
            np.array([codes[k] for k in call_keys], dtype=int),
            np.asarray(echo_on, dtype=float),
            np.array([codes[k] for k in echo_keys], dtype=int),
            float(tolerance_ms),
            4.0 * (len(call_keys) + 1) * substitution,
            substitution,
        )


def reach_bands(problem: MatchProblem, mapped_bounds: tuple[np.ndarray, np.ndarray]) -> tuple:
    """First and last echo index within the tolerance of each call note, per candidate, from
    the bounds of each call note's window expressed on the echo's own axis. A call note with
    no echo note in reach gets (m + 1, -1), so it may be left out anywhere in a gap."""
    lower, upper = mapped_bounds
    first = np.searchsorted(problem.echo_on, lower, side="left")
    last = np.searchsorted(problem.echo_on, upper, side="right") - 1
    empty = first > last
    return np.where(empty, problem.echo_on.size + 1, first), np.where(empty, -1, last)


def _weights(problem: MatchProblem) -> tuple[float, float]:
    """(hit, substitution) weights of the timed score hits x hit - substitutions x
    substitution - summed |error|: each step of the order dwarfs everything after it."""
    return problem.hit_weight, problem.substitution_weight


# "No path" in the counting score (int32 has no infinity); far below any real score.
UNREACHABLE = np.int32(-(2**24))


def _gain(problem: MatchProblem, first: np.ndarray, last: np.ndarray, i: int, x: np.ndarray | None):
    """Score of pairing call note ``i`` with each echo note, per candidate. Timed (``x``, the
    mapped echo onsets, given): hit/substitution weights less the |error|, -inf out of reach.
    Counting (no ``x``): hits x (n + 1) - substitutions, exact in integers."""
    columns = np.arange(problem.echo_on.size)
    reach = (first[:, None] <= columns) & (columns <= last[:, None])
    same = problem.echo_key[None, :] == problem.call_key[i]
    if x is None:
        counted = np.where(same, np.int32(problem.call_on.size + 1), np.int32(-1))
        return np.where(reach, counted, UNREACHABLE)
    hit, substitution = _weights(problem)
    score = np.where(same, hit, -substitution) - np.abs(x - problem.call_on[i])
    return np.where(reach, score, -np.inf)


# Phases of a cell on a path through the alignment grid (see _best_scores).
OPEN, INSERTING, AFTER_INSERTIONS, NO_INSERTIONS = range(4)


@dataclass(frozen=True)
class _Paths:
    """How each cell was reached, [row, candidate, column] (ties: the first choice): by a
    pair; an INSERTING cell right after an OPEN one; AFTER_INSERTIONS from INSERTING;
    NO_INSERTIONS from OPEN; and each cell's best phase."""

    paired: np.ndarray
    inserted_after_open: np.ndarray
    after_from_inserting: np.ndarray
    none_from_open: np.ndarray
    best_phase: np.ndarray

    @classmethod
    def empty(cls, rows: int, s: int, columns: int) -> _Paths:
        shape = (rows, s, columns)
        return cls(
            np.zeros(shape, dtype=bool),
            np.zeros(shape, dtype=bool),
            np.zeros(shape, dtype=bool),
            np.zeros(shape, dtype=bool),
            np.zeros(shape, dtype=np.int8),
        )

    def keep_best_phase(self, i: int, row: np.ndarray, best: np.ndarray) -> None:
        """Row ``i``'s best phase per cell, the first of equals (argmax over the phase axis
        is some twenty times slower than these comparisons)."""
        phase = np.where(row[AFTER_INSERTIONS] == best, AFTER_INSERTIONS, NO_INSERTIONS)
        phase = np.where(row[INSERTING] == best, INSERTING, phase)
        self.best_phase[i] = np.where(row[OPEN] == best, OPEN, phase)


def best_scores(
    problem: MatchProblem,
    first: np.ndarray,
    last: np.ndarray,
    x: np.ndarray | None = None,
    *,
    path: bool = False,
) -> tuple[np.ndarray, _Paths | None]:
    """The best score (``_gain``: timed with ``x``, else counting) of an in-order matching
    that leaves no pair in reach unpaired, per candidate; with ``path``, also how each cell
    was reached (for :func:`trace_back`).

    A matching is maximal when no gap between two consecutive pairs leaves out both a call
    note and an echo note in reach of each other. Reach is a band (each call note reaches a
    run of echo notes, later call notes later runs), so a gap that leaves out echo notes is
    clear exactly when its call notes split into those reaching only echo notes before the gap
    and those reaching only echo notes after it; a gap that leaves out no echo note is always
    clear. Walking a gap as "call notes of the first kind (OPEN), the echo notes (INSERTING),
    call notes of the second kind (AFTER_INSERTIONS)", or as call notes alone (NO_INSERTIONS),
    makes the maximal matchings the paths through an ordinary grid with four phases per cell.
    """
    s, m, n = first.shape[0], problem.echo_on.size, problem.call_on.size
    none = -np.inf if x is not None else UNREACHABLE
    row = np.full((4, s, m + 1), none, dtype=float if x is not None else np.int32)
    row[OPEN, :, 0] = 0
    paths = _Paths.empty(n + 1, s, m + 1) if path else None
    _with_insertions(row, none, paths, 0)
    columns = np.arange(m + 1)
    for i in range(n):
        best = np.max(row, axis=0)
        paired = np.full((s, m + 1), none, dtype=row.dtype)
        paired[:, 1:] = best[:, :-1] + _gain(problem, first[:, i], last[:, i], i, x)
        left_before = np.where(last[:, i, None] < columns, row[OPEN], none)
        new = np.empty_like(row)
        np.maximum(paired, left_before, out=new[OPEN])
        if x is None:  # no path stays UNREACHABLE, however many rows it crosses
            np.maximum(new[OPEN], UNREACHABLE, out=new[OPEN])
        after = np.maximum(row[INSERTING], row[AFTER_INSERTIONS])
        new[AFTER_INSERTIONS] = np.where(first[:, i, None] >= columns, after, none)
        np.maximum(row[OPEN], row[NO_INSERTIONS], out=new[NO_INSERTIONS])
        if paths is not None:
            paths.keep_best_phase(i, row, best)
            np.greater_equal(paired, left_before, out=paths.paired[i + 1])
            np.greater_equal(
                row[INSERTING], row[AFTER_INSERTIONS], out=paths.after_from_inserting[i + 1]
            )
            np.greater_equal(row[OPEN], row[NO_INSERTIONS], out=paths.none_from_open[i + 1])
        _with_insertions(new, none, paths, i + 1)
        row = new
    if paths is not None:
        paths.keep_best_phase(n, row, np.max(row, axis=0))
    return np.max(row[:, :, -1], axis=0), paths


def _with_insertions(row: np.ndarray, none: Any, paths: _Paths | None, i: int) -> None:
    """Fill a row's INSERTING phase: echo notes left out after an OPEN cell of the row."""
    row[INSERTING, :, 0] = none
    np.maximum.accumulate(row[OPEN, :, :-1], axis=1, out=row[INSERTING, :, 1:])
    if paths is not None:
        out = paths.inserted_after_open[i, :, 1:]
        np.greater_equal(row[OPEN, :, :-1], row[INSERTING, :, :-1], out=out)


def hits_of(problem: MatchProblem, counts: np.ndarray) -> np.ndarray:
    """Hits from counting scores hits x (n + 1) - substitutions (0 <= substitutions <= n)."""
    n = problem.call_on.size
    return (counts + n) // (n + 1)


def trace_back(paths: _Paths) -> np.ndarray:
    """Per candidate and call note, the echo note it is paired with (-1: left out), walking
    each candidate's best path back."""
    rows_n, s, columns = paths.paired.shape
    n, m = rows_n - 1, columns - 1
    rows, i, e = np.arange(s), np.full(s, n), np.full(s, m)
    phase = paths.best_phase[i, rows, e]
    paired = np.full((s, n), -1)
    for _step in range(n + m):
        moving = (i > 0) | (e > 0)
        pair = moving & (phase == OPEN) & paths.paired[i, rows, e]
        insert = moving & (phase == INSERTING)
        leave = moving & ~pair & ~insert  # the call note was left out
        paired[rows[pair], i[pair] - 1] = e[pair] - 1
        came = np.where(paths.inserted_after_open[i, rows, e], OPEN, INSERTING)
        phase = np.where(insert, came, phase)
        came = np.where(paths.after_from_inserting[i, rows, e], INSERTING, AFTER_INSERTIONS)
        phase = np.where(leave & (phase == AFTER_INSERTIONS), came, phase)
        came = np.where(paths.none_from_open[i, rows, e], OPEN, NO_INSERTIONS)
        phase = np.where(leave & (phase == NO_INSERTIONS), came, phase)
        i, e = np.where(pair | leave, i - 1, i), np.where(pair | insert, e - 1, e)
        phase = np.where(pair, paths.best_phase[i, rows, e], phase)  # the best one there
    return paired


def alignment_of(
    problem: MatchProblem, x: np.ndarray, paired: np.ndarray, more: int
) -> EchoAlignment:
    """The alignment one candidate's pairing describes (``more``: echo notes past the ones
    considered, all insertions)."""
    pairs = [(i, int(e)) for i, e in enumerate(paired) if e >= 0]
    hits = tuple(p for p in pairs if problem.call_key[p[0]] == problem.echo_key[p[1]])
    used = {e for _i, e in pairs}
    m = problem.echo_on.size
    return EchoAlignment(
        hits=hits,
        substitutions=tuple(p for p in pairs if p not in hits),
        omissions=tuple(i for i, e in enumerate(paired) if e < 0),
        insertions=tuple(e for e in range(m + more) if e not in used),
        errors_ms=tuple(float(x[e] - problem.call_on[i]) for i, e in hits),
    )


def align_echo(
    call_keys: Sequence[NoteKey],
    call_onsets_ms: Sequence[float],
    echo_keys: Sequence[NoteKey],
    echo_onsets_ms: Sequence[float],
    tolerance_ms: float,
) -> EchoAlignment:
    """Match call and echo (both in time order, the echo already on the call's axis) one to
    one and in order, within ``tolerance_ms`` (inclusive).

    A pair of equal keys is a hit, of different keys a substitution; a call note left out is
    an omission, an echo note left out an insertion. Only alignments that pair every note they
    can count (no call note and echo note within the tolerance of each other are both left out
    between the same two pairs), so a wrong note played in a call note's place is a
    substitution. Among those: the most hits, then the fewest substitutions, then the smallest
    summed |onset error|.
    """
    problem = MatchProblem.of(call_keys, call_onsets_ms, echo_keys, echo_onsets_ms, tolerance_ms)
    if problem.echo_on.size == 0:
        return alignment_of(problem, problem.echo_on, np.full(problem.call_on.size, -1), 0)
    tol = problem.tolerance_ms + ROUNDING_MS
    first, last = reach_bands(problem, (problem.call_on - tol, problem.call_on + tol))
    x = problem.echo_on[None, :]
    _scores, paths = best_scores(problem, first[None, :], last[None, :], x, path=True)
    assert paths is not None
    return alignment_of(problem, problem.echo_on, trace_back(paths)[0], 0)
