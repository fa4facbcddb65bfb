"""Checks on what goes into the store: trial records, input events, JSON columns.

The store keeps records as given, so these checks are the boundary: the keys the database
indexes (index, activity, outcome, prompt level) must be right, and JSON must be strict JSON
(NaN and infinity are refused: other readers of the exports could not load them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from soundness_live.errors import ParameterError
from soundness_live.goals.goal import PROMPT_LEVELS

__all__ = ["OUTCOMES", "EVENT_FIELDS", "to_json", "check_trial", "event_row"]

OUTCOMES = ("correct", "partial", "incorrect", "no_response", "premature", "void")
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
