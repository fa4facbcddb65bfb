"""The criteria language: parsing, errors with positions, null rules, no Python eval."""

from __future__ import annotations

import pytest

from soundness_live.errors import ParameterError
from soundness_live.goals.criteria import CriteriaError, compile_criteria, tokenize, trial_values

KINDS = {
    "waited_for_turn": "bool",
    "notes_correct_pct": "number",
    "hits": "number",
    "mean_asynchrony_ms": "number",
    "classification": "text",
}


def ok(text: str, **values: object) -> bool:
    return compile_criteria(text, KINDS).evaluate(values)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("notes_correct_pct >= 75", {"notes_correct_pct": 75}, True),
        ("notes_correct_pct >= 75", {"notes_correct_pct": 74.9}, False),
        ("notes_correct_pct > 75", {"notes_correct_pct": 75}, False),
        ("hits == 3", {"hits": 3}, True),
        ("hits != 3", {"hits": 2}, True),
        ("hits < 3 or hits > 5", {"hits": 6}, True),
        ("hits <= 3 and hits >= 3", {"hits": 3}, True),
        ("waited_for_turn and notes_correct_pct >= 75",
         {"waited_for_turn": True, "notes_correct_pct": 80}, True),
        ("waited_for_turn and notes_correct_pct >= 75",
         {"waited_for_turn": False, "notes_correct_pct": 80}, False),
        ("not waited_for_turn", {"waited_for_turn": False}, True),
        ("waited_for_turn == true", {"waited_for_turn": True}, True),
        ("classification == 'valid'", {"classification": "valid"}, True),
        ('classification == "valid"', {"classification": "premature"}, False),
        ("abs(mean_asynchrony_ms) <= 100", {"mean_asynchrony_ms": -80.0}, True),
        ("abs(mean_asynchrony_ms) <= 100", {"mean_asynchrony_ms": -120.0}, False),
        ("hits * 2 + 1 == 7", {"hits": 3}, True),
        ("hits - 1 - 1 == 1", {"hits": 3}, True),  # left-associative
        ("hits / 2 == 1.5", {"hits": 3}, True),
        ("-hits < -2", {"hits": 3}, True),
        ("(hits > 1 or hits < 0) and not (hits == 2)", {"hits": 3}, True),
        ("hits > 1 or hits < 0 and hits == 2", {"hits": 3}, True),  # and binds tighter
        ("notes_correct_pct >= 7.5e1", {"notes_correct_pct": 75}, True),
        ("outcome == 'correct' and prompt_level == 'independent'",
         {"outcome": "correct", "prompt_level": "independent"}, True),
    ],
)  # fmt: skip
def test_evaluates(text: str, values: dict[str, object], expected: bool) -> None:
    assert compile_criteria(text, KINDS).evaluate(values) is expected


def test_null_makes_a_comparison_false() -> None:
    assert ok("notes_correct_pct >= 75", notes_correct_pct=None) is False
    assert ok("notes_correct_pct < 75", notes_correct_pct=None) is False
    assert ok("notes_correct_pct == 75") is False  # absent = null
    assert ok("notes_correct_pct != 75", notes_correct_pct=None) is False
    assert ok("abs(mean_asynchrony_ms) <= 100", mean_asynchrony_ms=None) is False
    assert ok("hits + 1 > 0", hits=None) is False
    assert ok("hits / 0 > 0", hits=3) is False  # division by zero is null


def test_explicit_null_checks_and_negation() -> None:
    assert ok("notes_correct_pct == null", notes_correct_pct=None) is True
    assert ok("notes_correct_pct != null", notes_correct_pct=None) is False
    assert ok("notes_correct_pct != null", notes_correct_pct=0) is True
    # documented: `not` is plain negation, so it is true for a null comparison
    assert ok("not (notes_correct_pct >= 75)", notes_correct_pct=None) is True
    assert (
        ok("notes_correct_pct != null and notes_correct_pct < 75", notes_correct_pct=None) is False
    )
    assert ok("waited_for_turn", waited_for_turn=None) is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("waited_for_turn and notes_correct_pct >", "at column 40: expected a number"),
        ("waited_for_turn and >= 3", "at column 21: expected a number, a string, a metric name"),
        ("notes_correct_pct >= 75 hits", "at column 25: expected 'and', 'or'"),
        ("(hits > 1", "at column 10: expected ')', got end of expression"),
        ("hits @ 3", "at column 6: unexpected character '@'"),
        ("hits < 2 < 3", "at column 10: expected 'and' or 'or' between comparisons"),
        ("abs hits", "at column 5: expected '(' after abs"),
        ("hits == 'open", "at column 9: unexpected character"),
        ("", "expected a non-empty criterion expression"),
        ("not", "at column 4: expected a number"),
    ],
)
def test_syntax_errors_say_where_and_what(text: str, message: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        compile_criteria(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ParameterError)


def test_error_column_points_at_the_offending_token() -> None:
    text = "hits >= 3 and x > > 2"
    with pytest.raises(CriteriaError) as caught:
        compile_criteria(text)
    column = text.index("> >") + 3
    assert str(caught.value).startswith(f"at column {column}: expected a number")
    assert str(caught.value).endswith("got '>'")


def test_unknown_metric_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(CriteriaError) as caught:
        compile_criteria("waited_for_turn and notes_corect_pct >= 75", KINDS)
    text = str(caught.value)
    assert "at column 21: unknown metric 'notes_corect_pct'" in text
    assert "did you mean 'notes_correct_pct'" in text
    assert "hits" in text  # lists the known names
    # names only (no kinds): still checked
    with pytest.raises(CriteriaError, match="unknown metric 'hts'"):
        compile_criteria("hts > 1", {"hits"})
    # without a metric list any name is accepted (activity unknown)
    assert compile_criteria("anything > 1").names == {"anything"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hits and waited_for_turn", "'and' expects true/false, got a number"),
        ("waited_for_turn > 2", "'>' expects a number, got true/false"),
        ("classification >= 2", "'>=' expects a number, got text"),
        ("classification == 2", "'==' compares text with a number"),
        ("abs(classification) > 1", "abs expects a number, got text"),
        ("not hits", "'not' expects true/false, got a number"),
    ],
)
def test_kind_mismatches_are_caught_when_kinds_are_known(text: str, message: str) -> None:
    with pytest.raises(CriteriaError, match=message):
        compile_criteria(text, KINDS)


def test_kind_mismatch_at_evaluation_names_the_criterion() -> None:
    criteria = compile_criteria("hits and x")
    with pytest.raises(CriteriaError, match=r"criterion 'hits and x': expected true/false"):
        criteria.evaluate({"hits": 3, "x": True})
    with pytest.raises(CriteriaError, match="compares numbers"):
        compile_criteria("x < 'a'").evaluate({"x": 1})


def test_equality_does_not_mix_kinds() -> None:
    criteria = compile_criteria("x == 1")
    assert criteria.evaluate({"x": 1}) is True
    assert criteria.evaluate({"x": True}) is False  # true is not the number 1
    assert criteria.evaluate({"x": "1"}) is False


def test_never_python_eval() -> None:
    for text in ("__import__('os').system('true')", "hits.__class__", "[1, 2]", "hits if 1 else 2"):
        with pytest.raises(CriteriaError):
            compile_criteria(text).evaluate({"hits": 1})


def test_tokens_carry_columns() -> None:
    tokens = tokenize("  hits>=3")
    assert [(t.kind, t.text, t.column) for t in tokens] == [
        ("name", "hits", 3),
        ("op", ">=", 7),
        ("num", "3", 9),
        ("end", "", 10),
    ]


def test_trial_values_adds_outcome_and_prompt_level() -> None:
    trial = {"metrics": {"hits": 2}, "outcome": "partial", "prompt_level": "verbal"}
    assert trial_values(trial) == {"hits": 2, "outcome": "partial", "prompt_level": "verbal"}
    assert compile_criteria("names_used > 1 or hits > 1").names == {"names_used", "hits"}
