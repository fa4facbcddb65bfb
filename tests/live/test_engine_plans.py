"""The engine playing a session plan: steps in order in one session, the countdown between them,
and the therapist's next, skip and repeat."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from soundness_live.audio.private_file import write_private_bytes
from soundness_live.live.client import EngineClient, EngineError
from soundness_live.live.commands import handle
from soundness_live.plans.library import save_plan
from soundness_live.plans.plan import Plan, PlanStep
from soundness_live.store.records import Store
from tests.conftest import until_state
from tests.live.test_engine_connections import posix_only, serving

SONG = {"bars": 2, "tempo_bpm": 160, "lead_in_ms": 0, "gap_ms": 0}  # about 3 s
WAIT = {"trials": 1, "foreperiod_ms": 300, "jitter_pct": 0, "lead_in_ms": 0, "gap_ms": 0}


def steps() -> tuple[PlanStep, ...]:
    return (
        PlanStep("free-play", "hello", SONG, label="hello song"),
        PlanStep("waiting", "wait-for-the-cue", WAIT, label="wait for it"),
        PlanStep("free-play", "goodbye", SONG, label="goodbye song"),
    )


@pytest.fixture()
def engine(engine_here: Any) -> Any:
    with Store.open(engine_here.options.data_dir / "soundness.db") as store:
        store.add_child({"code": "S-014"})
    return engine_here


def save(engine: Any, name: str, countdown_s: float, count: int = 3) -> None:
    plan = Plan(name, steps()[:count], countdown_s=countdown_s)
    save_plan(engine.options.data_dir, plan, write_private_bytes, child="S-014")


def plan_of(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("plan") or {}


def start(engine: Any, name: str) -> dict[str, Any]:
    msg = {"type": "start_plan", "plan": name, "child": "S-014", "input": "virtual"}
    return handle(engine, msg)


def test_a_plan_plays_its_steps_in_order_as_one_session_with_a_countdown_between(
    engine: Any,
) -> None:
    save(engine, "two", countdown_s=0.6, count=2)
    reply = start(engine, "two")
    assert reply["ok"], reply
    state = engine.snapshot()
    assert plan_of(state)["state"] == "running" and plan_of(state)["current"] == 0
    assert [s["label"] for s in plan_of(state)["steps"]] == ["hello song", "wait for it"]
    assert state["trial"] == {"n": 1, "of": 1}
    between = until_state(engine, lambda s: plan_of(s).get("state") == "between", 15.0)
    assert plan_of(between)["current"] == 1
    assert plan_of(between)["steps"][0]["status"] == "done"
    assert 0 < plan_of(between)["countdown_s"] <= 0.6
    assert between["cue"] == {"cue": "countdown", "seconds": 1, "next": "wait for it"}
    assert between["trial"] is None
    running = until_state(engine, lambda s: s.get("activity") == "waiting", 5.0)
    assert plan_of(running)["state"] == "running" and plan_of(running)["current"] == 1
    done = until_state(engine, lambda s: plan_of(s).get("state") == "done", 15.0)
    assert [s["status"] for s in plan_of(done)["steps"]] == ["done", "done"]
    session_id = done["session_id"]
    assert handle(engine, {"type": "end_session"})["session_id"] == session_id
    assert engine.snapshot()["plan"] is None
    with Store.open(engine.options.data_dir / "soundness.db") as store:
        [session] = store.sessions("S-014")
        trials = store.trials(session["id"])
    assert [t["activity"] for t in trials] == ["free-play", "waiting"]
    assert [t["index"] for t in trials] == [0, 1]
    assert all(t["simulated"] for t in trials)


def test_next_skip_and_repeat_move_the_plan_as_the_therapist_says(engine: Any) -> None:
    save(engine, "three", countdown_s=60.0)
    assert start(engine, "three")["ok"]
    assert handle(engine, {"type": "next_step"})["ok"]  # cut the hello song short
    view = plan_of(engine.snapshot())
    assert (view["state"], view["current"], view["steps"][0]["status"]) == (
        "between",
        1,
        "cut short",
    )
    assert engine.snapshot()["activity"] is None
    assert handle(engine, {"type": "skip_step"})["ok"]  # leave out the waiting game
    view = plan_of(engine.snapshot())
    assert (view["current"], view["steps"][1]["status"]) == (2, "skipped")
    assert handle(engine, {"type": "repeat_step"})["ok"]  # the hello song again
    assert plan_of(engine.snapshot())["current"] == 0
    assert handle(engine, {"type": "next_step"})["ok"]  # start it now, not in a minute
    state = engine.snapshot()
    assert (plan_of(state)["state"], state["activity"]) == ("running", "free-play")
    assert handle(engine, {"type": "repeat_step"})["ok"]  # while it runs: again, after a count
    view = plan_of(engine.snapshot())
    assert (view["state"], view["current"]) == ("between", 0)


def test_the_quiet_button_holds_the_countdown(engine: Any) -> None:
    save(engine, "two", countdown_s=0.5, count=2)
    assert start(engine, "two")["ok"]
    assert handle(engine, {"type": "next_step"})["ok"]  # counting down to step 2
    assert handle(engine, {"type": "panic"})["ok"]
    time.sleep(1.0)  # twice the countdown
    state = engine.snapshot()
    assert plan_of(state)["held"] is True and plan_of(state)["countdown_s"] is None
    assert state["activity"] is None and state["cue"] is None and state["quiet"] is True
    assert handle(engine, {"type": "next_step"})["ok"]  # the therapist goes on
    assert engine.snapshot()["activity"] == "waiting"
    assert engine.snapshot()["quiet"] is False  # the step plays: the screen says quiet no more


def test_stop_during_a_step_waits_for_the_therapist(engine: Any) -> None:
    save(engine, "two", countdown_s=0.2, count=2)
    assert start(engine, "two")["ok"]
    assert handle(engine, {"type": "stop"})["ok"]
    time.sleep(0.6)
    view = plan_of(engine.snapshot())
    assert (view["state"], view["current"], view["held"]) == ("between", 1, True)
    assert view["steps"][0]["status"] == "cut short"


def test_an_activity_started_by_hand_between_steps_holds_the_plan(engine: Any) -> None:
    save(engine, "two", countdown_s=0.5, count=2)
    assert start(engine, "two")["ok"]
    assert handle(engine, {"type": "next_step"})["ok"]
    by_hand = {"type": "start_activity", "activity": "free-play", "params": SONG,
               "child": "S-014", "input": "virtual"}  # fmt: skip
    assert handle(engine, by_hand)["ok"]
    time.sleep(1.0)
    state = engine.snapshot()
    assert plan_of(state)["held"] is True and plan_of(state)["current"] == 1
    assert state["activity"] == "free-play"
    assert state["trial"] == {"n": 1, "of": 1}


def test_a_plan_that_cannot_run_is_refused_naming_its_file_and_step(engine: Any) -> None:
    save(engine, "two", countdown_s=1.0, count=2)
    path = engine.options.data_dir / "plans" / "S-014" / "two.toml"
    path.write_text(path.read_text().replace('"wait-for-the-cue"', '"wait-for-cue"'))
    reply = start(engine, "two")
    assert reply["ok"] is False
    assert reply["error"].startswith(f"{path}: step 2: no preset 'wait-for-cue'")
    assert engine.snapshot()["plan"] is None and engine.snapshot()["session_id"] is None
    assert start(engine, "nope")["error"].startswith("no plan 'nope' for S-014 (plans:")
    for command in ("next_step", "skip_step", "repeat_step"):
        reply = handle(engine, {"type": command})
        assert reply == {
            "ok": False,
            "error": f"{command}: no plan is playing (start_plan starts one)",
        }


def test_the_plans_a_child_can_run_are_listed(engine: Any) -> None:
    save(engine, "two", countdown_s=1.0, count=2)
    reply = handle(engine, {"type": "plans", "child": "S-014"})
    assert [(p["name"], p["kind"]) for p in reply["plans"]] == [
        ("early-years", "starter"),
        ("motor-focus", "starter"),
        ("school-age", "starter"),
        ("two", "child"),
    ]
    assert reply["plans"][3]["steps"] == ["hello song", "wait for it"]
    assert [p["name"] for p in handle(engine, {"type": "plans"})["plans"]] == [
        "early-years",
        "motor-focus",
        "school-age",
    ]


@posix_only
def test_a_client_lists_and_plays_a_plan_over_the_engines_connection() -> None:
    home = Path(tempfile.mkdtemp(prefix="sl-plan-"))  # short: the socket's path has a limit
    try:
        play_over_the_connection(home)
    finally:
        shutil.rmtree(home)


def play_over_the_connection(home: Path) -> None:
    with serving(home) as server:
        with Store.open(home / "soundness.db") as store:
            store.add_child({"code": "S-014"})
        save_plan(home, Plan("two", steps()[:2], countdown_s=30.0), write_private_bytes)
        with EngineClient.connect(server.data_dir) as client:
            listed = client.request("plans", child="S-014")["plans"]
            assert [p["name"] for p in listed][-1] == "two"
            reply = client.request("start_plan", plan="two", child="S-014", input="virtual")
            assert reply["plan"]["steps"][0]["label"] == "hello song"
            client.request("next_step")
            deadline = time.monotonic() + 5.0
            while plan_of(client.state).get("state") != "between":
                assert time.monotonic() < deadline, client.state
                time.sleep(0.02)
            assert client.state["cue"]["cue"] == "countdown"
            with pytest.raises(EngineError, match="start_plan: field 'plan' is needed"):
                client.request("start_plan", child="S-014")
            client.request("end_session")
