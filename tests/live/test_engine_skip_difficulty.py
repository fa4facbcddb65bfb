"""The therapist's "next trial" on the running engine: the trial cut short is stored void, and
the activity's difficulty stays where it was (it adapts to the record as stored)."""

from __future__ import annotations

import time

import pytest

from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from tests.conftest import until_state

# no MIDI input: the child never answers, so an uncut trial is a failure (one level down)
CASES = {
    "waiting": {"variant": "cue", "trials": 2, "lead_in_ms": 0, "gap_ms": 0, "start_level": 3,
                "foreperiod_ms": 1000, "wait_step_ms": 500, "jitter_pct": 0,
                "response_window_ms": 300},
    "call-and-response": {"variant": "drums", "trials": 2, "lead_in_ms": 1500, "gap_ms": 0,
                          "start_level": 3, "response_window_ms": 500},
}  # fmt: skip


@pytest.mark.parametrize("activity", CASES)
def test_next_trial_leaves_the_difficulty_where_it_was(engine_here: Engine, activity: str) -> None:
    engine_here.store.add_child({"code": "S-040"})
    start = {"type": "start_activity", "activity": activity, "params": CASES[activity],
             "child": "S-040"}  # fmt: skip
    assert handle(engine_here, start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] == activity, 5.0)
    time.sleep(0.3)  # the first trial is under way
    assert handle(engine_here, {"type": "next_trial"})["ok"]
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 2, 20.0)
    first, second = engine_here.store.trials(state["session_id"])
    assert (first["outcome"], first["void_reason"]) == ("void", "skipped")
    assert first["difficulty"] == 3
    assert second["difficulty"] == 3  # the skip moved nothing
    assert second["outcome"] == "no_response"
