"""Checks on what goes into the store and what comes out of it: trial records, input events,
JSON columns.

The store keeps records as given, so these checks are the boundary: the keys the database
indexes (index, activity, outcome, prompt level) must be right, and JSON must be strict JSON
(NaN and infinity are refused: other readers of the exports could not load them). A record
read back is checked again for the shape every reader relies on (:func:`stored_trial_problem`):
a damaged file can hold valid JSON of another shape, and that must be one line naming the
session and trial, never a traceback in an export.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from soundness_live.activities.contract import MetricSpec, Outcome
from soundness_live.activities.registry import find_activity
from soundness_live.errors import ParameterError
from soundness_live.goals.goal import PROMPT_LEVELS

__all__ = [
    "OUTCOMES", "EVENT_FIELDS", "to_json", "check_trial", "event_row", "stored_trial_problem",
]  # fmt: skip

OUTCOMES = tuple(outcome.value for outcome in Outcome)  # the activities' own (METRICS.md §5)
EVENT_FIELDS = (
    "onset_ms", "onset_frame", "kind", "note", "velocity", "device", "player", "clock", "channel",
    "input",
)  # fmt: skip


def to_json(value: Any, what: str) -> str:
    """``value`` as strict JSON text; ParameterError naming ``what`` otherwise."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ParameterError(f"{what} must be JSON data without NaN/inf: {error}") from error


def _one_of(record: Mapping[str, Any], key: str, options: tuple[str, ...], nullable: bool) -> Any:
    value = record.get(key)
    if (value is None and nullable) or value in options:
        return value
    raise ParameterError(f"trial record {key!r} must be one of {', '.join(options)}, got {value!r}")


def check_trial(record: Mapping[str, Any]) -> tuple[int, str, str, str | None, str]:
    """(index, activity, outcome, prompt_level, JSON text) of a valid trial record."""
    if not isinstance(record, Mapping):
        raise ParameterError(f"trial record must be a dict, got {type(record).__name__}")
    index, activity = record.get("index"), record.get("activity")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ParameterError(f"trial record 'index' must be an integer >= 0, got {index!r}")
    if not isinstance(activity, str) or not activity:
        raise ParameterError(f"trial record 'activity' must be a name, got {activity!r}")
    outcome = _one_of(record, "outcome", OUTCOMES, nullable=False)
    level = _one_of(record, "prompt_level", PROMPT_LEVELS, nullable=True)
    return index, activity, outcome, level, to_json(dict(record), "trial record")


def event_row(session_id: int, event: Mapping[str, Any], index: int) -> tuple[Any, ...]:
    """The events-table row for one raw input event (fields EVENT_FIELDS)."""
    unknown = set(event) - set(EVENT_FIELDS) - {"session_id"}
    if unknown:
        raise ParameterError(
            f"event {index}: unknown fields {sorted(unknown)}; expected {', '.join(EVENT_FIELDS)}"
        )
    onset = event.get("onset_ms")
    if not isinstance(onset, (int, float)) or isinstance(onset, bool) or onset != onset:
        raise ParameterError(f"event {index}: 'onset_ms' must be a number, got {onset!r}")
    if event.get("kind") not in ("note_on", "note_off"):
        raise ParameterError(
            f"event {index}: 'kind' must be note_on or note_off, got {event.get('kind')!r}"
        )
    if event.get("input") not in (None, "live", "virtual", "file"):
        raise ParameterError(
            f"event {index}: 'input' must be live, virtual, file or null, got {event['input']!r}"
        )
    return (session_id, *(event.get(name) for name in EVENT_FIELDS))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: What each kind of value may be in a stored record (null always may).
_KINDS: dict[str, tuple[str, Any]] = {
    "number": ("a number", _is_number),
    "bool": ("true or false", lambda value: isinstance(value, bool)),
    "text": ("text", lambda value: isinstance(value, str)),
    "list": ("a list of numbers", lambda v: isinstance(v, list) and all(map(_maybe_number, v))),
    "words": ("a list of words", lambda v: isinstance(v, list) and all(map(_maybe_word, v))),
    "objects": ("a list of objects", lambda v: isinstance(v, list) and all(map(_object, v))),
    "plain": ("a list of plain values", lambda v: isinstance(v, list) and all(map(_scalar, v))),
    "object": ("an object", lambda value: isinstance(value, Mapping)),
    "any": ("a number, true/false or text", lambda v: isinstance(v, (int, float, str))),
}
#: The kinds of a stored record's keys beyond those :func:`check_trial` checks.
_RECORD_KINDS = {
    "variant": "text", "params": "object", "metrics": "object", "difficulty": "number",
    "input": "text", "simulated": "bool", "start_ms": "number", "end_ms": "number",
}  # fmt: skip
#: The kinds of the keys of a prompt or response entry (onset_ms is required).
_NOTE_KINDS = {
    "onset_ms": "number", "onset_frame": "number", "note": "number", "sounded_note": "number",
    "velocity": "number", "duration_ms": "number", "channel": "number", "device": "text",
    "player": "text", "clock": "text",
}  # fmt: skip


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str))


def _object(value: Any) -> bool:
    return isinstance(value, Mapping)


def _maybe_number(value: Any) -> bool:
    return value is None or _is_number(value)


def _maybe_word(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _kind_problem(name: str, value: Any, kind: str) -> str | None:
    """Why ``value`` cannot be ``name`` of ``kind`` (None: it can; null always can)."""
    words, fits = _KINDS[kind]
    if value is None or fits(value):
        return None
    return f"{name!r} must be {words} or null, got {_shown(value)}"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else f"{text[:37]}..."


def stored_trial_problem(record: Mapping[str, Any]) -> str | None:
    """What is wrong with the shape of a trial record read from the store, in words (None: it
    has the shape every reader relies on: the keys :func:`check_trial` checks; metrics of the
    kind their activity reports; prompts and responses as lists of notes with an onset)."""
    try:
        check_trial(record)
    except ParameterError as error:
        return str(error).removeprefix("trial record ")
    problems = (
        *(_kind_problem(k, record.get(k), kind) for k, kind in _RECORD_KINDS.items()),
        _goals_problem(record.get("goals")),
        *_metric_problems(str(record["activity"]), record.get("metrics") or {}),
        *(_notes_problem(key, record.get(key)) for key in ("prompt", "responses")),
    )
    return next((problem for problem in problems if problem), None)


def _goals_problem(goals: Any) -> str | None:
    if goals is None or (isinstance(goals, list) and all(isinstance(g, str) for g in goals)):
        return None
    return f"'goals' must be a list of goal ids or null, got {_shown(goals)}"


def _metric_problems(activity: str, metrics: Any) -> list[str | None]:
    """Each metric's value against the kind its activity reports; a metric no table names may
    be a plain value or a list of them."""
    if not isinstance(metrics, Mapping):
        return []  # said by the record's own check
    found = find_activity(activity)
    kinds = {m.name: _stored_kind(m) for m in found.metrics} if found is not None else {}
    problems = []
    for name, value in metrics.items():
        kind = kinds.get(name) or ("plain" if isinstance(value, list) else "any")
        problems.append(_kind_problem(f"metrics.{name}", value, kind))
    return problems


def _stored_kind(metric: MetricSpec) -> str:
    """The kind a metric is stored as: as its activity declares it, a list by what its items
    are (words for a text list, objects for a table such as each player's plays, else
    numbers)."""
    kind = metric.value_kind
    if kind != "list":
        return kind
    return {"text": "words", "object": "objects"}.get(metric.unit.removesuffix(" (list)"), "list")


def _notes_problem(key: str, notes: Any) -> str | None:
    if notes is None:
        return None
    if not isinstance(notes, list) or not all(isinstance(n, Mapping) for n in notes):
        return f"{key!r} must be a list of notes (objects) or null, got {_shown(notes)}"
    for number, note in enumerate(notes):
        if not _is_number(note.get("onset_ms")):
            return f"{key}[{number}].onset_ms must be a number, got {_shown(note.get('onset_ms'))}"
        for name, kind in _NOTE_KINDS.items():
            if problem := _kind_problem(f"{key}[{number}].{name}", note.get(name), kind):
                return problem
    return None
