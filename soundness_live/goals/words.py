"""Goals and activities in words for the report: what a reviewer reads instead of expressions.

The success rule is parsed by the project's criteria language (:mod:`soundness_live.goals.criteria`)
and its syntax tree read aloud: ``waited_for_turn and notes_correct_pct >= 75`` becomes
"waits for the turn and gets at least 75 % of the notes". Whether a trial succeeds is decided by
:func:`soundness_live.goals.goal.meets_rule`, never re-implemented here; :func:`unmet_parts` only
says which parts of the rule a trial fell short of. Each activity's headline measure (the one
plotted when no goal covers it) is named here too: the activity words live in this one module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from soundness_live.goals.criteria import Criteria, CriteriaError, compile_criteria, trial_values
from soundness_live.goals.goal import prompt_level_rank

Node = tuple[Any, ...]

#: Phrases for true/false metrics: (when true, when false).
_FLAGS = {
    "waited_for_turn": ("waits for the turn", "plays during the call"),
    "reliable": ("taps reliably (at least 6 taps on beats, 50–150 % as many taps as beats)",
                 "taps unreliably"),
    "contour_correct": ("sings the prompt's rise and fall", "sings the contour the wrong way"),
    "commission": ("plays on a no-go", "holds back on a no-go"),
    "waited": ("plays only in their own turn", "plays out of turn"),
}  # fmt: skip
#: A comparison of a metric with a number: (phrase with {bound}, unit after the number, scale).
_PHRASES: dict[str, tuple[str, str, float]] = {
    "notes_correct_pct": ("gets {bound} of the notes", " %", 1.0),
    "hits": ("echoes {bound} of the call's notes", "", 1.0),
    "omissions": ("leaves out {bound} of the call's notes", "", 1.0),
    "insertions": ("adds {bound} extra notes", "", 1.0),
    "substitutions": ("plays {bound} wrong notes", "", 1.0),
    "rhythm_error": ("keeps the rhythm (rhythm error {bound})", "", 1.0),
    "median_onset_error_ms": ("plays the notes {bound} off the call's timing", " ms", 1.0),
    "response_latency_ms": ("answers {bound} after the call ends", " ms", 1.0),
    "hit_rate": ("taps on {bound} of the beats", " %", 100.0),
    "within_window_pct": ("taps within the timing window on {bound} of the beats", " %", 1.0),
    "resultant_length": ("locks to the beat (phase locking {bound}; 0 random, 1 locked)", "", 1.0),
    "mean_asynchrony_ms": ("taps {bound} from the beat on average (below 0: early)", " ms", 1.0),
    "sd_asynchrony_ms": ("taps with a spread of {bound} around the beat", " ms", 1.0),
    "iti_cv": ("taps evenly (interval variation {bound})", "", 1.0),
    "tapping_bpm": ("taps at {bound}", " BPM", 1.0),
    "longest_run": ("keeps {bound} beats in a row in time", "", 1.0),
    "missed_beats": ("misses {bound} beats", "", 1.0),
    "extra_taps": ("adds {bound} extra taps", "", 1.0),
    "reaction_time_ms": ("plays {bound} after the cue", " ms", 1.0),
    "wait_s": ("waits {bound} before playing", " s", 1.0),
    "notes_in_freeze": ("plays {bound} notes after the music stops", "", 1.0),
    "time_to_stop_ms": ("stops {bound} after the music stops", " ms", 1.0),
    "extra_responses": ("plays {bound} extra notes after the first", "", 1.0),
    "plays_out_of_turn": ("plays {bound} times out of turn", "", 1.0),
    "plays_in_turn": ("plays {bound} times in their own turn", "", 1.0),
    "voice_onset_latency_ms": ("starts to answer {bound} after the prompt ends", " ms", 1.0),
    "syllables": ("says {bound} syllables", "", 1.0),
    "pitch_error_cents": ("sings {bound} from the prompt's pitch (below 0: flat)", " cents", 1.0),
    "pitch_sd_cents": ("sings with a pitch spread of {bound} across attempts", " cents", 1.0),
    "duration_ms": ("holds the voice for {bound}", " ms", 1.0),
    "intensity_db": ("sings at {bound}", " dB", 1.0),
    "median_f0_hz": ("sings at {bound}", " Hz", 1.0),
}
#: The same with the metric's size (``abs(...)``): early or late, sharp or flat alike.
_SIZE_PHRASES = {
    "mean_asynchrony_ms": "taps on average {bound} of the beat (early or late)",
    "circular_mean_ms": "taps on average {bound} of the beat (circular mean, early or late)",
    "pitch_error_cents": "sings {bound} of the prompt's pitch (sharp or flat)",
    "median_onset_error_ms": "plays the notes {bound} of the call's timing",
}
#: Times after an event, where "at most" reads as "within".
_WITHIN = {"response_latency_ms", "reaction_time_ms", "time_to_stop_ms",
           "voice_onset_latency_ms"}  # fmt: skip
_CLASSES = {
    "valid": "waits for the cue and then plays in time",
    "premature": "plays before the cue",
    "anticipatory": "plays too soon after the cue to be a reaction",
    "omission": "does not play after the cue",
}
_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than",
           "==": "exactly", "!=": "other than"}  # fmt: skip
_FLIPPED = {">=": "<=", "<=": ">=", "<": ">", ">": "<", "==": "==", "!=": "!="}
_SYMBOLS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", "<": "<", ">": ">"}
_UNITS = {"ms": " ms", "s": " s", "pct": " %", "bpm": " BPM", "hz": " Hz", "db": " dB",
          "cents": " cents"}  # fmt: skip
#: Each activity's headline measure, per variant (None: every other variant), plotted per
#: trial across sessions for an activity no goal covers (METRICS.md: the headline of each).
HEADLINES: dict[str, dict[str | None, str]] = {
    "call-and-response": {None: "notes_correct_pct"},
    "tempo-following": {None: "hit_rate", "unpaced": "tapping_bpm"},
    "waiting": {None: "wait_s", "freeze": "notes_in_freeze", "go-no-go": "reaction_time_ms",
                "turns": "plays_out_of_turn"},
    "vocal-prompts": {None: "voice_onset_latency_ms", "echo-syllables": "syllables",
                      "match-pitch": "pitch_error_cents", "sustain-vowel": "duration_ms"},
    "free-play": {None: "notes_played"},
}  # fmt: skip


def metric_words(name: str) -> str:
    """A metric name as words without its unit suffix: "wait_s" -> "wait"."""
    return re.sub(r"_(ms|s|pct|bpm|hz|db|cents)$", "", name).replace("_", " ")


def headline_metric(activity: str, variant: Any) -> str | None:
    """The headline measure of an activity's variant, or None for an activity not known."""
    table = HEADLINES.get(activity) or {}
    return table.get(variant, table.get(None))


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


def rule_words(node: Node) -> str:
    """A condition of a success rule in words."""
    kind = node[0]
    if kind == "and":
        parts = [_grouped(part, "and") for part in conjuncts(node)]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if kind == "or":
        return " or ".join(_grouped(child, "or") for child in node[1:])
    if kind == "not":
        inner = node[1]
        if inner[0] == "name" and inner[1] in _FLAGS:
            return _FLAGS[inner[1]][1]
        return f"not {_grouped(inner, 'not')}"
    if kind == "name":
        return _FLAGS.get(node[1], (f"{metric_words(node[1])} is true",))[0]
    if kind in ("is_null", "not_null"):
        measured = "is not measured" if kind == "is_null" else "is measured"
        return f"the {_value_words(node[1])} {measured}"
    if kind == "cmp":
        return _comparison_words(node[1], node[2], node[3])
    return _value_words(node)


def _grouped(node: Node, parent: str) -> str:
    """Words for a child, in parentheses when its operator binds differently from its parent."""
    words = rule_words(node)
    return f"({words})" if node[0] in ("and", "or") and node[0] != parent else words


def _comparison_words(op: str, left: Node, right: Node) -> str:
    """ "gets at least 75 % of the notes", "says as many syllables as the prompt"."""
    if left[0] == "const" and right[0] != "const":
        op, left, right = _FLIPPED[op], right, left
    if left[0] == "name" and left[1] == "classification" and right[0] == "const":
        words = _CLASSES.get(str(right[1]), f"is classed {right[1]}")
        return words if op == "==" else f"does not: {words}"
    if (
        left[0] == "name"
        and right[0] == "name"
        and {left[1], right[1]} == {"syllables", "target_syllables"}
    ):
        op = op if left[1] == "syllables" else _FLIPPED[op]
        how = {"==": "as many", ">=": "at least as many", "<=": "at most as many"}.get(op)
        if how:
            return f"says {how} syllables as the prompt has"
    if right[0] == "const" and isinstance(right[1], float) and not isinstance(right[1], bool):
        if left[0] == "name":
            return _metric_bound(left[1], op, right[1], size=False)
        if left[0] == "abs" and left[1][0] == "name":
            return _metric_bound(left[1][1], op, right[1], size=True)
    return f"{_value_words(left)} {_BOUNDS[op]} {_value_words(right)}"


def _metric_bound(name: str, op: str, number: float, size: bool) -> str:
    """A metric compared with a number, in the metric's own phrase."""
    template, unit, scale = _PHRASES.get(name, ("", _unit_of(name), 1.0))
    if size:
        template = _SIZE_PHRASES.get(name, f"|{metric_words(name)}| {{bound}}")
    elif not template:
        template = f"{metric_words(name)} {{bound}}"
    value = number * scale
    words = "within" if op == "<=" and (size or name in _WITHIN) else _BOUNDS[op]
    bound = "no" if value == 0 and op in ("==", "<=") and not unit else f"{words} {value:g}{unit}"
    return template.format(bound=bound)


def _unit_of(name: str) -> str:
    """The unit a bare number of this metric is read in (from its name's suffix)."""
    return _UNITS.get(name.rsplit("_", 1)[-1], "") if "_" in name else ""


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
        return f"minus {_value_words(node[1])}"
    if kind == "abs":
        return f"the size of {_value_words(node[1])}"
    if kind == "arith":
        words = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}[node[1]]
        return f"({_value_words(node[2])} {words} {_value_words(node[3])})"
    return f"({rule_words(node)})"


def success_words(goal: Mapping[str, Any]) -> str:
    """The success rule in words (the rule's own text only when it does not parse)."""
    tree = _tree(goal)
    return rule_words(tree) if tree is not None else str(goal.get("success") or "")


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
            missed.append(rule_words(part))
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
