"""What the exports know about a bundle: metric names and units, checks, trial iteration.

Metric names, units and meanings are the activities' own (their
:class:`~soundness_live.activities.contract.MetricSpec`, as METRICS.md names them), read from
the registry. A metric no activity declares still exports; its unit is read from its name's
suffix (``_ms``, ``_pct``, ...).

The CSV files and the report show numbers to the precision they carry (:func:`rounded`: times to
0.1 ms, percentages to 0.1 %, ...); the JSON export keeps every digit the engine stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from soundness_live.activities.registry import every_metric, metric_spec
from soundness_live.errors import ParameterError

_SUFFIX_UNITS = (
    ("_ms", "ms"),
    ("_s", "s"),
    ("_pct", "%"),
    ("_bpm", "BPM"),
    ("_hz", "Hz"),
    ("_cents", "cents"),
    ("_db", "dB"),
)


#: Decimal places a number is shown with, by unit. A p value keeps 2 significant digits, and a
#: number of a unit not listed here 4 (enough for any ratio a reviewer compares), never fewer
#: than its whole digits.
DECIMALS = {"ms": 1, "%": 1, "BPM": 1, "Hz": 1, "cents": 1, "dB": 1, "frames": 1, "s": 2,
            "ratio": 3, "0-1": 3, "log2 units": 3, "rad": 3}  # fmt: skip
_SIGNIFICANT = {"p": 2}
#: The unit of a trial's ``difficulty`` where it is not a staircase level: tempo-following's
#: difficulty is the tempo of its beat.
DIFFICULTY_UNITS = {"tempo-following": "BPM"}


def rounded(value: Any, unit: str) -> Any:
    """``value`` rounded for reading in ``unit`` (lists item by item; integers, text, booleans
    and null unchanged)."""
    if isinstance(value, (list, tuple)):
        return [rounded(item, unit) for item in value]
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    base = unit.removesuffix(" (list)")
    places = DECIMALS.get(base)
    if places is None:
        whole_digits = math.floor(math.log10(abs(value))) + 1 if value else 1
        places = max(0, _SIGNIFICANT.get(base, 4) - whole_digits)
    return round(value, places) + 0.0  # + 0.0: no "-0.0"


def metric_unit(name: str, activity: Any = None) -> str:
    """Unit of metric ``name`` (of ``activity`` when given): as the activity declares it, else
    from its name's suffix, else "as named"."""
    spec = metric_spec(name, activity)
    if spec is not None:
        return spec.unit
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return "as named"


def metric_meaning(name: str) -> str:
    """One line on what metric ``name`` measures, as the activities that measure it declare it
    (each activity named when they mean different things by it), or a generic line."""
    meanings: dict[str, list[str]] = {}
    for activity, metric in every_metric():
        if metric.name == name and metric.meaning:
            meanings.setdefault(metric.meaning, []).append(activity.name)
    if len(meanings) == 1:
        return next(iter(meanings))
    if meanings:
        return "; ".join(f"{', '.join(names)}: {meaning}" for meaning, names in meanings.items())
    return "metric reported by the activity (see METRICS.md)"


def metric_names(trials: list[Mapping[str, Any]]) -> list[str]:
    """Union of metric names over ``trials``: those the activities declare in the registry's
    order (each activity's in its own), then others sorted."""
    seen: set[str] = set()
    for trial in trials:
        seen.update((trial.get("metrics") or {}).keys())
    known = list(dict.fromkeys(m.name for _, m in every_metric() if m.name in seen))
    return known + sorted(seen - set(known))


def check_bundle(bundle: Any) -> None:
    """Raise ParameterError unless ``bundle`` has the export-bundle shape exports rely on."""
    if not isinstance(bundle, Mapping):
        raise ParameterError(f"export bundle: expected a dict, got {type(bundle).__name__}")
    for key, kind in (("child", Mapping), ("goals", list), ("sessions", list), ("progress", list)):
        if not isinstance(bundle.get(key), kind):
            got = type(bundle.get(key)).__name__
            raise ParameterError(f"export bundle: key {key!r} must be a {kind.__name__}, got {got}")
    if not bundle["child"].get("code"):
        raise ParameterError("export bundle: child.code is required, got none")
    for number, session in enumerate(bundle["sessions"]):
        if not isinstance(session.get("trials", []), list):
            raise ParameterError(f"export bundle: sessions[{number}].trials must be a list")


def find_non_finite(value: Any, path: str = "bundle") -> str | None:
    """Path of the first NaN or infinite number inside ``value``, or None if all are finite."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        items: Any = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for item_path, item in items:
        found = find_non_finite(item, item_path)
        if found is not None:
            return found
    return None


def refuse_non_finite(value: Any, where: str) -> None:
    """Raise ParameterError naming the first non-finite number in ``value`` (JSON has none)."""
    found = find_non_finite(value)
    if found is not None:
        raise ParameterError(
            f"{where}: expected finite numbers (null when not computable), got a non-finite "
            f"value at {found}"
        )


def iter_trials(bundle: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(session, trial) pairs in session order, then trial order."""
    for session in bundle["sessions"]:
        for trial in session.get("trials", []):
            yield session, trial
