"""The engine in its own process: audio, MIDI, activities and the store, driven by messages.

Run it with ``python -m soundness_live.live.process`` or ``soundness-live engine``. It listens
on the versioned local connection of :mod:`soundness_live.live.protocol` (which outlives any client:
a client that dies leaves the session running; a new one attaches and gets the current state),
and sends state snapshots to every attached client a few times a second and on every change.
The engine has its own process because a UI loop in the same process starves a Python audio
callback of the GIL (HEADLESS.md); the UI is only ever a client.

The engine itself (commands, activity thread, store) is
:class:`~soundness_live.live.engine.Engine`; :class:`~soundness_live.live.server.EngineServer`
serves it; this module runs the two as a process, and stops one that runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import SoundnessError
from .engine import Engine, EngineOptions
from .protocol import PROTOCOL_VERSION, ProtocolError, connect, decode, encode, message
from .server import EngineServer
from .thru import DEFAULT_THRU_MODE, THRU_MODES

log = logging.getLogger(__name__)
SHUTDOWN_S = 5.0  # how long the engine process may take to stop once asked
EXIT_STUCK = 3  # its exit status when the watchdog had to end it


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


def run_engine(options: EngineOptions, ready: Callable[[str], None] | None = None) -> int:
    """Run the engine until a client asks it to shut down, or SIGTERM/SIGINT."""
    engine = Engine(options)
    server = EngineServer(
        engine, options.data_dir, options.snapshot_hz, on_saved=lambda: exit_if_stuck(SHUTDOWN_S)
    )
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


def stop_engine(data_dir: Path, timeout_s: float = SHUTDOWN_S + 5.0) -> bool:
    """Ask the engine for ``data_dir`` to shut down and wait until its process has exited;
    False when none answers. SoundnessError when it still runs after ``timeout_s`` (its own
    watchdog ends it :data:`SHUTDOWN_S` after it saved the session)."""
    try:
        conn = connect(data_dir)
    except (OSError, ProtocolError):
        return False
    deadline = time.monotonic() + timeout_s
    pid, closed = None, False
    with conn:
        # its process id first (hello's reply): a reply to shutdown may be cut off as it stops
        conn.send_bytes(encode(message("hello", id=1)))
        while time.monotonic() < deadline and conn.poll(max(0.0, deadline - time.monotonic())):
            try:
                msg = decode(conn.recv_bytes())
            except (EOFError, OSError):
                closed = True  # the engine closed the connection: it is on its way out
                break
            if msg.get("type") == "reply" and msg.get("id") == 1:
                pid = msg.get("pid")
                conn.send_bytes(encode(message("shutdown", id=2)))
                # then read on until the engine lets every client go
    if pid is None and not closed:
        raise SoundnessError(
            f"the engine for {data_dir} took the connection but did not answer within "
            f"{timeout_s:.0f} s, so it was not asked to stop; see engine.log there"
        )
    while isinstance(pid, int) and not process_exited(pid):
        if time.monotonic() > deadline:
            raise SoundnessError(
                f"the engine (process {pid}) was asked to stop and still runs after "
                f"{timeout_s:.0f} s; see engine.log in {data_dir}"
            )
        time.sleep(0.02)
    return True


def process_exited(pid: int) -> bool:
    """True when process ``pid`` has ended: a zombie not yet reaped by its parent has, once none
    of its threads runs (its main thread shows as a zombie while the others still run). Where a
    process cannot be looked at this way (Windows) True: the engine closed every connection
    before this is asked."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process now has the number
        return True
    try:
        states = [_task_state(task) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:  # no /proc (macOS): alive as far as kill says
        return False
    return all(state in ("Z", "X", "") for state in states)


def _task_state(task: Path) -> str:
    """One thread's state letter from /proc (R, S, Z...); "" for one gone meanwhile."""
    try:
        return (task / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return ""


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The engine's options (shared with ``soundness-live engine``)."""
    parser = parser or argparse.ArgumentParser(prog="soundness-live engine", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="data directory (default: the user's)")
    parser.add_argument(
        "--audio", default="auto",
        help="auto (JACK when a server runs, else PortAudio, else SDL), jack, sounddevice, sdl, "
        "null",
    )  # fmt: skip
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
    from ..config import data_dir, private_dir

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
    """``python -m soundness_live.live.process [options]``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="engine: %(levelname)s %(message)s")
    options = options_from_args(args)
    try:
        if args.stop:
            stopped = stop_engine(options.data_dir)
            print("engine stopped" if stopped else "no engine is running")
            return 0
        return run_engine(options, ready=lambda text: print(text, flush=True))
    except SoundnessError as error:
        print(f"error: {error}", flush=True)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
