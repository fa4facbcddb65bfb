"""The exports read what the store hands them: a real Store's export bundle, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import mido
import pandas as pd

from soundness_live.export import FORMATS, export
from soundness_live.store.records import Store
from tests.export.test_export_bundle import (
    CHILD_DOB,
    CHILD_NAME,
    GOALS,
    NOTE_TEXT,
    SECRETS,
    make_bundle,
)


def _clock() -> Callable[[], datetime]:
    """A store clock that ticks a minute per call, from 2026-11-12 10:00 UTC."""
    moments = (
        datetime(2026, 11, 12, 10, tzinfo=timezone.utc) + timedelta(minutes=k) for k in range(10**6)
    )
    return lambda: next(moments)


def test_a_stored_history_exports_in_every_format_without_names(tmp_path: Path) -> None:
    fixture = make_bundle()
    store = Store.open(tmp_path / "soundness.db", now=_clock())
    try:
        store.add_child({"code": "S-014", "display_name": CHILD_NAME, "date_of_birth": CHILD_DOB})
        store.set_goals("S-014", GOALS)
        for session in fixture["sessions"][:2]:
            session_id = store.start_session("S-014", therapist="T-01")
            for trial in session["trials"]:
                store.record_trial(
                    session_id, {k: v for k, v in trial.items() if k != "session_id"}
                )
            store.record_events(
                session_id,
                [{k: v for k, v in e.items() if k != "session_id"} for e in session["events"]],
            )
            store.add_note(session_id, NOTE_TEXT)
            store.end_session(session_id)
        bundle = store.export_bundle("S-014")
    finally:
        store.close()
    assert [s["status"] for s in bundle["sessions"]] == ["complete", "complete"]
    paths = [path for fmt in FORMATS for path in export(bundle, fmt, tmp_path / "out")]
    for path in paths:
        data = path.read_bytes().lower()
        for secret in SECRETS:
            assert secret.lower().encode() not in data, (path.name, secret)
    trials = pd.read_csv(tmp_path / "out" / "S-014-csv" / "trials.csv")
    assert len(trials) == 24 and trials["session_id"].nunique() == 2
    loaded = json.loads((tmp_path / "out" / "S-014.json").read_text(encoding="utf-8"))
    assert [g["id"] for g in loaded["goals"]] == [g["id"] for g in GOALS]
    assert len(loaded["progress"]) == len(GOALS)
    html = (tmp_path / "out" / "S-014-report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') >= len(GOALS)
    assert "in 4 of 5 trials, in 3 sessions in a row" in html
    midi_files = sorted((tmp_path / "out").glob("*.mid"))
    assert len(midi_files) == 2
    assert mido.MidiFile(midi_files[0]).tracks[1].name == "Prompts (engine)"


def test_every_format_marks_a_session_simulated_by_one_rule(tmp_path: Path) -> None:
    """Three sessions: live, partly simulated (2 of its trials by the virtual child) and wholly
    simulated. CSV, JSON, MIDI titles and the report agree; a reviewer keeping the sessions not
    marked true keeps every live trial."""
    fixture = make_bundle()["sessions"][0]["trials"][:4]
    partly = ["live", "live", "virtual", "virtual"]
    store = Store.open(tmp_path / "soundness.db", now=_clock())
    try:
        store.add_child({"code": "S-014"})
        for kinds in (["live"] * 4, partly, ["virtual"] * 4):
            session_id = store.start_session("S-014", therapist="T-01")
            for kind, trial in zip(kinds, fixture, strict=True):
                store.mark_input(session_id, kind)
                record = {k: v for k, v in trial.items() if k != "session_id"}
                store.record_trial(
                    session_id, record | {"input": kind, "simulated": kind != "live"}
                )
            store.end_session(session_id)
        bundle = store.export_bundle("S-014")
    finally:
        store.close()
    marks = [False, "partly", True]
    assert [s["simulated"] for s in bundle["sessions"]] == marks
    for fmt in FORMATS:
        export(bundle, fmt, tmp_path / "out")
    trials = pd.read_csv(tmp_path / "out" / "S-014-csv" / "trials.csv", dtype=str)
    by_session = trials.groupby("session_id")["session_simulated"].unique().to_dict()
    assert by_session == {"1": ["false"], "2": ["partly"], "3": ["true"]}
    assert set(trials[trials["session_simulated"] != "true"]["simulated"]) == {"false", "true"}
    live_kept = trials[(trials["session_simulated"] != "true") & (trials["simulated"] == "false")]
    assert len(live_kept) == 4 + 2  # every live trial, none dropped
    loaded = json.loads((tmp_path / "out" / "S-014.json").read_text(encoding="utf-8"))
    assert [s["simulated"] for s in loaded["sessions"]] == marks
    titles = [
        mido.MidiFile(tmp_path / "out" / f"S-014-session-{n}.mid").tracks[0].name for n in (1, 2, 3)
    ]
    assert titles == [
        "S-014 session 1", "S-014 session 2 PART SIMULATED", "S-014 session 3 SIMULATED"
    ]  # fmt: skip
    html = (tmp_path / "out" / "S-014-report.html").read_text(encoding="utf-8")
    assert "<td>PART SIMULATED: 2 of 4 trials (the virtual child)</td>" in html
    assert "<td>SIMULATED (the virtual child)</td>" in html
    assert "2 of the 4 trials of session 2; session 3." in html
