"""How long each kind of trouble takes to reach its line on the therapist's screen.

The real screen (SDL dummy video, 30 fps) attached to a real engine through its connection:

- no sound output: an engine whose ``auto`` output found no device (SDL's driver set to one
  that does not exist, so the null output is what is left), from the screen's first frame;
- no microphone: a vocal activity with live input chosen on the screen, from that tap;
- a MIDI input that failed: its status turned to ``failed: ...`` inside the engine;
- an engine that stopped answering: the engine process stopped (SIGSTOP);
- an engine that went away: the engine process killed (SIGKILL).

Each is repeated ``--rounds`` times; the table gives the median and the worst, in ms, from the
moment the trouble began to the first frame that drew its line. The engine's snapshot rate is
its default (4 a second) unless ``--snapshot-hz``.

Run: ``python bench/bench_trouble.py [--rounds 5]`` or ``soundness-live bench trouble``.
Linux or macOS (it stops and kills a process with signals).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BASE_ARGS = ["--synth", "none", "--midi", "none"]


def _home() -> Path:
    from soundness_live.store.records import Store

    home = Path(tempfile.mkdtemp(prefix="sl-bench-trouble-"))
    os.chmod(home, 0o700)
    with Store.open(home / "soundness.db") as store:
        store.add_child({"code": "S-014"})
    return home


@contextmanager
def _screen(engine_args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[Any]:
    """An engine process and the therapist's screen attached to it: (app, process)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from soundness_live.live.client import EngineClient, start_engine
    from soundness_live.ui.app import TherapistApp

    home = _home()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        process = start_engine(home, list(engine_args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        client = _attach(EngineClient, home)
        app = TherapistApp(client, size=(1024, 768))
        app.load_catalog()
        yield app, process
        app.close()
        client.close()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        process.wait(timeout=10)
        shutil.rmtree(home)


def _attach(cls: Any, home: Path) -> Any:
    deadline = time.monotonic() + 20.0
    while True:
        try:
            return cls.connect(home)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _until_shown(app: Any, headline: str, since_s: float, timeout_s: float = 15.0) -> float:
    """ms from ``since_s`` to the end of the first frame that drew ``headline``."""
    from soundness_live.ui.screens import troubles

    while True:
        app.frame()
        if any(line[0] == headline for line in troubles(app.view)):
            return (time.monotonic() - since_s) * 1000.0
        if time.monotonic() - since_s > timeout_s:
            raise TimeoutError(f"{headline!r} never shown: {troubles(app.view)}")


def no_sound_output(snapshot_hz: float) -> float:
    """The output fell back to null: shown on the screen's first frames after it attached."""
    from soundness_live.ui.screens import troubles

    env = {"SDL_AUDIODRIVER": "no-such-driver"}
    args = ["--audio", "auto", "--synth", "auto", "--midi", "none", "--snapshot-hz",
            str(snapshot_hz)]  # fmt: skip
    with _screen(args, env) as (app, _):
        shown = _until_shown(app, "NO SOUND OUTPUT", time.monotonic())
        detail = dict(troubles(app.view))["NO SOUND OUTPUT"]
        if not detail.startswith("no audio output could be opened"):
            raise RuntimeError(f"the output did not fall back to null here: {detail}")
        return shown


def no_microphone(snapshot_hz: float) -> float:
    """Vocal prompts with live input chosen (a tap) on an engine that found no microphone."""
    with _screen(["--audio", "null", "--snapshot-hz", str(snapshot_hz), *BASE_ARGS]) as (app, _):
        _settle(app, lambda: app.view.state.get("microphone") is not None)
        if str(app.view.state["microphone"]).startswith("ok"):
            raise RuntimeError("this machine has a microphone: nothing to measure")
        began = time.monotonic()
        app.act("activity:vocal-prompts")
        if not app.view.live_input:
            app.act("input")
        return _until_shown(app, "NO MICROPHONE", began)


def engine_stopped(snapshot_hz: float) -> float:
    """The engine process stopped (SIGSTOP): no snapshot, no answer."""
    with _screen(["--audio", "null", "--snapshot-hz", str(snapshot_hz), *BASE_ARGS]) as (
        app,
        process,
    ):
        _settle(app, lambda: bool(app.view.state))
        began = time.monotonic()
        os.kill(process.pid, signal.SIGSTOP)
        return _until_shown(app, "ENGINE NOT ANSWERING", began)


def engine_gone(snapshot_hz: float) -> float:
    """The engine process killed (SIGKILL): its connection closes."""
    with _screen(["--audio", "null", "--snapshot-hz", str(snapshot_hz), *BASE_ARGS]) as (
        app,
        process,
    ):
        _settle(app, lambda: bool(app.view.state))
        began = time.monotonic()
        os.kill(process.pid, signal.SIGKILL)
        return _until_shown(app, "ENGINE CONNECTION LOST", began)


class _FailingInput:
    """A MIDI input whose status the bench turns to failed (what a dead input thread says).

    It follows the engine's MIDI input protocol (``live.midi_watch.EngineMidiInput``), which the
    engine checks when it is given one: a member the protocol gains fails this bench at once.
    """

    status = "ok: 1 MIDI input(s) (bench)"
    malformed = 0
    flood_dropped = 0
    failures = 0

    def revive(self) -> list[str]:
        """No thread of its own to start again."""
        return []

    def stop(self) -> None:
        """Nothing to stop."""


def midi_failed(snapshot_hz: float) -> float:
    """A MIDI input's status turns to ``failed: ...`` in an engine served in this process."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from soundness_live.live.client import EngineClient
    from soundness_live.live.engine import Engine, EngineOptions
    from soundness_live.live.server import EngineServer
    from soundness_live.ui.app import TherapistApp

    home = _home()
    engine = Engine(EngineOptions(home, audio="null", synth="none", midi="none",
                                  snapshot_hz=snapshot_hz))  # fmt: skip
    server = EngineServer(engine, home, snapshot_hz).open()
    engine.start()
    midi = _FailingInput()
    engine.use_midi_input(midi)
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    try:
        client = EngineClient.connect(home)
        app = TherapistApp(client, size=(1024, 768))
        app.load_catalog()
        _settle(app, lambda: bool(app.view.state))
        began = time.monotonic()
        midi.status = "failed: the input thread for 'bench keyboard' stopped"
        shown = _until_shown(app, "MIDI INPUT FAILED", began)
        app.close()
        client.close()
        return shown
    finally:
        server.stop_soon()
        serving.join(timeout=10)
        shutil.rmtree(home)


def _settle(app: Any, condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    app.frame()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen never got the engine's state")
        app.frame()
    for _ in range(5):
        app.frame()


CASES = {
    "no sound output": no_sound_output,
    "no microphone": no_microphone,
    "MIDI input failed": midi_failed,
    "engine not answering": engine_stopped,
    "engine connection lost": engine_gone,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each case ``--rounds`` times; print a table and one JSON line."""
    parser = argparse.ArgumentParser(prog="bench_trouble", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--snapshot-hz", type=float, default=4.0)
    parser.add_argument("--seconds", type=float, help="ignored (the CLI's smoke test passes it)")
    args = parser.parse_args(argv)
    logging.getLogger("soundness_live").setLevel(logging.ERROR)  # the in-process engine's
    from soundness_live.ui.widgets import silent_limit_s

    limit_s = silent_limit_s({"snapshot_hz": args.snapshot_hz})
    print(f"engine silence allowed: {limit_s:g} s; snapshots {args.snapshot_hz:g} a second")
    print(f"{'trouble':24} {'median ms':>10} {'worst ms':>10}")
    figures: dict[str, list[float]] = {}
    for name, case in CASES.items():
        try:
            figures[name] = [case(args.snapshot_hz) for _ in range(args.rounds)]
        except RuntimeError as error:  # e.g. a microphone present: nothing to measure
            print(f"{name:24} skipped: {error}")
            continue
        times = figures[name]
        print(f"{name:24} {statistics.median(times):10.0f} {max(times):10.0f}")
    print(json.dumps({name: [round(t, 1) for t in times] for name, times in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
