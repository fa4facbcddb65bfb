"""CPU time of scoring one call-and-response trial, worst cases first (METRICS.md §2).

The robust echo alignment tries every anchoring candidate: about n^2 (2n + 4)^2 / 4 of them
for an n-note call and a 2n + 4-note echo (the most it looks at). This times ``score_echo``
for the longest call the activity allows (``MAX_CALL_NOTES``) and for the built-in bank's
longest (8 notes), each against a full 2n + 4-note echo, in shapes that make the search work
hardest: one drum pad for everything (every candidate ties), random pads, random melodies,
the widest tolerance the activity takes, and calls with chords. Each case is timed three times
and costs the least of them; prints the median and the worst case's CPU milliseconds per trial
of each shape; the target is <= 50 ms per trial on a 2-core machine.
Run: ``python bench/bench_scoring.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soundness_live.activities.phrases import MAX_CALL_NOTES  # noqa: E402
from soundness_live.metrics.echo_alignment import echo_notes_considered  # noqa: E402
from soundness_live.metrics.sequences import score_echo  # noqa: E402

TARGET_MS = 50.0
WIDEST_TOLERANCE_MS = 500.0  # the activity's tolerance_ms maximum
PADS = (36, 38, 42, 45, 49)
MELODY = (60, 62, 64, 67, 69, 72)
Notes = list[tuple[float, int]]
Shape = Callable[[int, random.Random], tuple[Notes, Notes, str, float]]


def _even(n: int, ioi_ms: float, start_ms: float, keys: list[int]) -> Notes:
    return [(start_ms + ioi_ms * k, keys[k]) for k in range(n)]


def one_pad(n: int, rng: random.Random) -> tuple[Notes, Notes, str, float]:
    """A call and an echo on a single pad, the echo a little faster: every candidate ties."""
    call = _even(n, 333.0, 0.0, [36] * n)
    echo = _even(echo_notes_considered(n), 300.0 + rng.uniform(-20, 20), n * 333.0 + 600, [36] * 64)
    return call, echo, "drum_group", 50.0


def random_pads(n: int, rng: random.Random) -> tuple[Notes, Notes, str, float]:
    """Random pads, the echo's notes at random times over twice the call's length."""
    call = _even(n, 333.0, 0.0, [rng.choice(PADS) for _ in range(n)])
    span = 2 * n * 333.0
    echo = sorted(
        (n * 333.0 + 600 + rng.uniform(0, span), rng.choice(PADS))
        for _ in range(echo_notes_considered(n))
    )
    return call, echo, "drum_group", 50.0


def random_melody(n: int, rng: random.Random) -> tuple[Notes, Notes, str, float]:
    """A melody in eighths and quarters, echoed at a random tempo with notes changed."""
    onsets = np.cumsum([0.0] + [rng.choice((333.0, 667.0)) for _ in range(n - 1)])
    call = [(float(t), rng.choice(MELODY)) for t in onsets]
    ratio = rng.uniform(0.6, 1.8)
    echo = [(onsets[-1] + 800 + ratio * t, k if rng.random() < 0.7 else 71) for t, k in call]
    extra = echo_notes_considered(n) - n
    echo += [(onsets[-1] + 800 + rng.uniform(0, ratio * onsets[-1]), 74) for _ in range(extra)]
    return call, sorted(echo), "exact", 50.0


def wide_tolerance(n: int, rng: random.Random) -> tuple[Notes, Notes, str, float]:
    """Random pads scored with the widest tolerance: every call note reaches many echo notes."""
    call, echo, match, _tolerance = random_pads(n, rng)
    return call, echo, match, WIDEST_TOLERANCE_MS


def chords(n: int, rng: random.Random) -> tuple[Notes, Notes, str, float]:
    """A call of two-note chords (a therapist's), echoed loosely with chords too."""
    call = sorted((333.0 * (k // 2), rng.choice(MELODY)) for k in range(n))
    echo = sorted(
        (n * 333.0 + 600 + 360.0 * (k // 2) + rng.uniform(-30, 30), rng.choice(MELODY))
        for k in range(echo_notes_considered(n))
    )
    return call, echo, "exact", 50.0


SHAPES: dict[str, Shape] = {
    "one pad": one_pad,
    "random pads": random_pads,
    "random melody": random_melody,
    "wide tolerance": wide_tolerance,
    "chords": chords,
}


def time_shape(shape: Shape, n: int, repeats: int, tries: int = 3) -> list[float]:
    """CPU ms of ``score_echo`` on ``repeats`` cases of ``shape`` (after one warm-up), each
    the least of ``tries`` runs: what the case costs, without the other processes' noise."""
    costs = []
    for seed in range(repeats + 1):
        call, echo, match, tolerance = shape(n, random.Random(seed))
        call_end = call[-1][0] + 200.0
        runs = []
        for _try in range(tries):
            start = time.process_time()
            score_echo(call, echo, call_end_ms=call_end, tolerance_ms=tolerance, match=match)
            runs.append(1000.0 * (time.process_time() - start))
        costs.append(min(runs))
    return costs[1:]


def main(argv: list[str] | None = None) -> int:
    """Print CPU ms per trial for each shape; return 1 if the worst misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    worst = 0.0
    for n in (MAX_CALL_NOTES, 8):
        print(f"{n}-note call, {echo_notes_considered(n)}-note echo:")
        for name, shape in SHAPES.items():
            costs = time_shape(shape, n, args.repeats)
            worst = max(worst, max(costs))
            print(f"  {name:15s} median {np.median(costs):5.1f} ms, worst {max(costs):5.1f} ms CPU")
    print(f"worst per trial: {worst:.1f} ms CPU (target <= {TARGET_MS:g} ms)")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
