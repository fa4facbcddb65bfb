"""The therapist's screen and the child's view find the engine again by themselves: a real
engine process stopped (killed, or asked to stop) and started again under a running screen;
the gentle back-off between attempts; commands pressed while the engine is away are refused,
never sent later; what the screen says of the session the engine kept or closed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from soundness_live.live.client import EngineClient, start_engine
from soundness_live.store.records import Store
from soundness_live.ui.link import EngineLink, data_dir_connect, ordinal, wait_before_s
from soundness_live.ui.since_away import REMOTE_GONE, remote_words, since_away_words
from tests.live.test_engine_process import ENGINE_ARGS, QUICK_WAIT, _attach, _stop

SIZE = (1024, 768)


def _frames_until(app: Any, condition: Callable[[], bool], what: str, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    app.frame()
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        app.frame()


def _troubles(app: Any) -> list[tuple[str, str]]:
    from soundness_live.ui.screens import troubles

    return troubles(app.view)


def _said_lost(app: Any) -> bool:
    found = _troubles(app)
    return bool(found) and found[0][0] == "ENGINE CONNECTION LOST"


def _stored_trials(home: Path, session_id: int) -> int:
    with Store.open(home / "soundness.db", recover=False) as store:
        return len(store.trials(session_id))


def _play_until_trials(client: EngineClient, count: int) -> int:
    """Start the waiting game for S-014 (the virtual child: the engine has no MIDI input)
    and wait until ``count`` trials are stored; the open session's id."""
    client.request(
        "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014", input="virtual"
    )
    deadline = time.monotonic() + 20
    while len(client.state.get("recent_trials") or []) < count:
        assert time.monotonic() < deadline, "the engine stored no trials"
        time.sleep(0.05)
    return int(client.state["session_id"])


def test_the_wait_doubles_from_half_a_second_to_five_and_tries_are_counted_in_words() -> None:
    assert [wait_before_s(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]  # fmt: skip


def test_what_the_screen_says_of_the_session_open_before_the_loss() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    def summary(status: str, trials: int) -> Callable[..., dict[str, Any]]:
        def request(kind: str, **fields: Any) -> dict[str, Any]:
            asked.append((kind, fields))
            return {"ok": True, "status": status, "trials": trials}

        return request

    before = {"session_id": 7, "child": "S-014"}
    assert since_away_words({}, {}, summary("complete", 0)) == (
        "Connected to the sound engine again."
    )
    assert since_away_words(before, {"session_id": 7}, summary("running", 3)) == (
        "Connected to the sound engine again. The session goes on."
    )
    assert asked == []  # nothing to ask when the engine kept the session open
    assert since_away_words(before, {"session_id": None}, summary("interrupted", 6)) == (
        "The session was closed while the engine was away and is stored as interrupted: "
        "6 trials were saved."
    )
    assert asked == [("session_summary", {"child": "S-014", "session": 7})]
    assert since_away_words(before, {"session_id": None}, summary("complete", 1)) == (
        "The session was ended while the engine was away: 1 trial was saved."
    )

    def gone(kind: str, **fields: Any) -> dict[str, Any]:
        raise ConnectionError("the engine went away again")

    served = {"remote": {"served": {"pid": 4321, "url": "http://127.0.0.1:8765/"}}}
    assert remote_words(served, {"remote": {"served": None}}) == REMOTE_GONE
    assert remote_words(served, served) == "" and remote_words({}, {}) == ""
    assert since_away_words(before, {}, gone) == (
        "The session open before was closed while the engine was away; its trials could not "
        "be counted: the engine went away again"
    )


def test_a_killed_engine_started_again_is_found_and_its_state_shown(
    headless: None, engine_home: Path
) -> None:
    from soundness_live.ui.app import TherapistApp
    from soundness_live.ui.overlays import NOT_ANSWERING, ReconnectPage

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    second = None
    try:
        client = _attach(home)
        app = TherapistApp(client, size=SIZE)
        app.load_catalog()
        session = _play_until_trials(client, 2)
        _frames_until(app, lambda: app.view.child == "S-014", "the child on the screen")
        app.open_page("profile", child="S-014")  # the page the therapist is on
        profile = app.page
        process.kill()  # a crash: nothing is closed by the engine itself
        process.wait(timeout=10)
        _frames_until(app, lambda: _said_lost(app), "the loss to be seen")
        (headline, doing), *_ = _troubles(app)
        assert headline == "ENGINE CONNECTION LOST" and doing == "Trying again... (1st try)"
        for _ in range(2):  # "louder" twice, as the session page's button does it
            app.session.tap("cap:up", app)
        assert app.view.notice == "set volume cap: not sent, the sound engine is not connected"
        _frames_until(app, lambda: isinstance(app.page, ReconnectPage), "the reconnect page")
        assert app.pages[-2] is profile
        assert NOT_ANSWERING == "The sound engine is not answering."
        names = [b.name for b in app.layout.buttons]
        assert names == ["panic", "try_now"]  # this screen did not start the engine
        assert app.link.words().startswith("Trying again")
        assert not [m for m in app.sent if m["type"] == "set_volume_cap"]

        second = start_engine(home, ENGINE_ARGS)
        _frames_until(app, lambda: app.link.connected, "the screen to find the engine again")
        app.run(max_frames=5)
        saved = _stored_trials(home, session)
        assert saved >= 2
        assert app.view.notice == (
            "The session was closed while the engine was away and is stored as interrupted: "
            f"{saved} trials were saved. S-014 is chosen again (volume cap -18 dBFS)."
        )
        assert app.page is profile  # the page the therapist was on, without the notice page
        # the child at the keyboard is chosen again at once: their own cap holds, not the
        # default -12 of an engine with no child chosen
        _frames_until(app, lambda: app.view.state.get("child") == "S-014", "the child again")
        state = app.view.state
        assert (state["session_id"], state["activity"]) == (None, None)
        assert state["recent_trials"] == []  # nothing from before
        assert state["volume_cap_dbfs"] == app.client.state["volume_cap_dbfs"] == -18.0
        assert _troubles(app)[0][0] != "ENGINE CONNECTION LOST"
        assert not [m for m in app.sent if m["type"] == "set_volume_cap"]  # never sent later
        app.close_page()
        app.session.tap("cap:down", app)  # connected again: sent at once
        assert app.sent[-1]["type"] == "set_volume_cap"
        _frames_until(app, lambda: app.view.state["volume_cap_dbfs"] == -21.0, "the new cap")
        app.client.request("shutdown")
        second.wait(timeout=10)
        app.close()
        client.close()
    finally:
        _stop(process)
        if second is not None:
            _stop(second)


def test_the_back_off_does_not_spin_while_the_engine_stays_away(
    headless: None, engine_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.live import client as client_module
    from soundness_live.ui.app import TherapistApp

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        app = TherapistApp(client, size=SIZE, fps=30)
        app.load_catalog()
        client.request("shutdown")
        process.wait(timeout=10)
        attempts: list[float] = []
        real = client_module._connect_within

        def counted(data_dir: Path, timeout_s: float) -> Any:
            attempts.append(time.monotonic())
            return real(data_dir, timeout_s)

        monkeypatch.setattr(client_module, "_connect_within", counted)
        _frames_until(app, lambda: _said_lost(app), "the loss to be seen")
        lost_s = time.monotonic()
        frames = 0
        while time.monotonic() - lost_s < 5.0:
            app.frame()
            frames += 1
        # tries 0.5, 1.5 and 3.5 s after the loss; the next at 7.5 s
        assert len(attempts) == 3
        gaps = [b - a for a, b in zip([lost_s, *attempts], attempts, strict=False)]
        assert [round(gap * 2) / 2 for gap in gaps] == [0.5, 1.0, 2.0]
        assert frames <= 5.0 * 30 + 5  # the frame cap holds: no loop faster than it
        assert app.link.tried == 3
        assert app.link.words() == "Trying again in 3 s... (3 tries so far)" or (
            app.link.words() == "Trying again in 4 s... (3 tries so far)"
        )
        app.link.try_now()  # the button: at once, whatever the wait
        assert len(attempts) == 4
        app.close()
        client.close()
    finally:
        _stop(process)


def test_the_screen_that_started_the_engine_starts_it_again_and_the_session_goes_on(
    headless: None, engine_home: Path
) -> None:
    from soundness_live.ui.app import TherapistApp
    from soundness_live.ui.overlays import ReconnectPage

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    started: list[Any] = []

    def start() -> Any:
        started.append(start_engine(home, ENGINE_ARGS))
        return started[-1]

    try:
        client = _attach(home)
        link = EngineLink(client, data_dir_connect(home), start=start, process=process)
        app = TherapistApp(client, size=SIZE, link=link)
        app.load_catalog()
        session = _play_until_trials(client, 2)
        client.request("stop")  # the session stays open; its trials stand still
        app.run(max_frames=3)
        app.act("end_session")  # asked before the loss: what it asks of may change meanwhile
        assert app.page.name == "confirm"
        client.close()  # the connection broke (the laptop slept): the engine goes on
        _frames_until(app, lambda: app.link.connected, "the screen to find the engine again")
        app.run(max_frames=3)
        assert app.view.notice == "Connected to the sound engine again. The session goes on."
        assert app.page is app.session  # the confirmation asked before the loss is gone
        engine_trials = app.client.request("snapshot")["state"]["recent_trials"]
        shown = app.view.state["recent_trials"]
        assert shown == engine_trials and len(shown) == _stored_trials(home, session)
        assert len({t["index"] for t in shown}) == len(shown)  # none twice
        assert app.view.state["session_id"] == session and app.view.child == "S-014"
        assert not started  # the engine never stopped

        process.terminate()  # stopped by a signal: it closes the session as interrupted
        process.wait(timeout=10)
        _frames_until(app, lambda: isinstance(app.page, ReconnectPage), "the reconnect page")
        assert [b.name for b in app.layout.buttons] == ["panic", "try_now", "start_engine"]
        app.click(*next(b for b in app.layout.buttons if b.name == "start_engine").rect.center)
        assert len(started) == 1
        _frames_until(app, lambda: app.link.connected, "the engine started again")
        app.run(max_frames=3)
        saved = _stored_trials(home, session)
        assert app.view.notice == (
            "The session was closed while the engine was away and is stored as interrupted: "
            f"{saved} trials were saved. S-014 is chosen again (volume cap -18 dBFS)."
        )
        assert app.link.process is started[0] and app.link.process.poll() is None
        app.client.request("shutdown")
        started[0].wait(timeout=10)
        app.close()
    finally:
        _stop(process)
        for other in started:
            _stop(other)


def test_run_starts_the_engine_again_only_when_it_started_it_and_at_its_priority(
    engine_home: Path,
) -> None:
    from soundness_live.commands.live_commands import engine_link
    from soundness_live.live.client import engine_niceness, niceness_now

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    again = None
    try:
        client = _attach(home)
        attached = engine_link(home, client, None, ENGINE_ARGS, niceness_now())
        assert attached.start is None  # run found the engine running: it never starts one
        here = niceness_now()
        assert here is not None
        wanted = min(here + 3, 19)  # lower than this process: allowed on every system
        link = engine_link(home, client, process, ENGINE_ARGS, wanted)
        assert not link.can_start  # connected to the engine it started
        client.request("shutdown")
        process.wait(timeout=10)
        _wait(lambda: client.closed, "the connection to close")
        assert link.can_start and link.start_engine() == "starting the sound engine again"
        again = link.process
        assert again is not process and engine_niceness(again) == wanted
        assert not link.can_start  # its engine runs again: never a second one
        again_client = _attach(home)
        again_client.request("shutdown")
        again.wait(timeout=10)
        again_client.close()
    finally:
        _stop(process)
        if again is not None:
            _stop(again)


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    """Wait for ``condition`` (no frames drawn here)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_command_to_an_engine_connected_but_silent_is_refused_but_quiet_is_sent(
    headless: None,
) -> None:
    from soundness_live.ui.app import TherapistApp
    from tests.ui.test_ui import FakeEngine

    engine = FakeEngine()
    app = TherapistApp(engine, size=SIZE)
    app.load_catalog()
    app.frame()
    engine.silent_since_s = time.monotonic() - 3.0  # asleep or stuck: it reads nothing now
    app.frame()
    app.session.tap("cap:up", app)
    assert app.view.notice == "set volume cap: not sent, the sound engine is not answering"
    assert engine.sent == []  # it would have read it whenever it woke: not kept for then
    app.session.tap("panic", app)  # QUIET can only make the room quieter: sent
    assert [m["type"] for m in engine.sent] == ["panic"]
    engine.silent_since_s = None  # heard again
    app.frame()
    app.session.tap("cap:up", app)
    assert [m["type"] for m in engine.sent] == ["panic", "set_volume_cap"]


def test_run_finds_its_engine_again_and_leaves_one_it_did_not_start_running(
    engine_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import threading

    from tests.processes import child_processes

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    run = subprocess.Popen(
        [sys.executable, "-m", "soundness_live.cli", "run", "--data-dir", str(engine_home),
         *ENGINE_ARGS],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    lines: list[str] = []
    assert run.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(run.stdout or ()), daemon=True)
    reader.start()
    second = None
    try:

        def engines() -> list[tuple[int, str]]:
            return [c for c in child_processes(run.pid) if "soundness_live.live.process" in c[1]]

        _wait(lambda: bool(engines()), "the engine run starts", 30)
        first = _attach(engine_home)  # the engine answers: the screen has it too
        first.close()
        time.sleep(1.0)  # the screen draws
        os.kill(engines()[0][0], signal.SIGKILL)  # the engine crashes under the screen
        _wait(lambda: any("trying again" in line for line in lines), "the screen to try", 20)
        second = start_engine(engine_home, ENGINE_ARGS)  # started again, not by run
        _wait(lambda: any("connected to the engine again" in line for line in lines),
              "the screen to find the engine again", 30)  # fmt: skip
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=30) in (0, 130)
        assert second.poll() is None  # run stops only an engine it started and still owns
        _attach(engine_home).request("shutdown")
        second.wait(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
        reader.join(timeout=5)
        if run.stdout is not None:
            run.stdout.close()
        if second is not None:
            _stop(second)


def test_closing_the_window_stops_a_started_engine_that_is_not_answering(capsys) -> None:
    import subprocess
    import sys
    from types import SimpleNamespace

    from soundness_live.commands.live_commands import _leave_engine

    class Away:
        state = {"session_id": None}
        closed = False

        def close(self) -> None:
            self.closed = True

    # the engine this screen started again, still compiling (or stuck) as the window closes
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        link = SimpleNamespace(client=Away(), process=stuck, connected=False)
        _leave_engine(link)
        assert stuck.poll() is not None and link.client.closed  # stopped, not left holding
        assert "not answering: stopping it" in capsys.readouterr().out
    finally:
        if stuck.poll() is None:
            stuck.kill()
            stuck.wait()
