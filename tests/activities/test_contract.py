"""The activity contract: what the registry refuses when an activity loads (one error naming
the activity and the member), parameters that cannot be misspelt, and a record nobody edits."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, replace
from typing import Any

import pytest

from soundness_live.activities import registry
from soundness_live.activities.contract import Cue, MetricSpec, MetricWords, Outcome
from soundness_live.activities.params import ActivityParams, param, resolve_params
from soundness_live.activities.record import TrialRecord
from soundness_live.errors import ParameterError
from tests.activity_helpers import run

WAITING = registry.get_activity("waiting")


@dataclass
class _Thawed:
    """Not frozen (and so not ActivityParams, which is)."""

    trials: int = param(1, "trials", min=1, max=9)


@dataclass(frozen=True)
class _Bare(ActivityParams):
    """A field that is not a parameter."""

    trials: int = 3


@dataclass(frozen=True)
class _BadDefault(ActivityParams):
    """A default outside its own range."""

    trials: int = param(0, "trials", min=1, max=9)


@dataclass(frozen=True)
class _ListParam(ActivityParams):
    """A type a command line cannot give."""

    notes: tuple = param((60, 64), "notes")


_COUNT = MetricSpec("n", "count")
BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "no name": ({"name": ""}, "member 'name' must be a non-empty str, got ''"),
    "summary": ({"summary": None}, "member 'summary' must be a str, got NoneType"),
    "run": ({"run": "run"}, "member 'run' must be callable"),
    "instrument": ({"child_instrument": 42}, "member 'child_instrument' must be callable"),
    "params tuple": ({"params": ()}, "member 'params' must be a frozen ActivityParams"),
    "params thawed": ({"params": _Thawed}, "member 'params' must be a frozen ActivityParams"),
    "params bare": ({"params": _Bare}, "parameter 'trials' must be made with param"),
    "params default": ({"params": _BadDefault}, "parameter 'trials' has a bad default"),
    "params type": ({"params": _ListParam}, "parameter 'notes' must be a bool, int, float or str"),
    "answer": ({"answers_with": "voice"}, "member 'answers_with' must be an Answer"),
    "metrics list": ({"metrics": [_COUNT]}, "member 'metrics' must be a tuple of MetricSpec"),
    "metric name": ({"metrics": (MetricSpec("wait s", "s"),)}, "metric 'wait s' must be a name"),
    "metric unit": ({"metrics": (MetricSpec("n", ""),)}, "metric 'n' must have a unit"),
    "metric twice": ({"metrics": (_COUNT, _COUNT)}, "metric 'n' is declared twice"),
    "metric kind": ({"metrics": (MetricSpec("n", "count", kind="colour"),)}, "kind must be one"),
    "metric plot": ({"metrics": (MetricSpec("n", "ms (list)", plot="pie"),)}, "plot must be"),
    "metric words": (
        {"metrics": (MetricSpec("n", "count", words=MetricWords("")),)},
        "metric 'n' words must be MetricWords with a label",
    ),
    "two headlines": (
        {"metrics": (MetricSpec("a", "ms", headline=True), MetricSpec("b", "ms", headline=True))},
        "gives the activity two headlines",
    ),
    "variant headlines": (
        {
            "metrics": (
                MetricSpec("a", "ms", headline=("cue",)),
                MetricSpec("b", "ms", headline=("cue",)),
            )
        },
        "gives variant 'cue' two headlines",
    ),
    "unknown variant": (
        {"metrics": (MetricSpec("a", "ms", headline=("dance",)),)},
        "metric 'a' is the headline of unknown variants ['dance']",
    ),
    "measurement clash": (
        {"measurement_variants": ("freeze",)},
        "member 'measurement_variants' must be names other than the variants",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_an_invalid_activity_gets_one_error_naming_it_and_the_member(case: str) -> None:
    changes, words = BROKEN[case]
    candidate = (
        replace(WAITING, **changes)
        if "name" in changes
        else replace(WAITING, name="waiting-plus", **changes)
    )
    with pytest.raises(registry.ActivityLoadError) as caught:
        registry.validate_activity(candidate, "entry point pkg:ACTIVITY")
    message = str(caught.value)
    assert words in message
    assert "(entry point pkg:ACTIVITY)" in message
    if changes.get("name", "x"):
        assert message.startswith("activity 'waiting-plus' (entry point pkg:ACTIVITY): ")


def test_something_that_is_no_activity_is_refused_whole() -> None:
    thing = type("Thing", (), {"name": "thing", "summary": "s", "outcome_rule": "r"})()
    with pytest.raises(registry.ActivityLoadError) as caught:
        registry.validate_activity(thing, "pkg:THING")
    assert str(caught.value) == (
        "activity 'thing' (pkg:THING): itself must be an ActivityDef, got Thing"
    )


def test_every_built_in_activity_declares_what_its_trials_record() -> None:
    """Each metric a built-in trial records is declared (so goals, exports and the live panel
    know it), each declared one is recorded by some variant's trials."""
    plans = {
        "call-and-response": [{}, {"variant": "melodic"}],
        "waiting": [{"variant": v} for v in ("cue", "go-no-go", "freeze", "turns")],
        "tempo-following": [
            {"variant": v, "beats": 8} for v in ("with-beat", "continuation", "follow-child")
        ]
        + [{"start_from_preferred": True, "beats": 8}],
        "free-play": [{"bars": 2}],
    }
    for name, runs in plans.items():
        recorded: set[str] = set()
        for params in runs:
            for trial in run(name, {**params, "trials": 1}, []).records:
                recorded |= set(trial["metrics"])
        declared = set(registry.get_activity(name).metric_names)
        assert recorded == declared, name


def test_parameters_are_a_frozen_dataclass_that_refuses_a_typo() -> None:
    params = WAITING.make_params(resolve_params(WAITING.name, WAITING.specs, {"trials": "3"}))
    assert params.trials == 3 and params.variant == "cue"
    with pytest.raises(AttributeError):
        params.tempo_bmp  # noqa: B018 - a misspelt field does not exist
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.trials = 4  # type: ignore[misc]
    with pytest.raises(TypeError, match="tempo_bmp"):
        WAITING.make_params({"tempo_bmp": 90.0})
    with pytest.raises(ParameterError, match="has no parameter 'tempo_bmp'"):
        run("waiting", {"tempo_bmp": 90.0}, [])  # refused before any trial


def _record(**changes: Any) -> TrialRecord:
    fields = dict(
        index=0, activity="waiting", variant="cue", params={"trials": 1},
        prompt=({"onset_ms": 1.0, "note": 56},), responses=(),
        metrics={"reaction_time_ms": 250.0, "per_player": [{"player": "child"}]},
        outcome=Outcome.CORRECT, prompt_level="independent", difficulty=2,
        start_ms=0.0, end_ms=10.0,
    )  # fmt: skip
    return TrialRecord(**(fields | changes))


def test_the_trial_record_is_frozen_all_the_way_down() -> None:
    record = _record()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.outcome = Outcome.VOID  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.metrics["reaction_time_ms"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        record.params["trials"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        record.metrics["per_player"][0]["player"] = "partner"
    with pytest.raises(AttributeError):
        record.prompt.append({})  # type: ignore[attr-defined]
    final = record.finalised(index=7, outcome=Outcome.VOID, void_reason="skipped")
    assert (record.index, record.outcome, record.void_reason) == (0, "correct", None)
    assert (final.index, final.activity_index, final.outcome) == (7, None, "void")


def test_the_record_in_json_is_the_one_stored_shape() -> None:
    shape = _record(activity_index=3, input="virtual", simulated=True).to_json()
    assert list(shape) == [
        "index", "activity", "variant", "params", "prompt", "responses", "metrics", "outcome",
        "prompt_level", "difficulty", "goals", "start_ms", "end_ms", "input", "simulated",
        "activity_index",
    ]  # fmt: skip
    assert shape["metrics"]["per_player"] == [{"player": "child"}]
    assert shape["outcome"] == "correct" and type(shape["outcome"]) is str
    json.dumps(shape)  # plain JSON: no enum, no mapping proxy
    void = _record(outcome="void", void_reason="skipped").to_json()
    assert list(void)[-2:] == ["void_reason", "activity_index"] and void["activity_index"] == 0
    with pytest.raises(ValueError, match="outcome must be one of correct, partial"):
        _record(outcome="great")


def test_cues_are_the_protocol_strings() -> None:
    assert [cue.value for cue in Cue] == [
        "listen", "therapist_call", "your_turn", "wait", "go", "no_go", "play", "stop", "beat",
        "tap", "lead", "turn", "done",
    ]  # fmt: skip
    assert json.dumps({"cue": Cue.YOUR_TURN}) == '{"cue": "your_turn"}'
    assert Cue.named("no_go") is Cue.NO_GO and Cue.named("dance") is None
