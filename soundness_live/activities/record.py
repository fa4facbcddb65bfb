"""The trial record: what happened in one trial, an immutable value in the one shape of
DESIGN.md ("Activities").

An activity proposes a record (:func:`~soundness_live.activities.base.trial_record`); the
Session finalises it (the session-wide index, the activity's own index, void with its reason
when the trial was cut short, the goals it was played for, what played it) and hands the final
record back to the activity, which adapts to it as stored. Nobody changes a record after that:
a :class:`TrialRecord` is frozen, and so is everything in it (mappings are read-only views,
lists are tuples). :meth:`TrialRecord.to_json` gives the JSON shape the store, the exports and
``play --json`` read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from .contract import Outcome

__all__ = ["TrialRecord", "frozen", "thawed"]


def frozen(value: Any) -> Any:
    """``value`` made immutable all the way down: mappings as read-only views of a copy,
    lists and tuples as tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    return value


def thawed(value: Any) -> Any:
    """A frozen value as plain JSON-able data: dicts and lists (enum members as their text)."""
    if isinstance(value, Mapping):
        return {str(key): thawed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thawed(item) for item in value]
    if isinstance(value, Outcome):
        return value.value
    return value


@dataclass(frozen=True)
class TrialRecord:
    """One trial as it happened. ``index`` is the trial's place in the session (every
    activity of a stored session counts on), ``activity_index`` its place in its activity's
    run; ``void_reason`` says why a void trial cannot count when it was cut short or had
    nothing to score (None otherwise); ``input``/``simulated`` say what played it (a
    simulated trial never counts toward a goal). Build one with
    :func:`~soundness_live.activities.base.trial_record`."""

    index: int
    activity: str
    variant: str | None
    params: Mapping[str, Any]
    prompt: tuple[Mapping[str, Any], ...]
    responses: tuple[Mapping[str, Any], ...]
    metrics: Mapping[str, Any]
    outcome: Outcome
    prompt_level: str | None
    difficulty: int | float | None
    start_ms: float
    end_ms: float
    goals: tuple[str, ...] = ()
    input: str | None = None
    simulated: bool | None = None
    void_reason: str | None = None
    activity_index: int | None = None

    def __post_init__(self) -> None:
        for name in ("params", "prompt", "responses", "metrics", "goals"):
            object.__setattr__(self, name, frozen(getattr(self, name)))
        if self.outcome not in tuple(Outcome):
            known = ", ".join(o.value for o in Outcome)
            raise ValueError(
                f"trial {self.index} of {self.activity!r}: outcome must be one of {known}, "
                f"got {self.outcome!r}"
            )
        object.__setattr__(self, "outcome", Outcome(self.outcome))

    def finalised(self, **changes: Any) -> TrialRecord:
        """A copy with ``changes`` (the Session's finalisation; the record itself stays)."""
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The record in the one JSON shape (DESIGN.md), keys in their stored order."""
        shape: dict[str, Any] = {
            "index": self.index,
            "activity": self.activity,
            "variant": self.variant,
            "params": thawed(self.params),
            "prompt": thawed(self.prompt),
            "responses": thawed(self.responses),
            "metrics": thawed(self.metrics),
            "outcome": self.outcome.value,
            "prompt_level": self.prompt_level,
            "difficulty": self.difficulty,
            "goals": list(self.goals),
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "input": self.input,
            "simulated": self.simulated,
        }
        if self.void_reason is not None:
            shape["void_reason"] = self.void_reason
        shape["activity_index"] = self.index if self.activity_index is None else self.activity_index
        return shape
