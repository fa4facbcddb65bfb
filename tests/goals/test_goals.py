"""Goal files: loading, validation messages, the built-in library, trial success."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundness_live.activities.registry import builtin_activities
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.goals.goal import (
    PROMPT_LEVELS,
    Goal,
    GoalError,
    Mastery,
    builtin_goals,
    check_goal_file,
    goal_from_dict,
    prompt_level_rank,
    trial_counts,
    trial_succeeds,
)
from soundness_live.metrics.waiting import score_freeze

#: The built-in activities that are scored (free play is logged only): each has goals.
ACTIVITIES = sorted(name for name, a in builtin_activities().items() if a.scored)

WAIT_TURN = """
[[goal]]
id = "wait-turn"
domain = "social"
text = "Given a 4-beat drum call, waits for the end of the call and echoes it"
activity = "call-and-response"
success = "waited_for_turn and notes_correct_pct >= 75"
max_prompt_level = "independent"
mastery = { trials = 5, successes = 4, consecutive_sessions = 3 }
measure = "notes_correct_pct"
"""


def write(tmp_path: Path, text: str, name: str = "goals.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def goal_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(GoalError) as caught:
        check_goal_file(write(tmp_path, text))
    return str(caught.value)


def test_loads_the_example_goal(tmp_path: Path) -> None:
    (goal,) = check_goal_file(write(tmp_path, WAIT_TURN))
    assert goal == Goal(
        id="wait-turn",
        domain="social",
        text="Given a 4-beat drum call, waits for the end of the call and echoes it",
        activity="call-and-response",
        success="waited_for_turn and notes_correct_pct >= 75",
        max_prompt_level="independent",
        mastery=Mastery(trials=5, successes=4, consecutive_sessions=3),
        measure="notes_correct_pct",
    )
    assert goal.criteria is not None and goal.criteria.names == {
        "waited_for_turn",
        "notes_correct_pct",
    }
    assert goal.to_dict()["mastery"] == {"trials": 5, "successes": 4, "consecutive_sessions": 3}
    assert goal_from_dict(goal.to_dict()) == goal


def test_the_error_names_file_goal_and_field(tmp_path: Path) -> None:
    text = WAIT_TURN.replace("successes = 4", "successes = 6")
    path = tmp_path / "goals.toml"
    assert goal_error(tmp_path, text) == (
        f"{path}: goal 'wait-turn': field 'mastery.successes' must be <= mastery.trials (5), got 6"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('domain = "social"', 'domain = "socail"', "field 'domain' must be one of behaviour"),
        ('domain = "social"', 'domain = "cognition/mood"', "field 'domain' must be one of"),
        ('activity = "call-and-response"', 'activity = "drums"', "field 'activity' must be one of"),
        ('max_prompt_level = "independent"', 'max_prompt_level = "help"',
         "field 'max_prompt_level' must be one of full_physical"),
        ("trials = 5", "trials = 0", "field 'mastery.trials' must be an integer in 1..100, got 0"),
        ("trials = 5", "trials = 5.0", "field 'mastery.trials' must be an integer"),
        ("consecutive_sessions = 3", "consecutive_sesions = 3",
         "field 'mastery.consecutive_sesions' is not a known field"),
        ('measure = "notes_correct_pct"', 'measure = "waited_for_turn"',
         "field 'measure' must be a numeric metric of call-and-response"),
        ('measure = "notes_correct_pct"', 'mesure = "notes_correct_pct"',
         "field 'mesure' is not a known field"),
        ("notes_correct_pct >= 75", "notes_correct >= 75",
         "field 'success' 'waited_for_turn and notes_correct >= 75': at column 21: "
         "unknown metric 'notes_correct' (did you mean 'notes_correct_pct'?)"),
        ("notes_correct_pct >= 75", "notes_correct_pct >=", "field 'success'"),
        ('text = "Given a 4-beat drum call, waits for the end of the call and echoes it"',
         'text = "  "', "field 'text' must be a non-empty string"),
        ('id = "wait-turn"', 'id = "wait turn"', "field 'id' must be letters, digits"),
    ],
)  # fmt: skip
def test_invalid_fields_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in WAIT_TURN
    message = goal_error(tmp_path, WAIT_TURN.replace(old, new, 1))
    assert message.startswith(f"{tmp_path / 'goals.toml'}: goal ")
    assert expected in message


def test_goal_without_an_id_is_named_by_position(tmp_path: Path) -> None:
    text = WAIT_TURN + WAIT_TURN.replace('id = "wait-turn"\n', "")
    assert "goal #2: field 'id' is required" in goal_error(tmp_path, text)


def test_duplicate_ids_and_file_level_errors(tmp_path: Path) -> None:
    assert "field 'id' is used twice" in goal_error(tmp_path, WAIT_TURN + WAIT_TURN)
    assert "not valid TOML" in goal_error(tmp_path, "[[goal]\nid = 1")
    assert "unknown top-level key 'goals'" in goal_error(
        tmp_path, WAIT_TURN.replace("[[goal]]", "[[goals]]")
    )
    assert "at least one [[goal]]" in goal_error(tmp_path, "# nothing\n")
    with pytest.raises(GoalError, match="cannot read the goal file"):
        check_goal_file(tmp_path / "missing.toml")


def test_goal_errors_are_file_and_parameter_errors(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError):
        check_goal_file(write(tmp_path, WAIT_TURN.replace("= 4", "= 9")))
    with pytest.raises(ParameterError):
        goal_from_dict({"id": "x"})


def test_defaults_for_optional_fields() -> None:
    goal = goal_from_dict(
        {"id": "g", "domain": "motor", "text": "t", "activity": "tempo-following",
         "success": "hit_rate >= 0.5"}
    )  # fmt: skip
    assert goal.max_prompt_level == "independent"
    assert goal.mastery == Mastery(5, 4, 3)
    assert goal.measure is None


def test_builtin_library_covers_every_activity() -> None:
    goals = builtin_goals()
    assert {goal.activity for goal in goals} == set(ACTIVITIES)
    assert len({goal.id for goal in goals}) == len(goals)
    waiting = builtin_goals("waiting")
    assert waiting and all(goal.activity == "waiting" for goal in waiting)
    assert "wait-turn" in {goal.id for goal in builtin_goals("call-and-response")}
    with pytest.raises(ParameterError, match="activity must be one of"):
        builtin_goals("dancing")


def test_builtin_files_are_package_data() -> None:
    folder = Path(__file__).parents[2] / "soundness_live" / "data" / "goals"
    names = sorted(path.stem for path in folder.glob("*.toml"))
    assert names == sorted(ACTIVITIES)
    for path in folder.glob("*.toml"):
        assert check_goal_file(path)


def trial(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "index": 0,
        "activity": "call-and-response",
        "variant": "drums",
        "outcome": "correct",
        "prompt_level": "independent",
        "goals": ["wait-turn"],
        "metrics": {"waited_for_turn": True, "notes_correct_pct": 80.0},
    }
    return base | fields


def test_trial_succeeds_needs_metrics_and_allowed_help(tmp_path: Path) -> None:
    (goal,) = check_goal_file(write(tmp_path, WAIT_TURN))
    assert trial_succeeds(goal, trial())
    assert not trial_succeeds(
        goal, trial(metrics={"waited_for_turn": False, "notes_correct_pct": 100})
    )
    assert not trial_succeeds(
        goal, trial(metrics={"waited_for_turn": True, "notes_correct_pct": None})
    )
    assert not trial_succeeds(goal, trial(prompt_level="gestural"))  # more help than allowed
    assert not trial_succeeds(goal, trial(prompt_level=None))  # help not known
    assert not trial_succeeds(goal, trial(outcome="void"))
    assert not trial_succeeds(goal, trial(activity="waiting"))
    # the goals a trial lists are those the child had then: they do not decide (METRICS §5)
    assert trial_succeeds(goal, trial(goals=["another-goal"]))  # it never loses them
    assert trial_succeeds(goal, trial(goals=[]))  # a goal added later counts what came before


def test_a_freeze_the_child_played_nothing_around_is_no_success_for_stopping() -> None:
    goal = next(g for g in builtin_goals("waiting") if g.id == "freeze-when-music-stops")
    freeze = [(2000.0, 4000.0)]

    def freeze_trial(notes_ms: list[float], outcome: str) -> dict[str, object]:
        metrics = score_freeze(freeze, notes_ms)
        return trial(activity="waiting", variant="freeze", outcome=outcome, metrics=metrics)

    assert trial_succeeds(goal, freeze_trial([500.0, 1500.0, 2100.0], "correct"))  # stopped
    # nothing played at all: nothing was stopped (a 0 ms time to stop made it a success)
    assert not trial_succeeds(goal, freeze_trial([], "no_response"))


def test_prompted_trials_count_up_to_the_goals_maximum(tmp_path: Path) -> None:
    (goal,) = check_goal_file(write(tmp_path, WAIT_TURN.replace('"independent"', '"verbal"')))
    allowed = {level: trial_succeeds(goal, trial(prompt_level=level)) for level in PROMPT_LEVELS}
    assert allowed == {
        "full_physical": False,
        "partial_physical": False,
        "model": False,
        "verbal": True,
        "gestural": True,
        "independent": True,
    }
    with pytest.raises(ParameterError, match="prompt_level must be one of"):
        trial_succeeds(goal, trial(prompt_level="a little"))


def test_trial_counts_and_prompt_rank() -> None:
    goal = builtin_goals("call-and-response")[0]
    assert goal.variant == "drums"  # "given a 4-beat drum call"
    assert trial_counts(goal, trial(outcome="no_response"))
    assert not trial_counts(goal, trial(outcome="void"))
    assert not trial_counts(goal, trial(variant="melodic"))
    assert not trial_counts(goal, trial(simulated=True))
    assert prompt_level_rank("full_physical") == 0
    assert prompt_level_rank("independent") == 5
