"""Progress and mastery on hand-made session histories (METRICS.md §5)."""

from __future__ import annotations

from typing import Any

import pytest

from soundness_live.goals.goal import Goal, goal_from_dict
from soundness_live.goals.progress import TREND_POINTS, goal_progress, session_progress

GOAL = goal_from_dict(
    {
        "id": "echo",
        "domain": "social",
        "text": "Echoes the call",
        "activity": "call-and-response",
        "success": "notes_correct_pct >= 75",
        "max_prompt_level": "independent",
        "mastery": {"trials": 5, "successes": 4, "consecutive_sessions": 3},
    }
)


def make_trial(index: int, code: str) -> dict[str, Any]:
    """code: 'S' success, 'F' failure, 'V' void (with perfect metrics), 'P' prompted success,
    'O' a trial of another activity (perfect metrics), 'v' a success by the virtual child,
    'f' a failure by the virtual child, 'M' a success in the melodic variant."""
    simulated = code in "vf"
    return {
        "index": index,
        "activity": "waiting" if code == "O" else "call-and-response",
        "variant": "melodic" if code == "M" else "drums",
        "outcome": "void" if code == "V" else "correct" if code in "SPOvM" else "incorrect",
        "prompt_level": "gestural" if code == "P" else "independent",
        "goals": [],
        "input": "virtual" if simulated else "live",
        "simulated": simulated,
        "metrics": {"notes_correct_pct": 40.0 if code in "Ff" else 100.0},
    }


def session(sid: int, trials: str, status: str = "complete", day: int | None = None) -> dict:
    day = sid if day is None else day
    return {
        "id": sid,
        "started_at": f"2026-11-{day:02d}T10:00:00+01:00",
        "status": status,
        "trials": [make_trial(i, code) for i, code in enumerate(trials)],
    }


def progress(*sessions: dict, goal: Goal = GOAL) -> dict[str, Any]:
    return goal_progress(goal, list(sessions))


def test_session_counts() -> None:
    entry = session_progress(GOAL, session(1, "SSFPV"))
    assert entry == {
        "session_id": 1,
        "started_at": "2026-11-01T10:00:00+01:00",
        "status": "complete",
        "trials": 4,  # the void trial does not count
        "successes": 2,  # the prompted one is more help than allowed
        "pct_successful": 50.0,
        "pct_independent": 75.0,
        "judged_trials": 4,
        "judged_successes": 2,
        "met": False,
        "simulated": False,
        "simulated_trials": 0,
    }


@pytest.mark.parametrize(
    ("trials", "met"),
    [
        ("SSSSF", True),  # 4 of 5
        ("SSSFF", False),  # 3 of 5
        ("FFSSSSF", True),  # only the last 5 count: S S S S F
        ("SSSSFF", False),  # last 5: S S S F F
        ("SSSS", True),  # fewer than n trials: 4 of 4 is still >= k
        ("SSS", False),  # fewer than k trials cannot meet the criterion
        ("SSSSFVVV", True),  # void trials are not among the last n
        ("SSSFVVVS", True),  # ... wherever they fall
        ("SSSPF", False),  # a prompted success is not a success
        ("SSSOOOOOF", False),  # other activities' trials do not count as the goal's
        ("", False),
    ],
)
def test_session_meets_criterion(trials: str, met: bool) -> None:
    assert session_progress(GOAL, session(1, trials))["met"] is met


def test_mastered_exactly_on_the_third_met_session() -> None:
    two = progress(session(1, "SSSSF"), session(2, "SSSSS"))
    assert two["mastered_on"] is None and two["met_in_a_row"] == 2
    three = progress(session(1, "SSSSF"), session(2, "SSSSS"), session(3, "FSSSS"))
    assert three["mastered_on"] == "2026-11-03"
    assert three["met_in_a_row"] == 3


def test_interrupted_sessions_neither_count_nor_break_the_run() -> None:
    result = progress(
        session(1, "SSSSS"),
        session(2, "SSSSS"),
        session(3, "FFFFF", status="interrupted"),  # would break the run if it counted
        session(4, "SSSSS", status="interrupted"),  # would complete the run if it counted
        session(5, "SSSSS"),
    )
    assert result["mastered_on"] == "2026-11-05"
    assert [entry["status"] for entry in result["sessions"]] == ["complete"] * 2 + [
        "interrupted"
    ] * 2 + ["complete"]  # fmt: skip


def test_a_session_not_met_breaks_the_run() -> None:
    sessions = [session(1, "SSSSS"), session(2, "SSSSS"), session(3, "SSFFF")]
    sessions += [session(4, "SSSSS"), session(5, "SSSSS")]
    assert progress(*sessions)["mastered_on"] is None
    assert progress(*sessions, session(6, "SSSSS"))["mastered_on"] == "2026-11-06"


def test_sessions_without_the_goals_trials_are_skipped() -> None:
    result = progress(
        session(1, "SSSSS"),
        session(2, "OOOO"),  # only another activity today: the goal was not worked on
        session(3, "VVVVV"),  # only void trials
        session(4, "SSSSS"),
        session(5, "SSSSS"),
    )
    assert result["mastered_on"] == "2026-11-05"
    assert [entry["session_id"] for entry in result["sessions"]] == [1, 4, 5]


def test_running_session_does_not_count_yet() -> None:
    result = progress(session(1, "SSSSS"), session(2, "SSSSS"), session(3, "SSSSS", "running"))
    assert result["mastered_on"] is None
    assert result["sessions"][-1]["met"] is True  # shown, but not counted


def test_mastery_date_is_kept_and_sessions_are_sorted_by_start() -> None:
    sessions = [session(4, "FFFFF"), session(2, "SSSSS"), session(3, "SSSSS"), session(1, "SSSSS")]
    result = progress(*sessions)
    assert result["mastered_on"] == "2026-11-03"
    assert result["met_in_a_row"] == 0  # the latest session was not met
    assert [entry["session_id"] for entry in result["sessions"]] == [1, 2, 3, 4]


def test_mastery_with_other_parameters() -> None:
    goal = goal_from_dict(
        GOAL.to_dict() | {"mastery": {"trials": 2, "successes": 1, "consecutive_sessions": 1}}
    )
    assert progress(session(1, "SSFFF"), goal=goal)["mastered_on"] is None  # last 2: F F
    assert progress(session(1, "FFFSF"), goal=goal)["mastered_on"] == "2026-11-01"


def test_mastery_uses_the_sessions_local_date() -> None:
    late = session(3, "SSSSS") | {"started_at": "2026-11-03T23:30:00-05:00"}
    result = progress(session(1, "SSSSS"), session(2, "SSSSS"), late)
    assert result["mastered_on"] == "2026-11-03"


def pcts(*values: int) -> list[dict]:
    """Sessions of 5 trials with the given % successful (multiples of 20)."""
    return [session(i + 1, "S" * (v // 20) + "F" * (5 - v // 20)) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "baseline", "trend"),
    [
        ((), None, None),
        ((20,), 20.0, None),
        ((20, 40, 60), 40.0, None),  # nothing after the baseline yet
        ((20, 40, 60, 60), 40.0, "improving"),  # +20 points
        ((20, 40, 60, 40, 60, 40), 40.0, "steady"),  # +6.7 points
        ((80, 80, 80, 60, 60, 80), 80.0, "declining"),  # -13.3 points
        ((80, 80, 80, 0, 100, 80, 80, 80), 80.0, "steady"),  # only the last 3 compare
    ],
)
def test_baseline_and_trend(values: tuple[int, ...], baseline: float | None, trend: str) -> None:
    result = progress(*pcts(*values))
    assert result["baseline_pct"] == (pytest.approx(baseline) if baseline is not None else None)
    assert result["trend"] == trend
    assert TREND_POINTS == 10.0


def test_baseline_ignores_interrupted_sessions() -> None:
    first = session(9, "SSSSS", status="interrupted") | {"started_at": "2026-10-31T10:00:00+01:00"}
    assert progress(first, *pcts(20, 40, 60))["baseline_pct"] == pytest.approx(40.0)


def test_simulated_trials_never_count_toward_mastery() -> None:
    result = progress(session(1, "vvvvv"), session(2, "vvvvv"), session(3, "vvvvf"))
    assert result["mastered_on"] is None and result["met_in_a_row"] == 0
    assert result["baseline_pct"] is None and result["trend"] is None
    assert result["counted_sessions"] == 0
    first = result["sessions"][0]
    assert first["simulated"] is True and first["met"] is None  # shown, scored, never judged
    assert (first["trials"], first["successes"], first["pct_successful"]) == (5, 5, 100.0)


def test_a_simulated_session_neither_counts_nor_breaks_the_run() -> None:
    result = progress(
        session(1, "SSSSS"), session(2, "SSSSS"), session(3, "fffff"), session(4, "SSSSS")
    )
    assert result["mastered_on"] == "2026-11-04"
    assert [e["simulated"] for e in result["sessions"]] == [False, False, True, False]


def test_a_mixed_session_counts_its_live_trials_only() -> None:
    entry = session_progress(GOAL, session(1, "vvvvvSSF"))  # 5 simulated successes, 3 live
    assert (entry["trials"], entry["successes"], entry["met"]) == (3, 2, False)
    assert entry["simulated"] is False and entry["simulated_trials"] == 5


def test_a_goal_counts_its_own_variant_only() -> None:
    melodic = goal_from_dict(GOAL.to_dict() | {"variant": "melodic"})
    mixed = session(1, "MMMMFFFFF")  # 4 melodic successes, 5 failed drum trials
    assert session_progress(melodic, mixed)["trials"] == 4
    assert session_progress(melodic, mixed)["met"] is True
    assert session_progress(GOAL, mixed)["trials"] == 9  # no variant: every variant


def test_a_goal_without_a_variant_leaves_out_the_unpaced_trial() -> None:
    beat = goal_from_dict(
        {"id": "beat", "domain": "motor", "text": "Taps with the beat",
         "success": "hit_rate >= 0.7", "activity": "tempo-following",
         "mastery": {"trials": 1, "successes": 1, "consecutive_sessions": 1}}
    )  # fmt: skip
    trial = {"index": 0, "activity": "tempo-following", "outcome": "correct", "goals": [],
             "prompt_level": "independent", "metrics": {"hit_rate": 1.0}}  # fmt: skip
    unpaced = {**trial, "variant": "unpaced", "metrics": {"median_iti_ms": 600.0}}
    day = {"id": 1, "started_at": "2026-11-01T10:00:00+01:00", "status": "complete",
           "trials": [unpaced, {**trial, "index": 1, "variant": "with-beat"}]}  # fmt: skip
    assert session_progress(beat, day)["trials"] == 1
    own_tempo = goal_from_dict(beat.to_dict() | {"variant": "unpaced", "success": "iti_cv < 1"})
    assert session_progress(own_tempo, day)["trials"] == 1


def test_a_goal_variant_must_be_one_of_the_activitys() -> None:
    from soundness_live.goals.goal import GoalError

    with pytest.raises(GoalError, match="field 'variant' must be one of drums, melodic; got 'x'"):
        goal_from_dict(GOAL.to_dict() | {"variant": "x"})
