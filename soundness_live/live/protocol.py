"""The engine process's message protocol: shapes, version, framing, address and key.

Every message is a JSON object ``{"v": 1, "type": ..., ...}`` sent as one frame of a
``multiprocessing.connection`` connection (``send_bytes``: length-prefixed). JSON rather than
pickle: a message is data, never code, and another language could speak it. The connection is
an AF_UNIX socket ``engine.sock`` in the data directory on POSIX (in a private runtime directory
when that path is too long; a named pipe on Windows), authenticated with a random key kept
owner-only in ``engine.key`` in the data directory.

Clients send commands (their names, fields and checks: the table
:data:`soundness_live.live.commands.COMMANDS`); the engine answers each with ``reply`` (``ok``
true/false, ``error`` text when false) carrying the command's ``id`` when one was given, and
sends ``state`` snapshots, ``trial`` summaries and ``notice`` texts to every attached client.
A message of another protocol version is refused with an error that names both versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import stat
import sys
import tempfile
import threading
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

from ..errors import SoundnessError

PROTOCOL_VERSION = 1
SOCKET_NAME = "engine.sock"
KEY_NAME = "engine.key"
MAX_MESSAGE_BYTES = 1 << 20
HANDSHAKE_S = 5.0  # a peer that has not proved the key by then is let go
MAX_SOCKET_PATH = 100  # bytes: below every POSIX AF_UNIX limit (Linux 107, macOS 103)

ENGINE_MESSAGES = ("reply", "state", "trial", "notice")


class ProtocolError(SoundnessError, ValueError):
    """A message that does not follow the protocol (wrong version, shape or type)."""


class HandshakeClosed(ProtocolError):
    """The peer closed the connection before the handshake was done (an engine flooded with
    new connections lets the oldest pending handshakes go: :mod:`.handshakes`)."""


MESSAGE_KEYS = ("v", "type")  # every message's own: no field may take their place


def message(kind: str, /, **fields: Any) -> dict[str, Any]:
    """A message of this protocol version (``kind`` positional only: a command may have a
    field called ``kind``, as ``set_device`` has). A field called ``v`` or ``type`` is refused
    (ProtocolError): it would make the message another version or another command."""
    taken = [key for key in MESSAGE_KEYS if key in fields]
    if taken:
        raise ProtocolError(
            f"a field of {kind!r} cannot be called {taken[0]!r}: that is the message's own key"
        )
    return {"v": PROTOCOL_VERSION, "type": kind, **fields}


def encode(msg: dict[str, Any]) -> bytes:
    """One message -> one frame (UTF-8 JSON; NaN refused: other readers reject it)."""
    try:
        return json.dumps(msg, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as error:
        kind = msg.get("type")
        raise ProtocolError(f"message {kind!r} cannot be sent as JSON: {error}") from None


def decode(
    frame: bytes,
    allowed: tuple[str, ...] = ENGINE_MESSAGES,
    receiver: str = "engine",
) -> dict[str, Any]:
    """One frame -> a checked message of a type in ``allowed`` (the engine reads its commands'
    names, a client the engine's messages); ProtocolError says what was expected and what came.

    ``receiver`` ("engine" or "client") names the reading side in a version error.
    """
    if len(frame) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(frame)} bytes; at most {MAX_MESSAGE_BYTES}")
    try:
        msg = json.loads(frame.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"message is not UTF-8 JSON: {error}") from None
    except (ValueError, RecursionError) as error:  # e.g. nesting too deep to parse
        raise ProtocolError(f"message cannot be read: {type(error).__name__}") from None
    if not isinstance(msg, dict):
        raise ProtocolError(f"message must be a JSON object, got {type(msg).__name__}")
    version = msg.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(version_error(version, receiver))
    if msg.get("type") not in allowed:
        raise ProtocolError(
            f"message type must be one of {', '.join(allowed)}, got {msg.get('type')!r}"
        )
    return msg


def wake_reader(conn: Connection) -> bool:
    """Make a read of ``conn`` blocked in another thread return end-of-file now.

    Closing a socket's descriptor is not enough on POSIX: a read already blocked goes on
    waiting, and a thread about to read would read from whatever connection is next given the
    freed descriptor number (seen: an old reader stole the first bytes of the next client's
    handshake, which then failed with "bad message length"). So the socket is shut down here,
    through a duplicate descriptor, and the reader thread itself closes the connection as it
    ends. False where there is no shutdown (Windows named pipes): there the caller closes the
    connection, which ends a pending read.
    """
    if os.name != "posix":
        return False
    try:
        duplicate = os.dup(conn.fileno())
    except (OSError, ValueError):  # already closed
        return True
    with socket.socket(fileno=duplicate) as sock:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # the peer is gone already
            pass
    return True


def handshake(conn: Connection, key: bytes, *, engine: bool, timeout_s: float = HANDSHAKE_S):
    """Prove ``key`` both ways on a new connection (multiprocessing's challenge and response),
    within ``timeout_s``; ProtocolError when the key differs or the peer does not answer.

    Done here rather than inside ``Listener.accept``, which would make the engine wait on a
    peer that connects and says nothing while every other client waits behind it: the engine
    runs this on a thread per new connection. When the time is up a silent peer's socket is
    shut down (POSIX) or its pipe closed (Windows has no shutdown), so the wait always ends; a
    handshake that finishes just as the time runs out counts as too late.
    """
    lock, state = threading.Lock(), {"done": False, "timed_out": False}

    def give_up() -> None:
        with lock:
            if state["done"]:
                return
            state["timed_out"] = True
            if not wake_reader(conn):
                conn.close()

    timer = threading.Timer(timeout_s, give_up)
    timer.daemon = True
    timer.start()
    try:
        if engine:
            deliver_challenge(conn, key)
            answer_challenge(conn, key)
        else:
            answer_challenge(conn, key)
            deliver_challenge(conn, key)
    except AuthenticationError as error:
        raise ProtocolError(f"the connection's key does not match this engine's: {error}") from None
    except (OSError, EOFError, TypeError) as error:  # TypeError: the pipe closed (Windows)
        if state["timed_out"]:
            raise ProtocolError(f"no handshake within {timeout_s:g} s") from None
        raise HandshakeClosed(f"the connection closed during its handshake ({error!r})") from None
    finally:
        timer.cancel()
        with lock:
            late, state["done"] = state["timed_out"], True
    if late:
        raise ProtocolError(f"no handshake within {timeout_s:g} s")


def connect(data_dir: Path, timeout_s: float = HANDSHAKE_S) -> Connection:
    """An authenticated connection to the engine for ``data_dir``.

    OSError when nothing listens there; ProtocolError when there is no key, the key differs, or
    the engine does not complete the handshake within ``timeout_s``.
    """
    address, family = engine_address(data_dir)
    key = auth_key(data_dir, create=False)
    socket_dir(address, data_dir)  # a socket in a directory others control is not ours
    conn = Client(address, family)
    try:
        handshake(conn, key, engine=False, timeout_s=timeout_s)
    except BaseException:
        conn.close()
        raise
    return conn


def version_error(version: Any, receiver: str = "engine") -> str:
    """The text shown when protocol versions differ (``receiver`` read the message)."""
    sender = "client" if receiver == "engine" else "engine"
    return (
        f"protocol version mismatch: the {receiver} speaks version {PROTOCOL_VERSION}, the "
        f"{sender} sent version {version!r}; run the same Soundness Live version for the engine "
        "and the therapist screen (stop the engine with 'soundness-live engine --stop', then "
        "start again)"
    )


def engine_address(data_dir: Path) -> tuple[str, str]:
    """(address, family) of the engine's listener for ``data_dir``.

    A named pipe on Windows. On POSIX a socket file: ``engine.sock`` in the (owner-only) data
    directory, or, when that path is too long for AF_UNIX (``multiprocessing.connection``
    refuses it: "AF_UNIX path too long", about 107 bytes on Linux, 103 on macOS), a socket
    named by the data directory in a short private runtime directory (:func:`runtime_dir`).
    Never Linux's abstract namespace: a socket there has no file permissions, so any local
    user could connect to it, or take its name before the engine does.
    """
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    if sys.platform == "win32":
        return rf"\\.\pipe\soundness-live-{digest}", "AF_PIPE"
    path = str(data_dir / SOCKET_NAME)
    if len(path.encode()) <= MAX_SOCKET_PATH:
        return path, "AF_UNIX"
    return str(runtime_dir() / f"{digest}.sock"), "AF_UNIX"


def runtime_dir() -> Path:
    """The short directory for sockets whose data-directory path is too long.

    ``$XDG_RUNTIME_DIR/soundness-live`` when that directory is the user's own and private (as
    the XDG spec makes it), else ``soundness-live-UID`` in the temporary directory, else in
    ``/tmp``: the first whose socket paths fit. :func:`private_runtime_dir` makes and checks it.
    """
    user = f"soundness-live-{os.getuid()}"
    candidates = [Path(tempfile.gettempdir()) / user, Path("/tmp") / user]
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and _is_private(Path(xdg)):
        candidates.insert(0, Path(xdg) / "soundness-live")
    longest = len("0123456789abcdef.sock") + 1  # a digest's socket name, after a slash
    return next(
        (path for path in candidates if len(str(path).encode()) + longest <= MAX_SOCKET_PATH),
        candidates[-1],
    )


def private_runtime_dir(path: Path) -> Path:
    """Make ``path`` (mode 0o700) if missing; SoundnessError unless it is a real directory of
    this user that nobody else can enter (a group or other bit of ours is taken away)."""
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError as error:
        raise SoundnessError(f"cannot make the engine's socket directory {path}: {error}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        owner = "a link" if stat.S_ISLNK(info.st_mode) else f"owned by uid {info.st_uid}"
        raise SoundnessError(
            f"the engine's socket directory {path} must be a directory of uid {os.getuid()}, "
            f"but it is {owner}; remove it, or use a shorter --data-dir path"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


def socket_dir(address: str, data_dir: Path) -> None:
    """Check (and make, when missing) the runtime directory of an address outside
    ``data_dir``; nothing to do for a socket in the data directory or a Windows pipe."""
    if sys.platform != "win32" and Path(address).parent != data_dir:
        private_runtime_dir(Path(address).parent)


def _is_private(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    mine = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    return mine and not stat.S_IMODE(info.st_mode) & 0o077


def auth_key(data_dir: Path, create: bool = True) -> bytes:
    """The connection key in ``data_dir/engine.key`` (created owner-only when missing)."""
    path = data_dir / KEY_NAME
    if not path.exists():
        if not create:
            raise ProtocolError(f"no engine key at {path}: is the engine running?")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return auth_key(data_dir, create=False)  # another process made it first
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ProtocolError(f"engine key {path} is {len(key)} bytes; expected 64 hex digits")
    return key
