"""What the engine plays for a child: the child's live input unless the virtual child is picked
by name, and then the session says so; who ran the session."""

from __future__ import annotations

import time

from soundness_live.core.events import DeviceChange
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from tests.conftest import until_state

QUICK = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
         "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


def _play(engine: Engine, **fields: object) -> dict:
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, **fields}
    reply = handle(engine, start)
    assert reply["ok"], reply
    return until_state(engine, lambda s: s["activity"] is None and s["trials_done"], 10.0)


def test_a_child_plays_live_and_the_virtual_child_is_stored_as_simulated(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-040"})
    state = _play(engine_here, child="S-040", therapist="Mia Berger")
    assert state["input"] == "live"
    session_id = state["session_id"]
    (session,) = engine_here.store.sessions("S-040")
    assert (session["input"], session["simulated"]) == ("live", False)
    answered = {**QUICK, "response_window_ms": 2000}  # time for the virtual child to answer
    _play(engine_here, child="S-040", input="virtual", params=answered)  # picked on the screen
    assert handle(engine_here, {"type": "end_session"})["ok"]
    (session,) = engine_here.store.sessions("S-040")
    assert (session["input"], session["simulated"]) == ("mixed", True)
    assert session["therapist"] == "Mia Berger"
    trials = engine_here.store.trials(session_id)
    assert [(t["input"], t["simulated"]) for t in trials] == [("live", False), ("virtual", True)]
    virtual = {e["input"] for e in engine_here.store.events(session_id)}
    assert virtual == {"virtual"}  # the virtual child's notes; the child played none


def test_without_a_child_nothing_is_stored_and_the_virtual_child_plays(
    engine_here: Engine,
) -> None:
    state = _play(engine_here)
    assert state["input"] == "virtual" and state["session_id"] is None


def test_the_session_keeps_the_configured_therapist_and_refuses_another(
    engine_here: Engine,
) -> None:
    (engine_here.store.path.parent / "config.toml").write_text('therapist = "Mia Berger"\n')
    engine_here.store.add_child({"code": "S-041"})
    _play(engine_here, child="S-041")
    (session,) = engine_here.store.sessions("S-041")
    assert session["therapist"] == "Mia Berger"
    reply = handle(
        engine_here,
        {"type": "start_activity", "activity": "waiting", "child": "S-041", "therapist": "Jo Ray"},
    )
    assert not reply["ok"]
    assert reply["error"] == (
        "the session of S-041 is run by Mia Berger, not Jo Ray; end it before starting one "
        "for Jo Ray"
    )
    reply = handle(
        engine_here,
        {"type": "start_activity", "activity": "waiting", "child": "S-041", "therapist": ""},
    )
    assert reply["error"] == (
        "start_activity: field 'therapist' must be a name of 1..64 characters, got \"\""
    )


def _device(engine: Engine, name: str, connected: bool) -> None:
    engine.live_input.on_device_change(DeviceChange(name, connected, time.monotonic()))


def test_a_live_activity_with_no_device_connected_does_not_start(engine_here: Engine) -> None:
    engine_here.store.add_child({"code": "S-042"})
    _device(engine_here, "keyboard", False)  # the engine's keyboard is unplugged
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": "S-042"}
    assert handle(engine_here, start) == {
        "ok": False,
        "error": "no input device connected for the child (MIDI input: off); connect their "
        "keyboard or drum pad, or choose the virtual child",
    }
    assert engine_here.store.sessions("S-042") == []  # no session of failures
    assert handle(engine_here, {"type": "set_device", "device": "keyboard", "player": "therapist"})
    _device(engine_here, "keyboard", True)  # the therapist's own keyboard answers no trial
    assert not handle(engine_here, start)["ok"]
    _device(engine_here, "nanoPAD2", True)  # the child's pad is plugged in
    assert _play(engine_here, child="S-042")["input"] == "live"
    (trial,) = engine_here.store.trials(engine_here.snapshot()["session_id"])
    assert (trial["outcome"], trial["simulated"]) == ("no_response", False)


def test_a_trial_during_which_the_childs_device_vanished_is_void(engine_here: Engine) -> None:
    engine_here.store.add_child({"code": "S-043"})
    long = dict(QUICK, response_window_ms=3000)  # the device goes well inside the trial
    start = {"type": "start_activity", "activity": "waiting", "params": long, "child": "S-043"}
    assert handle(engine_here, start)["ok"]
    until_state(engine_here, lambda s: s["cue"] is not None, 10.0)  # the trial is under way
    _device(engine_here, "keyboard", False)
    _device(engine_here, "keyboard", True)  # plugged in again: this trial still cannot count
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    _play(engine_here, child="S-043")  # the next activity's trial counts again
    trials = engine_here.store.trials(engine_here.snapshot()["session_id"])
    assert [(t["outcome"], t.get("void_reason")) for t in trials] == [
        ("void", "input device disconnected"),
        ("no_response", None),
    ]
