"""Robust alignment of a child's echo with the call (METRICS.md §2).

Children are not tempo-locked: they drop notes, add notes and start late. So the echo is never
aligned on its first onset alone. Candidates are every pair (call note i, echo note j) at tempo
ratio r = 1, and every i < k, j < l with r = (t_l - t_j) / (t_k - t_i) in [0.5, 2] (keys need
not match). Only the first 2n + 4 echo notes take part. A candidate maps the echo onto the
call's axis, t' = t_i + (t - t_j) / r, and matches in order within the tolerance
(``echo_matching``: most hits, then fewest substitutions). Candidates rank by hits, then the
median |onset error| over the hits that are not anchors (none: 0 ms, the anchors fit exactly),
then |log r|, then the earliest call index i, then the earliest echo index j.

Speed: a 2n + 4-note echo of an n-note call has up to n^2 (2n + 4)^2 / 4 candidates (14,400
for n = 10, about half of them within the ratios). They are scored together in numpy, once per
distinct mapping and, for counting hits, once per distinct reach (which echo notes each call
note reaches): first an upper bound on the hits (the call notes with a note of the same key in
reach), then exact counts in order of that bound until none left can beat the best, then the
exact alignments of the best, in order of a lower bound on their median error until none left
can beat the best found. ``soundness-live bench scoring`` measures the worst case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from soundness_live.metrics.echo_matching import (
    ROUNDING_MS,
    EchoAlignment,
    MatchProblem,
    NoteKey,
    alignment_of,
    best_scores,
    hits_of,
    reach_bands,
    trace_back,
)

__all__ = ["MAX_RATIO", "MIN_RATIO", "RobustAlignment", "align_robustly", "echo_notes_considered"]

MIN_RATIO, MAX_RATIO = 0.5, 2.0
ALIGN_BATCH = (
    64  # tied candidates aligned first (lowest bound on the median error), then twice as many
)


def echo_notes_considered(n_call: int) -> int:
    """How many echo notes the alignment looks at: the first 2n + 4."""
    return 2 * n_call + 4


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


def _candidate_bands(problem: MatchProblem, cands: _Candidates) -> tuple:
    """:func:`_bands` of each candidate: call note i's window [t_i - tol, t_i + tol] on the
    call's axis is [t_j + r (t_i - tol - t_anchor), ...] on the echo's."""
    tol = problem.tolerance_ms + ROUNDING_MS
    anchor_call = problem.call_on[cands.call_anchor][:, None]
    anchor_echo = problem.echo_on[cands.echo_anchor][:, None]
    r = cands.ratio[:, None]
    lower = anchor_echo + r * (problem.call_on[None, :] - tol - anchor_call)
    upper = anchor_echo + r * (problem.call_on[None, :] + tol - anchor_call)
    return reach_bands(problem, (lower, upper))


def _mapped(problem: MatchProblem, cands: _Candidates) -> np.ndarray:
    """Each candidate's echo onsets on the call's axis: t' = t_i + (t - t_j) / r."""
    anchor_call = problem.call_on[cands.call_anchor][:, None]
    anchor_echo = problem.echo_on[cands.echo_anchor][:, None]
    return anchor_call + (problem.echo_on[None, :] - anchor_echo) / cands.ratio[:, None]


def _hits_bound(problem: MatchProblem, first: np.ndarray, last: np.ndarray) -> np.ndarray:
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
    problem = MatchProblem.of(
        call_keys, call_onsets_ms, echo_keys[:limit], echo_onsets_ms[:limit], tolerance_ms
    )
    cands = _candidates(problem.call_on, problem.echo_on)
    mappings, mapping_of = _distinct_mappings(problem, cands)
    first, last = _candidate_bands(problem, mappings)
    group, hits = _most_hits(problem, first, last)
    tied = _Tied.of(problem, cands, mappings.take(group), mapping_of, group)
    chosen, x, paired = tied.best(problem, first[group], last[group], hits)
    best = cands.take(tied.candidates[chosen : chosen + 1])
    anchors = [(int(best.call_anchor[0]), int(best.echo_anchor[0]))]
    if best.second_call[0] >= 0:
        anchors.append((int(best.second_call[0]), int(best.second_echo[0])))
    more = len(echo_keys) - problem.echo_on.size
    alignment = alignment_of(problem, x, paired, more)
    return RobustAlignment(alignment, float(best.ratio[0]), tuple(anchors))


@dataclass(frozen=True)
class _Tied:
    """The candidates with the most hits: their indices and data, and for each the row of
    its mapping among the tied mappings, whose echo onsets on the call's axis are ``x``."""

    candidates: np.ndarray
    cands: _Candidates
    rows: np.ndarray
    x: np.ndarray

    @classmethod
    def of(cls, problem, cands, mappings, mapping_of, group) -> _Tied:
        """The candidates whose mapping is one of ``group`` (``mappings``: those mappings)."""
        row_of = np.full(mapping_of.max() + 1, -1)
        row_of[group] = np.arange(group.size)
        candidates = np.flatnonzero(row_of[mapping_of] >= 0)
        rows = row_of[mapping_of[candidates]]
        return cls(candidates, cands.take(candidates), rows, _mapped(problem, mappings))

    def best(self, problem: MatchProblem, first: np.ndarray, last: np.ndarray, hits: int) -> tuple:
        """(position of the best candidate, its mapping's echo onsets, its pairing). Exact
        alignments are made in order of a lower bound on the median error, in batches growing
        twofold, until no candidate left has a bound under the best median found: no other can
        rank first. ``first``/``last``: each tied mapping's reach."""
        bound = _median_bounds(problem, self, first, last, hits)
        order = np.argsort(bound, kind="stable")
        paired = np.full((self.x.shape[0], problem.call_on.size), -2)  # -2: not aligned yet
        found, start, size = np.inf, 0, ALIGN_BATCH
        while start < order.size and bound[order[start]] <= found + 2e-6:
            batch = order[start : start + size]
            self._align(problem, first, last, batch, paired)
            spread = _non_anchor_median_ms(problem, self.at(batch), paired[self.rows[batch]])
            found, start, size = min(found, float(spread.min())), start + size, 2 * size
        done = np.sort(order[:start][bound[order[:start]] <= found + 2e-6])
        chosen = done[_rank(problem, self.at(done), paired[self.rows[done]])]
        return int(chosen), self.x[self.rows[chosen]], paired[self.rows[chosen]]

    def at(self, chosen: np.ndarray) -> tuple[_Candidates, np.ndarray]:
        """Some of the tied candidates, with their mapped echo onsets."""
        return self.cands.take(chosen), self.x[self.rows[chosen]]

    def _align(self, problem, first, last, chosen: np.ndarray, paired: np.ndarray) -> None:
        """Align the mappings of the ``chosen`` candidates not aligned yet, into ``paired``."""
        todo = np.unique(self.rows[chosen])
        todo = todo[paired[todo, 0] == -2]
        if todo.size:
            x = self.x[todo]
            _scores, paths = best_scores(problem, first[todo], last[todo], x, path=True)
            assert paths is not None
            paired[todo] = trace_back(paths)


def _median_bounds(
    problem: MatchProblem, tied: _Tied, first: np.ndarray, last: np.ndarray, hits: int
) -> np.ndarray:
    """Per tied candidate, a lower bound on the median |error| of its non-anchor hits: a hit's
    error is at least its call note's distance to the nearest echo note of its key in reach,
    and a candidate has at least ``hits`` less its anchors of equal keys non-anchor hits, so
    its median is at least that of as many of the smallest such distances."""
    columns = np.arange(problem.echo_on.size)
    reach = (first[:, :, None] <= columns) & (columns <= last[:, :, None])
    reach &= problem.call_key[None, :, None] == problem.echo_key[None, None, :]
    error = np.abs(tied.x[:, None, :] - problem.call_on[None, :, None])
    nearest = np.sort(np.where(reach, error, np.inf).min(axis=2), axis=1)[tied.rows]
    count = hits - _hit_anchors(problem, tied.cands)
    low = np.take_along_axis(nearest, (np.maximum(count, 1)[:, None] - 1) // 2, axis=1)
    high = np.take_along_axis(nearest, np.maximum(count, 1)[:, None] // 2, axis=1)
    return np.where(count > 0, (low[:, 0] + high[:, 0]) / 2.0, 0.0)


def _hit_anchors(problem: MatchProblem, cands: _Candidates) -> np.ndarray:
    """Per candidate, how many of its anchor pairs have equal keys (at most that many of its
    hits are anchors)."""
    equal = problem.call_key[cands.call_anchor] == problem.echo_key[cands.echo_anchor]
    second = cands.second_call >= 0
    also = np.zeros(equal.size, dtype=bool)
    also[second] = (
        problem.call_key[cands.second_call[second]] == problem.echo_key[cands.second_echo[second]]
    )
    return equal.astype(int) + also


def _distinct_mappings(problem: MatchProblem, cands: _Candidates) -> tuple[_Candidates, np.ndarray]:
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


def _most_hits(
    problem: MatchProblem, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, int]:
    """Indices of the candidates (given by their reach) with the most hits, and how many that
    is. Hits depend on the reach alone, so each distinct reach is counted once; counts are made
    in order of the hits bound, highest first, until no reach left can beat the best count."""
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
            return np.flatnonzero(hits[reach_of.ravel()] == best), best
        batch = np.flatnonzero(waiting & (bound == bound[waiting].max()))
        counts, _paths = best_scores(problem, first[batch], last[batch])
        hits[batch] = hits_of(problem, counts)
        best = max(best, int(hits[batch].max()))


def _rank(problem: MatchProblem, tied: tuple[_Candidates, np.ndarray], paired: np.ndarray) -> int:
    """The position of the best of candidates with equal hits (with their mapped echo onsets,
    and their pairings): by the median |error| of the hits that are not anchors, |log r|,
    the call anchor, the echo anchor, then the order they come in (candidate order)."""
    cands = tied[0]
    spread = _non_anchor_median_ms(problem, tied, paired)
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
    problem: MatchProblem, tied: tuple[_Candidates, np.ndarray], paired: np.ndarray
) -> np.ndarray:
    """Per candidate, the median |onset error| of its hits that are not anchor pairs (0 ms
    when every hit is an anchor: they fit exactly)."""
    cands, x = tied
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
