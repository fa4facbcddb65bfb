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
