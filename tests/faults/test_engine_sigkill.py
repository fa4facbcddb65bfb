"""The engine process SIGKILLed at 20 seeded points of a session loses nothing it reported.

Each point runs a fresh engine (no audio device, no synth, no MIDI: a virtual child plays, so a
trial takes a few tenths of a second), opens a session with a go/no-go waiting game, and kills
the engine a seeded time later; at some points the therapist has stopped the activity and
started a second one meanwhile, so the kill lands in the second activity or between the two.
After each kill: every trial the engine reported to its client is in the store, in order with
no gaps, the session is marked interrupted, and SQLite's integrity check passes. The points
are drawn from one fixed seed, so every run kills at the same moments; four run at a time.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from soundness_live.live.client import start_engine
from soundness_live.store.records import Store
from tests.live.test_engine_process import ENGINE_ARGS, _attach, _home, _stop, _wait_for

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

SEED = 1010
POINTS = 20
QUICK_GO_NO_GO = {  # about 0.4 s a trial
    "variant": "go-no-go",
    "trials": 200,
    "lead_in_ms": 0,
    "gap_ms": 0,
    "foreperiod_ms": 100,
    "wait_step_ms": 0,
    "jitter_pct": 0,
    "response_window_ms": 300,
}


@dataclass(frozen=True)
class KillPoint:
    """When to kill: ``after_s`` after the session's first activity started; with
    ``second_at_s`` set, the activity is stopped then and another one started."""

    after_s: float
    second_at_s: float | None


def kill_points(seed: int = SEED, count: int = POINTS) -> list[KillPoint]:
    """The seeded points: kill times spread over 0.1 to 2.5 s, a third with two activities."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        after_s = round(rng.uniform(0.1, 2.5), 3)
        second = round(rng.uniform(0.0, after_s), 3) if rng.random() < 1 / 3 else None
        points.append(KillPoint(after_s, second))
    return points


def kill_once(point: KillPoint) -> tuple[int, int]:
    """Run one session, SIGKILL the engine at ``point``, check the store: (reported, found)."""
    home = _home()
    try:
        return _kill_once(home, point)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _kill_once(home: Path, point: KillPoint) -> tuple[int, int]:
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        start = {"activity": "waiting", "params": QUICK_GO_NO_GO, "child": "S-014",
                 "input": "virtual"}  # fmt: skip
        client.request("start_activity", **start)
        began = time.monotonic()
        if point.second_at_s is not None:
            time.sleep(point.second_at_s)
            client.request("stop")
            client.request("start_activity", **dict(start, seed=1))
        time.sleep(max(0.0, point.after_s - (time.monotonic() - began)))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        _wait_for(lambda: client.closed)
        reported = [trial["index"] for trial in client.trials]
        session_id = client.state["session_id"]
        client.close()
    finally:
        _stop(process)
    assert process.returncode == -signal.SIGKILL
    with Store.open(home / "soundness.db") as store:
        found = [trial["index"] for trial in store.trials(session_id)]
        assert set(reported) <= set(found), (point, reported, found)
        assert found == list(range(len(found)))  # nothing half-written, no gaps
        (row,) = store.sessions("S-014")
        assert row["status"] == "interrupted"
        assert store.integrity_check() == "ok"
    return len(reported), len(found)


def test_sigkill_at_twenty_seeded_points_loses_no_reported_trial() -> None:
    points = kill_points()
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(kill_once, points))
    print("\nSIGKILL | after s | second activity at s | trials reported | trials found")
    for number, (point, (reported, found)) in enumerate(zip(points, counts, strict=True), 1):
        second = f"{point.second_at_s:.3f}" if point.second_at_s is not None else "-"
        print(f"{number:7d} | {point.after_s:7.3f} | {second:>20} | {reported:15d} | {found:12d}")
    reported_total = sum(r for r, _ in counts)
    found_total = sum(f for _, f in counts)
    print(f"SIGKILLs {len(points)} / trials reported {reported_total} / found {found_total}")
    assert len(points) == POINTS
