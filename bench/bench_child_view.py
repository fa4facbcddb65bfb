"""What the child's view costs the machine it shares with the engine: CPU per second of showing.

The view (``soundness-live child-view``) is drawn at its 30 fps cap for ``--seconds`` in each
scene, at 1920x1080 and 800x1280 on SDL's dummy video driver (the drawing, not a display's
own cost): a still picture (wait: nothing moves), the beat's pulse (its square redrawn every
frame), the countdown between plan steps (its slice empties every frame), and a new cue every
two seconds (each fading in over 26 frames, the whole window blended each frame). Snapshots
come from a stand-in engine, so only the view's own work is timed. For each: frames a second
reached, the share of frames that drew anything, CPU time as a share of one core, and CPU
time per frame. Snapshots come ten times a second, as the engine sends them.

Run: ``python bench/bench_child_view.py [--seconds 10]`` or ``soundness-live bench child-view``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = ((1920, 1080), (800, 1280))
SNAPSHOT_HZ = 10.0
SCENES = ("still", "pulse", "countdown", "new cue every 2 s")
CHANGING = ("wait", "listen", "your_turn-drum_pad", "go", "stop", "done-success")


class StandInEngine:
    """The engine as the view's client sees it, speaking all the time."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.closed = False
        self.last_message_s = time.monotonic()


def _state(scene: str, examples: dict[str, dict[str, Any]], elapsed_s: float) -> dict[str, Any]:
    if scene == "still":
        return examples["wait"]
    if scene == "pulse":
        return examples["beat"]
    if scene == "countdown":  # a minute's countdown, its seconds left as the engine sends them
        plan = {"countdown_s": max(0.0, 60.0 - elapsed_s), "countdown_total_s": 60.0}
        return dict(examples["countdown"], plan=plan)
    return examples[CHANGING[int(elapsed_s / 2.0) % len(CHANGING)]]


def measure(scene: str, size: tuple[int, int], seconds: float) -> dict[str, float]:
    """Show ``scene`` at ``size`` for ``seconds``: fps, CPU % of a core, ms CPU a drawn frame."""
    from soundness_live.ui.child.app import ChildView
    from soundness_live.ui.child.placement import Placement
    from soundness_live.ui.child.screenshots import EXAMPLES

    examples = {name: dict(state, snapshot_hz=SNAPSHOT_HZ) for name, state in EXAMPLES}
    engine = StandInEngine(_state(scene, examples, 0.0))
    view = ChildView(engine, Placement(size=size), fps=30)
    view.run(max_frames=30)  # past the first fade
    frames, drawn, snapshot_s = 0, view.frames_drawn, -1.0
    wall_start, cpu_start = time.monotonic(), time.process_time()
    while (elapsed_s := time.monotonic() - wall_start) < seconds:
        if elapsed_s - snapshot_s >= 1.0 / SNAPSHOT_HZ:  # a new snapshot, as the engine sends
            engine.state = dict(_state(scene, examples, elapsed_s))
            engine.last_message_s, snapshot_s = time.monotonic(), elapsed_s
        view.frame()
        frames += 1
    wall_s, cpu_s = time.monotonic() - wall_start, time.process_time() - cpu_start
    drawn = view.frames_drawn - drawn
    view.close()
    return {
        "fps": frames / wall_s,
        "cpu_pct": 100.0 * cpu_s / wall_s,
        "ms_per_frame": 1000.0 * cpu_s / frames,
        "drawn_pct": 100.0 * drawn / frames,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="bench child-view", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per scene and size")
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    print(f"load average {os.getloadavg()[0]:.2f} (1 min); {args.seconds:g} s a scene, 30 fps cap")
    print(f"{'scene':<20} {'size':>9} {'fps':>6} {'drew %':>7} {'CPU % core':>11} "
          f"{'ms CPU/frame':>13}")  # fmt: skip
    for width, height in SIZES:
        for scene in SCENES:
            row = measure(scene, (width, height), args.seconds)
            print(f"{scene:<20} {f'{width}x{height}':>9} {row['fps']:>6.1f} "
                  f"{row['drawn_pct']:>7.0f} {row['cpu_pct']:>11.1f} "
                  f"{row['ms_per_frame']:>13.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
