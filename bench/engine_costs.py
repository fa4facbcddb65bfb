"""The engine process with a count of what serving its clients costs it, for bench remote.

``python bench/engine_costs.py COSTS_FILE ENGINE_ARGS...`` runs the engine as
``python -m soundness_live.live.process ENGINE_ARGS...`` does, and counts, on the thread that
does each: the state snapshots built (``Engine.snapshot``), the messages encoded for clients
(the server's ``encode``) and the commands carried out (the server's ``handle``, by name).
Each is timed in the thread's CPU time, which for this pure Python work is how long it held
the GIL (the audio callback, Python too, waits for it), and in wall time (which adds what the
thread waited for a CPU meanwhile, still holding the GIL, or for the GIL after a file read).
A piece of work inside another (a ``snapshot`` command builds a snapshot) is counted in both,
but only once in ``held``: the outermost pieces, with a histogram of their lengths.
Every 0.25 s the counts are written to COSTS_FILE (JSON, replaced whole), so a bench reads
them before and after a case and takes the difference.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Upper edges (ms) of the histogram of the outermost pieces' CPU time.
HOLD_EDGES_MS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
WRITE_EVERY_S = 0.25


class Costs:
    """Counts and times of the engine's serving work, by kind."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, cpu, wall, bytes
        self.held = [0, 0, 0]  # outermost pieces: n, cpu ns, wall ns
        self.histogram = [0] * (len(HOLD_EDGES_MS) + 1)
        self.depth = threading.local()

    def timed(self, kind_of: Any, work: Any) -> Any:
        """``work`` wrapped: each call counted under ``kind_of(args)``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self.depth, "n", 0)
            self.depth.n = depth + 1
            cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
            try:
                result = work(*args, **kwargs)
            finally:
                cpu, wall = time.thread_time_ns() - cpu0, time.perf_counter_ns() - wall0
                self.depth.n = depth
                self.add(kind_of(args), cpu, wall, depth == 0, result_bytes(result))
            return result

        return wrapper

    def add(self, kind: str, cpu_ns: int, wall_ns: int, outermost: bool, size: int) -> None:
        """Count one piece of work (``size``: the bytes it encoded)."""
        with self.lock:
            row = self.kinds[kind]
            row[0] += 1
            row[1] += cpu_ns
            row[2] += wall_ns
            row[3] += size
            if outermost:
                self.held[0] += 1
                self.held[1] += cpu_ns
                self.held[2] += wall_ns
                cpu_ms = cpu_ns / 1e6
                self.histogram[sum(cpu_ms > edge for edge in HOLD_EDGES_MS)] += 1

    def as_json(self) -> str:
        """The counts so far, and the process's CPU time."""
        with self.lock:
            return json.dumps(
                {"kinds": dict(self.kinds), "held": self.held, "histogram": self.histogram,
                 "edges_ms": HOLD_EDGES_MS, "cpu_s": time.process_time()}
            )  # fmt: skip


def result_bytes(result: Any) -> int:
    """The size of an encoded message (0 for anything else)."""
    return len(result) if isinstance(result, bytes) else 0


def install(costs: Costs) -> None:
    """Wrap the engine's snapshot, the server's encode and handle."""
    from soundness_live.live import server
    from soundness_live.live.engine import Engine

    Engine.snapshot = costs.timed(lambda args: "snapshot", Engine.snapshot)  # type: ignore[method-assign]
    server.encode = costs.timed(lambda args: f"encode {args[0].get('type')}", server.encode)
    server.handle = costs.timed(lambda args: f"command {args[1].get('type')}", server.handle)


def keep_writing(costs: Costs, path: Path) -> None:
    """Replace ``path`` with the counts every :data:`WRITE_EVERY_S`."""
    partial = path.with_suffix(".partial")
    while True:
        partial.write_text(costs.as_json(), encoding="utf-8")
        os.replace(partial, path)
        time.sleep(WRITE_EVERY_S)


def main(argv: list[str]) -> int:
    """Count, then run the engine process with the rest of ``argv``."""
    costs = Costs()
    install(costs)
    threading.Thread(
        target=keep_writing, args=(costs, Path(argv[0])), name="costs", daemon=True
    ).start()
    from soundness_live.live.process import main as engine_main

    return int(engine_main(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
