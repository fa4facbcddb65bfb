"""A client of the engine process: commands out, replies and state snapshots in.

:class:`EngineClient` connects to the engine for a data directory (the address and key of
:mod:`soundness_live.live.protocol`), greets it (a version mismatch raises :class:`ProtocolError`
with both versions named), and keeps the latest state snapshot, trial summaries and notices
that the engine sends, on a reader thread. :func:`connect_or_start` starts the engine process
first when none runs. Closing a client (or its process dying) never stops the session.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import DeviceError, SoundnessError
from .protocol import (
    ENGINE_MESSAGES,
    PROTOCOL_VERSION,
    HandshakeClosed,
    ProtocolError,
    connect,
    decode,
    encode,
    message,
    wake_reader,
)

READER_EXIT_S = 2.0  # how long close() waits for the reader thread to finish
RECONNECT_PAUSE_S = 0.02  # before connecting again when the engine let a handshake go


class EngineError(SoundnessError, RuntimeError):
    """The engine refused a command; the message is the engine's reason."""


class EngineClient:
    """One connection to the engine. ``on_message(msg)`` runs on the reader thread.

    ``last_message_s`` (monotonic) is when the engine last sent anything: it sends a state
    snapshot several times a second, so a long silence means it stopped answering.
    """

    def __init__(
        self, conn: Connection, on_message: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.conn = conn
        self.data_dir: Path | None = None  # the engine's data directory, when connect() made it
        self.on_message = on_message
        self.state: dict[str, Any] = {}
        self.trials: deque[dict[str, Any]] = deque(maxlen=200)
        self.notices: deque[str] = deque(maxlen=50)
        self.closed = False
        self.error: str | None = None
        self.last_message_s = time.monotonic()  # when the engine was last heard from
        self._ids = itertools.count(1)
        self._replies: dict[int, dict[str, Any]] = {}
        self._awaited: set[int] = set()  # ids of requests still waiting for their reply
        self._arrived = threading.Condition()
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="engine-client", daemon=True)
        self._reader.start()

    @classmethod
    def connect(
        cls,
        data_dir: Path,
        timeout_s: float = 5.0,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        version: int = PROTOCOL_VERSION,
    ) -> EngineClient:
        """Connect and greet; DeviceError when no engine answers for ``data_dir``.

        A connection the engine closes during its handshake is made again until ``timeout_s``
        has passed: an engine flooded with new connections lets the oldest pending handshakes
        go (:mod:`.handshakes`), and on a busy machine the screen's may be among them.
        """
        conn = _connect_within(data_dir, timeout_s)
        client = cls(conn, on_message)
        client.data_dir = data_dir
        try:
            reply = client.request("hello", timeout_s=timeout_s, version=version)
        except BaseException:
            client.close()
            raise
        client.state = reply.get("state", {})
        return client

    def request(
        self, kind: str, /, timeout_s: float = 5.0, version: int = PROTOCOL_VERSION, **fields: Any
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; EngineError when the engine refused it.
        (``kind`` is positional only: ``set_device`` and ``save_device`` have a field called
        ``kind``.)"""
        return self.ask(kind, fields, timeout_s, version)

    def ask(
        self,
        kind: str,
        fields: Mapping[str, Any],
        timeout_s: float = 5.0,
        version: int = PROTOCOL_VERSION,
    ) -> dict[str, Any]:
        """:meth:`request` with the command's fields as one mapping, so no field is taken for
        an argument of this method (the browser remote passes a page's fields as they came).
        A field called ``id`` is refused: the reply is found by the id this client gives."""
        if "id" in fields:
            raise ProtocolError(f"a field of {kind!r} cannot be called 'id': that is the reply's")
        number = next(self._ids)
        msg = message(kind, **fields)
        msg["id"], msg["v"] = number, version
        with self._arrived:
            self._awaited.add(number)
        try:
            self.send(msg)
            deadline = time.monotonic() + timeout_s
            with self._arrived:
                while number not in self._replies and self.error is None:
                    remaining = deadline - time.monotonic()
                    if self.closed or remaining <= 0:
                        break
                    self._arrived.wait(remaining)
        finally:
            with self._arrived:
                self._awaited.discard(number)  # a reply coming later is dropped as it comes
                reply = self._replies.pop(number, None)
        if reply is None and self.error is not None:
            raise ProtocolError(self.error)
        if reply is None:
            raise EngineError(f"the engine did not answer {kind!r} within {timeout_s} s")
        if not reply.get("ok"):
            raise EngineError(str(reply.get("error", f"{kind} failed")))
        return reply

    def send(self, msg: dict[str, Any]) -> None:
        """Send one message without waiting."""
        frame = encode(msg)  # ProtocolError for what JSON cannot carry
        with self._send_lock:
            try:
                self.conn.send_bytes(frame)
            except (OSError, ValueError, TypeError) as error:
                raise DeviceError(f"the engine connection is closed: {error}") from None

    def close(self) -> None:
        """Detach from the engine (the session goes on).

        The reader thread is woken and finishes before the connection's descriptor is freed,
        so it can never read from a connection opened after this one.
        """
        self.closed = True
        if not wake_reader(self.conn):
            with self._send_lock:
                self.conn.close()
        elif self._reader is not threading.current_thread():
            self._reader.join(READER_EXIT_S)

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        try:
            while not self.closed:
                try:
                    frame = self.conn.recv_bytes()
                except (OSError, EOFError, TypeError):  # TypeError: closed under our feet
                    break
                try:
                    msg = decode(frame, ENGINE_MESSAGES, receiver="client")
                except ProtocolError as error:
                    self._fail(str(error))
                    break
                self._dispatch(msg)
        except Exception as error:  # an on_message that failed: say so, then close as usual
            self._fail(f"reading the engine's messages failed: {error!r}")
        self.closed = True
        with self._send_lock:
            self.conn.close()  # the reader frees the descriptor: no other thread reads it
        with self._arrived:
            self._arrived.notify_all()

    def _fail(self, text: str) -> None:
        with self._arrived:
            self.error = text
            self._arrived.notify_all()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        self.last_message_s = time.monotonic()
        kind = msg["type"]
        if kind == "reply":
            if msg.get("code") == "protocol" and msg.get("id") is None:
                self._fail(str(msg.get("error")))
            with self._arrived:
                if msg.get("id") in self._awaited:  # never kept for a request given up on
                    self._replies[msg["id"]] = msg
                self._arrived.notify_all()
        elif kind == "state":
            self.state = msg.get("state", {})
        elif kind == "trial":
            self.trials.append(msg.get("trial", {}))
        elif kind == "notice":
            self.notices.append(str(msg.get("text", "")))
        if self.on_message is not None:
            self.on_message(msg)


def _connect_within(data_dir: Path, timeout_s: float) -> Connection:
    """An authenticated connection, tried again while the engine closes it in the handshake."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return connect(data_dir, max(deadline - time.monotonic(), RECONNECT_PAUSE_S))
        except HandshakeClosed as error:
            if time.monotonic() + RECONNECT_PAUSE_S >= deadline:
                raise DeviceError(f"no engine answers for {data_dir}: {error}") from None
        except (OSError, ProtocolError) as error:
            raise DeviceError(f"no engine answers for {data_dir}: {error}") from None
        time.sleep(RECONNECT_PAUSE_S)


def engine_command(data_dir: Path) -> list[str]:
    """The command line that starts the engine process for ``data_dir``."""
    return [sys.executable, "-m", "soundness_live.live.process", "--data-dir", str(data_dir)]


def start_engine(
    data_dir: Path,
    extra: Sequence[str] = (),
    log_path: Path | None = None,
    niceness: int | None = None,
):
    """Start the engine process (detached from this one: it outlives the UI). Its output goes
    to ``engine.log`` in the data directory, readable by the owner only (it names children's
    codes and devices): a log made by an older version is made owner-only too. ``niceness``:
    the priority the engine is asked to run at (POSIX), where this process runs lower (a
    screen starting the engine again after :func:`lower_priority`); the system may refuse
    to raise it (:func:`engine_niceness` tells)."""
    log_path = log_path or data_dir / "engine.log"
    log = open_private_log(log_path)  # the child process writes to it; ours is closed below
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        process = subprocess.Popen(
            [*engine_command(data_dir), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=os.name == "posix",
        )
    finally:
        log.close()
    if niceness is not None and hasattr(os, "setpriority"):
        try:  # at once: the new interpreter is still importing, no thread of its own yet
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
        except OSError:
            pass  # the system lets no process raise a priority: it keeps this one's
    return process


def engine_niceness(process: subprocess.Popen) -> int | None:
    """The priority (nice value) ``process`` runs at; None where it cannot be read."""
    if not hasattr(os, "getpriority"):
        return None
    try:
        return os.getpriority(os.PRIO_PROCESS, process.pid)
    except OSError:
        return None


def niceness_now() -> int | None:
    """This process's priority (nice value); None where there is none."""
    return os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else None


def open_private_log(path: Path) -> BinaryIO:
    """``path`` opened for appending, mode 0o600 whatever the umask or its old mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if hasattr(os, "fchmod"):  # POSIX (Windows keeps it in the user's own profile)
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def connect_or_start(
    data_dir: Path,
    extra: Sequence[str] = (),
    timeout_s: float = 15.0,
    on_message: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[EngineClient, Any]:
    """Attach to the running engine, or start one and attach; (client, process or None)."""
    try:
        return EngineClient.connect(data_dir, on_message=on_message), None
    except DeviceError:
        pass
    process = start_engine(data_dir, extra)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return EngineClient.connect(data_dir, on_message=on_message), process
        except DeviceError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                raise DeviceError(
                    f"the engine did not start ({error}); see {data_dir / 'engine.log'}"
                ) from None
            time.sleep(0.1)


def lower_priority(steps: int = 5) -> None:
    """Run this process (a client of the engine: the therapist's screen, the child's view, the
    browser remote) below the engine's priority: under CPU contention the audio process is
    served first. No-op where ``os.nice`` does not exist."""
    if hasattr(os, "nice"):
        try:
            os.nice(steps)
        except OSError:
            pass
