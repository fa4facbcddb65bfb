"""Goals and activities in words for the report: what a reviewer reads instead of expressions.

The success rule is parsed by the project's criteria language (:mod:`soundness_live.goals.criteria`)
and its syntax tree read aloud: ``waited_for_turn and notes_correct_pct >= 75`` becomes
"waits for the turn and gets at least 75 % of the notes". Whether a trial succeeds is decided by
:func:`soundness_live.goals.goal.meets_rule`, never re-implemented here; :func:`unmet_parts` only
says which parts of the rule a trial fell short of. The words of each metric, and each
activity's headline measure (the one plotted when no goal covers it), are the activity's own
(:class:`~soundness_live.activities.contract.MetricSpec`), read from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soundness_live.activities.contract import MetricSpec
from soundness_live.activities.registry import find_activity, metric_spec
from soundness_live.goals.criteria import Criteria, CriteriaError, compile_criteria, trial_values
from soundness_live.goals.goal import prompt_level_rank

Node = tuple[Any, ...]

_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than",
           "==": "exactly", "!=": "other than"}  # fmt: skip
_FLIPPED = {">=": "<=", "<=": ">=", "<": ">", ">": "<", "==": "==", "!=": "!="}
_SYMBOLS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", "<": "<", ">": ">"}
_UNITS = {"ms": " ms", "s": " s", "pct": " %", "bpm": " BPM", "hz": " Hz", "db": " dB",
          "cents": " cents"}  # fmt: skip


def _spec(name: str, activity: str | None) -> MetricSpec:
    """The metric as the activity declares it (one made from its name when none does)."""
    return metric_spec(name, activity) or MetricSpec(name, _unit_of(name).strip() or "count")


def metric_words(name: str, activity: str | None = None) -> str:
    """How a therapist reads a metric's name: its label ("notes correct"; a name no activity
    declares: without its unit suffix, "wait_s" -> "wait")."""
    return _spec(name, activity).reads.label


def headline_metric(activity: str, variant: Any) -> str | None:
    """The headline measure of an activity's variant, or None for an activity not known."""
    found = find_activity(activity)
    headline = found.headline(variant) if found is not None else None
    return headline.name if headline is not None else None


def _tree(goal: Mapping[str, Any]) -> Node | None:
    """The syntax tree of the goal's success rule, or None when it does not parse."""
    try:
        return compile_criteria(str(goal.get("success") or "")).tree
    except CriteriaError:
        return None


def conjuncts(node: Node) -> list[Node]:
    """The parts of a rule joined by "and" (one part for any other rule), without a null test
    of a metric another part compares (``x != null and x <= 3000`` says no more than
    ``x <= 3000``: a comparison with null is false)."""
    parts = [node] if node[0] != "and" else conjuncts(node[1]) + conjuncts(node[2])
    compared = {_compared_name(part) for part in parts} - {None}
    return [p for p in parts if not (p[0] == "not_null" and _compared_name(p) in compared)]


def _compared_name(node: Node) -> str | None:
    """The metric a comparison or a null test is about (through abs), else None."""
    operands = node[2:4] if node[0] == "cmp" else node[1:2] if node[0] == "not_null" else ()
    for operand in operands:
        inner = operand[1] if operand[0] == "abs" else operand
        if inner[0] == "name":
            return str(inner[1])
    return None


def rule_words(node: Node, activity: str | None = None) -> str:
    """A condition of a success rule of a goal of ``activity`` in words."""
    kind = node[0]
    if kind == "and":
        parts = [_grouped(part, "and", activity) for part in conjuncts(node)]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if kind == "or":
        return " or ".join(_grouped(child, "or", activity) for child in node[1:])
    if kind == "not":
        inner = node[1]
        if inner[0] == "name" and _spec(inner[1], activity).reads.no:
            return _spec(inner[1], activity).reads.no
        return f"not {_grouped(inner, 'not', activity)}"
    if kind == "name":
        words = _spec(node[1], activity).reads
        return words.yes or f"{words.label} is true"
    if kind in ("is_null", "not_null"):
        measured = "is not measured" if kind == "is_null" else "is measured"
        return f"the {_value_words(node[1], activity)} {measured}"
    if kind == "cmp":
        return _comparison_words(node[1], node[2], node[3], activity)
    return _value_words(node, activity)


def _grouped(node: Node, parent: str, activity: str | None) -> str:
    """Words for a child, in parentheses when its operator binds differently from its parent."""
    words = rule_words(node, activity)
    return f"({words})" if node[0] in ("and", "or") and node[0] != parent else words


def _comparison_words(op: str, left: Node, right: Node, activity: str | None) -> str:
    """ "gets at least 75 % of the notes", "says as many syllables as the prompt"."""
    if left[0] == "const" and right[0] != "const":
        op, left, right = _FLIPPED[op], right, left
    if left[0] == "name" and right[0] == "const" and _spec(left[1], activity).reads.values:
        values = dict(_spec(left[1], activity).reads.values)
        words = values.get(str(right[1]), f"is classed {right[1]}")
        return words if op == "==" else f"does not: {words}"
    if left[0] == "name" and right[0] == "name":
        versus = _versus(op, left[1], right[1], activity)
        if versus:
            return versus
    if right[0] == "const" and isinstance(right[1], float) and not isinstance(right[1], bool):
        if left[0] == "name":
            return _metric_bound(_spec(left[1], activity), op, right[1], size=False)
        if left[0] == "abs" and left[1][0] == "name":
            return _metric_bound(_spec(left[1][1], activity), op, right[1], size=True)
    return f"{_value_words(left, activity)} {_BOUNDS[op]} {_value_words(right, activity)}"


def _versus(op: str, left: str, right: str, activity: str | None) -> str:
    """A metric compared with another in the words one of them has for it ("says as many
    syllables as the prompt has"), or "" when neither has any."""
    for name, other, flipped in ((left, right, op), (right, left, _FLIPPED[op])):
        phrase = dict(_spec(name, activity).reads.versus).get(other)
        how = {"==": "as many", ">=": "at least as many", "<=": "at most as many"}.get(flipped)
        if phrase and how:
            return phrase.format(how=how)
    return ""


def _metric_bound(metric: MetricSpec, op: str, number: float, size: bool) -> str:
    """A metric compared with a number, in the metric's own phrase."""
    words = metric.reads
    if size:
        template = words.size_rule or f"|{words.label}| {{bound}}"
    else:
        template = words.rule or f"{words.label} {{bound}}"
    value, unit = metric.shown(number), metric.unit_words()
    words_of_bound = "within" if op == "<=" and (size or words.within) else _BOUNDS[op]
    bound = (
        "no"
        if value == 0 and op in ("==", "<=") and not unit
        else f"{words_of_bound} {value:g}{unit}"
    )
    return template.format(bound=bound)


def _unit_of(name: str) -> str:
    """The unit a bare number of this metric is read in (from its name's suffix)."""
    return _UNITS.get(name.rsplit("_", 1)[-1], "") if "_" in name else ""


def _value_words(node: Node, activity: str | None = None) -> str:
    """An arithmetic expression: names as words, numbers without a needless ".0"."""
    kind = node[0]
    if kind == "const":
        value = node[1]
        if isinstance(value, bool) or value is None:
            return "null" if value is None else str(value).lower()
        return f"{value:g}" if isinstance(value, float) else str(value)
    if kind == "name":
        return metric_words(node[1], activity)
    if kind == "neg":
        return f"minus {_value_words(node[1], activity)}"
    if kind == "abs":
        return f"the size of {_value_words(node[1], activity)}"
    if kind == "arith":
        words = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}[node[1]]
        return f"({_value_words(node[2], activity)} {words} {_value_words(node[3], activity)})"
    return f"({rule_words(node, activity)})"


def success_words(goal: Mapping[str, Any]) -> str:
    """The success rule in words (the rule's own text only when it does not parse)."""
    tree = _tree(goal)
    if tree is None:
        return str(goal.get("success") or "")
    return rule_words(tree, goal.get("activity"))


def criterion_words(goal: Mapping[str, Any]) -> str:
    """The criterion in words: "waits for the turn and gets at least 75 % of the notes, in 4 of
    5 trials, in 3 sessions in a row"."""
    mastery = goal.get("mastery") or {}
    trials, successes = mastery.get("trials"), mastery.get("successes")
    sessions = mastery.get("consecutive_sessions")
    return (
        f"{success_words(goal)}, in {successes} of {trials} trials, "
        f"in {sessions} session{'s' * (sessions != 1)} in a row"
    )


def help_words(level: Any) -> str:
    """The most help a goal allows, in words: "no help (independent)", "up to gestural
    prompting"."""
    text = str(level or "independent").replace("_", " ")
    return "no help (independent)" if text == "independent" else f"up to {text} prompting"


def unmet_parts(goal: Mapping[str, Any], trial: Mapping[str, Any]) -> list[str]:
    """The parts of the goal's rule ``trial`` fell short of, in words (the help allowed too);
    empty when it met them all or the rule cannot be read."""
    tree = _tree(goal)
    if tree is None:
        return []
    values = trial_values(trial)
    missed = []
    for part in conjuncts(tree):
        try:
            met = Criteria("", part, frozenset()).evaluate(values)
        except CriteriaError:
            met = False
        if not met:
            missed.append(rule_words(part, goal.get("activity")))
    level, allowed = trial.get("prompt_level"), goal.get("max_prompt_level") or "independent"
    try:
        helped = level is None or prompt_level_rank(level) < prompt_level_rank(allowed)
    except ValueError:
        helped = True
    if helped and allowed != "full_physical":
        missed.append(f"needs {help_words(allowed).replace('up to', 'no more than')}")
    return missed


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
