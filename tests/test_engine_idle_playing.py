"""Notes played while no activity listens are kept with the open session (the log shows the
child played), on the session's axis; outside a stored session they only sound."""

from __future__ import annotations

import time

import pytest

from soundness_live.engine_core import Engine
from soundness_live.midi.input import InputEvent
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
