"""``soundness-live screenshots DIR``: every page of the therapist's screen at every size, as PNG.

It plays the tour of :mod:`soundness_live.ui.tour` (a plan of two steps with the virtual child,
the window switched among 1280x800, 1920x1080 and 800x1280 as it plays, every page shot at each
size) against an engine of its own with no sound device. Like ``demo`` it keeps its own data
directory inside its output folder (``DIR/data``), never the user's store: the tour's child is a
demonstration code and its session is stored as simulated. The window is headless unless
``--show`` asks for it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..audio.private_file import private_folder, write_private_bytes
from ..config import DB_NAME, private_dir
from ..plans.library import save_plan
from ..store.records import Store

TOUR_CHILD = "DEMO-01"
ENGINE_ARGS = ("--audio", "null", "--synth", "none", "--midi", "none", "--snapshot-hz", "10")


def cmd_screenshots(args: argparse.Namespace) -> int:
    """Play the screen tour into ``args.folder``; print each screenshot's path."""
    folder: Path = args.folder.expanduser().absolute()
    private_folder(folder)
    home = private_dir(folder / "data")
    with Store.open(home / DB_NAME) as store:
        if not any(child.code == TOUR_CHILD for child in store.list_children()):
            store.add_child({"code": TOUR_CHILD})
    if not args.show:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    from ..live.client import connect_or_start
    from ..ui.app import TherapistApp
    from ..ui.tour import TOUR_PLAN, play_plan

    save_plan(home, TOUR_PLAN, write_private_bytes, child=TOUR_CHILD, replace=True)
    client, process = connect_or_start(home, ENGINE_ARGS)
    app = TherapistApp(client, therapist="screen tour")
    try:
        app.load_catalog()
        tour = play_plan(app, TOUR_CHILD, TOUR_PLAN.name, folder)
    finally:
        app.close()
        client.request("shutdown")
        if process is not None:
            process.wait(timeout=10)
        client.close()
    for path in tour.shots:
        print(path)
    for fault in tour.faults:
        print(f"layout fault: {fault}")
    print(f"{len(tour.shots)} screenshots in {folder}")
    return 1 if tour.faults else 0
