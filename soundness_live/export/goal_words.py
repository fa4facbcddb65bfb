"""Goals in words for the report: the criterion as a reviewer reads it.

The success rule is parsed by the project's criteria language (:mod:`soundness_live.criteria`)
and its syntax tree is read aloud: ``waited_for_turn and notes_correct_pct >= 75`` becomes
"waits for turn, ≥ 75 % notes correct". Whether a trial succeeds is decided by
:func:`soundness_live.goals.trial_succeeds`, never re-implemented here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from soundness_live.criteria import CriteriaError, compile_criteria

Node = tuple[Any, ...]

#: Phrases for true/false metrics: (when true, when false).
_FLAGS = {
    "waited_for_turn": ("waits for turn", "plays during the call"),
    "reliable": ("taps reliably", "taps unreliably"),
    "contour_correct": ("contour correct", "contour wrong"),
    "commission": ("plays on a no-go", "holds on a no-go"),
}
_SYMBOLS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", "<": "<", ">": ">"}
_FLIPPED = {">=": "<=", "<=": ">=", "<": ">", ">": "<", "==": "==", "!=": "!="}
_UNITS = {"ms": " ms", "s": " s", "bpm": " BPM", "hz": " Hz", "db": " dB", "cents": " cents"}


def metric_words(name: str) -> str:
    """A metric name as words without its unit suffix: "wait_s" -> "wait"."""
    return re.sub(r"_(ms|s|pct|bpm|hz|db|cents)$", "", name).replace("_", " ")


def _tree(goal: Mapping[str, Any]) -> Node | None:
    """The syntax tree of the goal's success rule, or None when it does not parse."""
    try:
        return compile_criteria(str(goal.get("success") or "")).tree
    except CriteriaError:
        return None


def rule_words(node: Node) -> str:
    """A condition of a success rule in words."""
    kind = node[0]
    if kind in ("and", "or"):
        parts = [_grouped(child, kind) for child in node[1:]]
        return ", ".join(parts) if kind == "and" else " or ".join(parts)
    if kind == "not":
        inner = node[1]
        if inner[0] == "name" and inner[1] in _FLAGS:
            return _FLAGS[inner[1]][1]
        return f"not {_grouped(inner, 'not')}"
    if kind == "name":
        return _FLAGS.get(node[1], (metric_words(node[1]),))[0]
    if kind in ("is_null", "not_null"):
        return f"{_value_words(node[1])} {'not ' if kind == 'is_null' else ''}measured"
    if kind == "cmp":
        return _comparison_words(node[1], node[2], node[3])
    return _value_words(node)


def _grouped(node: Node, parent: str) -> str:
    """Words for a child, in parentheses when its operator binds differently from its parent."""
    words = rule_words(node)
    return f"({words})" if node[0] in ("and", "or") and node[0] != parent else words


def _comparison_words(op: str, left: Node, right: Node) -> str:
    """ "≥ 75 % notes correct", "hit rate ≥ 0.8", "syllables ≥ target syllables"."""
    if left[0] == "const" and right[0] == "name":
        op, left, right = _FLIPPED[op], right, left
    symbol = _SYMBOLS[op]
    if left[0] == "name" and right[0] == "const":
        name, value = left[1], _value_words(right)
        if name.endswith("_pct"):
            return f"{symbol} {value} % {metric_words(name)}"
        unit = _UNITS.get(name.rsplit("_", 1)[-1], "") if "_" in name else ""
        return f"{metric_words(name)} {symbol} {value}{unit}"
    return f"{_value_words(left)} {symbol} {_value_words(right)}"


def _value_words(node: Node) -> str:
    """An arithmetic expression: names as words, numbers without a needless ".0"."""
    kind = node[0]
    if kind == "const":
        value = node[1]
        if isinstance(value, bool) or value is None:
            return "null" if value is None else str(value).lower()
        return f"{value:g}" if isinstance(value, float) else str(value)
    if kind == "name":
        return metric_words(node[1])
    if kind == "neg":
        return f"−{_value_words(node[1])}"
    if kind == "abs":
        return f"|{_value_words(node[1])}|"
    if kind == "arith":
        return f"({_value_words(node[2])} {node[1]} {_value_words(node[3])})"
    return f"({rule_words(node)})"


def criterion_words(goal: Mapping[str, Any]) -> str:
    """The criterion in words, e.g. "≥ 75 % notes correct, in 4 of 5 trials across 3 sessions"."""
    tree = _tree(goal)
    condition = rule_words(tree) if tree is not None else str(goal.get("success") or "")
    mastery = goal.get("mastery") or {}
    trials, successes = mastery.get("trials"), mastery.get("successes")
    sessions = mastery.get("consecutive_sessions")
    return f"{condition}, in {successes} of {trials} trials across {sessions} sessions"


def measure_threshold(goal: Mapping[str, Any]) -> tuple[str, float] | None:
    """(symbol, number) of the rule's comparison of the goal's measure with a number."""
    measure, tree = goal.get("measure"), _tree(goal)
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop(0)
        if node[0] == "cmp":
            op, left, right = node[1], node[2], node[3]
            if left[0] == "const":
                op, left, right = _FLIPPED[op], right, left
            number = right[0] == "const" and isinstance(right[1], float)
            if left == ("name", measure, left[-1]) and number:
                return _SYMBOLS[op], right[1]
        stack.extend(child for child in node[1:] if isinstance(child, tuple))
    return None
