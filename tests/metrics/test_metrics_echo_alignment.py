"""The echo alignment against a brute-force reading of METRICS.md §2, on random small cases.

The reference enumerates every in-order matching of every candidate, keeps the maximal ones
(no call note and echo note within the tolerance of each other both left out between the same
two pairs) and takes the best by the rule's order, by plain Python loops.
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from soundness_live.metrics.echo_alignment import align_robustly
from soundness_live.metrics.echo_matching import align_echo

SLACK_MS = 1e-6


def in_order_matchings(allowed: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    found: list[list[tuple[int, int]]] = []

    def extend(chosen: list[tuple[int, int]], start: int) -> None:
        found.append(list(chosen))
        for index in range(start, len(allowed)):
            i, j = allowed[index]
            if not chosen or (i > chosen[-1][0] and j > chosen[-1][1]):
                extend([*chosen, (i, j)], index + 1)

    extend([], 0)
    return found


def is_maximal(pairs: list[tuple[int, int]], allowed: list[tuple[int, int]]) -> bool:
    calls, echoes = {i for i, _ in pairs}, {j for _, j in pairs}
    return not any(
        i not in calls
        and j not in echoes
        and all((i < a and j < b) or (i > a and j > b) for a, b in pairs)
        for i, j in allowed
    )


def reference_alignment(call_keys, call_on, echo_keys, echo_on, tolerance_ms):
    """(hits, substitutions, summed |error|) of the best maximal in-order matching."""
    allowed = [
        (i, j)
        for i in range(len(call_on))
        for j in range(len(echo_on))
        if abs(echo_on[j] - call_on[i]) <= tolerance_ms + SLACK_MS
    ]
    best = None
    for pairs in in_order_matchings(allowed):
        if is_maximal(pairs, allowed):
            hits = [(i, j) for i, j in pairs if call_keys[i] == echo_keys[j]]
            error = sum(abs(echo_on[j] - call_on[i]) for i, j in pairs)
            key = (-len(hits), len(pairs) - len(hits), error)
            if best is None or key < best[0]:
                best = (key, hits)
    assert best is not None
    return best


def reference_robust(call_keys, call_on, echo_keys, echo_on, tolerance_ms):
    """(hits, tempo ratio) of the best candidate by the rule's ranking."""
    n = len(call_on)
    echo_keys, echo_on = echo_keys[: 2 * n + 4], echo_on[: 2 * n + 4]
    m = len(echo_on)
    candidates = [(i, j, -1, -1, 1.0) for i in range(n) for j in range(m)]
    for (i, k), (j, second) in itertools.product(
        itertools.combinations(range(n), 2), itertools.combinations(range(m), 2)
    ):
        if call_on[k] > call_on[i]:
            ratio = (echo_on[second] - echo_on[j]) / (call_on[k] - call_on[i])
            if 0.5 <= ratio <= 2.0:
                candidates.append((i, j, k, second, ratio))
    ranked = []
    for index, (i, j, k, second, ratio) in enumerate(candidates):
        mapped = [call_on[i] + (t - echo_on[j]) / ratio for t in echo_on]
        _key, hits = reference_alignment(call_keys, call_on, echo_keys, mapped, tolerance_ms)
        anchors = ((i, j), (k, second))
        free = [abs(mapped[b] - call_on[a]) for a, b in hits if (a, b) not in anchors]
        spread = round(float(np.median(free)), 6) if free else 0.0
        ranked.append(((-len(hits), spread, round(abs(math.log(ratio)), 12), i, j, index), ratio))
    rank, ratio = min(ranked)
    return -rank[0], ratio


def random_case(rng: random.Random):
    n, m = rng.randint(1, 4), rng.randint(1, 7)
    call_on = sorted(rng.choice((0, 100, 200, 250, 500, 600, 1000)) for _ in range(n))
    echo_on = sorted(rng.uniform(0.0, 1500.0) for _ in range(m))
    call_keys = [rng.choice((1, 2, 3)) for _ in range(n)]
    echo_keys = [rng.choice((1, 2, 3)) for _ in range(m)]
    return call_keys, call_on, echo_keys, echo_on, rng.choice((50.0, 120.0, 300.0))


@pytest.mark.parametrize("seed", range(4))
def test_in_order_matching_equals_the_brute_force_reading(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        case = random_case(rng)
        (hits, subs, error), _pairs = reference_alignment(*case)
        got = align_echo(*case)
        call_on, echo_on = case[1], case[3]
        got_error = sum(abs(echo_on[j] - call_on[i]) for i, j in got.hits + got.substitutions)
        assert (len(got.hits), len(got.substitutions)) == (-hits, subs), case
        assert got_error == pytest.approx(error, abs=1e-6), case


@pytest.mark.parametrize("seed", range(4))
def test_candidate_search_equals_the_brute_force_reading(seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(40):
        case = random_case(rng)
        hits, ratio = reference_robust(*case)
        got = align_robustly(*case)
        assert (len(got.alignment.hits), got.tempo_ratio) == (hits, pytest.approx(ratio)), case


def ranked_by_matching_every_candidate(call_keys, call_on, echo_keys, echo_on, tolerance_ms):
    """(hits, ratio, anchors) of the best candidate, each one matched with ``align_echo``:
    no bound prunes anything."""
    n = len(call_on)
    echo_keys, echo_on = echo_keys[: 2 * n + 4], echo_on[: 2 * n + 4]
    m = len(echo_on)
    candidates = [((i, j),) for i in range(n) for j in range(m)]
    for (i, k), (j, second) in itertools.product(
        itertools.combinations(range(n), 2), itertools.combinations(range(m), 2)
    ):
        if call_on[k] > call_on[i]:
            ratio = (echo_on[second] - echo_on[j]) / (call_on[k] - call_on[i])
            if 0.5 <= ratio <= 2.0:
                candidates.append(((i, j), (k, second)))
    ranked = []
    for index, anchors in enumerate(candidates):
        (i, j), *rest = anchors
        ratio = 1.0
        if rest:
            ((k, second),) = rest
            ratio = (echo_on[second] - echo_on[j]) / (call_on[k] - call_on[i])
        mapped = [call_on[i] + (t - echo_on[j]) / ratio for t in echo_on]
        found = align_echo(call_keys, call_on, echo_keys, mapped, tolerance_ms)
        free = [
            abs(e)
            for pair, e in zip(found.hits, found.errors_ms, strict=True)
            if pair not in anchors
        ]
        spread = round(float(np.median(free)), 6) if free else 0.0
        key = (-len(found.hits), spread, round(abs(math.log(ratio)), 12), i, j, index)
        ranked.append((key, ratio, anchors))
    key, ratio, anchors = min(ranked)
    return -key[0], ratio, anchors


@pytest.mark.parametrize(
    ("keys", "tolerance_ms"), [((36,), 50.0), ((36, 38, 42), 50.0), ((36, 38, 42), 300.0)]
)
def test_the_pruned_search_ranks_as_matching_every_candidate(keys, tolerance_ms) -> None:
    rng = random.Random(len(keys) + int(tolerance_ms))
    call_on = [333.0 * k for k in range(6)]
    call_keys = [rng.choice(keys) for _ in call_on]
    echo_on = sorted(2600.0 + rng.uniform(0.0, 4000.0) for _ in range(16))
    echo_keys = [rng.choice(keys) for _ in echo_on]
    case = (call_keys, call_on, echo_keys, echo_on, tolerance_ms)
    hits, ratio, anchors = ranked_by_matching_every_candidate(*case)
    got = align_robustly(*case)
    assert (len(got.alignment.hits), got.tempo_ratio, got.anchors) == (hits, ratio, anchors)
