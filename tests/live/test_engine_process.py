"""The engine in its own process: clients come and go, the session goes on; crash safety."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Client
from pathlib import Path

import pytest

from soundness_live.errors import DeviceError
from soundness_live.live.client import EngineClient, EngineError, start_engine
from soundness_live.live.protocol import HANDSHAKE_S, ProtocolError, engine_address, handshake
from soundness_live.store.records import Store

# no MIDI input, so no device of the child's: the activities are played by the virtual child
ENGINE_ARGS = ["--audio", "null", "--synth", "none", "--midi", "none", "--snapshot-hz", "10"]
QUICK_WAIT = {  # a go/no-go-free waiting game: about half a second per trial
    "variant": "cue",
    "trials": 200,
    "lead_in_ms": 0,
    "gap_ms": 0,
    "foreperiod_ms": 150,
    "wait_step_ms": 0,
    "jitter_pct": 0,
    "response_window_ms": 300,
}


def _home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="sl-engine-"))
    os.chmod(home, 0o700)
    with Store.open(home / "soundness.db") as store:
        store.add_child({"code": "S-014", "volume_cap_dbfs": -18.0})
    return home


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _attach(home: Path, timeout_s: float = 15.0) -> EngineClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return EngineClient.connect(home)
        except DeviceError:
            assert time.monotonic() < deadline, (home / "engine.log").read_text()
            time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[Path, subprocess.Popen]]:
    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    try:
        yield home, process
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


def test_a_dead_client_leaves_the_session_running_and_a_new_one_reattaches(engine) -> None:
    home, process = engine
    first = _attach(home)
    assert first.state["session_id"] is None and first.state["volume_cap_dbfs"] == -12.0
    first.request(
        "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014", input="virtual"
    )
    _wait_for(lambda: len(first.trials) >= 2)
    session_id = first.state["session_id"]
    assert first.state["volume_cap_dbfs"] == -18.0  # the child's profile cap
    first.conn.close()  # gone without a goodbye, as a crashed UI would be

    second = _attach(home)
    assert second.state["session_id"] == session_id
    assert second.state["activity"] == "waiting" and second.state["child"] == "S-014"
    seen = second.state["trials_done"]
    _wait_for(lambda: len(second.trials) >= 2)
    assert second.trials[-1]["index"] >= seen
    _wait_for(lambda: second.state.get("trials_done", 0) > seen + 1)
    assert process.poll() is None
    second.close()


def test_prompt_level_skip_quiet_and_resume(engine) -> None:
    home, _ = engine
    with _attach(home) as client:
        if client.state["activity"] is None:
            client.request(
                "start_activity",
                activity="waiting",
                params=QUICK_WAIT,
                child="S-014",
                input="virtual",
            )
        client.request("set_prompt_level", level="gestural")
        _wait_for(lambda: any(t["prompt_level"] == "gestural" for t in client.trials))
        _wait_for(lambda: client.trials[-1]["prompt_level"] == "independent")  # per trial
        client.request("next_trial")
        _wait_for(lambda: any(t["outcome"] == "void" for t in client.trials))
        client.request("panic")
        _wait_for(lambda: client.state.get("quiet") and client.state.get("paused"))
        count = len(client.trials)
        time.sleep(0.8)
        assert len(client.trials) <= count + 1  # at most the trial cut short by "quiet"
        client.request("resume")
        _wait_for(lambda: len(client.trials) >= count + 3)
        with pytest.raises(EngineError, match="set_prompt_level: field 'level' must be one of"):
            client.request("set_prompt_level", level="a lot")
        refused = r"set_volume_cap: field 'dbfs' must be a number in -60..0 \(dBFS\), got 6"
        with pytest.raises(EngineError, match=refused):
            client.request("set_volume_cap", dbfs=6)
        with pytest.raises(EngineError, match="is running; stop it"):
            client.request("start_activity", activity="waiting", params=QUICK_WAIT)
        client.request("stop")
        _wait_for(lambda: client.state["activity"] is None)
        assert client.state["last_result"] == "stopped"
        client.request("add_note", text="Waited well after the break.")


def test_a_client_of_another_protocol_version_gets_a_clear_error(engine) -> None:
    home, _ = engine
    expected = "the engine speaks version 1, the client sent version 2"
    with pytest.raises(ProtocolError, match=expected):
        EngineClient.connect(home, version=2)
    with _attach(home) as client:  # the engine is unharmed
        assert client.request("snapshot")["state"]["child"] == "S-014"


def test_a_closed_client_never_reads_from_the_next_connection(engine) -> None:
    """Closing frees the descriptor only after the reader thread ended: it cannot steal bytes
    of the next connection given the same number (seen as "bad message length" handshakes)."""
    home, _ = engine
    client = _attach(home)
    for _ in range(150):  # snapshots arrive at 10 Hz: closes land while the reader is busy
        reader = client._reader
        client.close()
        assert not reader.is_alive()
        client = EngineClient.connect(home)
        assert client.request("snapshot")["ok"]
    client.close()


def test_a_silent_connection_does_not_hold_up_other_clients(engine) -> None:
    home, _ = engine
    address, _family = engine_address(home)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(address)  # connects, then never answers the engine's challenge
    try:
        began = time.monotonic()
        with _attach(home) as client:
            assert client.request("snapshot")["ok"]
        assert time.monotonic() - began < 2.0
        silent.settimeout(HANDSHAKE_S + 5.0)
        while silent.recv(4096):  # the challenge, then end-of-file once its time is up
            pass
        assert time.monotonic() - began >= HANDSHAKE_S - 0.5
    finally:
        silent.close()


def test_a_client_with_another_key_is_refused_and_the_engine_goes_on(engine) -> None:
    home, _ = engine
    address, family = engine_address(home)
    stranger = Client(address, family)
    with pytest.raises(ProtocolError, match="key does not match"):
        handshake(stranger, b"not the key", engine=False)
    stranger.close()
    with _attach(home) as client:
        assert client.request("snapshot")["ok"]


def test_the_engine_stops_cleanly_and_marks_the_session_complete(engine_home: Path) -> None:
    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        client.request(
            "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014", input="virtual"
        )
        _wait_for(lambda: len(client.trials) >= 1)
        session_id = client.state["session_id"]
        assert client.request("shutdown")["session_id"] == session_id
        assert process.wait(timeout=10) == 0
        client.close()
    finally:
        _stop(process)
    address, _ = engine_address(home)
    assert not os.path.exists(address)
    assert stat.S_IMODE((home / "engine.key").stat().st_mode) == 0o600
    with Store.open(home / "soundness.db") as store:
        (row,) = store.sessions("S-014")
        assert row["status"] == "complete"
        assert len(store.trials(session_id)) >= 1


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkill_of_the_engine_loses_no_reported_trial(engine_home: Path) -> None:
    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        client.request(
            "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014", input="virtual"
        )
        _wait_for(lambda: len(client.trials) >= 4)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        _wait_for(lambda: client.closed)
        reported = [t["index"] for t in client.trials]
        session_id = client.state["session_id"]
    finally:
        _stop(process)
    assert process.returncode == -signal.SIGKILL
    with Store.open(home / "soundness.db") as store:
        stored = [t["index"] for t in store.trials(session_id)]
        assert set(reported) <= set(stored)
        assert stored == list(range(len(stored)))
        (row,) = store.sessions("S-014")
        assert row["status"] == "interrupted"
        assert store.integrity_check() == "ok"
    # a new engine replaces the dead one's socket
    process = start_engine(home, ENGINE_ARGS)
    try:
        with _attach(home) as client:
            assert client.state["session_id"] is None
            client.request("shutdown")
        process.wait(timeout=10)
    finally:
        _stop(process)


class _Server:
    """What a ClientLink needs of the server: a detach and an engine (never reached here)."""

    def __init__(self) -> None:
        self.detached: list[object] = []
        self.engine = None

    def detach(self, link: object) -> None:
        self.detached.append(link)


def test_a_client_that_stops_reading_is_dropped_without_blocking_the_engine() -> None:
    from multiprocessing import Pipe

    from soundness_live.live.protocol import message
    from soundness_live.live.server import OUTBOX_SIZE, ClientLink

    ours, theirs = Pipe()  # the client end ("theirs") never reads
    server = _Server()
    link = ClientLink(ours, server, 1)  # type: ignore[arg-type]
    big = message("notice", text="x" * 65536)
    done = threading.Event()

    def flood() -> None:
        for _ in range(OUTBOX_SIZE + 64):
            link.send(big)
        done.set()

    threading.Thread(target=flood, daemon=True).start()
    assert done.wait(10), "sending to a client that does not read blocked the engine"
    assert not link.alive and server.detached == [link]
    _wait_for(lambda: ours.closed)  # both threads ended and the descriptor was freed
    theirs.close()


def test_a_reply_json_cannot_carry_becomes_a_refusal_that_says_so() -> None:
    from multiprocessing import Pipe

    from soundness_live.live.protocol import decode, message
    from soundness_live.live.server import ClientLink

    ours, theirs = Pipe()
    link = ClientLink(ours, _Server(), 1)  # type: ignore[arg-type]
    link.send(message("state", state={"figure": float("nan")}))  # dropped, logged
    link.send(message("reply", id=7, ok=True, figure=float("nan")))
    assert theirs.poll(5)
    reply = decode(theirs.recv_bytes())
    assert reply["type"] == "reply" and reply["id"] == 7 and reply["ok"] is False
    assert "cannot be sent as JSON" in reply["error"]
    assert not theirs.poll(0.2)  # the state that could not be sent was not sent
    theirs.close()
    _wait_for(lambda: ours.closed)  # the client left: the link ends and frees its descriptor


def test_stop_says_so_when_the_engine_takes_the_connection_but_never_answers(
    tmp_path: Path,
) -> None:
    from multiprocessing.connection import Listener

    from soundness_live.errors import SoundnessError
    from soundness_live.live.process import stop_engine
    from soundness_live.live.protocol import auth_key, socket_dir

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    address, family = engine_address(home)
    socket_dir(address, home)
    key = auth_key(home)
    with Listener(address, family) as listener:  # an engine hung after its handshake
        held: list[object] = []

        def admit() -> None:
            conn = listener.accept()
            handshake(conn, key, engine=True)
            held.append(conn)  # and never reads or answers

        threading.Thread(target=admit, daemon=True).start()
        with pytest.raises(SoundnessError, match="did not answer within 1 s"):
            stop_engine(home, timeout_s=1.0)
        for conn in held:
            conn.close()  # type: ignore[attr-defined]


def test_a_reply_that_comes_after_its_request_gave_up_is_not_kept() -> None:
    import json
    from multiprocessing import Pipe

    from soundness_live.live.protocol import encode

    ours, engine_end = Pipe()
    client = EngineClient(ours)
    try:

        def answer_late() -> None:
            for _ in range(3):
                asked = json.loads(engine_end.recv_bytes())
                time.sleep(0.25)  # past the request's 0.05 s
                reply = {"v": 1, "type": "reply", "id": asked["id"], "ok": True}
                engine_end.send_bytes(encode(reply))

        answering = threading.Thread(target=answer_late, daemon=True)
        answering.start()
        for _ in range(3):
            with pytest.raises(EngineError, match="did not answer 'snapshot' within 0.05 s"):
                client.request("snapshot", timeout_s=0.05)
        answering.join(5)
        time.sleep(0.1)  # the last late reply has been read
        assert client._replies == {}  # a client of many hours keeps none of them
    finally:
        client.close()
        engine_end.close()
