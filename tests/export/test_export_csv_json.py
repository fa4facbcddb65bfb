"""CSV and JSON exports: documented columns, RFC 4180, nulls, stable bytes, non-finite refused."""

from __future__ import annotations

import csv
import json
import math
import re
import stat
from pathlib import Path

import pandas as pd
import pytest

from soundness_live.errors import ParameterError
from soundness_live.export.csv import TRIAL_COLUMNS, cell, write_csv
from soundness_live.export.json_export import to_json_text, write_json
from tests.export.test_export_bundle import make_bundle


def _documented_columns(columns_md: Path) -> dict[str, list[str]]:
    """Columns listed per file in columns.md."""
    documented: dict[str, list[str]] = {}
    current = ""
    for line in columns_md.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"## (\S+\.csv)", line):
            current = heading.group(1)
            documented[current] = []
        elif current and line.startswith("| ") and not line.startswith("| column"):
            documented[current].append(line.split("|")[1].strip())
    return documented


def test_csv_files_load_with_pandas_and_csv_with_the_documented_columns(tmp_path: Path) -> None:
    bundle = make_bundle()
    paths = write_csv(bundle, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["columns.md", "events.csv", "prompts.csv", "responses.csv", "trials.csv"]
    documented = _documented_columns(tmp_path / "out" / "columns.md")
    for name, columns in documented.items():
        frame = pd.read_csv(tmp_path / "out" / name)
        assert list(frame.columns) == columns, name
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == columns
        assert all(len(row) == len(columns) for row in rows)
    trials = pd.read_csv(tmp_path / "out" / "trials.csv")
    assert len(trials) == 36
    assert list(trials.columns[: len(TRIAL_COLUMNS)]) == list(TRIAL_COLUMNS)
    assert {"notes_correct_pct", "asynchronies_ms", "tempo_curve_bpm"} <= set(trials.columns)
    events = pd.read_csv(tmp_path / "out" / "events.csv")
    assert len(events) == sum(len(s["events"]) for s in bundle["sessions"])


def test_trial_rows_carry_the_record_values(tmp_path: Path) -> None:
    bundle = make_bundle()
    write_csv(bundle, tmp_path)
    trials = pd.read_csv(tmp_path / "trials.csv")
    first = bundle["sessions"][0]["trials"][0]
    row = trials.iloc[0]
    assert row["child_code"] == "S-014" and row["session_id"] == 12
    assert row["activity"] == "call-and-response" and row["goals"] == "wait-turn"
    assert row["notes_correct_pct"] == first["metrics"]["notes_correct_pct"]
    # Rounded to what they carry: ms to 0.1, ratios to 0.001 (the JSON keeps every digit).
    assert row["response_latency_ms"] == round(first["metrics"]["response_latency_ms"], 1)
    assert row["rhythm_error"] == round(first["metrics"]["rhythm_error"], 3)
    assert (row["input"], row["simulated"], row["session_simulated"]) == ("live", False, False)
    assert row["therapist"] == "T-01"
    # Metrics a trial does not have are empty cells (NaN in pandas).
    assert math.isnan(row["hit_rate"])
    tempo = bundle["sessions"][0]["trials"][8]
    parsed = [float(x) for x in trials.iloc[8]["asynchronies_ms"].split(";")]
    assert parsed == [round(a, 1) for a in tempo["metrics"]["asynchronies_ms"]]
    # a tempo's difficulty is its beat in BPM, to 0.1 as columns.md says; a level stays whole
    tempo["difficulty"] = 99.2231
    write_csv(bundle, tmp_path)
    with (tmp_path / "trials.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert (rows[8]["activity"], rows[8]["difficulty"]) == ("tempo-following", "99.2")
    assert rows[0]["difficulty"] == "2"
    prompts = pd.read_csv(tmp_path / "prompts.csv")
    stops = prompts[prompts["event"] == "stop"]
    assert len(stops) == 9 and stops["note"].isna().all()


def test_cells_quote_and_format_per_rfc_4180(tmp_path: Path) -> None:
    assert cell(None) == "" and cell(True) == "true" and cell(False) == "false"
    assert cell([1.5, -2.25, 3]) == "1.5;-2.25;3"
    assert cell(3512.3) == "3512.3"
    bundle = make_bundle()
    bundle["sessions"][0]["trials"][0]["variant"] = 'drums, "loud"\nline two'
    write_csv(bundle, tmp_path)
    raw = (tmp_path / "trials.csv").read_bytes()
    assert b'"drums, ""loud""\nline two"' in raw
    assert raw.split(b"\r\n")[0].startswith(b"child_code,session_id,")
    frame = pd.read_csv(tmp_path / "trials.csv")
    assert frame.iloc[0]["variant"] == 'drums, "loud"\nline two'


def test_export_files_are_owner_only(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    paths = write_csv(make_bundle(), out)
    paths.append(write_json(make_bundle(), out / "bundle.json"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_json_holds_everything_in_a_stable_order(tmp_path: Path) -> None:
    bundle = make_bundle()
    path = write_json(bundle, tmp_path / "bundle.json")
    text = path.read_text(encoding="utf-8")
    loaded = json.loads(text)
    assert list(loaded)[:6] == [
        "schema_version",
        "export",
        "child",
        "goals",
        "sessions",
        "progress",
    ]
    assert loaded["schema_version"] == 3
    assert loaded["sessions"] == bundle["sessions"]
    assert loaded["progress"] == bundle["progress"]
    shuffled = dict(reversed(list(bundle.items())))
    shuffled["child"] = dict(reversed(list(bundle["child"].items())))
    assert to_json_text(shuffled) == text


def test_json_refuses_non_finite_numbers_naming_where(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["sessions"][2]["trials"][8]["metrics"]["asynchronies_ms"][4] = float("inf")
    with pytest.raises(ParameterError, match=r"sessions\[2\]\.trials\[8\]\.metrics"):
        write_json(bundle, tmp_path / "bad.json")
    with pytest.raises(ParameterError, match="non-finite"):
        write_csv(bundle, tmp_path)
    assert not (tmp_path / "bad.json").exists()


def test_json_refuses_values_json_cannot_hold(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["sessions"][0]["started_at"] = object()
    with pytest.raises(ParameterError, match="JSON-able"):
        write_json(bundle, tmp_path / "bad.json")
