"""A plan played headless: one timeline, one stored session, nothing half-kept on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundness_live.activities.record import TrialRecord
from soundness_live.offline.plan_runs import plan_json, run_plan
from soundness_live.offline.runs import PlayOptions
from soundness_live.plans.checks import check_plan
from soundness_live.plans.plan import Plan, PlanStep
from soundness_live.players.profiles import ChildProfile
from soundness_live.store.records import Store

PLAN = check_plan(
    Plan(
        "two",
        (
            PlanStep("free-play", "hello", {"bars": 2}),
            PlanStep("waiting", "freeze-game", {"trials": 2, "play_ms": 1500}),
        ),
        countdown_s=2.0,
    ),
    "plan 'two'",
)


@pytest.fixture()
def store(tmp_path: Path):
    store = Store.open(tmp_path / "soundness.db")
    store.add_child(ChildProfile(code="S-014", volume_cap_dbfs=-18.0))
    yield store
    store.close()


def test_the_steps_follow_each_other_after_the_countdown() -> None:
    result = run_plan(PLAN, PlayOptions(activity="free-play"))
    first, second = result.steps
    assert second.start_frame == first.result.end_frame + 2 * 48000
    assert result.end_frame == second.result.end_frame
    assert [t.activity for t in result.trials] == ["free-play", "waiting", "waiting"]
    assert [t.index for t in result.trials] == [0, 1, 2]  # numbered across the steps
    assert [t.activity_index for t in result.trials] == [0, 0, 1]
    assert all(t.start_ms >= second.start_frame / 48.0 for t in result.trials[1:])
    assert plan_json(result)["session_id"] is None


def test_a_step_that_fails_leaves_the_session_interrupted_with_what_was_scored(
    store: Store, tmp_path: Path
) -> None:
    def fail_in_the_freeze_game(record: TrialRecord) -> None:
        if record.activity == "waiting":
            raise RuntimeError("the screen went away")

    wav = tmp_path / "plan.wav"
    with pytest.raises(RuntimeError, match="the screen went away"):
        run_plan(
            PLAN,
            PlayOptions(activity="free-play", wav=wav),
            child="S-014",
            store=store,
            on_trial=fail_in_the_freeze_game,
        )
    [session] = store.sessions("S-014")
    assert session["status"] == "interrupted"
    assert [t["activity"] for t in store.trials(session["id"])] == ["free-play", "waiting"]
    assert not wav.exists()


def test_the_childs_volume_cap_holds_in_every_step(store: Store, tmp_path: Path) -> None:
    wav = tmp_path / "plan.wav"
    result = run_plan(PLAN, PlayOptions(activity="free-play", wav=wav), child="S-014", store=store)
    assert result.sound["peak_dbfs"] <= -18.0
    assert wav.stat().st_mode & 0o777 == 0o600
    [session] = store.sessions("S-014")
    assert session["status"] == "complete"
    stored = store.trials(session["id"])
    assert [t["index"] for t in stored] == [0, 1, 2]
