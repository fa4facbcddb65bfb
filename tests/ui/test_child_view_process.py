"""The child's view as a process of its own against a real engine: it shows the cues the
engine sends, waits on the calm neutral screen while the engine is away and shows its cues
again once the engine is started again; ``run --child-view`` starts it beside the
therapist's screen and stops it with the screen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest

from soundness_live.activities.contract import Cue
from soundness_live.audio.private_file import write_private_bytes
from soundness_live.commands.child_view_command import start_child_view, stop_child_view
from soundness_live.live.client import EngineClient, start_engine
from soundness_live.live.process import stop_engine
from soundness_live.plans.library import save_plan
from soundness_live.plans.plan import Plan
from soundness_live.ui.child.calm import INK
from soundness_live.ui.child.draw import Words, render
from soundness_live.ui.child.looks import BACKGROUNDS, COUNTDOWN, NEUTRAL, picture_box
from soundness_live.ui.child.screenshots import settled_look
from tests.live.test_engine_plans import steps
from tests.live.test_engine_process import ENGINE_ARGS, QUICK_WAIT, _attach, _stop
from tests.processes import child_processes

SIZE = (480, 270)
SLOW_WAIT = dict(QUICK_WAIT, trials=2, foreperiod_ms=1500, response_window_ms=2000)


@pytest.fixture()
def headless_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes started from here draw on SDL's dummy video driver."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _pixels(path: Path) -> tuple[tuple[int, int, int], bytes]:
    image = pygame.image.load(str(path))
    return tuple(image.get_at((2, 2)))[:3], pygame.image.tobytes(image, "RGB")  # type: ignore[return-value]


def test_the_view_shows_the_engines_cues_and_waits_calmly_for_an_engine_started_again(
    headless_env: None, engine_home: Path, tmp_path: Path
) -> None:
    shots = tmp_path / "shown"
    engine = start_engine(engine_home, ENGINE_ARGS)
    view = None
    try:
        client = _attach(engine_home)
        view = start_child_view(
            engine_home, ["--size", "{}x{}".format(*SIZE), "--save-pictures", str(shots)]
        )
        _wait_for(lambda: any(shots.glob("*-neutral.png")), 20, "the view's first picture")
        client.request("start_activity", activity="waiting", params=SLOW_WAIT, input="virtual")
        _wait_for(lambda: any(shots.glob("*-go.png")), 30, "the go cue on the child's view")
        go = sorted(shots.glob("*-go.png"))[0]
        background, pixels = _pixels(go)
        assert background == BACKGROUNDS[Cue.GO.mood]
        expected = pygame.Surface(SIZE)
        render(expected, settled_look({"cue": {"cue": "go"}}, *SIZE), Words())
        assert pixels == pygame.image.tobytes(expected, "RGB")  # the very picture drawn here
        client.request("stop")
        _countdown_between_plan_steps(client, engine_home, shots)
        client.request("shutdown")
        engine.wait(timeout=15)
        client.close()
        _wait_for(lambda: _last(shots).name.endswith("-neutral.png"), 15, "the calm screen")
        time.sleep(2.0)  # the view waits for the engine, calmly, with no words for the child
        assert view.poll() is None and _pixels(_last(shots))[0] == NEUTRAL
        assert _last(shots).name.endswith("-neutral.png")
        seen_go = len(list(shots.glob("*-go.png")))
        engine = start_engine(engine_home, ENGINE_ARGS)  # started again: the view finds it
        client = _attach(engine_home)
        client.request("start_activity", activity="waiting", params=SLOW_WAIT, input="virtual")
        _wait_for(lambda: len(list(shots.glob("*-go.png"))) > seen_go, 30, "the go cue again")
        client.request("shutdown")
        engine.wait(timeout=15)
        client.close()
    finally:
        if view is not None:
            stop_child_view(view)
        _stop(engine)


def test_run_with_a_child_view_on_a_missing_second_display_says_so_and_stops_it_on_exit(
    headless_env: None, engine_home: Path
) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    run = subprocess.Popen(
        [sys.executable, "-m", "soundness_live.cli", "run", "--data-dir", str(engine_home),
         *ENGINE_ARGS, "--child-view", "second-display"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        line = run.stdout.readline().strip()
        assert line == (
            "child view: display 1 was asked for, but only 1 display was found; showing the "
            "child's view on the lower half of this screen"
        )
        views: list[tuple[int, str]] = []

        def view_started() -> bool:
            started = child_processes(run.pid)
            views[:] = [c for c in started if "soundness_live.cli child-view" in c[1]]
            return bool(views)

        _wait_for(view_started, 20, "the child's view process")
        assert "--lower-half" in views[0][1]
        time.sleep(1.0)  # the therapist's window is drawing
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=30) in (0, 130)
        assert not os.path.exists(f"/proc/{views[0][0]}") or _is_zombie(views[0][0])
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
        if run.stdout is not None:
            run.stdout.close()
        stop_engine(engine_home)


def _countdown_between_plan_steps(client: EngineClient, home: Path, shots: Path) -> None:
    """A plan moved on to its next step shows the calm countdown, nearly whole."""
    save_plan(home, Plan("two", steps()[:2], countdown_s=30.0), write_private_bytes)
    client.request("start_plan", plan="two", child="S-014", input="virtual")
    client.request("next_step")
    _wait_for(lambda: any(shots.glob("*-countdown.png")), 30, "the countdown on the view")
    background, _ = _pixels(sorted(shots.glob("*-countdown.png"))[0])
    assert background == COUNTDOWN
    image = pygame.image.load(str(sorted(shots.glob("*-countdown.png"))[0]))
    box = picture_box(*SIZE)
    inside = (round(box.x - 0.3 * box.half), round(box.y - 0.3 * box.half))  # upper left
    assert tuple(image.get_at(inside))[:3] == INK  # little of the 30 s has gone yet
    client.request("end_session")


def _last(shots: Path) -> Path:
    return sorted(shots.glob("*.png"))[-1]


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"
