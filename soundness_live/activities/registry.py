"""The activity registry: built-ins plus third-party activities from entry points.

Third-party packages register an :class:`~soundness_live.activities.base.ActivityDef` under
the entry-point group ``soundness_live.activities``. Each is validated as a whole when it loads
(:func:`validate_activity`: its parameters dataclass, its metrics and their words, its answer,
its variants), with an error that names the activity and the member that is wrong. Everything
the rest of the program knows about activities it reads here: their names, variants, metrics
(units, words, which is the headline, which are shown live), what the child answers with.

The activities are loaded once; :func:`reload_activities` loads them again (a package
installed while the program runs).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from functools import cache
from importlib import metadata
from typing import Any

from ..errors import ParameterError, SoundnessError
from .base import ActivityDef
from .contract import KINDS, Answer, MetricSpec, MetricWords
from .params import ActivityParams, param_specs

ENTRY_POINT_GROUP = "soundness_live.activities"
PLOTS = ("", "asynchrony", "tempo_curve")  # the report's plots a list metric may feed


class ActivityLoadError(SoundnessError, TypeError):
    """An activity does not have the shape of an :class:`ActivityDef`."""


class _Check:
    """Raises :class:`ActivityLoadError` naming the activity, where it came from, the member."""

    def __init__(self, label: str, origin: str) -> None:
        self.label, self.origin = label, origin

    def fail(self, member: str, message: str) -> ActivityLoadError:
        return ActivityLoadError(f"activity {self.label!r} ({self.origin}): {member} {message}")


_TEXT_MEMBERS = ("name", "summary", "outcome_rule")


def validate_activity(candidate: Any, origin: str) -> ActivityDef[Any]:
    """Return ``candidate`` if it is a whole, valid activity contract, else raise naming the
    activity and the member that is wrong."""
    check = _Check(str(getattr(candidate, "name", None) or origin), origin)
    for member in _TEXT_MEMBERS:
        value = getattr(candidate, member, None)
        if not isinstance(value, str) or (member == "name" and not value.strip()):
            got = repr(value) if isinstance(value, str) else _kind(value)
            kind = "a non-empty str" if member == "name" else "a str"
            raise check.fail(f"member {member!r}", f"must be {kind}, got {got}")
    if not isinstance(candidate, ActivityDef):
        raise check.fail("itself", f"must be an ActivityDef, got {_kind(candidate)}")
    for member in ("run", "child_instrument"):
        if not callable(getattr(candidate, member)):
            raise check.fail(f"member {member!r}", "must be callable")
    _check_params(candidate, check)
    if not isinstance(candidate.answers_with, Answer):
        raise check.fail(
            "member 'answers_with'", f"must be an Answer, got {candidate.answers_with!r}"
        )
    _check_variants(candidate, check)
    _check_metrics(candidate, check)
    return candidate


def _kind(value: Any) -> str:
    return type(value).__name__


def _check_params(activity: ActivityDef[Any], check: _Check) -> None:
    params = activity.params
    settings = getattr(params, "__dataclass_params__", None)
    frozen = is_dataclass(params) and bool(getattr(settings, "frozen", False))
    if not (isinstance(params, type) and issubclass(params, ActivityParams) and frozen):
        raise check.fail(
            "member 'params'", f"must be a frozen ActivityParams dataclass, got {params!r}"
        )
    try:
        specs = param_specs(params)
    except TypeError as error:
        raise check.fail("member 'params'", f"is not valid: {error}") from None
    for spec in specs:
        try:
            if spec.convert(spec.default) != spec.default:
                raise ParameterError(f"default {spec.default!r} changes when checked")
        except ParameterError as error:
            raise check.fail(f"parameter {spec.name!r}", f"has a bad default: {error}") from None
    if len(fields(params)) != len(specs):
        raise check.fail("member 'params'", "has fields that are not parameters")


def _check_variants(activity: ActivityDef[Any], check: _Check) -> None:
    if any(spec.name == "variant" for spec in activity.specs) and not activity.variants:
        raise check.fail("parameter 'variant'", "must list its choices (the variants)")
    clash = set(activity.variants) & set(activity.measurement_variants)
    if clash or not all(isinstance(v, str) and v for v in activity.measurement_variants):
        raise check.fail(
            "member 'measurement_variants'",
            f"must be names other than the variants, got {activity.measurement_variants!r}",
        )


def _check_metrics(activity: ActivityDef[Any], check: _Check) -> None:
    metrics = activity.metrics
    if not isinstance(metrics, tuple) or not all(isinstance(m, MetricSpec) for m in metrics):
        raise check.fail("member 'metrics'", "must be a tuple of MetricSpec")
    seen: set[str] = set()
    for metric in metrics:
        _check_metric(activity, metric, check)
        if metric.name in seen:
            raise check.fail(f"metric {metric.name!r}", "is declared twice")
        seen.add(metric.name)
    overall = [m.name for m in metrics if m.headline is True]
    if len(overall) > 1:
        raise check.fail("member 'metrics'", f"gives the activity two headlines: {overall}")
    for variant in activity.trial_variants:
        named = [m.name for m in metrics if isinstance(m.headline, tuple) and variant in m.headline]
        if len(named) > 1:
            twice = f"gives variant {variant!r} two headlines: {named}"
            raise check.fail("member 'metrics'", twice)


def _check_metric(activity: ActivityDef[Any], metric: MetricSpec, check: _Check) -> None:
    where = f"metric {metric.name!r}"
    if not metric.name.isidentifier() or keyword.iskeyword(metric.name):
        raise check.fail(where, "must be a name like notes_correct_pct")
    if not isinstance(metric.unit, str) or not metric.unit:
        raise check.fail(where, f"must have a unit, got {metric.unit!r}")
    if metric.value_kind not in KINDS:
        raise check.fail(where, f"kind must be one of {', '.join(KINDS)}, got {metric.kind!r}")
    if metric.plot not in PLOTS:
        raise check.fail(where, f"plot must be one of {PLOTS}, got {metric.plot!r}")
    if metric.words is not None and not (
        isinstance(metric.words, MetricWords) and metric.words.label
    ):
        raise check.fail(where, f"words must be MetricWords with a label, got {metric.words!r}")
    headline = metric.headline
    if isinstance(headline, tuple):
        unknown = [v for v in headline if v not in activity.trial_variants]
        if unknown:
            raise check.fail(where, f"is the headline of unknown variants {unknown}")
    elif not isinstance(headline, bool):
        raise check.fail(where, f"headline must be True, False or variants, got {headline!r}")


def builtin_activities() -> dict[str, ActivityDef[Any]]:
    """The activities shipped with the package, by name."""
    from . import call_and_response, free_play, tempo_following, vocal_prompts, waiting

    defs: list[ActivityDef[Any]] = [
        call_and_response.ACTIVITY,
        waiting.ACTIVITY,
        tempo_following.ACTIVITY,
        free_play.ACTIVITY,
        vocal_prompts.ACTIVITY,
    ]
    return {d.name: d for d in defs}


@cache
def _loaded() -> dict[str, ActivityDef[Any]]:
    found = {name: validate_activity(d, "built-in") for name, d in builtin_activities().items()}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plug-in must not hide the built-ins
            raise ActivityLoadError(
                f"activity entry point {entry.name!r} failed to load: {exc}"
            ) from exc
        activity = validate_activity(loaded, f"entry point {entry.value}")
        if activity.name != entry.name:
            raise ActivityLoadError(
                f"activity {activity.name!r} (entry point {entry.value}): registered under "
                f"the name {entry.name!r}; the entry point's name must be the activity's"
            )
        found[entry.name] = activity
    return found


def reload_activities() -> None:
    """Load the activities again at the next look-up (a plug-in installed meanwhile)."""
    _loaded.cache_clear()


def all_activities() -> dict[str, ActivityDef[Any]]:
    """Built-ins plus every activity registered through the entry-point group."""
    return dict(_loaded())


def get_activity(name: str) -> ActivityDef[Any]:
    """The activity called ``name``; an unknown name lists the known ones."""
    activities = _loaded()
    if name not in activities:
        raise ParameterError(
            f"no activity {name!r}; known activities: {', '.join(sorted(activities))}"
        )
    return activities[name]


def find_activity(name: Any) -> ActivityDef[Any] | None:
    """The activity called ``name``, or None (a stored record of an activity not installed)."""
    return _loaded().get(name) if isinstance(name, str) else None


def scored_activities() -> tuple[str, ...]:
    """The names of the activities a goal can be about (all but those never scored)."""
    return tuple(name for name, activity in _loaded().items() if activity.scored)


def every_metric() -> Iterator[tuple[ActivityDef[Any], MetricSpec]]:
    """Every metric of every activity, in registry order, then declaration order."""
    for activity in _loaded().values():
        for metric in activity.metrics:
            yield activity, metric


def metric_spec(name: str, activity: Any = None) -> MetricSpec | None:
    """The metric ``name`` of ``activity``; without one (or when the activity has no such
    metric), the first activity's that measures it; None when none does."""
    found = find_activity(activity)
    if found is not None and found.metric(name) is not None:
        return found.metric(name)
    return next((metric for _, metric in every_metric() if metric.name == name), None)


def counts_by_default(activity: Any, variant: Any) -> bool:
    """Whether a trial of ``activity`` and ``variant`` counts toward a goal that names no
    variant (an activity not installed: every variant does)."""
    found = find_activity(activity)
    return found is None or found.counts_by_default(variant)


def answers_with(activity: Any) -> Answer:
    """What the child answers ``activity`` with (notes when it is not installed)."""
    found = find_activity(activity)
    return Answer.NOTES if found is None else found.answers_with
