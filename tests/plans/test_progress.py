"""A plan being played: which step comes when, moved on by the therapist, on a manual clock."""

from __future__ import annotations

from soundness_live.plans.plan import Plan, PlanStep
from soundness_live.plans.progress import BETWEEN, DONE, RUNNING, PlanProgress

PLAN = Plan(
    "three",
    (
        PlanStep("free-play", "hello", label="hello song"),
        PlanStep("waiting", "freeze-game"),
        PlanStep("free-play", "goodbye"),
    ),
    countdown_s=5.0,
)


def started() -> PlanProgress:
    progress = PlanProgress(PLAN)
    progress.started()
    return progress


def test_a_step_that_ends_counts_down_to_the_next_which_starts_when_due() -> None:
    progress = started()
    progress.step_ended(100.0)
    assert (progress.state, progress.current) == (BETWEEN, 1)
    assert progress.view(101.5)["countdown_s"] == 3.5
    assert progress.countdown_cue(101.5) == {
        "cue": "countdown",
        "seconds": 4,
        "next": "freeze game",
    }
    assert not progress.due(104.999)
    assert progress.due(105.0)
    progress.started()
    assert progress.view(105.0)["steps"][:2] == [
        {"activity": "free-play", "preset": "hello", "label": "hello song", "status": "done"},
        {
            "activity": "waiting",
            "preset": "freeze-game",
            "label": "freeze game",
            "status": "running",
        },
    ]
    assert progress.countdown_cue(105.0) is None


def test_the_last_step_ending_finishes_the_plan() -> None:
    progress = started()
    for now in (10.0, 20.0):
        progress.step_ended(now)
        progress.started()
    progress.step_ended(30.0)
    view = progress.view(31.0)
    assert (view["state"], view["current"], view["countdown_s"]) == (DONE, 2, None)
    assert [s["status"] for s in view["steps"]] == ["done", "done", "done"]


def test_skipping_while_counting_down_leaves_the_upcoming_step_out() -> None:
    progress = started()
    progress.step_ended(10.0)
    progress.skip_upcoming(12.0)
    assert (progress.current, progress.countdown_until_s) == (2, 17.0)
    assert progress.statuses == ["done", "skipped", None]
    progress.skip_upcoming(13.0)
    assert progress.state == DONE


def test_cutting_a_step_short_counts_down_to_the_next_or_to_itself_again() -> None:
    progress = started()
    progress.cut_short(7.0)
    assert (progress.state, progress.current, progress.statuses[0]) == (BETWEEN, 1, "cut short")
    progress.started()
    progress.cut_short(9.0, to=1)  # repeat while it runs
    assert (progress.current, progress.countdown_until_s) == (1, 14.0)


def test_repeat_while_counting_down_leads_back_to_the_step_last_played() -> None:
    progress = started()
    progress.step_ended(10.0)
    progress.repeat_last(11.0)
    assert (progress.state, progress.current, progress.countdown_until_s) == (BETWEEN, 0, 16.0)
    for now in (20.0, 30.0, 40.0):
        progress.started()
        progress.step_ended(now)
    assert progress.state == DONE
    progress.repeat_last(41.0)  # the goodbye song once more
    assert (progress.state, progress.current) == (BETWEEN, 2)


def test_a_held_countdown_waits_for_the_therapist() -> None:
    progress = started()
    progress.step_ended(10.0)
    progress.hold()
    assert not progress.due(1e9)
    view = progress.view(11.0)
    assert (view["held"], view["countdown_s"]) == (True, None)
    progress.skip_upcoming(12.0)  # any move starts the count again
    assert progress.due(17.0)


def test_a_failed_step_holds_the_countdown() -> None:
    progress = started()
    progress.step_ended(10.0, failed=True)
    assert (progress.state, progress.current, progress.statuses[0]) == (BETWEEN, 1, "failed")
    assert not progress.due(1e9)


def test_moves_that_do_not_apply_change_nothing() -> None:
    progress = started()
    progress.skip_upcoming(1.0)
    progress.repeat_last(1.0)
    progress.hold()
    assert (progress.state, progress.current, progress.statuses[0]) == (RUNNING, 0, "running")
    progress.step_ended(2.0)
    progress.step_ended(3.0)  # reported twice: counted once
    progress.cut_short(3.0)
    assert (progress.current, progress.countdown_until_s) == (1, 7.0)
