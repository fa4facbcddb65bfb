"""The activity registry: built-ins plus third-party activities from entry points.

Third-party packages register an :class:`~soundness_live.activities.base.ActivityDef` under
the entry-point group ``soundness_live.activities``; each is validated when loaded, with an
error that names the activity and what is missing.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from ..errors import ParameterError, SoundnessError
from .base import ActivityDef
from .params import ParamSpec

ENTRY_POINT_GROUP = "soundness_live.activities"
OUTCOMES = ("correct", "partial", "incorrect", "no_response", "premature", "void")


class ActivityLoadError(SoundnessError, TypeError):
    """A third-party activity does not have the shape of an :class:`ActivityDef`."""


_REQUIRED = {
    "name": str,
    "summary": str,
    "params": tuple,
    "metric_names": tuple,
    "outcome_rule": str,
}


def validate_activity(candidate: Any, origin: str) -> ActivityDef:
    """Return ``candidate`` if it has every member an activity needs, else raise naming it."""
    label = getattr(candidate, "name", None) or origin
    for member, kind in _REQUIRED.items():
        value = getattr(candidate, member, None)
        if not isinstance(value, kind):
            raise ActivityLoadError(
                f"activity {label!r} ({origin}): member {member!r} must be a "
                f"{kind.__name__}, got {type(value).__name__}"
            )
    if not callable(getattr(candidate, "run", None)):
        raise ActivityLoadError(
            f"activity {label!r} ({origin}): member 'run' must be callable "
            "as run(ctx: ActivityContext) -> generator of actions"
        )
    bad = [p for p in candidate.params if not isinstance(p, ParamSpec)]
    if bad:
        raise ActivityLoadError(
            f"activity {label!r} ({origin}): every entry of 'params' must be a ParamSpec, "
            f"got {type(bad[0]).__name__}"
        )
    return candidate


def builtin_activities() -> dict[str, ActivityDef]:
    """The activities shipped with the package, by name."""
    from . import call_and_response, free_play, tempo_following, vocal_prompts, waiting

    defs = [
        call_and_response.ACTIVITY,
        waiting.ACTIVITY,
        tempo_following.ACTIVITY,
        free_play.ACTIVITY,
        vocal_prompts.ACTIVITY,
    ]
    return {d.name: d for d in defs}


def all_activities() -> dict[str, ActivityDef]:
    """Built-ins plus every activity registered through the entry-point group."""
    found = builtin_activities()
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plug-in must not hide the built-ins
            raise ActivityLoadError(
                f"activity entry point {entry.name!r} failed to load: {exc}"
            ) from exc
        found[entry.name] = validate_activity(loaded, f"entry point {entry.value}")
    return found


def get_activity(name: str) -> ActivityDef:
    """The activity called ``name``; an unknown name lists the known ones."""
    activities = all_activities()
    if name not in activities:
        raise ParameterError(
            f"no activity {name!r}; known activities: {', '.join(sorted(activities))}"
        )
    return activities[name]
