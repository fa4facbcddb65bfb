"""Goals in words for the report: the criterion as a reviewer reads it, and per-trial success.

A goal's success rule is an expression in the criteria language ("waited_for_turn and
notes_correct_pct >= 75"). The report reads the common form — clauses joined by ``and``, each a
comparison of a metric with a number, a word or another metric, or a true/false metric — and
turns it into words ("≥ 75 % notes correct, waits for turn"). A rule in any other form (``or``,
parentheses, arithmetic) is shown as written, and its per-trial success is left unmarked rather
than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Prompt levels, most to least help (METRICS.md section 5).
PROMPT_LEVELS = ("full_physical", "partial_physical", "model", "verbal", "gestural", "independent")

_PHRASES = {
    "waited_for_turn": ("waits for turn", "plays during the call"),
    "reliable": ("taps reliably", "taps unreliably"),
    "contour_correct": ("contour correct", "contour wrong"),
    "commission": ("plays on a no-go", "holds on a no-go"),
    "notes_correct_pct": ("notes correct", ""),
    "within_window_pct": ("beats within the timing window", ""),
}
_SYMBOLS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", "<": "<", ">": ">"}
_NAME = r"[A-Za-z_]\w*"
_VALUE = rf"-?\d+(?:\.\d+)?|'[^']*'|\"[^\"]*\"|{_NAME}"
_COMPARISON = re.compile(rf"^({_NAME})\s*(<=|>=|==|!=|<|>)\s*({_VALUE})$")
_FLAG = re.compile(rf"^(not\s+)?({_NAME})$")


@dataclass(frozen=True)
class Clause:
    """One condition of a success rule: ``metric op value`` (value None for a bare flag)."""

    metric: str
    op: str
    value: Any

    def holds(self, metrics: Mapping[str, Any]) -> bool:
        """Whether ``metrics`` meet this clause; a null metric never does."""
        left = metrics.get(self.metric)
        right = metrics.get(self.value[1:]) if _is_ref(self.value) else self.value
        if left is None or right is None:
            return False
        try:
            return bool(_compare(left, self.op, right))
        except TypeError:
            return False


def _is_ref(value: Any) -> bool:
    """True for a metric reference (stored as "@name")."""
    return isinstance(value, str) and value.startswith("@")


def _compare(left: Any, op: str, right: Any) -> bool:
    return {
        ">=": lambda: left >= right, "<=": lambda: left <= right, ">": lambda: left > right,
        "<": lambda: left < right, "==": lambda: left == right, "!=": lambda: left != right,
    }[op]()  # fmt: skip


def parse_rule(expression: str) -> list[Clause] | None:
    """Clauses of an ``and``-joined rule, or None when the rule has another form."""
    if not expression or "(" in expression:
        return None
    clauses = []
    for part in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        if flag := _FLAG.match(part):
            if flag.group(2).lower() in ("and", "or", "not"):
                return None
            clauses.append(Clause(flag.group(2), "==", not flag.group(1)))
        elif comparison := _COMPARISON.match(part):
            metric, op, raw = comparison.groups()
            clauses.append(Clause(metric, op, _literal(raw)))
        else:
            return None
    return clauses


def _literal(raw: str) -> Any:
    """A number, a quoted word, true/false/null, or a metric reference ("@name")."""
    lowered = raw.lower()
    if lowered in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[lowered]
    if raw[0] in "'\"":
        return raw[1:-1]
    if re.fullmatch(r"-?\d+(?:\.\d+)?", raw):
        return float(raw) if "." in raw else int(raw)
    return f"@{raw}"


def clause_words(clause: Clause) -> str:
    """One clause in words: "≥ 75 % notes correct", "waits for turn", "hit rate ≥ 0.8"."""
    yes, no = _PHRASES.get(clause.metric, (metric_words(clause.metric), ""))
    if isinstance(clause.value, bool) and clause.op in ("==", "!="):
        wanted = clause.value == (clause.op == "==")
        return yes if wanted else (no or f"not {yes}")
    symbol = _SYMBOLS[clause.op]
    if _is_ref(clause.value):
        return f"{yes} {symbol} {metric_words(clause.value[1:])}"
    if clause.metric.endswith("_pct"):
        return f"{symbol} {clause.value} % {yes}"
    unit = _unit_word(clause.metric)
    return f"{yes} {symbol} {clause.value}{unit}"


def metric_words(name: str) -> str:
    """A metric name as words without its unit suffix: "wait_s" -> "wait"."""
    return re.sub(r"_(ms|s|pct|bpm|hz|db|cents)$", "", name).replace("_", " ")


def _unit_word(name: str) -> str:
    suffix = name.rsplit("_", 1)[-1]
    units = {"ms": " ms", "s": " s", "bpm": " BPM", "hz": " Hz", "db": " dB", "cents": " cents"}
    return units.get(suffix, "") if "_" in name else ""


def criterion_words(goal: Mapping[str, Any]) -> str:
    """ "≥ 75 % notes correct, waits for turn, in 4 of 5 trials across 3 sessions"."""
    clauses = parse_rule(str(goal.get("success") or ""))
    if clauses is None:
        rule = str(goal.get("success") or "")
        for code, symbol in sorted(_SYMBOLS.items(), key=lambda item: -len(item[0])):
            rule = rule.replace(code, symbol)
        condition = rule
    else:
        condition = ", ".join(clause_words(clause) for clause in clauses)
    mastery = goal.get("mastery") or {}
    trials, successes = mastery.get("trials"), mastery.get("successes")
    sessions = mastery.get("consecutive_sessions")
    return f"{condition}, in {successes} of {trials} trials across {sessions} sessions"


def trial_succeeds(goal: Mapping[str, Any], trial: Mapping[str, Any]) -> bool | None:
    """Whether ``trial`` succeeds for ``goal`` (METRICS.md section 5); None if unknowable here."""
    clauses = parse_rule(str(goal.get("success") or ""))
    if clauses is None:
        return None
    if trial.get("outcome") == "void":
        return False
    allowed = goal.get("max_prompt_level") or "independent"
    level = trial.get("prompt_level") or "independent"
    if level in PROMPT_LEVELS and allowed in PROMPT_LEVELS:
        if PROMPT_LEVELS.index(level) < PROMPT_LEVELS.index(allowed):
            return False
    scope = {**(trial.get("metrics") or {}), "outcome": trial.get("outcome"), "prompt_level": level}
    return all(clause.holds(scope) for clause in clauses)


def measure_threshold(goal: Mapping[str, Any]) -> tuple[str, float] | None:
    """(symbol, number) of the rule's clause on the goal's measure, for the criterion line."""
    measure = goal.get("measure")
    for clause in parse_rule(str(goal.get("success") or "")) or []:
        value = clause.value
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if clause.metric == measure and number:
            return _SYMBOLS[clause.op], float(value)
    return None
