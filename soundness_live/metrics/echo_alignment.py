"""Robust alignment of a child's echo with the call (METRICS.md §2).

Children are not tempo-locked: they drop notes, add notes and start late. So the echo is never
aligned on its first onset alone. Candidates are every pair (call note i, echo note j) at tempo
ratio r = 1, and every i < k, j < l with r = (t_l - t_j) / (t_k - t_i) in [0.5, 2] (keys need
not match). Only the first 2n + 4 echo notes take part. A candidate maps the echo onto the
call's axis, t' = t_i + (t - t_j) / r, and matches in order within the tolerance
(:func:`align_echo`). Candidates rank by hits, then the median |onset error| over the hits
that are not anchors (none: 0 ms, the anchors fit exactly), then |log r|, then the earliest call
index i, then the earliest echo index j.

Speed: a 2n + 4-note echo of an n-note call has up to n^2 (2n + 4)^2 / 4 candidates (14,400
for n = 10, about half of them within the ratios). They are scored together in numpy, once per
distinct mapping and, for counting hits, once per distinct reach (which echo notes each call
note reaches): first an upper bound on the hits (the call notes with a note of the same key in
reach), then exact counts in order of that bound until none left can beat the best, then the
exact alignments of the best. ``soundness-live bench scoring`` measures the worst case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from soundness_live.errors import ParameterError

__all__ = [
    "MAX_RATIO",
    "MIN_RATIO",
    "EchoAlignment",
    "RobustAlignment",
    "align_echo",
    "align_robustly",
    "echo_notes_considered",
]

MIN_RATIO, MAX_RATIO = 0.5, 2.0
ROUNDING_MS = 1e-6  # onsets this close to the tolerance's edge are inside it (float rounding)
NoteKey = int | str


def echo_notes_considered(n_call: int) -> int:
    """How many echo notes the alignment looks at: the first 2n + 4."""
    return 2 * n_call + 4


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
class RobustAlignment:
    """The chosen candidate: its alignment, tempo ratio r (echo / call, > 1 = slower) and the
    anchor pairs (call index, echo index) it was built on."""

    alignment: EchoAlignment
    tempo_ratio: float
    anchors: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _Candidates:
    """Parallel arrays, one entry per candidate; ``second_*`` is -1 for r = 1 singles."""

    call_anchor: np.ndarray
    echo_anchor: np.ndarray
    second_call: np.ndarray
    second_echo: np.ndarray
    ratio: np.ndarray

    def take(self, chosen: np.ndarray) -> _Candidates:
        return _Candidates(*(getattr(self, f)[chosen] for f in self.__dataclass_fields__))


def _candidates(call_on: np.ndarray, echo_on: np.ndarray) -> _Candidates:
    """Every single pair at r = 1, then every two-pair candidate with r in [0.5, 2]."""
    n, m = call_on.size, echo_on.size
    single_call, single_echo = np.divmod(np.arange(n * m), m)
    call_first, call_second = np.triu_indices(n, 1)
    echo_first, echo_second = np.triu_indices(m, 1)
    call_span = call_on[call_second] - call_on[call_first]
    echo_span = echo_on[echo_second] - echo_on[echo_first]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = echo_span[None, :] / call_span[:, None]
    keep = (call_span[:, None] > 0.0) & (ratio >= MIN_RATIO) & (ratio <= MAX_RATIO)
    calls, echoes = np.nonzero(keep)
    none = np.full(n * m, -1)
    return _Candidates(
        np.concatenate((single_call, call_first[calls])),
        np.concatenate((single_echo, echo_first[echoes])),
        np.concatenate((none, call_second[calls])),
        np.concatenate((none, echo_second[echoes])),
        np.concatenate((np.ones(n * m), ratio[calls, echoes])),
    )


@dataclass(frozen=True)
class _Problem:
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
    def of(cls, call_keys, call_on, echo_keys, echo_on, tolerance_ms) -> _Problem:
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


def _bands(problem: _Problem, mapped_bounds: tuple[np.ndarray, np.ndarray]) -> tuple:
    """First and last echo index within the tolerance of each call note, per candidate, from
    the bounds of each call note's window expressed on the echo's own axis. A call note with
    no echo note in reach gets (m + 1, -1), so it may be left out anywhere in a gap."""
    lower, upper = mapped_bounds
    first = np.searchsorted(problem.echo_on, lower, side="left")
    last = np.searchsorted(problem.echo_on, upper, side="right") - 1
    empty = first > last
    return np.where(empty, problem.echo_on.size + 1, first), np.where(empty, -1, last)


def _candidate_bands(problem: _Problem, cands: _Candidates) -> tuple:
    """:func:`_bands` of each candidate: call note i's window [t_i - tol, t_i + tol] on the
    call's axis is [t_j + r (t_i - tol - t_anchor), ...] on the echo's."""
    tol = problem.tolerance_ms + ROUNDING_MS
    anchor_call = problem.call_on[cands.call_anchor][:, None]
    anchor_echo = problem.echo_on[cands.echo_anchor][:, None]
    r = cands.ratio[:, None]
    lower = anchor_echo + r * (problem.call_on[None, :] - tol - anchor_call)
    upper = anchor_echo + r * (problem.call_on[None, :] + tol - anchor_call)
    return _bands(problem, (lower, upper))


def _mapped(problem: _Problem, cands: _Candidates) -> np.ndarray:
    """Each candidate's echo onsets on the call's axis: t' = t_i + (t - t_j) / r."""
    anchor_call = problem.call_on[cands.call_anchor][:, None]
    anchor_echo = problem.echo_on[cands.echo_anchor][:, None]
    return anchor_call + (problem.echo_on[None, :] - anchor_echo) / cands.ratio[:, None]


def _hits_bound(problem: _Problem, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per candidate, the call notes with an echo note of the same key in reach: no alignment
    has more hits."""
    m = problem.echo_on.size
    keys = int(max(problem.call_key.max(), problem.echo_key.max())) + 1
    counts = np.zeros((keys, m + 1), dtype=int)
    counts[problem.echo_key, np.arange(m) + 1] = 1
    counts = np.cumsum(counts, axis=1)  # counts[key, e]: notes of ``key`` among echo[:e]
    key = problem.call_key[None, :]
    start = np.minimum(first, m)
    same = counts[key, np.maximum(last + 1, start)] - counts[key, start]
    return np.count_nonzero(same > 0, axis=1)


def _weights(problem: _Problem) -> tuple[float, float]:
    """(hit, substitution) weights of the timed score hits x hit - substitutions x
    substitution - summed |error|: each step of the order dwarfs everything after it."""
    return problem.hit_weight, problem.substitution_weight


# "No path" in the counting score (int32 has no infinity); far below any real score.
UNREACHABLE = np.int32(-(2**24))


def _gain(problem: _Problem, first: np.ndarray, last: np.ndarray, i: int, x: np.ndarray | None):
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


def _best_scores(
    problem: _Problem, first: np.ndarray, last: np.ndarray, x: np.ndarray | None = None
):
    """The best score (``_gain``: timed with ``x``, else counting) of an in-order matching
    that leaves no pair in reach unpaired, per candidate, and the table of partial scores
    (row i: after the first i call notes: [row, phase, candidate, column]).

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
    table = np.empty((n + 1, 4, s, m + 1), dtype=float if x is not None else np.int32)
    table[0] = none
    table[0, OPEN, :, 0] = 0
    _with_insertions(table[0], none)
    columns = np.arange(m + 1)
    for i in range(n):
        v_open, v_inserting, v_after, v_none = table[i]
        best = np.max(table[i], axis=0)
        row = table[i + 1]
        row[OPEN] = none
        row[OPEN, :, 1:] = best[:, :-1] + _gain(problem, first[:, i], last[:, i], i, x)
        np.maximum(row[OPEN], np.where(last[:, i, None] < columns, v_open, none), out=row[OPEN])
        if x is None:  # no path stays UNREACHABLE, however many rows it crosses
            np.maximum(row[OPEN], UNREACHABLE, out=row[OPEN])
        after = np.maximum(v_inserting, v_after)
        row[AFTER_INSERTIONS] = np.where(first[:, i, None] >= columns, after, none)
        np.maximum(v_open, v_none, out=row[NO_INSERTIONS])
        _with_insertions(row, none)
    return np.max(table[n, :, :, -1], axis=0), table


def _with_insertions(row: np.ndarray, none: Any) -> None:
    """Fill a row's INSERTING phase: echo notes left out after an OPEN cell of the row."""
    row[INSERTING, :, 0] = none
    np.maximum.accumulate(row[OPEN, :, :-1], axis=1, out=row[INSERTING, :, 1:])


def _hits_of(problem: _Problem, counts: np.ndarray) -> np.ndarray:
    """Hits from counting scores hits x (n + 1) - substitutions (0 <= substitutions <= n)."""
    n = problem.call_on.size
    return (counts + n) // (n + 1)


def _trace_back(
    problem: _Problem, x: np.ndarray, first: np.ndarray, last: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Per candidate and call note, the echo note it is paired with (-1: left out), from the
    timed table of :func:`_best_scores` ([row, phase, candidate, column])."""
    s, n = x.shape[0], problem.call_on.size
    rows, i, e = np.arange(s), np.full(s, n), np.full(s, x.shape[1])
    phase = np.argmax(values[i, :, rows, e], axis=1)
    paired = np.full((s, n), -1)
    while np.any((i > 0) | (e > 0)):
        value = values[i, phase, rows, e]
        i, e, phase = _step_back(problem, x, first, last, values, (i, e, phase, value), paired)
    return paired


def _step_back(problem, x, first, last, values, state, paired) -> tuple:
    """One step back along each candidate's best path (a candidate at (0, 0) stays)."""
    i, e, phase, value = state
    rows, home = np.arange(i.size), (i == 0) & (e == 0)
    pi, pe = np.maximum(i - 1, 0), np.maximum(e - 1, 0)
    before_pair = np.max(values[pi, :, rows, pe], axis=1)
    gain = _gain_at(problem, x, first, last, pi, pe)
    pair = (phase == OPEN) & (i > 0) & (e > 0) & (before_pair + gain == value)
    insert = (phase == INSERTING) & ~home
    leave = ~pair & ~insert & ~home  # the call note was left out
    paired[rows[pair], pi[pair]] = pe[pair]
    came_from = {  # the phase before a leave-out: one of two, whichever holds the value
        AFTER_INSERTIONS: (INSERTING, AFTER_INSERTIONS),
        NO_INSERTIONS: (OPEN, NO_INSERTIONS),
        OPEN: (OPEN, OPEN),
    }
    new_phase = np.where(pair, np.argmax(values[pi, :, rows, pe], axis=1), phase)
    new_phase = np.where(
        insert, np.where(values[i, OPEN, rows, pe] == value, OPEN, phase), new_phase
    )
    for now, (either, other) in came_from.items():
        was = np.where(values[pi, either, rows, e] == value, either, other)
        new_phase = np.where(leave & (phase == now), was, new_phase)
    return np.where(pair | leave, pi, i), np.where(pair | insert, pe, e), new_phase


def _gain_at(problem, x, first, last, i, e) -> np.ndarray:
    """:func:`_gain` of call note ``i[c]`` and echo note ``e[c]`` for each candidate c."""
    hit, substitution = _weights(problem)
    rows = np.arange(i.size)
    reach = (first[rows, i] <= e) & (e <= last[rows, i])
    same = problem.echo_key[e] == problem.call_key[i]
    score = np.where(same, hit, -substitution) - np.abs(x[rows, e] - problem.call_on[i])
    return np.where(reach, score, -np.inf)


def _alignment(problem: _Problem, x: np.ndarray, paired: np.ndarray, more: int) -> EchoAlignment:
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
    problem = _Problem.of(call_keys, call_onsets_ms, echo_keys, echo_onsets_ms, tolerance_ms)
    if problem.echo_on.size == 0:
        return _alignment(problem, problem.echo_on, np.full(problem.call_on.size, -1), 0)
    tol = problem.tolerance_ms + ROUNDING_MS
    first, last = _bands(problem, (problem.call_on - tol, problem.call_on + tol))
    x = problem.echo_on[None, :]
    _scores, table = _best_scores(problem, first[None, :], last[None, :], x)
    paired = _trace_back(problem, x, first[None, :], last[None, :], table)
    return _alignment(problem, problem.echo_on, paired[0], 0)


def align_robustly(
    call_keys: Sequence[NoteKey],
    call_onsets_ms: Sequence[float],
    echo_keys: Sequence[NoteKey],
    echo_onsets_ms: Sequence[float],
    tolerance_ms: float,
) -> RobustAlignment:
    """The best candidate alignment of an echo (see the module docstring); call and echo in
    time order, the echo's onsets on its own axis. Echo notes past the first 2n + 4 are
    insertions. Needs at least one call note and one echo note."""
    limit = echo_notes_considered(len(call_keys))
    problem = _Problem.of(
        call_keys, call_onsets_ms, echo_keys[:limit], echo_onsets_ms[:limit], tolerance_ms
    )
    cands = _candidates(problem.call_on, problem.echo_on)
    mappings, mapping_of = _distinct_mappings(problem, cands)
    first, last = _candidate_bands(problem, mappings)
    group = _most_hits(problem, first, last)
    x = _mapped(problem, mappings.take(group))
    _scores, table = _best_scores(problem, first[group], last[group], x)
    paired = _trace_back(problem, x, first[group], last[group], table)
    row_of = np.full(mapping_of.max() + 1, -1)
    row_of[group] = np.arange(group.size)
    tied = np.flatnonzero(row_of[mapping_of] >= 0)  # every candidate with the most hits
    rows = row_of[mapping_of[tied]]
    chosen = _rank(problem, cands.take(tied), x[rows], paired[rows])
    best, row = cands.take(tied[chosen : chosen + 1]), rows[chosen]
    anchors = [(int(best.call_anchor[0]), int(best.echo_anchor[0]))]
    if best.second_call[0] >= 0:
        anchors.append((int(best.second_call[0]), int(best.second_echo[0])))
    more = len(echo_keys) - problem.echo_on.size
    return RobustAlignment(
        _alignment(problem, x[row], paired[row], more), float(best.ratio[0]), tuple(anchors)
    )


def _distinct_mappings(problem: _Problem, cands: _Candidates) -> tuple[_Candidates, np.ndarray]:
    """One candidate per distinct mapping t' = offset + t / r (candidates whose ratio agrees
    to 1e-12 and offset to 1e-6 ms share an alignment: in an even drum echo thousands of
    candidates with the most hits share a few dozen mappings), and each candidate's mapping."""
    offset = problem.call_on[cands.call_anchor] - problem.echo_on[cands.echo_anchor] / cands.ratio
    ratio, offset = np.round(cands.ratio, 12), np.round(offset, 6)
    order = np.lexsort((offset, ratio))
    new = np.ones(order.size, dtype=bool)
    new[1:] = (np.diff(ratio[order]) != 0.0) | (np.diff(offset[order]) != 0.0)
    mapping_of = np.empty(order.size, dtype=int)
    mapping_of[order] = np.cumsum(new) - 1
    return cands.take(order[new]), mapping_of


def _most_hits(problem: _Problem, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Indices of the candidates (given by their reach) with the most hits. Hits depend on
    the reach alone, so each distinct reach is counted once; counts are made in order of the
    hits bound, highest first, until no reach left can beat the best count."""
    reach = np.ascontiguousarray(np.concatenate((first, last), axis=1).astype(np.int16))
    keys = reach.view(np.dtype((np.void, reach.itemsize * reach.shape[1]))).ravel()
    _keys, distinct, reach_of = np.unique(keys, return_index=True, return_inverse=True)
    first, last = first[distinct], last[distinct]
    bound = _hits_bound(problem, first, last)
    hits = np.full(bound.size, -1)
    best = 0
    while True:
        waiting = (hits < 0) & (bound >= best)
        if not waiting.any():
            return np.flatnonzero(hits[reach_of.ravel()] == best)
        batch = np.flatnonzero(waiting & (bound == bound[waiting].max()))
        counts, _table = _best_scores(problem, first[batch], last[batch])
        hits[batch] = _hits_of(problem, counts)
        best = max(best, int(hits[batch].max()))


def _rank(problem: _Problem, cands: _Candidates, x: np.ndarray, paired: np.ndarray) -> int:
    """The position of the best of candidates with equal hits (their mapped echo onsets and
    pairings given): by the median |error| of the hits that are not anchors, |log r|, the
    call anchor, the echo anchor."""
    spread = _non_anchor_median_ms(problem, cands, x, paired)
    order = np.lexsort(
        (
            np.arange(spread.size),
            cands.echo_anchor,
            cands.call_anchor,
            np.round(np.abs(np.log(cands.ratio)), 12),
            np.round(spread, 6),  # equal medians reached through different sums stay equal
        )
    )
    return int(order[0])


def _non_anchor_median_ms(
    problem: _Problem, cands: _Candidates, x: np.ndarray, paired: np.ndarray
) -> np.ndarray:
    """Per candidate, the median |onset error| of its hits that are not anchor pairs (0 ms
    when every hit is an anchor: they fit exactly)."""
    s, n = paired.shape
    rows = np.arange(s)[:, None]
    calls = np.arange(n)[None, :]
    echo = np.maximum(paired, 0)
    hit = (paired >= 0) & (problem.echo_key[echo] == problem.call_key[calls])
    anchor = ((calls == cands.call_anchor[:, None]) & (paired == cands.echo_anchor[:, None])) | (
        (calls == cands.second_call[:, None]) & (paired == cands.second_echo[:, None])
    )
    errors = np.where(hit & ~anchor, np.abs(x[rows, echo] - problem.call_on[calls]), np.inf)
    errors.sort(axis=1)
    counts = np.count_nonzero(np.isfinite(errors), axis=1)
    middle = np.stack((np.maximum(counts - 1, 0) // 2, counts // 2), axis=1)
    median = np.mean(np.take_along_axis(errors, middle, axis=1), axis=1)
    return np.where(counts > 0, median, 0.0)
