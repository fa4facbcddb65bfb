"""A stored trial record of any shape: the store refuses it in one line naming the session and
the trial, or every export and the report read it without a traceback."""

from __future__ import annotations

import copy
import tempfile
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.errors import SoundnessError
from soundness_live.export import deidentify, report_plots
from soundness_live.export.csv import write_csv
from soundness_live.export.json_export import to_json_text
from soundness_live.export.midi import session_midi
from soundness_live.export.report import render_report
from soundness_live.goals.goal import goal_from_dict
from soundness_live.goals.progress import goal_progress
from soundness_live.store.checks import stored_trial_problem
from tests.export.test_export_bundle import make_bundle
from tests.faults import FAULTS

BUNDLE = make_bundle()
TRIALS = [
    (s, t) for s, session in enumerate(BUNDLE["sessions"]) for t in range(len(session["trials"]))
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False,
    allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
    max_size=3),
    max_leaves=6,
)  # fmt: skip


def _places(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every key of ``record`` a damaged file could hold another value at."""
    places: list[tuple[Any, ...]] = [(key,) for key in record]
    places += [("metrics", name) for name in record.get("metrics") or {}]
    for key in ("prompt", "responses"):
        if record.get(key):
            places += [(key, 0, name) for name in record[key][0]]
    return places


def _numbers(values: Any) -> None:
    assert all(v is None or isinstance(v, (int, float)) for v in values), values


def _numbers_only(name: str) -> Any:
    """Instead of drawing plot ``name``: what it is given to draw must be numbers (or null)."""

    def check(*args: Any, **kwargs: Any) -> bytes:
        if name == "percent_plot":
            _numbers(args[1])
        elif name == "measure_plot":
            for session in args[0]:
                _numbers(session.values)
        else:  # asynchrony_plot, tempo_curve_plot: a list of numbers per trial
            for values in args[0]:
                _numbers(values)
        return b"png"

    return check


@FAULTS
@given(where=st.sampled_from(TRIALS), pick=st.integers(0, 10_000), value=JSON)
def test_a_stored_record_of_any_shape_is_refused_or_read_by_every_export(where, pick, value):
    bundle = copy.deepcopy(BUNDLE)
    record = bundle["sessions"][where[0]]["trials"][where[1]]
    place = _places(record)[pick % len(_places(record))]
    holder = record
    for step in place[:-1]:
        holder = holder[step]
    holder[place[-1]] = value
    if stored_trial_problem(record) is not None:
        return  # the store refuses it in one line (tests/store/test_store_damaged.py)
    try:
        bundle["progress"] = [
            goal_progress(goal_from_dict(goal), bundle["sessions"]) for goal in bundle["goals"]
        ]
        safe = deidentify(bundle)
        to_json_text(safe)
        with tempfile.TemporaryDirectory() as folder:
            write_csv(safe, folder)
        for session in safe["sessions"]:
            session_midi(session)
        with pytest.MonkeyPatch.context() as patch:
            for name in ("measure_plot", "percent_plot", "asynchrony_plot", "tempo_curve_plot"):
                patch.setattr(report_plots, name, _numbers_only(name))
            render_report(safe)
    except SoundnessError:
        pass  # one line, naming what was expected and what came
