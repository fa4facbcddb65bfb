"""Therapy goals: goal files (TOML), success criteria, prompt levels and mastery.

A goal reads like an objective (METRICS.md §5): condition + observable behaviour + criterion,
e.g. "Given a 4-beat drum call, waits for the end of the call and echoes it" with
``success = "waited_for_turn and notes_correct_pct >= 75"`` and
``mastery = {trials = 5, successes = 4, consecutive_sessions = 3}``. Pure core: no database,
no device. Progress and mastery over sessions: :mod:`soundness_live.goals.progress`.

Which trials a goal is about, in one rule used by the store, progress, mastery and the report:
a trial *serves* a goal when it is of the goal's activity and variant (a goal's optional
``variant``; without one, every variant but the unpaced tapping that measures a child's own
tempo), as METRICS.md §5 and the report say. The goal ids a trial record lists (the goals the
child had when it was played) do not decide it: a goal added later is judged on the trials
played before, and a goal never loses trials because other goals were listed then. It
*counts* toward the goal when it also is not void and not simulated (played by the virtual
child or a file: :mod:`soundness_live.core.provenance`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from soundness_live.activities.common import PROMPT_LEVELS
from soundness_live.activities.registry import counts_by_default, find_activity, scored_activities
from soundness_live.config import parse_toml
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.goals.criteria import Criteria, CriteriaError, compile_criteria, trial_values

__all__ = [
    "DOMAINS",
    "PROMPT_LEVELS",
    "GoalError",
    "Mastery",
    "Goal",
    "goal_from_dict",
    "parse_goals",
    "load_goals",
    "check_goal_file",
    "builtin_goals",
    "prompt_level_rank",
    "serves",
    "trial_counts",
    "trial_succeeds",
    "meets_rule",
]

DOMAINS = ("behaviour", "cognition", "communication", "motor", "emotion", "social")
SUBDOMAINS = {"cognition": ("attention", "memory", "sensory"), "communication": ("speech",)}
# Most help first (METRICS.md §5); a trial's level must be at or after the goal's maximum.
_GOAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NUMERIC = ("number", "any")  # the kinds of metric a goal may plot as its measure

_FIELDS = (
    "id", "domain", "text", "activity", "variant", "success", "max_prompt_level", "mastery",
    "measure",
)  # fmt: skip
_REQUIRED = ("id", "domain", "text", "activity", "success")
_MASTERY_FIELDS = {"trials": 100, "successes": 100, "consecutive_sessions": 50}


Fail = Callable[[str, str], NoReturn]  # raises GoalError naming the file, goal and field


class GoalError(FileFormatError, ParameterError):
    """A goal (or goal file) is invalid; the message names the file, the goal and the field."""


@dataclass(frozen=True)
class Mastery:
    """Mastery criterion: ``successes`` of the last ``trials`` scored trials in a session,
    in ``consecutive_sessions`` completed sessions in a row."""

    trials: int = 5
    successes: int = 4
    consecutive_sessions: int = 3


@dataclass(frozen=True)
class Goal:
    """One therapy goal for one activity (and, optionally, one of its variants: None is every
    variant but the unpaced one); ``criteria`` is ``success`` compiled."""

    id: str
    domain: str
    text: str
    activity: str
    success: str
    max_prompt_level: str = "independent"
    mastery: Mastery = Mastery()
    measure: str | None = None
    variant: str | None = None
    criteria: Criteria | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The goal as the export bundle shows it (JSON-able; the TOML fields)."""
        return {
            "id": self.id,
            "domain": self.domain,
            "text": self.text,
            "activity": self.activity,
            "variant": self.variant,
            "success": self.success,
            "max_prompt_level": self.max_prompt_level,
            "mastery": {
                "trials": self.mastery.trials,
                "successes": self.mastery.successes,
                "consecutive_sessions": self.mastery.consecutive_sessions,
            },
            "measure": self.measure,
        }


def _text(data: Mapping[str, Any], name: str, fail: Fail, limit: int = 500) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        fail(
            name, f"must be a non-empty string of at most {limit} characters, got {_shorten(value)}"
        )
    return value


def _choice(value: Any, name: str, options: tuple[str, ...], fail: Fail) -> str:
    if value not in options:
        fail(name, f"must be one of {', '.join(options)}; got {value!r}")
    return str(value)


def _domain(value: Any, fail: Fail) -> str:
    head, _, sub = str(value).partition("/") if isinstance(value, str) else ("", "", "")
    if head not in DOMAINS or (sub and sub not in SUBDOMAINS.get(head, ())):
        subs = [f"{h}/{s}" for h, ss in SUBDOMAINS.items() for s in ss]
        fail("domain", f"must be one of {', '.join(DOMAINS + tuple(subs))}; got {value!r}")
    return str(value)


def _mastery(value: Any, fail: Fail) -> Mastery:
    if value is None:
        return Mastery()
    if not isinstance(value, Mapping):
        fail("mastery", f"must be a table like {{trials = 5, successes = 4, ...}}, got {value!r}")
    for key in value:
        if key not in _MASTERY_FIELDS:
            fail(f"mastery.{key}", f"is not a known field; expected {', '.join(_MASTERY_FIELDS)}")
    numbers = {}
    for key, top in _MASTERY_FIELDS.items():
        number = value.get(key, getattr(Mastery(), key))
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= top:
            fail(f"mastery.{key}", f"must be an integer in 1..{top}, got {number!r}")
        numbers[key] = number
    if numbers["successes"] > numbers["trials"]:
        trials = numbers["trials"]
        fail(
            "mastery.successes", f"must be <= mastery.trials ({trials}), got {numbers['successes']}"
        )
    return Mastery(**numbers)


def goal_from_dict(data: Mapping[str, Any], source: str = "goal", index: int = 0) -> Goal:
    """Validate one goal table and build a :class:`Goal`.

    Errors read ``SOURCE: goal 'ID': field 'NAME' must ..., got ...`` (the goal's position when
    it has no usable id). Unknown fields are errors: a typo must not pass silently.
    """
    gid = data.get("id") if isinstance(data, Mapping) else None
    label = f"goal {gid!r}" if isinstance(gid, str) and gid else f"goal #{index + 1}"

    def fail(name: str, message: str) -> NoReturn:
        raise GoalError(f"{source}: {label}: field {name!r} {message}")

    if not isinstance(data, Mapping):
        raise GoalError(f"{source}: {label}: expected a table of fields, got {data!r}")
    _check_keys(data, fail)
    goal_id = _text(data, "id", fail, 64)
    if not _GOAL_ID.match(goal_id):
        fail("id", f"must be letters, digits, '-', '_' or '.' (up to 64), got {goal_id!r}")
    activity = _choice(data["activity"], "activity", scored_activities(), fail)
    level = _choice(
        data.get("max_prompt_level", "independent"), "max_prompt_level", PROMPT_LEVELS, fail
    )
    criteria, measure = _criteria_and_measure(data, activity, fail)
    return Goal(
        goal_id,
        _domain(data["domain"], fail),
        _text(data, "text", fail),
        activity,
        data["success"],
        level,
        _mastery(data.get("mastery"), fail),
        measure,
        variant=_variant(data.get("variant"), activity, fail),
        criteria=criteria,
    )


def _variant(value: Any, activity: str, fail: Fail) -> str | None:
    """The goal's variant: None (every variant the activity counts by default: not tempo's
    unpaced measurement) or one a trial of the activity can have."""
    if value is None:
        return None
    return _choice(value, "variant", _known(activity).trial_variants, fail)


def _known(activity: str) -> Any:
    """The registry's definition of an activity a goal names (checked to be one)."""
    found = find_activity(activity)
    assert found is not None, activity  # the goal's activity is checked first
    return found


def metric_kinds(activity: str) -> dict[str, str]:
    """The metrics a goal of ``activity`` may name, with the kind of value each holds (as the
    activity declares them): a criterion may use only these (and outcome and prompt_level),
    so a typo cannot pass silently. An activity not installed declares none."""
    found = find_activity(activity)
    return {} if found is None else {metric.name: metric.value_kind for metric in found.metrics}


def _check_keys(data: Mapping[str, Any], fail: Fail) -> None:
    for key in data:
        if key not in _FIELDS:
            fail(str(key), f"is not a known field; expected one of {', '.join(_FIELDS)}")
    for key in _REQUIRED:
        if key not in data:
            fail(key, "is required")


def _shorten(text: Any, limit: int = 80) -> str:
    """``text`` quoted for a one-line message, cut to ``limit`` characters."""
    quoted = repr(text)
    return quoted if len(quoted) <= limit else f"{quoted[: limit - 4]}...{quoted[-1]}"


def _criteria_and_measure(
    data: Mapping[str, Any], activity: str, fail: Fail
) -> tuple[Criteria, str | None]:
    """The compiled success expression (names checked against the activity's metrics) and
    the plotted measure (a numeric metric of the activity, or None)."""
    kinds = metric_kinds(activity)
    try:
        criteria = compile_criteria(_text(data, "success", fail), kinds)
    except CriteriaError as error:
        fail("success", f"{_shorten(data['success'])}: {error}")
    measure = data.get("measure")
    if measure is not None and kinds.get(measure) not in _NUMERIC:
        numeric = sorted(k for k, v in kinds.items() if v in _NUMERIC)
        fail(
            "measure",
            f"must be a numeric metric of {activity} ({', '.join(numeric)}); got {measure!r}",
        )
    return criteria, measure


def parse_goals(document: Mapping[str, Any], source: str) -> list[Goal]:
    """Goals from a parsed TOML document with ``[[goal]]`` tables; ids must be unique."""
    for key in document:
        if key != "goal":
            raise GoalError(f"{source}: unknown top-level key {key!r}; expected [[goal]] tables")
    tables = document.get("goal", [])
    if not isinstance(tables, list) or not tables:
        raise GoalError(f"{source}: expected at least one [[goal]] table, got {tables!r}")
    goals: list[Goal] = []
    for index, table in enumerate(tables):
        goal = goal_from_dict(table, source, index)
        if any(other.id == goal.id for other in goals):
            raise GoalError(f"{source}: goal {goal.id!r}: field 'id' is used twice in this file")
        goals.append(goal)
    return goals


def load_goals(path: str | Path) -> list[Goal]:
    """Read and validate a goal file (TOML with ``[[goal]]`` tables)."""
    path = Path(path)
    try:
        document = parse_toml(path.read_text(encoding="utf-8"), path)
    except OSError as error:
        raise GoalError(f"{path}: cannot read the goal file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise GoalError(f"{path}: expected a UTF-8 text file, got {error.reason}") from error
    except FileFormatError as error:
        raise GoalError(str(error)) from None
    return parse_goals(document, str(path))


def check_goal_file(path: str | Path) -> list[Goal]:
    """For ``soundness-live goals check FILE.toml``: the goals, or a GoalError saying what
    is wrong (file, goal id, field, expected, got)."""
    return load_goals(path)


def builtin_goals(activity: str | None = None) -> list[Goal]:
    """The example goal library shipped in ``soundness_live/data/goals/*.toml``."""
    known = scored_activities()
    if activity is not None and activity not in known:
        raise ParameterError(f"activity must be one of {', '.join(known)}, got {activity!r}")
    folder = resources.files("soundness_live").joinpath("data").joinpath("goals")
    goals: list[Goal] = []
    for name in sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".toml")):
        text = folder.joinpath(name).read_text(encoding="utf-8")
        goals.extend(parse_goals(parse_toml(text, f"data/goals/{name}"), f"data/goals/{name}"))
    return [goal for goal in goals if activity is None or goal.activity == activity]


def prompt_level_rank(level: Any) -> int:
    """0 for full_physical (most help) .. 5 for independent; ParameterError when unknown."""
    if level not in PROMPT_LEVELS:
        raise ParameterError(
            f"prompt_level must be one of {', '.join(PROMPT_LEVELS)}, got {level!r}"
        )
    return PROMPT_LEVELS.index(level)


def serves(goal: Goal, trial: Mapping[str, Any]) -> bool:
    """Whether ``trial`` is about ``goal``: the goal's activity and variant (no variant: any
    the activity counts by default, not tempo's unpaced measurement), whichever goals the trial
    lists (they are those the child had then)."""
    if trial.get("activity") != goal.activity:
        return False
    variant = trial.get("variant")
    if goal.variant is None:
        return counts_by_default(goal.activity, variant)
    return variant == goal.variant


def trial_counts(goal: Goal, trial: Mapping[str, Any]) -> bool:
    """Whether ``trial`` is scored for ``goal``: it serves the goal (:func:`serves`), it is not
    void, and it is not simulated (a virtual child or a file played it)."""
    if trial.get("outcome") == "void" or trial.get("simulated") is True:
        return False
    return serves(goal, trial)


def trial_succeeds(goal: Goal, trial: Mapping[str, Any]) -> bool:
    """A scored trial (:func:`trial_counts`) that meets the goal's rule (:func:`meets_rule`)."""
    return trial_counts(goal, trial) and meets_rule(goal, trial)


def meets_rule(goal: Goal, trial: Mapping[str, Any]) -> bool:
    """Whether the trial's metrics meet the success expression and its prompt level is no more
    help than ``goal.max_prompt_level``, whether or not the trial counts (a simulated trial is
    judged too, to show how the rule scores it; it never counts). A trial without a prompt
    level is not known to be within the allowed help, so it meets the rule only when any help
    is allowed."""
    level = trial.get("prompt_level")
    allowed = prompt_level_rank(goal.max_prompt_level)
    if level is None and allowed > 0:
        return False
    if level is not None and prompt_level_rank(level) < allowed:
        return False
    criteria = goal.criteria or compile_criteria(goal.success)
    return criteria.evaluate(trial_values(trial))
