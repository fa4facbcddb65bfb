"""The engine in its own process: audio, MIDI, activities and the store, driven by messages.

Run it with ``python -m soundness_live.engine_process`` or ``soundness-live engine``. It listens
on the versioned local connection of :mod:`soundness_live.protocol` (which outlives any client:
a client that dies leaves the session running; a new one attaches and gets the current state),
and sends state snapshots to every attached client a few times a second and on every change.
The engine has its own process because a UI loop in the same process starves a Python audio
callback of the GIL (HEADLESS.md); the UI is only ever a client.

The engine itself (commands, activity thread, store) is
:class:`~soundness_live.engine_core.Engine`; this module serves it (:class:`EngineServer`).
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from .engine_core import Engine, EngineOptions
from .errors import SoundnessError
from .protocol import (
    COMMANDS,
    PROTOCOL_VERSION,
    ProtocolError,
    auth_key,
    decode,
    encode,
    engine_address,
    message,
    wake_reader,
)
from .thru import DEFAULT_THRU_MODE, THRU_MODES

log = logging.getLogger(__name__)
OUTBOX_SIZE = 512
SHUTDOWN_S = 5.0  # how long the engine process may take to stop once asked
EXIT_STUCK = 3  # its exit status when the watchdog had to end it
FLUSH_S = 1.0  # how long a departing client's last messages may take to go out


class ClientLink:
    """One attached client: a reader thread (commands) and a sender thread (bounded outbox)."""

    def __init__(self, conn: Connection, server: EngineServer, number: int) -> None:
        self.conn = conn
        self.server = server
        self.name = f"client-{number}"
        self.alive = True
        self.greeted = False
        self._outbox: queue.Queue[bytes | None] = queue.Queue(OUTBOX_SIZE)
        self._sender = threading.Thread(target=self._send, name=f"{self.name}-out", daemon=True)
        self._sender.start()
        threading.Thread(target=self._read, name=f"{self.name}-in", daemon=True).start()

    def send(self, msg: dict[str, Any]) -> None:
        """Queue a message; a client that stops reading is dropped, never waited for."""
        if not self.alive:
            return
        try:
            self._outbox.put_nowait(encode(msg))
        except queue.Full:
            log.warning("%s does not read its messages: detached", self.name)
            self.close()

    def close(self) -> None:
        """Detach (the session goes on); never blocks, whatever the client does.

        The socket is shut down (a sender blocked on a client that stopped reading fails, the
        reader sees end-of-file); the reader thread frees the descriptor once both threads are
        done, so neither can touch a connection accepted later under the same number.
        """
        if self.alive:
            self.alive = False
            self.server.detach(self)
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
            except (OSError, EOFError, ValueError):
                break
        self.close()

    def _read(self) -> None:
        while self.alive:
            try:
                frame = self.conn.recv_bytes(1 << 20)
            except (OSError, EOFError, TypeError):  # TypeError: closed (Windows)
                break  # a client that vanished without goodbye: the session goes on
            if not self._handle(frame):
                break
        if self.alive:  # the reader ended first: the sender flushes what is queued (a refusal)
            self.alive = False
            self.server.detach(self)
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
            msg = decode(frame, COMMANDS)
        except ProtocolError as error:
            self.send(message("reply", ok=False, error=str(error), code="protocol"))
            return self.greeted  # a client that never spoke our version is let go
        self.greeted = True
        reply = self.server.engine.handle(msg)
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
        shutdown_limit_s: float | None = None,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.snapshot_hz = snapshot_hz
        self.shutdown_limit_s = shutdown_limit_s
        self.address, self.family = engine_address(data_dir)
        self.clients: list[ClientLink] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: Listener | None = None
        engine.broadcast = self.broadcast

    def open(self) -> EngineServer:
        """Bind the address (a stale socket file of a killed engine is removed first)."""
        key = auth_key(self.data_dir)
        if self.family == "AF_UNIX" and not self.address.startswith("\0"):
            if _engine_answers(self.address, self.family):
                raise SoundnessError(f"an engine already runs for {self.data_dir}")
            if os.path.exists(self.address):
                os.unlink(self.address)
        self._listener = Listener(self.address, self.family, authkey=key)
        if self.family == "AF_UNIX" and not self.address.startswith("\0"):
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
            self.broadcast(message("state", state=self.engine.snapshot()))
        if self.shutdown_limit_s is not None:
            exit_if_stuck(self.shutdown_limit_s)
        self.close()

    def stop_soon(self) -> None:
        """Stop serving (from any thread)."""
        self._stopping.set()
        self.engine.changed.set()

    def close(self) -> None:
        """Stop the engine, detach every client, release the address."""
        self.engine.close()
        with self._lock:
            clients = list(self.clients)
        for link in clients:
            link.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def broadcast(self, msg: dict[str, Any]) -> None:
        """Send ``msg`` to every attached client."""
        with self._lock:
            clients = list(self.clients)
        for link in clients:
            link.send(msg)

    def detach(self, link: ClientLink) -> None:
        """Forget a client that left."""
        with self._lock:
            if link in self.clients:
                self.clients.remove(link)

    def _accept(self) -> None:
        number = 0
        while not self._stopping.is_set() and self._listener is not None:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError) as error:  # closed, or a client with the wrong key
                if self._stopping.is_set():
                    return
                log.warning("refused a connection: %s", error)
                continue
            number += 1
            with self._lock:
                self.clients.append(ClientLink(conn, self, number))


def exit_if_stuck(limit_s: float, exit: Callable[[int], object] = os._exit) -> threading.Timer:
    """Arm a watchdog that ends the process ``limit_s`` from now, for a shutdown that hangs.

    PortAudio can block for ever stopping a stream whose device or JACK server vanished. By the
    time this is armed nothing is left to lose: the open session is marked interrupted and the
    store closed before the output is stopped (``Engine.close``). Used by the engine process
    only: the timer stays armed until the process ends.
    """

    def fire() -> None:
        log.error(
            "the engine did not stop within %.0f s (an audio device or server that vanished "
            "blocks it); the session was saved first; exiting now",
            limit_s,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        exit(EXIT_STUCK)

    timer = threading.Timer(limit_s, fire)
    timer.daemon = True
    timer.start()
    return timer


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


def run_engine(options: EngineOptions, ready: Callable[[str], None] | None = None) -> int:
    """Run the engine until a client asks it to shut down, or SIGTERM/SIGINT."""
    engine = Engine(options)
    server = EngineServer(engine, options.data_dir, options.snapshot_hz, SHUTDOWN_S)
    try:
        server.open()
    except BaseException:
        engine.close()
        raise
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: server.stop_soon())
    engine.start()
    if ready is not None:
        ready(f"engine ready: protocol v{PROTOCOL_VERSION}, output {engine.output_name}")
    server.serve()
    return 0


def stop_engine(data_dir: Path, timeout_s: float = 5.0) -> bool:
    """Ask the engine for ``data_dir`` to shut down; False when none answers."""
    address, family = engine_address(data_dir)
    try:
        conn = Client(address, family, authkey=auth_key(data_dir, create=False))
    except (OSError, ProtocolError):
        return False
    with conn:
        conn.send_bytes(encode(message("shutdown", id=1)))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and conn.poll(max(0.0, deadline - time.monotonic())):
            try:
                if decode(conn.recv_bytes()).get("type") == "reply":
                    return True
            except (EOFError, OSError):
                return True
    return True


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The engine's options (shared with ``soundness-live engine``)."""
    parser = parser or argparse.ArgumentParser(prog="soundness-live engine", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="data directory (default: the user's)")
    parser.add_argument("--audio", default="auto", help="auto, sounddevice, sdl, null")
    parser.add_argument("--audio-device", help="output device name or index")
    parser.add_argument(
        "--midi", default="rtmidi",
        help="rtmidi (all ports, hot-plug), jack (JACK MIDI ports, frame-exact stamps) or none",
    )  # fmt: skip
    parser.add_argument("--midi-api", help="jack, alsa, coremidi, winmm (default: rtmidi's)")
    parser.add_argument("--synth", default="auto", help="auto (SoundFont synth) or none")
    parser.add_argument("--soundfont", type=Path)
    parser.add_argument("--sample-rate", type=int, default=48_000)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--snapshot-hz", type=float, default=4.0)
    parser.add_argument(
        "--thru", choices=("auto", *THRU_MODES), default="auto",
        help="how the child's notes are timed: auto = constant latency on frame-exact JACK "
        f"stamps (--midi jack), else {DEFAULT_THRU_MODE} (see thru.py)",
    )  # fmt: skip
    parser.add_argument(
        "--thru-delay-ms", type=float, help="constant thru's added delay (default: block + 1 ms)"
    )
    parser.add_argument("--stop", action="store_true", help="stop the running engine and exit")
    return parser


def options_from_args(args: argparse.Namespace) -> EngineOptions:
    """Engine options from parsed arguments."""
    from .config import data_dir, private_dir

    home = private_dir(args.data_dir.expanduser().absolute()) if args.data_dir else data_dir()
    return EngineOptions(
        data_dir=home,
        audio=args.audio,
        audio_device=args.audio_device,
        midi=args.midi,
        midi_api=args.midi_api,
        synth=args.synth,
        soundfont=args.soundfont,
        sample_rate=args.sample_rate,
        block_size=args.block_size,
        snapshot_hz=args.snapshot_hz,
        thru_mode=args.thru,
        thru_delay_ms=args.thru_delay_ms,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m soundness_live.engine_process [options]``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="engine: %(levelname)s %(message)s")
    options = options_from_args(args)
    if args.stop:
        stopped = stop_engine(options.data_dir)
        print("engine stopped" if stopped else "no engine is running")
        return 0
    try:
        return run_engine(options, ready=lambda text: print(text, flush=True))
    except SoundnessError as error:
        print(f"error: {error}", flush=True)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
