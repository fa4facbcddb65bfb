"""Notes played while no activity listens are kept with the open session (the log shows the
child played), on the session's axis; outside a stored session they only sound."""

from __future__ import annotations

import time

import pytest

from soundness_live.core.events import DeviceChange, InputEvent
from soundness_live.live.engine import Engine
from tests.conftest import until_state

QUICK = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
         "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


def _hit(engine: Engine, note: int, device: str = "nanoPAD2") -> None:
    now = time.monotonic()
    for kind, velocity, at in (("note_on", 90, now), ("note_off", 0, now + 0.08)):
        engine.live_input.on_event(InputEvent(kind, 9, note, velocity, device, at, "arrival"))


def test_playing_between_activities_is_kept_with_the_session(engine_here: Engine) -> None:
    engine_here.store.add_child({"code": "S-030"})
    _hit(engine_here, 49)  # no session yet: it sounds, and is not the session's
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": "S-030"}
    assert engine_here.handle(start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    session = state["session_id"]
    before = engine_here.timeline.now() * 1000.0 / engine_here.sample_rate
    for note in (36, 38, 42):  # between activities: nothing listens
        _hit(engine_here, note)
    assert engine_here.handle(start)["ok"]  # the next activity starts: they are stored now
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    _hit(engine_here, 51)  # after the last activity
    assert engine_here.handle({"type": "end_session"})["ok"]
    played = [e for e in engine_here.store.events(session) if e["device"] == "nanoPAD2"]
    ons = {e["note"]: e["onset_ms"] for e in played if e["kind"] == "note_on"}
    offs = {e["note"]: e["onset_ms"] for e in played if e["kind"] == "note_off"}
    assert sorted(ons) == sorted(offs) == [36, 38, 42, 51]  # not 49: played before the session
    assert all(offs[n] - ons[n] == pytest.approx(80.0, abs=2.0) for n in ons)
    assert min(ons.values()) >= before - 50  # on the session's axis, after the first activity
    assert ons[51] > ons[42]
    assert engine_here.live_input.timeline is None  # no session open: notes only sound


def test_a_long_break_is_stored_as_it_goes_and_held_notes_with_their_length(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-031"})
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": "S-031"}
    assert engine_here.handle(start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    session = state["session_id"]
    _hit(engine_here, 40)  # struck and released
    now = time.monotonic()
    held = InputEvent("note_on", 9, 45, 80, "nanoPAD2", now, "arrival")
    engine_here.live_input.on_event(held)  # still held
    engine_here.snapshot()  # what the engine does a few times a second
    stored = {(e["kind"], e["note"]) for e in engine_here.store.events(session)}
    assert {("note_on", 40), ("note_off", 40)} <= stored and ("note_on", 45) not in stored
    release = InputEvent("note_off", 9, 45, 0, "nanoPAD2", now + 0.5, "arrival")
    engine_here.live_input.on_event(release)
    engine_here.snapshot()
    events = [e for e in engine_here.store.events(session) if e["note"] == 45]
    assert [e["kind"] for e in events] == ["note_on", "note_off"]
    assert events[1]["onset_ms"] - events[0]["onset_ms"] == pytest.approx(500.0, abs=2.0)


def test_closing_saves_the_session_before_the_devices_stop(tmp_path) -> None:
    import sqlite3

    from soundness_live.live.engine import EngineOptions

    engine = Engine(EngineOptions(tmp_path, audio="null", synth="none", midi="none"))
    engine.start()
    engine.live_input.on_device_change(DeviceChange("nanoPAD2", True, time.monotonic()))
    engine.store.add_child({"code": "S-032"})
    params = dict(QUICK, trials=50)
    start = {"type": "start_activity", "activity": "waiting", "params": params, "child": "S-032"}
    assert engine.handle(start)["ok"]
    until_state(engine, lambda s: s["trials_done"] >= 1, 10.0)
    seen: list[tuple[str, bool]] = []

    def saved() -> None:  # where the engine process arms its watchdog
        with sqlite3.connect(tmp_path / "soundness.db") as db:
            (status,) = db.execute("SELECT status FROM sessions").fetchone()
        seen.append((status, engine.output._thread is not None))  # the null output runs

    engine.close(saved=saved)
    assert seen == [("interrupted", True)]  # saved while the output still ran
