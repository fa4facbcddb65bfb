"""A session plan of two steps, one trial each, played through the therapist's screen by touch
with the virtual child, against a real engine process (null audio output): the window switches
among 1280x800, 1920x1080 and 800x1280 as it plays, every page is shot at every size, the
layout of each is checked as it is shown, and the trials reach the store as one session, in
order, stored as simulated."""

from __future__ import annotations

import time
from pathlib import Path

from soundness_live.audio.private_file import write_private_bytes
from soundness_live.plans.library import save_plan
from soundness_live.store.records import Store


def test_a_two_step_plan_is_played_through_the_screens_at_every_size(
    headless: None, engine_home: Path, tmp_path: Path
) -> None:
    from soundness_live.live.client import start_engine
    from soundness_live.ui.app import TherapistApp
    from soundness_live.ui.session_layout import NAVIGATION
    from soundness_live.ui.tour import SIZES, TOUR_PLAN, play_plan
    from tests.live.test_engine_process import ENGINE_ARGS, _attach, _stop

    began_s = time.monotonic()
    save_plan(engine_home, TOUR_PLAN, write_private_bytes, child="S-014")
    process = start_engine(engine_home, ENGINE_ARGS)
    try:
        client = _attach(engine_home)
        app = TherapistApp(client, size=SIZES[0], therapist="Mia Berger")
        app.load_catalog()
        tour = play_plan(app, "S-014", TOUR_PLAN.name, tmp_path / "screens")
        client.request("shutdown")
        process.wait(timeout=10)
        client.close()
    finally:
        _stop(process)
    assert time.monotonic() - began_s < 60.0
    assert tour.faults == []
    names = [path.name for path in tour.shots]
    opened = [name for name, _ in NAVIGATION if name in app.registry]
    for width, height in SIZES:
        at = f"-{width}x{height}.png"
        assert any(n.endswith("-session" + at) for n in names)
        assert any(n.endswith("-confirm-end-session" + at) for n in names)
        for name in opened:  # help always; the child's pages where this version has them
            assert any(n.endswith(f"-{name}{at}") for n in names), (name, at)
    assert "help" in opened
    sizes_while_playing = {n.rsplit("-", 1)[1] for n in names[2:5]}  # step 1, countdown, step 2
    assert sizes_while_playing == {"1920x1080.png", "800x1280.png"}
    assert all(path.stat().st_size > 5_000 for path in tour.shots)
    with Store.open(engine_home / "soundness.db") as store:
        [session] = store.sessions("S-014")
        trials = store.trials(session["id"])
    assert [t["activity"] for t in trials] == ["waiting", "tempo-following"]
    assert [t["index"] for t in trials] == [0, 1]
    assert all(t["simulated"] for t in trials)
    assert session["therapist"] == "Mia Berger"


def test_a_layout_fault_is_named(headless: None) -> None:
    from soundness_live.ui.controls import Button, Layout, Rect
    from soundness_live.ui.tour import layout_faults

    buttons = (
        Button("yes", "yes", Rect(10, 10, 100, 100)),
        Button("no", "no", Rect(60, 60, 100, 40)),  # overlaps yes, and too low
        Button("panic", "QUIET", Rect(1250, 10, 100, 100)),  # past the right edge
    )
    assert layout_faults(Layout(1.0, buttons, {}), (1280, 800), "confirm") == [
        "confirm 1280x800: no is 100x40 px",
        "confirm 1280x800: panic lies outside the window",
        "confirm 1280x800: yes overlaps no",
    ]
    assert layout_faults(Layout(1.0, buttons[:1], {}), (1280, 800), "confirm")[:2] == [
        "confirm 1280x800: the no button is missing",
        "confirm 1280x800: the panic button is missing",
    ]  # fmt: skip
