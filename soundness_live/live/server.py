"""Serving the engine: clients attach over the local connection and get its messages.

:class:`EngineServer` listens on the engine's address (:mod:`soundness_live.live.protocol`), admits
each new connection on a thread of its own once it proved the key (a silent peer never holds
up the others; at most a few handshakes wait at once, :mod:`soundness_live.live.handshakes`), and
sends the engine's state snapshots, trial summaries and notices to every
attached client. :class:`ClientLink` is one attached client: a reader thread for its commands
and a sender thread with a bounded outbox, so a client that stops reading is dropped rather
than waited for.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from ..errors import SoundnessError
from .commands import COMMANDS, handle
from .engine import Engine
from .handshakes import PendingHandshakes
from .protocol import (
    HANDSHAKE_S,
    ProtocolError,
    auth_key,
    decode,
    encode,
    engine_address,
    handshake,
    message,
    socket_dir,
    wake_reader,
)

log = logging.getLogger(__name__)
MAX_FAILURE_KINDS = 16  # kinds of snapshot failure logged and told; later ones only counted
LISTEN_BACKLOG = 64  # connections the system queues while the accept loop catches up
_LOGGED_COUNTS = {1, 10, 100, 1000, 10_000, 100_000}  # a flood is logged, not line by line
OUTBOX_SIZE = 512
FLUSH_S = 1.0  # how long a departing client's last messages may take to go out


class ClientLink:
    """One attached client: a reader thread (commands) and a sender thread (bounded outbox)."""

    def __init__(self, conn: Connection, server: EngineServer, number: int) -> None:
        self.conn = conn
        self.server = server
        self.name = f"client-{number}"
        self.alive = True
        self.greeted = False
        self._state_lock = threading.Lock()  # alive -> False exactly once
        self._outbox: queue.Queue[bytes | None] = queue.Queue(OUTBOX_SIZE)
        self._sender = threading.Thread(target=self._send, name=f"{self.name}-out", daemon=True)
        self._sender.start()
        try:
            threading.Thread(target=self._read, name=f"{self.name}-in", daemon=True).start()
        except BaseException:  # no thread for the reader: the sender ends, the caller drops us
            self.alive = False
            self._outbox.put(None)
            self._sender.join()
            raise

    def send(self, msg: dict[str, Any]) -> None:
        """Queue a message; a client that stops reading is dropped, never waited for.

        A message JSON cannot carry (a NaN in a figure, say) is logged and, for a reply,
        replaced by a refusal that says so: the client is still answered.
        """
        if not self.alive:
            return
        try:
            frame = encode(msg)
        except ProtocolError as error:
            log.error("%s: %s", self.name, error)
            if msg.get("type") != "reply":
                return
            frame = encode(message("reply", id=msg.get("id"), ok=False, error=str(error)))
        self.send_frame(frame)

    def send_frame(self, frame: bytes) -> None:
        """Queue a message already encoded (the same bytes go to every client)."""
        if not self.alive:
            return
        try:
            self._outbox.put_nowait(frame)
        except queue.Full:
            log.warning("%s does not read its messages: detached", self.name)
            self.close()

    def _leave(self) -> bool:
        """Mark the link gone and detach it; True for the one caller that did so."""
        with self._state_lock:
            if not self.alive:
                return False
            self.alive = False
        self.server.detach(self)
        return True

    def close(self) -> None:
        """Detach (the session goes on); never blocks, whatever the client does.

        The socket is shut down (a sender blocked on a client that stopped reading fails, the
        reader sees end-of-file); the reader thread frees the descriptor once both threads are
        done, so neither can touch a connection accepted later under the same number.
        """
        if self._leave():
            woken = wake_reader(self.conn)
            try:
                self._outbox.put_nowait(None)
            except queue.Full:  # the sender fails on its next frame and ends
                pass
            if not woken:
                self.conn.close()

    def _send(self) -> None:
        while True:
            frame = self._outbox.get()
            if frame is None:
                break
            try:
                self.conn.send_bytes(frame)
            except (OSError, EOFError, ValueError, TypeError):  # TypeError: closed (Windows)
                break
        self.close()

    def _read(self) -> None:
        try:
            while self.alive:
                try:
                    frame = self.conn.recv_bytes(1 << 20)
                except (OSError, EOFError, TypeError):  # TypeError: closed (Windows)
                    break  # a client that vanished without goodbye: the session goes on
                if not self._handle(frame):
                    break
        except Exception:  # a bug must not leave the link attached with nobody reading it
            log.exception("%s: reading its commands failed", self.name)
        finally:
            self._finish()

    def _finish(self) -> None:
        """The reader's last act: let the sender flush, then free the descriptor."""
        if self._leave():  # the reader ended first: the sender sends what is queued (a refusal)
            try:
                self._outbox.put(None, timeout=FLUSH_S)
            except queue.Full:
                pass
            self._sender.join(FLUSH_S)
            if not wake_reader(self.conn):  # a sender stuck on a client that does not read fails
                self.conn.close()
        self._sender.join()
        self.conn.close()

    def _handle(self, frame: bytes) -> bool:
        try:
            msg = decode(frame, tuple(COMMANDS))
        except ProtocolError as error:
            self.send(message("reply", ok=False, error=str(error), code="protocol"))
            return self.greeted  # a client that never spoke our version is let go
        self.greeted = True
        reply = handle(self.server.engine, msg)
        self.send(message("reply", id=msg.get("id"), command=msg["type"], **reply))
        if msg["type"] == "shutdown" and reply.get("ok"):
            self.server.stop_soon()
        return True


class EngineServer:
    """Accepts clients on the engine's address and fans the engine's messages out to them."""

    def __init__(
        self,
        engine: Engine,
        data_dir: Path,
        snapshot_hz: float = 4.0,
        on_saved: Callable[[], object] | None = None,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.snapshot_hz = snapshot_hz
        self.on_saved = on_saved  # called once the stopping engine has saved everything
        self.handshake_s = HANDSHAKE_S
        self.address, self.family = engine_address(data_dir)
        self.clients: list[ClientLink] = []
        self.pending = PendingHandshakes()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.snapshot_failures = 0  # snapshots that could not be built (each logged once a kind)
        self._failures_said: set[str] = set()
        self._listener: Listener | None = None
        engine.broadcast = self.broadcast

    def open(self) -> EngineServer:
        """Bind the address (a stale socket file of a killed engine is removed first)."""
        key = auth_key(self.data_dir)
        if self.family == "AF_UNIX":
            socket_dir(self.address, self.data_dir)
            if _engine_answers(self.address, self.family):
                raise SoundnessError(f"an engine already runs for {self.data_dir}")
            if os.path.exists(self.address):
                os.unlink(self.address)
        self._key = key
        # the key is proved per client, on a thread of its own (see _admit)
        self._listener = Listener(self.address, self.family, backlog=LISTEN_BACKLOG)
        if self.family == "AF_UNIX":
            os.chmod(self.address, 0o600)
        return self

    def serve(self) -> None:
        """Accept clients and send snapshots until :meth:`stop_soon`."""
        threading.Thread(target=self._accept, name="engine-accept", daemon=True).start()
        period_s = 1.0 / self.snapshot_hz
        while not self._stopping.is_set():
            changed = self.engine.changed.wait(period_s)
            self.engine.changed.clear()
            if changed:
                time.sleep(0.01)  # gather a burst of changes into one snapshot
            try:
                state = self.engine.snapshot()
            except Exception as error:  # the state goes unsent this time; the loop goes on
                self._snapshot_failed(error)
                continue
            self.broadcast(message("state", state=state))
        self.close()

    def _snapshot_failed(self, error: Exception) -> None:
        """Count a snapshot that could not be built; log each kind of failure once (with its
        traceback) and tell the therapist, who would otherwise see the screen's state stop."""
        self.snapshot_failures += 1
        kind = f"{type(error).__name__}: {error}"
        if kind in self._failures_said or len(self._failures_said) >= MAX_FAILURE_KINDS:
            return
        self._failures_said.add(kind)
        log.exception("the engine's state could not be built (%d so far)", self.snapshot_failures)
        text = f"the engine could not build its state ({kind}); the sound goes on; see engine.log"
        self.broadcast(message("notice", text=text))

    def stop_soon(self) -> None:
        """Stop serving (from any thread)."""
        self._stopping.set()
        self.engine.changed.set()

    def close(self) -> None:
        """Stop the engine, detach every client, release the address."""
        self.engine.close(saved=self.on_saved)
        with self._lock:
            clients = list(self.clients)
        for link in clients:
            link.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def broadcast(self, msg: dict[str, Any]) -> None:
        """Send ``msg`` to every attached client, encoded once for them all (a snapshot's
        encoding holds the engine's GIL as long as building it). One JSON cannot carry (a
        NaN in a figure) is logged and sent to nobody."""
        with self._lock:
            clients = list(self.clients)
        if not clients:
            return
        try:
            frame = encode(msg)
        except ProtocolError as error:
            log.error("a %s message for the clients: %s", msg.get("type"), error)
            return
        for link in clients:
            link.send_frame(frame)

    def detach(self, link: ClientLink) -> None:
        """Forget a client that left."""
        with self._lock:
            if link in self.clients:
                self.clients.remove(link)

    def _accept(self) -> None:
        """Accept connections until stopped. Nothing a connection does ends this loop: a
        connection that cannot get a handshake slot or a thread is dropped, the next comes."""
        numbers = itertools.count(1)
        while not self._stopping.is_set() and self._listener is not None:
            try:
                conn = self._listener.accept()
            except Exception:  # OSError: out of descriptors, a peer gone before accept
                if self._stopping.is_set():
                    return
                log.exception("accepting a connection failed")
                time.sleep(0.1)
                continue
            number = next(numbers)
            try:
                self._start_handshake(conn, number)
            except Exception:  # a bug must not end the loop: that connection goes
                log.exception("connection %d could not be taken in: dropped", number)
                conn.close()

    def _start_handshake(self, conn: Connection, number: int) -> None:
        """Prove the key on a thread of its own, in one of the bounded handshake slots."""
        if not self.pending.take(number, conn):
            log.warning("connection %d dropped: no handshake slot came free", number)
            conn.close()
            return
        if self.pending.pushed_out in _LOGGED_COUNTS:
            log.warning(
                "%d connection(s) pushed out before proving the key: more than %d came at "
                "once", self.pending.pushed_out, self.pending.limit,
            )  # fmt: skip
        try:
            threading.Thread(
                target=self._admit, args=(conn, number), name=f"engine-admit-{number}", daemon=True
            ).start()
        except Exception as error:  # RuntimeError: can't start new thread
            log.error("connection %d dropped: no thread for its handshake (%s)", number, error)
            self.pending.settle(number)
            self.pending.release()
            conn.close()

    def _admit(self, conn: Connection, number: int) -> None:
        """Attach a new connection once it proved the key (others are not kept waiting)."""
        try:
            if not self._prove_and_attach(conn, number):
                conn.close()
        except Exception:  # RuntimeError: no thread for the link; a bug: drop, never leak
            log.exception("connection %d could not be attached: dropped", number)
            conn.close()
        finally:
            self.pending.release()  # after the close: descriptors stay within the bound too

    def _prove_and_attach(self, conn: Connection, number: int) -> bool:
        refused: ProtocolError | None = None
        try:
            handshake(conn, self._key, engine=True, timeout_s=self.handshake_s)
        except ProtocolError as error:
            refused = error
        if not self.pending.settle(number):
            return False  # pushed out by newer connections (counted and logged above)
        if refused is not None:
            log.warning("refused connection %d: %s", number, refused)
            return False
        with self._lock:
            if self._stopping.is_set():
                return False
            self.clients.append(ClientLink(conn, self, number))
        return True


def _engine_answers(address: str, family: str) -> bool:
    if family != "AF_UNIX" or not os.path.exists(address):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(address)
        return True
    except OSError:
        return False
    finally:
        probe.close()
