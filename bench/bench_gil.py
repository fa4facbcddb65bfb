"""Does a pygame UI starve the audio callback? Three cases in one run, on a private JACK server.

The engine's audio path (Renderer + SoundFont synth with held notes, through sounddevice on
JACK's dummy driver) runs for ``--seconds`` in each case:

1. baseline: the engine alone, no UI anywhere;
2. design: the engine in its own process, the therapist UI (60 fps, SDL dummy video) in another;
3. same process: the UI loop in the engine's process (the callback competes for the GIL).

Cases run interleaved in ``--rounds`` rounds (a shared machine's load drifts). For each:
under-runs (PortAudio output under-flows, plus callbacks that came more than one
period late) and callback lateness p50/p99/max (each callback's time against the schedule the
earliest callbacks set), and the UI's own CPU time per frame. Non-realtime jackd on shared
cores logs some xruns even idle, so the cases are compared with each other, never with zero.
Target: the design no worse than baseline.

The UI shows the beat pulse (it moves every frame) unless ``--ui-scene still`` (nothing moves:
what an idle therapist screen costs); ``--ui-fps`` changes the 60 fps the issue specifies.

Run: ``python bench/bench_gil.py [--seconds 60] [--period 128] [--voices 8]`` or
``soundness-live bench gil``. Needs jackd (Debian: jackd2) and libportaudio2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CASES = (("baseline", "engine alone"), ("design", "UI in another process"),
         ("same", "UI in the engine's process"))  # fmt: skip


class TimedSource:
    """Wraps the renderer: stamps each callback into a preallocated array (no allocation)."""

    def __init__(self, renderer: Any, capacity: int) -> None:
        self.renderer = renderer
        self.stamps = np.zeros(capacity, dtype=np.float64)
        self.count = 0

    @property
    def frame(self) -> int:
        """The renderer's frame counter."""
        return self.renderer.frame

    def render_into(self, out: np.ndarray) -> None:
        """Stamp, then render."""
        if self.count < len(self.stamps):
            self.stamps[self.count] = time.monotonic()
            self.count += 1
        self.renderer.render_into(out)


def lateness_ms(stamps: np.ndarray, period_s: float, window: int = 375) -> np.ndarray:
    """Each callback's lateness (ms, >= 0) against its own recent schedule: the earliest
    ``time - n * period`` over the last ``window`` callbacks (so a slow drift of the dummy
    driver's clock is not counted as lateness)."""
    offset = stamps - np.arange(len(stamps)) * period_s
    padded = np.concatenate([np.full(window - 1, np.inf), offset])
    recent_min = np.lib.stride_tricks.sliding_window_view(padded, window).min(axis=1)
    return (offset - recent_min) * 1000.0


def _audio_worker(args: argparse.Namespace) -> None:
    from soundness_live.audio.backends import open_output
    from soundness_live.core.events import NoteOn
    from soundness_live.live.engine_setup import make_renderer

    renderer, _ = make_renderer("auto", args.soundfont, args)
    for i in range(args.voices):  # held notes: the synth does real work in every block
        renderer.push(NoteOn(0, i % 8, 48 + 3 * i, 80), True)
    source = TimedSource(renderer, int(args.seconds * args.sample_rate / args.period) + 10000)
    output = open_output(source, "sounddevice", "JACK", args.period, args.sample_rate)
    output.start()
    ui = _ui_loop(args.seconds, args.ui_fps, args.ui_scene, time.thread_time) if args.ui else None
    if ui is None:
        time.sleep(args.seconds)
    output.stop()
    warm_up = int(0.5 * args.sample_rate / args.period)  # the synth's first blocks are slow
    stamps = source.stamps[warm_up : source.count]
    late = lateness_ms(stamps, args.period / args.sample_rate)
    period_ms = 1000.0 * args.period / args.sample_rate
    print(json.dumps({
        "callbacks": int(source.count),
        "underflows": int(output.underruns),
        "missed": int(np.sum(np.diff(stamps) * 1000.0 > 2 * period_ms)),
        "late_ms": [round(float(x), 3) for x in late],
        "ui": ui,
    }))  # fmt: skip


STILL = {"cue": {"cue": "listen"}}  # a cue without a beat: nothing on the screen moves


def _ui_loop(
    seconds: float, fps: int, scene: str, cpu_s: Any, report: bool = False
) -> dict[str, float]:
    """The therapist screen redrawn at ``fps`` for ``seconds`` (SDL dummy video); its frames
    and CPU seconds (``cpu_s``: the clock to read), printed each second when ``report``."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from soundness_live.ui.app import TherapistApp, lower_priority
    from tests.ui.test_ui import FakeEngine

    if os.environ.get("SL_BENCH_UI_PROCESS"):
        lower_priority()  # what 'soundness-live run' does once the engine is up
    engine = FakeEngine()
    if scene == "still":
        engine.state = dict(engine.state, **STILL)
    app = TherapistApp(engine, fps=fps)
    app.load_catalog()
    app.run(max_frames=5)  # fonts loaded and the first full frame drawn before timing
    figures = {"frames": 0.0, "cpu_s": 0.0}
    start_cpu_s, start_s = cpu_s(), time.monotonic()
    while time.monotonic() - start_s < seconds:
        app.frame()
        figures["frames"] += 1
        if report and figures["frames"] % fps == 0:
            figures["cpu_s"] = cpu_s() - start_cpu_s
            print(json.dumps(figures), flush=True)
    figures["cpu_s"] = cpu_s() - start_cpu_s
    app.close()
    return figures


def _run_case(case: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "audio"]
    command += ["--seconds", str(args.seconds), "--period", str(args.period)]
    command += ["--voices", str(args.voices)] + (["--ui"] if case == "same" else [])
    command += ["--ui-fps", str(args.ui_fps), "--ui-scene", args.ui_scene]
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(ROOT))
    ui = None
    if case == "design":
        ui_command = [sys.executable, str(Path(__file__).resolve()), "--worker", "ui"]
        ui_command += ["--seconds", str(args.seconds + 3), "--ui-fps", str(args.ui_fps)]
        ui_command += ["--ui-scene", args.ui_scene]
        ui_env = dict(env, SL_BENCH_UI_PROCESS="1")
        ui = subprocess.Popen(ui_command, env=ui_env, stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the UI is drawing before the audio starts
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        if ui is not None:
            ui.kill()
            ui_lines = ui.communicate()[0].strip().splitlines()
    if done.returncode != 0:
        raise RuntimeError(f"{case} worker failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if ui is not None:  # the UI process's last report before it was stopped
        result["ui"] = json.loads(ui_lines[-1]) if ui_lines else None
    return result


def _merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    late = np.concatenate([np.asarray(r["late_ms"]) for r in rounds])
    return {
        "callbacks": sum(r["callbacks"] for r in rounds),
        "underflows": sum(r["underflows"] for r in rounds),
        "missed": sum(r["missed"] for r in rounds),
        "p50_ms": float(np.percentile(late, 50)),
        "p99_ms": float(np.percentile(late, 99)),
        "max_ms": float(late.max()),
        "ui_ms_per_frame": _ui_ms_per_frame([r.get("ui") for r in rounds]),
    }


def _ui_ms_per_frame(figures: list[dict[str, float] | None]) -> float | None:
    """The UI's CPU milliseconds per frame over all rounds (None without a UI)."""
    found = [f for f in figures if f and f["frames"]]
    if not found:
        return None
    return 1000.0 * sum(f["cpu_s"] for f in found) / sum(f["frames"] for f in found)


def _table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    period_ms = 1000.0 * args.period / args.sample_rate
    lines = [
        f"GIL bench: {args.seconds:g} s per case in {args.rounds} interleaved rounds, JACK dummy "
        f"{args.period} frames ({period_ms:.2f} ms) at {args.sample_rate} Hz, "
        f"{args.voices} held voices, UI {args.ui_fps} fps ({args.ui_scene})",
        f"{'case':32} {'callbacks':>9} {'underflow':>9} {'missed':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} {'UI ms/frame':>11}",
    ]
    for case, label in CASES:
        r = results[case]
        ui = "-" if r["ui_ms_per_frame"] is None else f"{r['ui_ms_per_frame']:.3f}"
        lines.append(
            f"{case + ': ' + label:32} {r['callbacks']:>9} {r['underflows']:>9} {r['missed']:>7} "
            f"{r['p50_ms']:>7.3f} {r['p99_ms']:>7.3f} {r['max_ms']:>8.2f} {ui:>11}"
        )
    base, design = results["baseline"], results["design"]
    ok = design["underflows"] <= 1.5 * base["underflows"] + 5 and design["p99_ms"] <= max(
        1.5 * base["p99_ms"], base["p99_ms"] + period_ms
    )
    verdict = "meets" if ok else "MISSES"
    lines.append(f"design vs baseline: {verdict} the target (no worse than the idle baseline)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The bench's options."""
    parser = argparse.ArgumentParser(prog="soundness-live bench gil", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="per case (default 60)")
    parser.add_argument("--period", type=int, default=128, choices=(64, 128, 256))
    parser.add_argument("--voices", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleave the cases (shared machines drift)"
    )
    parser.add_argument("--sample-rate", type=int, default=48_000)
    parser.add_argument("--ui-fps", type=int, default=60, help="UI frame-rate cap (default 60)")
    parser.add_argument(
        "--ui-scene", choices=("beat", "still"), default="beat", help="what the screen shows"
    )
    parser.add_argument("--soundfont", type=Path)
    parser.add_argument("--worker", choices=("audio", "ui"), help=argparse.SUPPRESS)
    parser.add_argument("--ui", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three cases and print the table (or run one worker process)."""
    args = build_parser().parse_args(argv)
    if args.worker == "audio":
        _audio_worker(args)
        return 0
    if args.worker == "ui":
        _ui_loop(args.seconds, args.ui_fps, args.ui_scene, time.process_time, report=True)
        return 0
    if shutil.which("jackd") is None:
        print("bench gil needs jackd (apt-get install jackd2)")
        return 2
    from tests.jackserver import jack_server

    per_round = argparse.Namespace(**{**vars(args), "seconds": args.seconds / args.rounds})
    rounds: dict[str, list[dict[str, Any]]] = {case: [] for case, _ in CASES}
    with jack_server(args.period, args.sample_rate):
        for _ in range(args.rounds):
            for case, _label in CASES:
                rounds[case].append(_run_case(case, per_round))
    results = {case: _merge(found) for case, found in rounds.items()}
    print(_table(results, args))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
