"""``soundness-live child-view``: the child's own view of the session, in a window of its own.

It attaches to the engine already running for the data directory (``run`` starts both) and
shows the cues the engine sends as pictures until its window is closed; while the engine is
away it shows the calm neutral screen and connects again by itself. ``--screenshots DIR``
writes every picture it can show to ``DIR`` instead, at 1920x1080 and 800x1280, without an
engine or a window.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import data_dir, private_dir
from ..live.processes import end_process
from .window_options import frame_rate, window_size

CONNECT_S = 10.0  # how long the view waits for the engine to answer


def add_child_view_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``soundness-live child-view``."""
    parser.add_argument("--data-dir", type=Path, help="data directory (default: the user's)")
    parser.add_argument(
        "--display", type=int, metavar="N",
        help="show full screen on display N (0 is the first); with only one display, the "
        "lower half of it",
    )  # fmt: skip
    parser.add_argument(
        "--lower-half", action="store_true", help="take the lower half of the first display"
    )
    parser.add_argument("--size", default="1280x720", help="window size WxH (default 1280x720)")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--fps", type=frame_rate, default=30, help="frame-rate cap (default 30)")
    parser.add_argument(
        "--no-words", action="store_true",
        help="pictures only: leave out the small word for adults under each",
    )  # fmt: skip
    parser.add_argument(
        "--screenshots", type=Path, metavar="DIR",
        help="write every picture the view can show to DIR as PNG (no engine, no window)",
    )  # fmt: skip
    parser.add_argument(
        "--save-pictures", type=Path, metavar="DIR",
        help="while showing, save each new picture to DIR as PNG once it has faded in (to "
        "check a set-up: what the child saw, in order)",
    )  # fmt: skip
    return parser


def cmd_child_view(args: argparse.Namespace) -> int:
    """Show the child's view until its window closes (or write the screenshots)."""
    if args.screenshots is not None:
        return _screenshots(args.screenshots)
    from ..live.client import EngineClient, lower_priority
    from ..ui.child.app import ChildView, desktops
    from ..ui.child.placement import choose

    size = window_size(args.size, (160, 120), "1280x720")
    home: Path = private_dir(args.data_dir.expanduser().absolute()) if args.data_dir else data_dir()
    client = EngineClient.connect(home, timeout_s=CONNECT_S)  # a DeviceError says none answers
    lower_priority()  # the engine and the audio server come first
    placement, note = choose(args.display, args.lower_half, desktops(), size, args.fullscreen)
    if note:
        print(note, file=sys.stderr, flush=True)
    pictures = private_dir(args.save_pictures) if args.save_pictures else None
    view = ChildView(
        client, placement, fps=args.fps, save_pictures=pictures, words=not args.no_words
    )
    try:
        view.run()
    finally:
        view.close()
        view.client.close()  # the one connected last: the view connects again by itself
    return 0


def _screenshots(folder: Path) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # drawn in memory: no window needed
    from ..ui.child.screenshots import write_screenshots

    written = write_screenshots(folder)
    print(f"{len(written)} pictures written to {folder}")
    return 0


def start_child_view(home: Path, extra: Sequence[str] = ()) -> subprocess.Popen:
    """Start ``soundness-live child-view`` for data directory ``home`` as a process of its own
    (its lines go where this process's go)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "soundness_live.cli", "child-view", "--data-dir", str(home)]
    return subprocess.Popen([*command, *extra], stdin=subprocess.DEVNULL, env=env)


def stop_child_view(process: subprocess.Popen) -> None:
    """Stop a child view this process started: asked first, killed if it does not go."""
    end_process(process)
