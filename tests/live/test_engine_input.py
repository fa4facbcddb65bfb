"""What the engine plays for a child: the child's live input unless the virtual child is picked
by name, and then the session says so; who ran the session."""

from __future__ import annotations

from soundness_live.live.engine import Engine
from tests.conftest import until_state

QUICK = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
         "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


def _play(engine: Engine, **fields: object) -> dict:
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, **fields}
    reply = engine.handle(start)
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
    assert engine_here.handle({"type": "end_session"})["ok"]
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
    reply = engine_here.handle(
        {"type": "start_activity", "activity": "waiting", "child": "S-041", "therapist": "Jo Ray"}
    )
    assert not reply["ok"]
    assert reply["error"] == (
        "the session of S-041 is run by Mia Berger, not Jo Ray; end it before starting one "
        "for Jo Ray"
    )
    reply = engine_here.handle(
        {"type": "start_activity", "activity": "waiting", "child": "S-041", "therapist": ""}
    )
    assert reply["error"] == "therapist must be a name of 1..64 characters, got ''"
