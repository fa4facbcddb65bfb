"""A session plan: its steps, read from a TOML document and written back as TOML text.

A plan file (``NAME.toml``) holds an optional ``description``, an optional ``countdown_s`` (the
calm countdown between two steps) and one ``[[step]]`` table per step, in the order they run::

    description = "hello, a drum echo, goodbye"
    countdown_s = 5

    [[step]]
    activity = "free-play"
    preset = "hello"

    [[step]]
    activity = "call-and-response"
    preset = "drum-echo-beginner"
    label = "drum echo"
    params = { trials = 4 }

Each step names an ``activity``, optionally a ``preset`` of it and ``params`` that override the
preset's (or the activity's defaults), and a ``label`` the screens show. Reading checks the
shape only and names the file and the step (counted from 1) of every fault; whether the
activity, the preset and the parameters exist is :mod:`~soundness_live.plans.checks`'s part.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import SoundnessError

__all__ = [
    "COUNTDOWN_S",
    "MAX_STEPS",
    "NAME_PATTERN",
    "Plan",
    "PlanError",
    "PlanStep",
    "check_plan_name",
    "parse_step_spec",
    "plan_from_document",
    "plan_toml",
]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
COUNTDOWN_S = 5.0  # a calm count into the next step: long enough to settle, short enough to wait
MAX_COUNTDOWN_S = 60.0
MAX_STEPS = 30
_PLAN_KEYS = ("description", "countdown_s", "step")
_STEP_KEYS = ("activity", "preset", "label", "params")
Value = bool | int | float | str


class PlanError(SoundnessError, ValueError):
    """A plan is malformed or names what does not exist; the message names the plan's file
    (or name) and the step."""


@dataclass(frozen=True)
class PlanStep:
    """One step: an activity, optionally a preset of it, parameter overrides and a label."""

    activity: str
    preset: str | None = None
    params: dict[str, Value] = field(default_factory=dict)
    label: str | None = None

    @property
    def title(self) -> str:
        """What the screens call the step: its label, else its preset's or its activity's name
        in words ("freeze-game" reads "freeze game")."""
        return self.label or (self.preset or self.activity).replace("-", " ")

    def spec(self) -> str:
        """The step as ``plan save --step`` takes it (``ACTIVITY[:PRESET] k=v ...``)."""
        head = self.activity + (f":{self.preset}" if self.preset else "")
        pairs = (shlex.quote(f"{k}={_spec_value(v)}") for k, v in self.params.items())
        return " ".join([head, *pairs])


@dataclass(frozen=True)
class Plan:
    """A named, ordered list of steps run as one session."""

    name: str
    steps: tuple[PlanStep, ...]
    description: str = ""
    countdown_s: float = COUNTDOWN_S

    def __post_init__(self) -> None:
        check_plan_name(self.name)
        if not 1 <= len(self.steps) <= MAX_STEPS:
            raise PlanError(
                f"plan {self.name!r}: a plan has 1..{MAX_STEPS} steps, got {len(self.steps)}"
            )
        if not 0 <= self.countdown_s <= MAX_COUNTDOWN_S:
            raise PlanError(
                f"plan {self.name!r}: the countdown between steps must be in "
                f"0..{MAX_COUNTDOWN_S:g} s, got {self.countdown_s!r}"
            )


def check_plan_name(name: Any) -> str:
    """A plan's name (its file name without ``.toml``): 1-64 letters, digits, '-' or '_'."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise PlanError(
            f"a plan name is 1-64 letters, digits, '-' or '_', starting with a letter or digit; "
            f"got {name!r}"
        )
    return name


def plan_from_document(name: str, document: dict[str, Any], origin: str) -> Plan:
    """The plan a parsed TOML document describes; ``origin`` (the file) heads every error."""
    _no_unknown(document, _PLAN_KEYS, f"{origin}")
    steps = document.get("step")
    if not isinstance(steps, list) or not steps:
        raise PlanError(f"{origin}: a plan needs at least one [[step]] table, got {steps!r}")
    if len(steps) > MAX_STEPS:
        raise PlanError(f"{origin}: a plan has at most {MAX_STEPS} steps, got {len(steps)}")
    description = document.get("description", "")
    if not isinstance(description, str):
        raise PlanError(f"{origin}: 'description' must be text, got {description!r}")
    return Plan(
        name=check_plan_name(name),
        steps=tuple(_step(raw, f"{origin}: step {n}") for n, raw in enumerate(steps, 1)),
        description=description,
        countdown_s=_countdown(document.get("countdown_s", COUNTDOWN_S), origin),
    )


def _countdown(raw: Any, origin: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise PlanError(f"{origin}: 'countdown_s' must be a number of seconds, got {raw!r}")
    if not 0 <= raw <= MAX_COUNTDOWN_S:
        raise PlanError(f"{origin}: 'countdown_s' must be in 0..{MAX_COUNTDOWN_S:g} s, got {raw!r}")
    return float(raw)


def _step(raw: Any, where: str) -> PlanStep:
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: expected a table (activity, preset, params), got {raw!r}")
    _no_unknown(raw, _STEP_KEYS, where)
    activity, preset, label = raw.get("activity"), raw.get("preset"), raw.get("label")
    if not isinstance(activity, str) or not activity:
        raise PlanError(f"{where}: 'activity' must name an activity, got {activity!r}")
    for key, value in (("preset", preset), ("label", label)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise PlanError(f"{where}: {key!r} must be text, got {value!r}")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise PlanError(f"{where}: 'params' must be a table of name = value, got {params!r}")
    for key, value in params.items():
        if not isinstance(value, (bool, int, float, str)):
            raise PlanError(
                f"{where}: parameter {key!r} must be a number, true/false or text, got {value!r}"
            )
    return PlanStep(activity, preset, dict(params), label)


def _no_unknown(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise PlanError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(known)}")


def parse_step_spec(spec: str, where: str = "--step") -> PlanStep:
    """A step from ``ACTIVITY[:PRESET] [name=value ...]`` (the values as text, quoted as in a
    shell when they hold spaces; the checks convert them to the parameter's type)."""
    try:
        words = shlex.split(spec)
    except ValueError as error:
        raise PlanError(f"{where} {spec!r}: {error}") from None
    if not words:
        raise PlanError(f"{where}: expected 'ACTIVITY[:PRESET] [name=value ...]', got {spec!r}")
    activity, _, preset = words[0].partition(":")
    params: dict[str, Value] = {}
    for item in words[1:]:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PlanError(f"{where} {spec!r}: expected name=value, got {item!r}")
        params[key] = value
    return PlanStep(activity, preset or None, params)


def plan_toml(plan: Plan) -> str:
    """The plan as the TOML text of its file (read back by :func:`plan_from_document`)."""
    lines = []
    if plan.description:
        lines.append(f"description = {_toml_value(plan.description)}")
    lines.append(f"countdown_s = {_toml_value(plan.countdown_s)}")
    for step in plan.steps:
        lines += ["", "[[step]]", f"activity = {_toml_value(step.activity)}"]
        if step.preset:
            lines.append(f"preset = {_toml_value(step.preset)}")
        if step.label:
            lines.append(f"label = {_toml_value(step.label)}")
        if step.params:
            pairs = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in step.params.items())
            lines.append(f"params = {{ {pairs} }}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)  # JSON's escapes (\", \\, \n, \uXXXX) are TOML's basic-string ones


def _toml_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else json.dumps(key)


def _spec_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
