"""A third-party activity, installed as a package with an entry point in the group
``soundness_live.activities``, gets goals, exports, the report's headline plot, the live
panel's figures and the command line's list from its own contract, with nothing else changed.

The package is written to a folder put on ``sys.path``, with a ``.dist-info`` holding its
``entry_points.txt``: the registry finds it through ``importlib.metadata`` as it would find an
installed wheel, and imports it by the entry point's ``module:attribute``."""

from __future__ import annotations

import csv
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soundness_live.activities import registry
from soundness_live.commands.play_command import list_activities
from soundness_live.core.session import Session, SilentSink
from soundness_live.export import export
from soundness_live.goals.goal import GoalError, goal_from_dict, metric_kinds
from soundness_live.live.commands import handle
from soundness_live.players.child_sound import child_sound
from soundness_live.players.profiles import ChildProfile
from soundness_live.players.virtual_child import ChildTraits, virtual_inputs
from soundness_live.store.records import Store
from soundness_live.store.session import StoredSession
from soundness_live.ui.widgets import figure_lines
from tests.conftest import until_state

RATE = 48_000
NAME = "drum-circle"
PLUGIN = '''
"""Drum circle: a groove plays and the child joins in; how many beats they join is the
headline. Outcome rule: 4 beats joined or more -> ``correct``; none -> ``no_response``; else
``partial``."""

from dataclasses import dataclass

from soundness_live.activities.base import (
    DRUM_CHANNEL, ActivityDef, Listen, Play, PromptNote, RecordTrial, Show, note_ons,
    rule_from_doc, trial_record,
)
from soundness_live.activities.contract import (
    ChildInstrument, Cue, MetricSpec, MetricWords, Outcome,
)
from soundness_live.activities.params import ActivityParams, param


@dataclass(frozen=True)
class CircleParams(ActivityParams):
    """The drum circle's parameters."""

    variant: str = param("circle", "which circle", choices=("circle", "echo-circle"))
    trials: int = param(2, "grooves in a row", min=1, max=10)
    beats: int = param(8, "beats per groove", min=2, max=64)
    tempo_bpm: float = param(100.0, "tempo of the groove", "BPM", 40, 200)
    lead_in_ms: float = param(500.0, "silence before the first groove", "ms", 0, 5000)


METRICS = (
    MetricSpec("beats_joined", "count", headline=True, live=True,
               words=MetricWords("beats joined", rule="joins {bound} beats"),
               meaning="beats of the groove the child played along to"),
    MetricSpec("circle_lag_ms", "ms", live=True,
               words=MetricWords("lag", below="ahead by {value}", above="behind by {value}"),
               meaning="the child's first note minus the groove's first beat"),
)


def run(ctx):
    p = ctx.params
    start = ctx.now_frame + ctx.frames(p.lead_in_ms)
    beat = ctx.frames(60000.0 / p.tempo_bpm)
    for index in range(p.trials):
        end = start + p.beats * beat
        yield Show(Cue.PLAY, start, {"until_frame": end, "ioi_ms": 60000.0 / p.tempo_bpm})
        heard = yield Play(tuple(
            PromptNote(start + k * beat, 36, 90, ctx.frames(100), DRUM_CHANNEL,
                       flags=(("beat", k),))
            for k in range(p.beats)
        ))
        yield Show(Cue.DONE, end, {})
        got = note_ons((yield Listen(end, since_frame=start)))
        joined = min(len(got), p.beats)
        lag = ctx.ms(got[0].frame - heard[0].heard_frame) if got else None
        outcome = (Outcome.NO_RESPONSE if not got
                   else Outcome.CORRECT if joined >= 4 else Outcome.PARTIAL)
        yield RecordTrial(trial_record(
            ctx, index=index, activity="drum-circle", prompt=heard, responses=got,
            metrics={"beats_joined": joined, "circle_lag_ms": lag}, outcome=outcome,
            difficulty=None, start_frame=start, end_frame=end,
        ))
        start = end + ctx.frames(1000)


ACTIVITY = ActivityDef(
    name="drum-circle",
    summary="a groove plays and the child joins in",
    params=CircleParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    child_instrument=lambda p: ChildInstrument(program=0, bank=128, drums=True, note=42),
)
'''
GOAL = {
    "id": "joins-the-circle",
    "domain": "social",
    "text": "Joins the drum circle for at least 4 beats",
    "activity": NAME,
    "success": "beats_joined >= 4",
    "measure": "beats_joined",
}


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The drum-circle package installed on ``sys.path`` (and gone again after the test)."""
    site = tmp_path / "site"
    (site / "drum_circle_plugin").mkdir(parents=True)
    (site / "drum_circle_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "drum_circle_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: drum-circle-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[soundness_live.activities]\ndrum-circle = drum_circle_plugin:ACTIVITY\n"
    )
    monkeypatch.syspath_prepend(str(site))
    registry.reload_activities()
    try:
        yield registry.get_activity(NAME)
    finally:
        monkeypatch.undo()
        sys.modules.pop("drum_circle_plugin", None)
        registry.reload_activities()


def _stored_run(tmp_path: Path) -> tuple[Store, int, list[dict[str, Any]]]:
    """Two grooves played by the virtual child, stored for child P-001 with the goal set."""
    store = Store.open(tmp_path / "store.db")
    store.add_child(ChildProfile(code="P-001"), goals=[GOAL])
    stored = StoredSession.start(store, "P-001", sample_rate=RATE)
    activity = registry.get_activity(NAME)
    inputs = virtual_inputs(activity, {}, seed=1, sample_rate=RATE, traits=ChildTraits())
    sound = child_sound(activity, {})
    session = Session(
        activity, {}, sink=SilentSink(), inputs=inputs, sample_rate=RATE, seed=1,
        hooks=stored.hooks(NAME), child_programs={sound.channel: (sound.program, sound.bank)},
    )  # fmt: skip
    result = session.run()
    stored.close()
    return store, stored.session_id, result.records


def test_the_plugin_is_loaded_through_its_entry_point(plugin: Any) -> None:
    assert plugin.name == NAME and plugin.run.__module__ == "drum_circle_plugin"
    assert NAME in registry.all_activities() and NAME in registry.scored_activities()
    assert type(plugin).__name__ == "ActivityDef" and plugin.variants == ("circle", "echo-circle")
    listing = list_activities()
    assert "drum-circle: a groove plays and the child joins in" in listing
    assert "beats per groove" in listing and "4 beats joined or more" in listing
    assert "shown after each trial: beats joined (count), lag (ms)" in listing
    assert child_sound(plugin, {}).pad_note == 42  # the instrument it names for the child


def test_a_goal_naming_the_plugin_validates_against_its_metrics(plugin: Any) -> None:
    goal = goal_from_dict(GOAL, "goals.toml", 0)
    assert (goal.activity, goal.measure) == (NAME, "beats_joined")
    assert metric_kinds(NAME) == {"beats_joined": "number", "circle_lag_ms": "number"}
    with pytest.raises(GoalError, match="beats_joind"):
        goal_from_dict(dict(GOAL, success="beats_joind >= 4"), "goals.toml", 0)
    assert goal_from_dict(dict(GOAL, variant="echo-circle"), "goals.toml", 0).variant
    with pytest.raises(GoalError, match="variant"):
        goal_from_dict(dict(GOAL, variant="unpaced"), "goals.toml", 0)


def test_its_trials_are_stored_for_the_goal_and_exported(plugin: Any, tmp_path: Path) -> None:
    store, session_id, records = _stored_run(tmp_path)
    try:
        assert [r["activity"] for r in records] == [NAME, NAME]
        assert all(r["goals"] == ["joins-the-circle"] for r in records)
        stored = [
            {k: v for k, v in t.items() if k != "session_id"} for t in store.trials(session_id)
        ]
        assert stored == records  # the one JSON shape, as the run returned it
        bundle = store.export_bundle("P-001")
    finally:
        store.close()
    (folder,) = {p.parent for p in export(bundle, "csv", tmp_path / "out")}
    with open(folder / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["beats_joined"]) for row in rows] == [
        r["metrics"]["beats_joined"] for r in records
    ]
    columns = (folder / "columns.md").read_text()
    assert "beats_joined" in columns and "beats of the groove the child played along to" in columns
    assert "circle_lag_ms" in columns and "the child's first note minus" in columns
    (report,) = export(bundle, "html", tmp_path / "out")
    text = report.read_text()
    assert "joins at least 4 beats" in text  # the goal's rule in the plugin's words


def test_without_a_goal_the_report_plots_its_headline(plugin: Any, tmp_path: Path) -> None:
    store, _, _ = _stored_run(tmp_path)
    try:
        store.set_goals("P-001", [])
        bundle = store.export_bundle("P-001")
    finally:
        store.close()
    (report,) = export(bundle, "html", tmp_path / "out")
    titles = re.findall(r"<h3>([^<]*): ([^<]*)</h3>", report.read_text())
    assert ("drum-circle (circle)", "beats joined") in titles


def test_the_live_panel_shows_its_live_metrics(plugin: Any, engine_here: Any) -> None:
    start = {"type": "start_activity", "activity": NAME, "input": "virtual",
             "params": {"trials": 1, "beats": 6, "lead_in_ms": 0}}  # fmt: skip
    assert handle(engine_here, start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 20.0)
    figures = state["figures"]
    assert {"beats_joined", "circle_lag_ms"} <= set(figures)
    lines = figure_lines(figures, NAME)
    assert f"beats joined: {figures['beats_joined']}" in lines
    assert any(line.startswith(("ahead by", "behind by", "lag:")) for line in lines)
    catalog = handle(engine_here, {"type": "catalog"})
    assert {"name": NAME, "summary": plugin.summary, "variants": ["circle", "echo-circle"]} in (
        catalog["activities"]
    )
