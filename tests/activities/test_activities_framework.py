"""Parameters, the registry and the staircase."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from soundness_live.activities import registry
from soundness_live.activities.common import Staircase
from soundness_live.activities.params import (
    ParamSpec,
    load_preset,
    parse_assignments,
    resolve_params,
)
from soundness_live.errors import ParameterError

SPECS = (
    ParamSpec("tempo_bpm", float, 90.0, "tempo", "BPM", 30, 240),
    ParamSpec("trials", int, 6, "trials", min=1, max=200),
    ParamSpec("variant", str, "cue", "variant", choices=("cue", "freeze")),
    ParamSpec("adaptive", bool, True, "adapt"),
)


def test_values_are_converted_from_strings():
    values = resolve_params("x", SPECS, {"tempo_bpm": "100", "trials": "3", "adaptive": "no"})
    assert values == {"tempo_bpm": 100.0, "trials": 3, "variant": "cue", "adaptive": False}


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"tempo_bpm": "400"}, "parameter 'tempo_bpm': expected float in 30..240 BPM, got '400'"),
        ({"trials": "2.5"}, "parameter 'trials': expected int in 1..200, got '2.5'"),
        ({"variant": "jump"}, "parameter 'variant': expected one of cue, freeze, got 'jump'"),
        ({"adaptive": "maybe"}, "parameter 'adaptive': expected true or false, got 'maybe'"),
        ({"tempo_bpm": "nan"}, "parameter 'tempo_bpm'"),
        ({"tempo": "90"}, "has no parameter 'tempo'; its parameters are: adaptive, tempo_bpm"),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_the_range(given, words):
    with pytest.raises(ParameterError) as caught:
        resolve_params("x", SPECS, given)
    assert words in str(caught.value)


def test_assignments_and_presets(tmp_path):
    assert parse_assignments(["a=1", "b = two"]) == {"a": "1", "b": "two"}
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_assignments(["oops"])
    preset = tmp_path / "p.toml"
    preset.write_text('activity = "waiting"\n[params]\ntrials = 3\nvariant = "freeze"\n')
    assert load_preset(preset) == {"trials": 3, "variant": "freeze"}
    preset.write_text("[params\n")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_preset(preset)


def test_staircase_two_up_one_down_within_bounds():
    stairs = Staircase(level=2, min_level=1, max_level=3)
    levels = [stairs.update(s) for s in (True, True, True, True, False, False, False)]
    assert levels == [2, 3, 3, 3, 2, 1, 1]


def test_builtins_are_registered_and_valid():
    names = set(registry.builtin_activities())
    assert {"call-and-response", "waiting", "tempo-following"} <= names
    for activity in registry.builtin_activities().values():
        registry.validate_activity(activity, "built-in")
        resolve_params(activity.name, activity.specs, {})


@pytest.fixture
def fresh_registry():
    """The registry loads again before and after the test (it keeps what it loaded)."""
    registry.reload_activities()
    yield
    registry.reload_activities()


def test_a_third_party_activity_is_validated_when_loaded(monkeypatch, fresh_registry):
    good = registry.get_activity("waiting")
    broken = replace(good, name="drum-circle", run=None)
    entry = SimpleNamespace(name="drum-circle", value="pkg:ACTIVITY", load=lambda: broken)
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [entry])
    registry.reload_activities()
    with pytest.raises(
        registry.ActivityLoadError, match="'drum-circle'.*member 'run' must be callable"
    ):
        registry.all_activities()
    fixed = replace(broken, run=good.run)
    monkeypatch.setattr(
        registry.metadata,
        "entry_points",
        lambda group: [SimpleNamespace(name="drum-circle", value="v", load=lambda: fixed)],
    )
    registry.reload_activities()
    assert registry.get_activity("drum-circle") is fixed


def test_unknown_activity_lists_the_known_ones():
    with pytest.raises(ParameterError, match="known activities: .*call-and-response"):
        registry.get_activity("karaoke")
