"""``soundness-live run`` (the therapist UI) and ``soundness-live engine`` (the headless engine).

``run`` attaches to the engine for the data directory, starting it first when none runs; when
the window closes the engine goes on while a session is open (a crashed or closed UI never
ends a session), and is stopped when the UI started it and no session is open. With
``--child-view second-display`` or ``lower-half`` it starts the child's view beside it (its own
process, :mod:`.child_view_command`) and stops it when the therapist's window closes.

``--remote [HOST:]PORT`` (or config.toml's ``[remote] bind``) starts the browser remote as a
process of its own beside the engine, also beside one already running; it stops with the
engine (:mod:`soundness_live.remote.launch`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

from ..config import check_therapist, data_dir, load_settings, parse_bind, private_dir
from ..errors import SoundnessError
from ..live.process import build_parser, options_from_args, run_engine, stop_engine
from .child_view_command import start_child_view, stop_child_view
from .window_options import frame_rate, window_size

CHILD_VIEW_MODES = ("second-display", "lower-half")
SECOND_DISPLAY = 1  # pygame's index of the second display
ENGINE_FLAGS = (
    ("audio", "--audio"),
    ("audio_device", "--audio-device"),
    ("midi", "--midi"),
    ("midi_api", "--midi-api"),
    ("synth", "--synth"),
    ("soundfont", "--soundfont"),
    ("sample_rate", "--sample-rate"),
    ("block_size", "--block-size"),
)


def add_engine_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``soundness-live engine`` (also understood by ``run``)."""
    build_parser(parser)
    return add_remote_options(parser)


def add_remote_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--remote [HOST:]PORT`` and ``--remote-tls`` (else config.toml's ``[remote]``)."""
    parser.add_argument(
        "--remote", metavar="[HOST:]PORT",
        help="serve the browser remote there (host: 127.0.0.1 unless a LAN address is given); "
        "a pairing code pairs one device, at most 8 are paired",
    )  # fmt: skip
    parser.add_argument(
        "--remote-tls", action="store_true", help="serve the remote over HTTPS (own certificate)"
    )
    return parser


def remote_wanted(args: argparse.Namespace, home: Path) -> tuple[str, bool] | None:
    """(bind, tls) of the remote to start: --remote, else config.toml's [remote] bind; None
    when neither asks for one (the remote is off by default)."""
    remote = load_settings(home).remote
    bind = getattr(args, "remote", None) or remote.bind
    if bind is None:
        return None
    parse_bind(bind)  # a bad address is one line before anything starts
    return str(bind), bool(getattr(args, "remote_tls", False) or remote.tls)


def start_remote_beside(home: Path, bind: str, tls: bool):
    """Start the remote for the engine of ``home`` and print where it serves; its process."""
    from ..remote.launch import start_remote
    from ..remote.server import announcement

    process, status = start_remote(home, bind, tls)
    print(announcement(status), flush=True)
    return process


def add_run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``soundness-live run``: the engine's, plus the window's."""
    add_engine_options(parser)
    parser.add_argument("--size", default="1280x800", help="window size WxH (default 1280x800)")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--fps", type=frame_rate, default=30, help="frame-rate cap (default 30)")
    parser.add_argument(
        "--therapist", metavar="NAME", help="who runs the sessions (default: config.toml's)"
    )
    parser.add_argument(
        "--child-view", choices=CHILD_VIEW_MODES,
        help="also show the child's view: full screen on the second display (with only one, "
        "the lower half), or on the lower half of this screen under the therapist's window",
    )  # fmt: skip
    return parser


def cmd_engine(args: argparse.Namespace) -> int:
    """Run the engine server in this process (or stop the running one with ``--stop``); with
    ``--remote``, the remote beside it, or beside the engine already running."""
    options = options_from_args(args)
    if args.stop:
        print("engine stopped" if stop_engine(options.data_dir) else "no engine is running")
        return 0
    remote = remote_wanted(args, options.data_dir)
    if remote is not None and engine_running(options.data_dir):
        start_remote_beside(options.data_dir, *remote)
        print("the remote serves beside the running engine; it stops with the engine")
        return 0
    launched: list[Any] = []

    def ready(text: str) -> None:
        print(text, flush=True)
        if remote is not None:  # on a thread: the engine serves its clients meanwhile
            threading.Thread(
                target=_launch, args=(options.data_dir, remote, launched), daemon=True
            ).start()

    try:
        return run_engine(options, ready=ready)
    finally:
        for process in launched:
            from ..remote.launch import stop_remote

            stop_remote(process)


def _launch(home: Path, remote: tuple[str, bool], launched: list[Any]) -> None:
    try:
        launched.append(start_remote_beside(home, *remote))
    except SoundnessError as error:
        print(f"error: {error}", flush=True)


def engine_running(home: Path) -> bool:
    """Whether an engine answers for ``home``."""
    from ..live.client import EngineClient

    try:
        EngineClient.connect(home, timeout_s=2.0).close()
    except SoundnessError:
        return False
    return True


def _engine_argv(args: argparse.Namespace) -> list[str]:
    argv: list[str] = []
    for name, flag in ENGINE_FLAGS:
        value = getattr(args, name, None)
        if value is not None:
            argv += [flag, str(value)]
    return argv


def cmd_run(args: argparse.Namespace) -> int:
    """The therapist UI, attached to (or starting) the engine process; with ``--stop``, stop
    the running engine instead (no window)."""
    if args.stop:
        return cmd_engine(args)
    from ..live.client import connect_or_start, lower_priority, niceness_now
    from ..ui.app import TherapistApp

    home: Path = private_dir(args.data_dir.expanduser().absolute()) if args.data_dir else data_dir()
    therapist = check_therapist(args.therapist, "--therapist") or load_settings(home).therapist
    remote = remote_wanted(args, home)
    # every option checked before an engine starts: a refused one leaves none running
    size, fullscreen = window_size(args.size, (640, 480), "1024x768"), args.fullscreen
    client, process = connect_or_start(home, _engine_argv(args))
    if remote is not None and not (client.state.get("remote") or {}).get("served"):
        start_remote_beside(home, *remote)
    engine_priority = niceness_now()  # an engine started again from the screen runs so too
    lower_priority()  # after the engine started: it keeps the normal priority
    child_view = None
    if args.child_view:
        size, fullscreen, child_view = _start_child_view(home, args.child_view, size, fullscreen)
    link = engine_link(home, client, process, _engine_argv(args), engine_priority)
    try:
        app = TherapistApp(
            client, size=size, fps=args.fps, fullscreen=fullscreen, therapist=therapist, link=link
        )
    except BaseException:
        if child_view is not None:
            stop_child_view(child_view)
        raise
    try:
        app.load_catalog()
        app.run()
    finally:
        app.close()
        if child_view is not None:
            stop_child_view(child_view)
        _leave_engine(link)
    return 0


def engine_link(
    home: Path, client: Any, process: Any, argv: list[str], niceness: int | None = None
) -> Any:
    """The screen's link to the engine: it connects again by itself when the engine is lost
    and, when this screen started the engine (``process``), may start it again the same way,
    asked to run at ``niceness`` (the priority the first one had, above the screen's)."""
    from ..live.client import engine_niceness, start_engine
    from ..ui.link import EngineLink, data_dir_connect

    def start() -> subprocess.Popen:
        started = start_engine(home, argv, niceness=niceness)
        running_at = engine_niceness(started)
        if niceness is not None and running_at is not None and running_at > niceness:
            print(f"the engine started again runs at priority {running_at}, not {niceness}: "
                  f"this system lets no process raise its priority", flush=True)  # fmt: skip
        return started

    return EngineLink(
        client, data_dir_connect(home), start=start if process is not None else None,
        process=process,
    )  # fmt: skip


def _leave_engine(link: Any) -> None:
    """As the window closes: stop the engine this screen started (it runs now) unless a
    session is open; a session open goes on in the engine. An engine this screen started that
    is not answering (starting again, or stuck) is stopped too, saying so: nobody would be
    left to stop it, and it holds the sound and MIDI devices (a session open in it is stored
    as interrupted as it stops)."""
    from ..live.processes import end_process

    client, process = link.client, link.process
    session_open = client.state.get("session_id") is not None
    running = process is not None and process.poll() is None
    if running and not link.connected:
        print("the engine this screen started is not answering: stopping it", flush=True)
        end_process(process)
    elif running and not session_open:
        client.request("shutdown")
        process.wait(timeout=10)
    elif session_open and link.connected:
        print("the session goes on in the engine; run 'soundness-live run' to reattach")
    client.close()


def _start_child_view(
    home: Path, mode: str, size: tuple[int, int], fullscreen: bool
) -> tuple[tuple[int, int], bool, subprocess.Popen]:
    """Start the child's view for ``mode``; the therapist's window's size and full-screen
    flag beside it (the upper half of the screen when the child's view takes the lower)."""
    from ..ui.child.app import desktops
    from ..ui.child.placement import choose, upper_half

    screens = desktops()
    wanted = SECOND_DISPLAY if mode == "second-display" else None
    placement, note = choose(wanted, mode == "lower-half", screens, size, False)
    if note:
        print(note, flush=True)
    if placement.display == SECOND_DISPLAY:
        return size, fullscreen, start_child_view(home, ["--display", str(SECOND_DISPLAY)])
    upper = upper_half(screens[0])
    os.environ["SDL_VIDEO_WINDOW_POS"] = "{},{}".format(*(upper.position or (0, 0)))
    return upper.size, False, start_child_view(home, ["--lower-half"])
