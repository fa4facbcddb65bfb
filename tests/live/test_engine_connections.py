"""Engine connections: where the socket lives, a bounded number of handshakes, an accept loop
that outlives any connection, an owner-only engine log, and ``run --stop``."""

from __future__ import annotations

import argparse
import os
import select
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from soundness_live.errors import DeviceError, SoundnessError
from soundness_live.live.client import EngineClient, start_engine
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.live.handshakes import MAX_PENDING
from soundness_live.live.protocol import HandshakeClosed, connect, engine_address
from soundness_live.live.server import EngineServer

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="AF_UNIX sockets (POSIX)")


@contextmanager
def serving(data_dir: Path) -> Iterator[EngineServer]:
    """An engine (no audio device, no synth, no MIDI) served in this process on ``data_dir``."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = Engine(EngineOptions(data_dir, audio="null", synth="none", midi="none"))
    server = EngineServer(engine, data_dir, snapshot_hz=10.0)
    try:
        server.open()
    except BaseException:
        engine.close()
        raise
    engine.start()
    thread = threading.Thread(target=server.serve, name="test-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop_soon()
        thread.join(timeout=10)


@pytest.fixture()
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private XDG runtime directory of this test's own (short, as a real one is)."""
    path = Path(tempfile.mkdtemp(prefix="sl-run-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    try:
        yield path
    finally:
        shutil.rmtree(path)


@posix_only
def test_a_long_data_dir_is_served_from_a_private_runtime_directory(
    tmp_path: Path, runtime: Path
) -> None:
    deep = tmp_path / ("d" * 120)
    with serving(deep) as server:
        address = Path(server.address)
        assert address.parent == runtime / "soundness-live"
        assert stat.S_ISSOCK(address.lstat().st_mode)
        assert stat.S_IMODE(address.lstat().st_mode) == 0o600
        assert stat.S_IMODE(address.parent.lstat().st_mode) == 0o700
        with EngineClient.connect(deep) as client:
            assert client.request("snapshot")["ok"]
    assert not address.exists()  # the engine takes its socket away when it stops


@posix_only
def test_a_runtime_directory_nobody_else_may_control_is_required(
    tmp_path: Path, runtime: Path
) -> None:
    deep = tmp_path / ("d" * 120)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (runtime / "soundness-live").symlink_to(elsewhere)  # a link could lead anywhere
    with pytest.raises(SoundnessError, match="must be a directory of uid .* but it is a link"):
        with serving(deep):
            pass
    (runtime / "soundness-live").unlink()
    (runtime / "soundness-live").mkdir(mode=0o755)
    os.chmod(runtime / "soundness-live", 0o755)  # ours, but others could enter: tightened
    with serving(deep):
        assert stat.S_IMODE((runtime / "soundness-live").stat().st_mode) == 0o700


@posix_only
def test_a_runtime_dir_that_is_not_private_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    address, _ = engine_address(tmp_path / ("d" * 120))
    assert not address.startswith(str(shared))
    assert Path(address).parent.name == f"soundness-live-{os.getuid()}"


@posix_only
def test_a_connection_whose_thread_cannot_start_is_dropped_and_the_next_gets_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_start = threading.Thread.start
    refused: list[str] = []

    def start(thread: threading.Thread) -> None:
        if thread.name.startswith("engine-admit-") and len(refused) < 3:
            refused.append(thread.name)
            raise RuntimeError("can't start new thread")
        real_start(thread)

    with serving(tmp_path / "home") as server:
        monkeypatch.setattr(threading.Thread, "start", start)
        for _ in range(3):  # each is dropped at once: the client hears so, it does not wait
            with pytest.raises(HandshakeClosed, match="closed during its handshake"):
                connect(server.data_dir, timeout_s=5.0)
        with EngineClient.connect(server.data_dir) as client:
            assert client.request("snapshot")["ok"]
    assert refused == ["engine-admit-1", "engine-admit-2", "engine-admit-3"]


@posix_only
def test_a_screen_whose_handshake_the_engine_let_go_connects_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a screen pushed out by a storm of new connections sees (its connection closed
    during the handshake): it connects again, within its time, and gets in."""
    real_start = threading.Thread.start
    refused: list[str] = []

    def start(thread: threading.Thread) -> None:
        if thread.name.startswith("engine-admit-") and len(refused) < 3:
            refused.append(thread.name)
            raise RuntimeError("can't start new thread")
        real_start(thread)

    with serving(tmp_path / "home") as server:
        monkeypatch.setattr(threading.Thread, "start", start)
        with EngineClient.connect(server.data_dir, timeout_s=5.0) as client:
            assert client.request("snapshot")["ok"]
    assert refused == ["engine-admit-1", "engine-admit-2", "engine-admit-3"]


def _readable(peer: socket.socket, timeout_s: float) -> bool:
    """True once the engine wrote to ``peer`` or closed it (poll: any descriptor number)."""
    poller = select.poll()
    poller.register(peer, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(timeout_s * 1000))


def _admit_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("engine-admit-")]


@posix_only
def test_silent_connections_hold_at_most_the_bound_of_handshakes(tmp_path: Path) -> None:
    silent: list[socket.socket] = []
    with serving(tmp_path / "home") as server:
        try:
            for _ in range(10 * MAX_PENDING):
                peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                peer.connect(server.address)  # then never answers the challenge
                silent.append(peer)
            for peer in silent:  # each was taken in: challenged, or pushed out (end of file)
                assert _readable(peer, 10.0), "a connection was never accepted"
            assert len(_admit_threads()) <= MAX_PENDING
            assert server.pending.pushed_out >= 9 * MAX_PENDING
            with EngineClient.connect(server.data_dir, timeout_s=2.0) as client:
                assert client.request("snapshot")["ok"]
        finally:
            for peer in silent:
                peer.close()


def test_the_engine_log_is_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    old = home / "engine.log"
    old.write_text("written by an older version\n")
    os.chmod(old, 0o644)
    before = os.umask(0o022)
    try:
        process = start_engine(home, ["--help"])  # prints its usage into the log and exits
        assert process.wait(timeout=30) == 0
    finally:
        os.umask(before)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert "usage:" in old.read_text()
    fresh = tmp_path / "fresh"
    fresh.mkdir(mode=0o700)
    os.umask(0o022)
    try:
        assert start_engine(fresh, ["--help"]).wait(timeout=30) == 0
    finally:
        os.umask(before)
    assert stat.S_IMODE((fresh / "engine.log").stat().st_mode) == 0o600


def test_run_stop_stops_the_engine_and_opens_no_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from soundness_live.commands.live_commands import add_run_options, cmd_run
    from soundness_live.live import client as client_module

    def no_window(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("run --stop started an engine or opened a window")

    from tests.live.test_engine_process import ENGINE_ARGS, _attach, _home, _stop

    monkeypatch.setattr(client_module, "connect_or_start", no_window)
    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    try:
        _attach(home).close()  # the engine answers
        args = add_run_options(argparse.ArgumentParser()).parse_args(
            ["--data-dir", str(home), "--stop"]
        )
        assert cmd_run(args) == 0
        exited = process.poll()  # "engine stopped" is said once the process has exited
        assert capsys.readouterr().out == "engine stopped\n" and exited == 0
    finally:
        _stop(process)
        shutil.rmtree(home)


FLOOD = 2000  # silent connections held open at once against the engine process


def _count(pid: int, what: str) -> int:
    if what == "fds":
        return len(os.listdir(f"/proc/{pid}/fd"))
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads")))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_the_engine_process_survives_a_flood_of_silent_connections(tmp_path: Path) -> None:
    """2000 connections that never prove the key, all open at once, then a storm of new ones:
    the engine's threads and descriptors stay within the handshake bound, and the screen
    attaches every time, at once."""
    import resource

    from tests.live.test_engine_process import ENGINE_ARGS, _attach, _home, _stop

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = min(FLOOD, soft - 256)
    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    silent: list[socket.socket] = []
    try:
        _attach(home).close()
        base = {what: _count(process.pid, what) for what in ("threads", "fds")}
        address, _ = engine_address(home)
        for _ in range(count):
            peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            peer.connect(address)
            silent.append(peer)
        for peer in silent:  # every one accepted: challenged, or pushed out (end of file)
            assert _readable(peer, 10.0), "a connection was never accepted"
        grown = {what: _count(process.pid, what) - base[what] for what in base}
        assert grown["threads"] <= 2 * MAX_PENDING  # a handshake thread and its timer
        assert grown["fds"] <= MAX_PENDING
        began = time.monotonic()
        with EngineClient.connect(home, timeout_s=5.0) as screen:
            assert screen.request("snapshot")["ok"]
        attach_s = time.monotonic() - began
        attaches = _attach_during_a_storm(home, address, times=5)
        print(f"\n{count} silent connections held; engine threads +{grown['threads']}, "
              f"descriptors +{grown['fds']}; the screen attached in {attach_s * 1000:.0f} ms, "
              f"and {attaches} of 5 times during a storm of new ones")  # fmt: skip
        assert attaches == 5
        assert process.poll() is None
    finally:
        for peer in silent:
            peer.close()
        _stop(process)
        shutil.rmtree(home)


def _attach_during_a_storm(home: Path, address: str, times: int) -> int:
    """How many of ``times`` attaches succeed while another thread keeps connecting."""
    stop, storm = threading.Event(), []

    def connect_forever() -> None:
        while not stop.is_set():
            peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                peer.connect(address)
            except OSError:
                peer.close()
                continue
            storm.append(peer)
            if len(storm) > 500:
                storm.pop(0).close()

    flooder = threading.Thread(target=connect_forever, daemon=True)
    flooder.start()
    attached = 0
    try:
        for _ in range(times):
            try:
                with EngineClient.connect(home, timeout_s=5.0) as screen:
                    attached += bool(screen.request("snapshot")["ok"])
            except DeviceError:
                pass
    finally:
        stop.set()
        flooder.join(timeout=10)
        for peer in storm:
            peer.close()
    return attached


def test_the_state_broadcast_survives_a_snapshot_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(tmp_path / "data") as server:
        engine = server.engine
        real = engine.snapshot
        failing = [True]

        def snapshot() -> dict[str, Any]:  # a status getter's bug, every time until fixed
            if failing[0]:
                raise RuntimeError("can't start new thread")
            return real()

        with EngineClient.connect(tmp_path / "data") as client:
            monkeypatch.setattr(engine, "snapshot", snapshot)
            deadline = time.monotonic() + 5.0
            while server.snapshot_failures < 3:  # the loop goes on, 10 a second
                assert time.monotonic() < deadline
                time.sleep(0.02)
            failing[0] = False
            client.state = {}
            while not client.state:  # the next snapshot reaches the screen
                assert time.monotonic() < deadline
                time.sleep(0.02)
            said = "the engine could not build its state (RuntimeError: can't start new thread)"
            assert [n for n in client.notices if n.startswith(said)] == [
                f"{said}; the sound goes on; see engine.log"
            ]  # told once, however often it failed
    logged = [r for r in caplog.records if "state could not be built" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_a_broadcast_is_encoded_once_and_the_same_bytes_reach_every_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from soundness_live.live import server as server_module
    from soundness_live.live.protocol import message

    encoded: list[str] = []
    real = server_module.encode

    def counted(msg: dict[str, Any]) -> bytes:
        encoded.append(str(msg.get("type")))
        return real(msg)

    with serving(tmp_path / "data") as server:
        heard: list[list[dict[str, Any]]] = [[], [], []]
        clients = [
            EngineClient.connect(tmp_path / "data", on_message=heard[n].append) for n in range(3)
        ]
        try:
            _wait_for_clients(server, 3)
            monkeypatch.setattr(server_module, "encode", counted)
            server.broadcast(message("notice", text="once"))
            server.broadcast(message("notice", text="no", figure=float("nan")))  # sent to none
            server.broadcast(message("notice", text="twice"))
            deadline = time.monotonic() + 5.0
            while any(len(_notices(h)) < 2 for h in heard):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        finally:
            for client in clients:
                client.close()
    assert encoded.count("notice") == 3  # one for every client, the NaN one tried once
    assert [_notices(h) for h in heard] == [["once", "twice"]] * 3
    logged = [r.getMessage() for r in caplog.records if "for the clients" in r.getMessage()]
    assert len(logged) == 1 and logged[0].startswith("a notice message for the clients: ")
    assert "cannot be sent as JSON" in logged[0]


def _notices(heard: list[dict[str, Any]]) -> list[str]:
    return [str(m["text"]) for m in heard if m["type"] == "notice"]


def _wait_for_clients(server: EngineServer, count: int) -> None:
    deadline = time.monotonic() + 5.0
    while len(server.clients) < count:
        assert time.monotonic() < deadline
        time.sleep(0.02)
