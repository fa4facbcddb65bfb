"""Checking a plan against what exists: the activity registry and the presets.

A plan is checked when it is saved and again whenever it is loaded (an activity may have been
uninstalled, a preset renamed, a file edited by hand since): every step's activity must be
registered, its preset must be a preset of that activity, and the preset's parameters with the
step's overrides must be parameters the activity accepts, in range. The first fault is a
:class:`~soundness_live.plans.plan.PlanError` naming the file (or the plan) and the step.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..activities.base import ActivityDef
from ..activities.params import (
    ParamSpec,
    builtin_presets,
    load_preset,
    preset_activity,
    resolve_params,
)
from ..activities.registry import all_activities
from ..errors import ParameterError
from .plan import Plan, PlanError, PlanStep

__all__ = ["check_plan", "presets_of", "step_params"]


def check_plan(plan: Plan, origin: str) -> Plan:
    """``plan`` with every step checked and its overrides converted to their parameters'
    types (``"90"`` from the command line becomes ``90.0`` for a tempo)."""
    activities = all_activities()
    presets = builtin_presets()
    steps = tuple(
        _check_step(step, f"{origin}: step {n}", activities, presets)
        for n, step in enumerate(plan.steps, 1)
    )
    return replace(plan, steps=steps)


def _check_step(
    step: PlanStep, where: str, activities: dict[str, ActivityDef[Any]], presets: dict[str, Path]
) -> PlanStep:
    activity = activities.get(step.activity)
    if activity is None:
        known = ", ".join(sorted(activities))
        raise PlanError(f"{where}: no activity {step.activity!r}; known activities: {known}")
    given = dict(_preset_params(step, where, presets))
    given.update(step.params)
    specs = _specs(activity)
    try:
        resolve_params(activity.name, specs, given)
    except ParameterError as error:
        raise PlanError(f"{where} ({step.activity}): {error}") from None
    by_name = {spec.name: spec for spec in specs}
    converted = {name: by_name[name].convert(value) for name, value in step.params.items()}
    return replace(step, params=converted)


def _preset_params(step: PlanStep, where: str, presets: dict[str, Path]) -> dict[str, Any]:
    if step.preset is None:
        return {}
    path = presets.get(step.preset)
    if path is None:
        own = ", ".join(presets_of(step.activity, presets)) or "none"
        raise PlanError(f"{where}: no preset {step.preset!r}; presets of {step.activity}: {own}")
    try:
        named = preset_activity(path)
        params = load_preset(path)
    except ParameterError as error:
        raise PlanError(f"{where}: preset {step.preset!r}: {error}") from None
    if named != step.activity:
        raise PlanError(f"{where}: preset {step.preset!r} is for {named!r}, not {step.activity!r}")
    return params


def presets_of(activity: str, presets: dict[str, Path] | None = None) -> list[str]:
    """The names of the presets made for ``activity``."""
    presets = builtin_presets() if presets is None else presets
    return [name for name, path in presets.items() if preset_activity(path) == activity]


def step_params(step: PlanStep) -> dict[str, Any]:
    """What a checked step gives its activity: its preset's parameters overlaid with its own
    (the run adds the child's profile where neither says)."""
    params = dict(load_preset(builtin_presets()[step.preset])) if step.preset else {}
    params.update(step.params)
    return params


def _specs(activity: ActivityDef[Any]) -> tuple[ParamSpec, ...]:
    """The parameters an activity declares."""
    return activity.specs
