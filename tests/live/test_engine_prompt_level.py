"""The therapist marks the prompt level once the child has answered: during a trial it goes
into that trial's record; between trials (or with ``trial: "last"``) the last trial stored in
the open session is changed in the store, keeps that it was marked after it ended, and the
snapshot and the exports show the marked level."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from soundness_live.export.csv import write_csv
from soundness_live.export.deidentify import deidentify
from soundness_live.export.json_export import write_json
from soundness_live.export.report import render_report
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from tests.conftest import until_state

# the virtual child: trials stored as simulated; one trial of about a second
ONE_TRIAL = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "gap_ms": 0, "start_level": 3,
             "foreperiod_ms": 1000, "wait_step_ms": 500, "jitter_pct": 0,
             "response_window_ms": 300}  # fmt: skip


def _run_one_trial(engine: Engine, code: str = "S-050") -> int:
    """Start one simulated trial for ``code`` (added to the store if new); the open session's
    id."""
    if code not in {child.code for child in engine.store.list_children()}:
        engine.store.add_child({"code": code})
    start = {"type": "start_activity", "activity": "waiting", "params": ONE_TRIAL,
             "child": code, "input": "virtual", "seed": 3}  # fmt: skip
    assert handle(engine, start)["ok"]
    return until_state(engine, lambda s: s["activity"] == "waiting", 5.0)["session_id"]


def test_a_level_marked_during_a_trial_goes_into_its_record(engine_here: Engine) -> None:
    session_id = _run_one_trial(engine_here)
    time.sleep(0.3)  # the trial is under way: its wait has not ended
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "model"})
    assert reply == {"ok": True, "marked": "trial in progress", "index": 0, "prompt_level": "model"}
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 10.0)
    (trial,) = engine_here.store.trials(session_id)
    assert trial["prompt_level"] == "model"
    assert "prompt_level_marked_at" not in trial  # marked while it ran, not after
    assert engine_here.snapshot()["prompt_level"] == "independent"  # the next trial's default


def test_a_level_marked_between_trials_changes_the_stored_last_trial(
    engine_here: Engine, tmp_path: Path
) -> None:
    session_id = _run_one_trial(engine_here)
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 10.0)
    (before,) = engine_here.store.trials(session_id)
    assert (before["prompt_level"], before["simulated"]) == ("independent", True)

    reply = handle(engine_here, {"type": "set_prompt_level", "level": "gestural"})
    assert reply == {"ok": True, "marked": "last trial", "index": 0, "prompt_level": "gestural",
                     "was": "independent", "simulated": True}  # fmt: skip
    (after,) = engine_here.store.trials(session_id)
    assert after["prompt_level"] == "gestural"
    assert after["prompt_level_recorded"] == "independent"
    assert after["prompt_level_marked_at"]
    assert after["simulated"] is True and after["outcome"] == before["outcome"]
    assert after["metrics"] == before["metrics"]
    row = engine_here.store.conn.execute(
        "SELECT prompt_level FROM trials WHERE session_id = ?", (session_id,)
    ).fetchone()
    assert row[0] == "gestural"  # the column the clinic and the checks read follows
    state = engine_here.snapshot()
    assert [t["prompt_level"] for t in state["recent_trials"]] == ["gestural"]
    assert state["prompt_level"] == "independent"  # the next trial starts unmarked

    # marked again: the level it was stored with is kept, the newest mark wins
    assert (
        handle(engine_here, {"type": "set_prompt_level", "level": "verbal", "trial": "last"})["was"]
        == "gestural"
    )
    (again,) = engine_here.store.trials(session_id)
    assert (again["prompt_level"], again["prompt_level_recorded"]) == ("verbal", "independent")

    bundle = engine_here.store.export_bundle("S-050", session_id)
    write_csv(bundle, tmp_path / "csv")
    with open(tmp_path / "csv" / "trials.csv", newline="", encoding="utf-8") as handle_:
        (csv_row,) = list(csv.DictReader(handle_))
    assert csv_row["prompt_level"] == "verbal"
    assert csv_row["prompt_level_recorded"] == "independent"
    assert csv_row["prompt_level_marked_at"] == again["prompt_level_marked_at"]
    report = render_report(bundle)
    assert (
        f"verbal (marked {again['prompt_level_marked_at'][:16].replace('T', ' ')}; "
        "stored as independent)" in report
    )
    exported = json.loads(write_json(bundle, tmp_path / "s.json").read_text(encoding="utf-8"))
    (json_trial,) = [t for s in exported["sessions"] for t in s["trials"]]
    assert json_trial["prompt_level"] == "verbal"
    assert json_trial["prompt_level_recorded"] == "independent"
    # de-identified, the mark's words and time stay (the program's own, never a name or a
    # birth date, though the child was born on a date like the mark's)
    bundle["child"].update(date_of_birth=str(again["prompt_level_marked_at"])[:10])
    (safe,) = [t for s in deidentify(bundle)["sessions"] for t in s["trials"]]
    assert safe["prompt_level_marked_at"] == again["prompt_level_marked_at"]
    assert safe["prompt_level_recorded"] == "independent"


def test_last_marks_the_stored_trial_while_an_activity_runs(engine_here: Engine) -> None:
    session_id = _run_one_trial(engine_here)
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 10.0)
    start = {"type": "start_activity", "activity": "waiting", "child": "S-050",
             "input": "virtual", "params": ONE_TRIAL | {"foreperiod_ms": 3000}}  # fmt: skip
    assert handle(engine_here, start)["ok"]
    until_state(engine_here, lambda s: s["activity"] == "waiting", 5.0)
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "model", "trial": "last"})
    assert (reply["marked"], reply["index"]) == ("last trial", 0)
    assert engine_here.snapshot()["prompt_level"] == "independent"  # not the trial running
    handle(engine_here, {"type": "stop"})
    first = engine_here.store.trials(session_id)[0]
    assert first["prompt_level"] == "model"


def test_with_no_trial_to_mark_it_is_refused(engine_here: Engine) -> None:
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "verbal"})
    assert reply == {
        "ok": False,
        "error": "set_prompt_level: no trial to mark (no session is open); the level of a "
        "trial in progress is marked while it runs",
    }
    bad = handle(engine_here, {"type": "set_prompt_level", "level": "verbal", "trial": 2})
    assert bad == {"ok": False,
                   "error": "set_prompt_level: field 'trial' must be \"last\" (the last trial "
                   "stored), got 2"}  # fmt: skip


def test_between_two_trials_of_a_run_the_level_goes_to_the_one_that_ended(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-051"})
    params = ONE_TRIAL | {"trials": 2, "gap_ms": 2500}  # 2.5 s before the next trial's cue
    start = {"type": "start_activity", "activity": "waiting", "params": params,
             "child": "S-051", "input": "virtual", "seed": 3}  # fmt: skip
    assert handle(engine_here, start)["ok"]
    session_id = until_state(engine_here, lambda s: s["trials_done"] == 1, 10.0)["session_id"]
    assert not engine_here.trial_in_progress()
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "verbal"})
    assert (reply["marked"], reply["index"], reply["was"]) == ("last trial", 0, "independent")
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 2, 10.0)
    first, second = engine_here.store.trials(session_id)
    assert (first["prompt_level"], second["prompt_level"]) == ("verbal", "independent")
    assert "prompt_level_marked_at" in first and "prompt_level_marked_at" not in second


def test_a_new_session_or_another_child_starts_with_no_trials_shown(engine_here: Engine) -> None:
    _run_one_trial(engine_here)
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 10.0)
    assert [t["index"] for t in engine_here.snapshot()["recent_trials"]] == [0]
    assert handle(engine_here, {"type": "end_session"})["ok"]
    # the ended session's trials stay in view for its child until something new begins
    assert len(engine_here.snapshot()["recent_trials"]) == 1
    engine_here.store.add_child({"code": "S-051"})
    assert handle(engine_here, {"type": "select_child", "child": "S-051"})["ok"]
    shown = engine_here.snapshot()
    assert shown["recent_trials"] == [] and not shown.get("figures")  # never S-050's
    _run_one_trial(engine_here, "S-051")
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 10.0)
    assert handle(engine_here, {"type": "end_session"})["ok"]
    second = _run_one_trial(engine_here, "S-051")  # the same child's next session
    time.sleep(0.1)
    assert engine_here.snapshot()["recent_trials"] == []
    # so "the last trial" cannot mark the last session's trial 0
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "verbal", "trial": "last"})
    assert not reply["ok"] and engine_here.store.trials(second) == []


def test_a_void_last_trial_takes_no_prompt_level(engine_here: Engine) -> None:
    start = {"type": "start_activity", "activity": "waiting", "child": "S-051", "input": "virtual",
             "params": ONE_TRIAL | {"foreperiod_ms": 3000}}  # fmt: skip
    engine_here.store.add_child({"code": "S-051"})
    assert handle(engine_here, start)["ok"]
    session_id = until_state(engine_here, lambda s: s["activity"] == "waiting", 5.0)["session_id"]
    time.sleep(0.3)
    assert handle(engine_here, {"type": "next_trial"})["ok"]  # its trial is stored void
    until_state(engine_here, lambda s: s["activity"] is None, 10.0)
    (trial,) = engine_here.store.trials(session_id)
    assert trial["outcome"] == "void"
    reply = handle(engine_here, {"type": "set_prompt_level", "level": "verbal"})
    assert reply["ok"] is False
    assert "the last trial (0) is void" in reply["error"]
    assert "takes no prompt level" in reply["error"]
    assert engine_here.store.trials(session_id)[0]["prompt_level"] == trial["prompt_level"]
