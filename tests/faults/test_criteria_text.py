"""Any criterion text compiles or is refused with one CriteriaError; none exhausts the stack."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from soundness_live.goals.criteria import MAX_DEPTH, CriteriaError, compile_criteria
from tests.faults import FAULTS

PIECES = ["(", ")", "not ", "-", "abs(", "x", "y", " and ", " or ", " + ", " * ", " > ", "1",
          "null", " == ", "'a'"]  # fmt: skip
OPENERS = ["(", "not ", "-", "abs(", "x and ", "1 + "]
METRICS = {"x": "any", "y": "number"}


def nest(opener: str, depth: int, middle: str) -> str:
    closer = ")" if opener in ("(", "abs(") else ""
    return opener * depth + (middle or "x") + closer * depth


def compiles(text: str) -> bool:
    try:
        compile_criteria(text, METRICS)
    except CriteriaError:
        return False
    return True


@FAULTS
@given(
    opener=st.sampled_from(OPENERS),
    depth=st.integers(0, 5000),
    middle=st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
)
def test_any_nesting_compiles_or_names_the_limit(opener, depth, middle):
    try:
        criteria = compile_criteria(nest(opener, depth, middle), METRICS)
    except CriteriaError as error:
        if depth > MAX_DEPTH + 2 and compiles(nest(opener, 1, middle)):
            assert f"nested at most {MAX_DEPTH} levels deep" in str(error)  # the only fault
        return
    try:
        assert criteria.evaluate({"x": True, "y": 2.0}) in (True, False)
    except CriteriaError:
        pass  # a value of the wrong kind at run time: also one clear error
