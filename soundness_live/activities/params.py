"""Typed, validated activity parameters.

Each activity declares its parameters as a frozen dataclass (a subclass of
:class:`ActivityParams`) whose fields are made with :func:`param`: type, default, help, unit,
range or choices. The activity reads ``p.tempo_bpm``, so a misspelt name fails the type check
and the registry's check when the activity loads, never with a KeyError on trial 1. Its
:class:`ParamSpec` rows (:func:`param_specs`) are read from those fields. Values come from the
command line (strings), TOML presets or code; :func:`resolve_params` converts and checks them and
says which parameter is wrong, what came and what is allowed.
"""

from __future__ import annotations

import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..config import parse_toml
from ..errors import FileFormatError, ParameterError

Value = bool | int | float | str


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an activity: its type, default, unit and allowed values."""

    name: str
    kind: type
    default: Value
    help: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """The allowed values, in words."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "text"
        low = "-inf" if self.min is None else f"{self.min:g}"
        high = "inf" if self.max is None else f"{self.max:g}"
        return f"{self.kind.__name__} in {low}..{high}" + (f" {self.unit}" if self.unit else "")

    def convert(self, raw: Any) -> Value:
        """``raw`` (string from the command line, or a TOML/Python value) as this type, checked."""
        value = self._coerce(raw)
        if self.choices and value not in self.choices:
            raise self._error(raw)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                raise self._error(raw)
        return value

    def _coerce(self, raw: Any) -> Value:
        try:
            if self.kind is bool:
                return _to_bool(raw)
            if self.kind is int:
                if isinstance(raw, float) and not raw.is_integer():
                    raise ValueError(raw)
                return int(raw) if not isinstance(raw, bool) else _reject(raw)
            if self.kind is float:
                value = float(raw) if not isinstance(raw, bool) else _reject(raw)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError(raw)
                return value
            return str(raw)
        except (TypeError, ValueError):
            raise self._error(raw) from None

    def _error(self, raw: Any) -> ParameterError:
        return ParameterError(f"parameter {self.name!r}: expected {self.allowed()}, got {raw!r}")


_SPEC = "soundness_live.param"  # the field metadata key holding a parameter's description
PARAM_TYPES = (bool, int, float, str)  # what a command line, a preset or code can give


@dataclass(frozen=True)
class _Described:
    help: str
    unit: str
    min: float | None
    max: float | None
    choices: tuple[str, ...]


def param(
    default: Value,
    help: str,
    unit: str = "",
    min: float | None = None,
    max: float | None = None,
    *,
    choices: tuple[str, ...] = (),
) -> Any:
    """A parameter field of an :class:`ActivityParams` dataclass: its default, what it is for,
    its unit and the values it allows (its type is the field's annotation)."""
    described = _Described(help, unit, min, max, tuple(choices))
    return field(default=default, metadata={_SPEC: described})


@dataclass(frozen=True)
class ActivityParams:
    """The parameters of an activity, resolved and checked: subclass it as a frozen dataclass
    with one :func:`param` field per parameter."""

    def values(self) -> dict[str, Value]:
        """Every parameter by name, in declaration order (what a trial record stores)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


Params = TypeVar("Params", bound=ActivityParams)


_SPECS: dict[type, tuple[ParamSpec, ...]] = {}  # read once per parameters dataclass


def param_specs(params: type[Any]) -> tuple[ParamSpec, ...]:
    """The :class:`ParamSpec` rows of a parameters dataclass, in declaration order; a field
    not made with :func:`param`, or of a type other than bool, int, float or str, is a
    TypeError naming it."""
    if not (isinstance(params, type) and is_dataclass(params)):
        raise TypeError(f"expected a dataclass of parameters, got {params!r}")
    if params not in _SPECS:
        _SPECS[params] = _read_specs(params)
    return _SPECS[params]


def _read_specs(params: type[Any]) -> tuple[ParamSpec, ...]:
    hints = typing.get_type_hints(params)
    specs = []
    for item in fields(params):
        described = item.metadata.get(_SPEC)
        kind = hints.get(item.name)
        if not isinstance(described, _Described) or item.default is MISSING:
            raise TypeError(f"parameter {item.name!r} must be made with param(default, help, ...)")
        if kind not in PARAM_TYPES:
            raise TypeError(
                f"parameter {item.name!r} must be a bool, int, float or str, got {kind!r}"
            )
        specs.append(
            ParamSpec(
                item.name,
                kind,
                item.default,
                described.help,
                described.unit,
                described.min,
                described.max,
                described.choices,
            )  # fmt: skip
        )
    return tuple(specs)


def _reject(raw: Any) -> Any:
    raise ValueError(raw)


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def resolve_params(
    activity: str, specs: tuple[ParamSpec, ...], given: dict[str, Any]
) -> dict[str, Value]:
    """Defaults overlaid with ``given``, every value converted and checked.

    An unknown name is an error that lists the known ones (a typo must not pass silently).
    """
    by_name = {spec.name: spec for spec in specs}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise ParameterError(
            f"activity {activity!r} has no parameter {unknown[0]!r}; "
            f"its parameters are: {', '.join(sorted(by_name))}"
        )
    values = {spec.name: spec.default for spec in specs}
    for name, raw in given.items():
        values[name] = by_name[name].convert(raw)
    return values


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["tempo_bpm=90", "variant=freeze"]`` -> dict; a malformed item is a ParameterError."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--param expects NAME=VALUE, got {item!r}")
        result[name.strip()] = value.strip()
    return result


PRESET_DIR = Path(__file__).resolve().parents[1] / "data" / "presets"


def builtin_presets() -> dict[str, Path]:
    """The presets shipped with the package, by name (file name without .toml)."""
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.toml"))}


def find_preset(name_or_path: str | Path) -> Path:
    """A preset file: an existing path, or the name of a built-in preset."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    presets = builtin_presets()
    if str(name_or_path) in presets:
        return presets[str(name_or_path)]
    raise ParameterError(
        f"no preset {str(name_or_path)!r}: not a file, and the built-in presets are "
        f"{', '.join(presets)}"
    )


def preset_activity(path: Path) -> str | None:
    """The ``activity = ...`` a preset file names, if any (one name, as text)."""
    activity = _read_toml(path).get("activity")
    if activity is not None and not isinstance(activity, str):
        raise ParameterError(
            f"{path}: 'activity' must be one activity name in quotes, e.g. "
            f'activity = "waiting"; got {type(activity).__name__} {activity!r}'
        )
    return activity


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return parse_toml(Path(path).read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path}: cannot read preset: {exc}") from None
    except FileFormatError as exc:
        raise ParameterError(str(exc)) from None


def load_preset(path: Path) -> dict[str, Any]:
    """Parameters from a TOML preset file: a ``[params]`` table, optionally ``activity = ...``."""
    data = _read_toml(path)
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ParameterError(f"{path}: [params] must be a table, got {type(params).__name__}")
    return dict(params)


def describe(specs: tuple[ParamSpec, ...]) -> list[str]:
    """One line per parameter, for ``soundness-live play --list``."""
    lines = []
    for spec in specs:
        default = f"{spec.default!s}" + (f" {spec.unit}" if spec.unit else "")
        lines.append(
            f"  {spec.name:<20} {default or '(none)':<14} {spec.allowed():<30} {spec.help}"
        )
    return lines
