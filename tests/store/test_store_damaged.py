"""A damaged store file: every command says so in one line, names the file and what to do, and
leaves the file exactly as it found it."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from soundness_live.cli import main

ADVICE = (
    "move it aside (keep it: it may be recoverable) and restore a backup copy, "
    "or remove it to start a new, empty store"
)
COMMANDS = {
    "sessions": ["sessions"],
    "export": ["export", "--child", "S-014", "--format", "csv", "--out", "{out}"],
    "report": ["report", "--child", "S-014", "--out", "{out}"],
    "play --child": [
        "play",
        "waiting",
        "--param",
        "trials=1",
        "--child",
        "S-014",
        "--input",
        "virtual",
    ],
}


@pytest.fixture(scope="module")
def healthy_store(tmp_path_factory) -> bytes:
    """The bytes of a real store: a child, two stored sessions, a note (WAL checkpointed)."""
    home = tmp_path_factory.mktemp("healthy")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOUNDNESS_LIVE_HOME", str(home))
        assert main(["child", "add", "S-014", "--name", "Sam"]) == 0
        for _ in range(2):
            assert (
                main(
                    [
                        "play",
                        "waiting",
                        "--param",
                        "trials=3",
                        "--child",
                        "S-014",
                        "--input",
                        "virtual",
                    ]
                )
                == 0
            )
        assert main(["note", "1", "a good session"]) == 0
    with sqlite3.connect(home / "soundness.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return (home / "soundness.db").read_bytes()


def other_programs_database(path: Path, version: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT, steps TEXT)")
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def damage(kind: str, store: bytes, path: Path) -> str:
    """Write a damaged store of ``kind`` at ``path``; the words its one line must contain."""
    page = 4096
    damaged = "expected a Soundness Live store, found a damaged file or no database"
    if kind.startswith("truncated"):
        cut = {"truncated-header": 60, "truncated-page-1": page, "truncated-half": len(store) // 2}
        path.write_bytes(store[: cut[kind]])
        return damaged
    if kind == "random-bytes":
        path.write_bytes(random.Random(14).randbytes(len(store)))
        return damaged
    other_programs_database(path, 0 if kind == "other-schema" else 1)
    return "expected a Soundness Live store, found an SQLite database of another kind"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    "kind",
    [
        "truncated-header",
        "truncated-page-1",
        "truncated-half",
        "random-bytes",
        "other-schema",
        "other-schema-our-version",
    ],
)
def test_a_damaged_store_is_one_line_naming_the_file_and_what_to_do(
    tmp_path, monkeypatch, capsys, healthy_store, kind, command
):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(home))
    path = home / "soundness.db"
    words = damage(kind, healthy_store, path)
    before = path.read_bytes()
    out = tmp_path / "out"
    assert main([arg.format(out=out) for arg in COMMANDS[command]]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith(f"soundness-live: error: {path}: {words}")
    assert lines[0].endswith(ADVICE if "damaged" in words else "or move the file aside")
    assert path.read_bytes() == before  # never switched to WAL, migrated or repaired
    assert sorted(p.name for p in home.iterdir()) == ["soundness.db"]
    assert not out.exists()  # nothing exported from it


@pytest.mark.parametrize(
    "record", ["CAST(x'7b22ff' AS TEXT)", "'{\"index\": 0'", "'[1, 2]'"]
)  # not UTF-8, cut JSON, not an object
def test_damage_inside_a_stored_record_is_one_line_too(tmp_path, monkeypatch, capsys, record):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path))
    assert main(["child", "add", "S-014"]) == 0
    assert (
        main(["play", "waiting", "--param", "trials=1", "--child", "S-014", "--input", "virtual"])
        == 0
    )
    with sqlite3.connect(tmp_path / "soundness.db") as conn:
        conn.execute(f"UPDATE trials SET record = {record}")
    conn.close()
    capsys.readouterr()
    assert main(["sessions"]) == 2
    assert main(["export", "--child", "S-014", "--format", "json", "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(f"soundness-live: error: {tmp_path / 'soundness.db'}: expected")
        assert line.endswith(ADVICE)


SHAPES = {
    "not a record": ("null", " (None)"),
    "numbers for words": (
        '{"metrics": 5, "outcome": 7}',
        ": 'index' must be an integer >= 0, got None",
    ),
    "metrics not an object": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", "metrics": 5}',
        ": 'metrics' must be an object or null, got 5",
    ),
    "a metric of another kind": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", '
        '"metrics": {"reaction_time_ms": "fast"}}',
        ": 'metrics.reaction_time_ms' must be a number or null, got \"fast\"",
    ),
    "responses not notes": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", "responses": [1, 2]}',
        ": 'responses' must be a list of notes (objects) or null, got [1, 2]",
    ),
    "a note without an onset": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", "prompt": [{"note": 60}]}',
        ": prompt[0].onset_ms must be a number, got null",
    ),
    "a device that is not a name": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", '
        '"responses": [{"onset_ms": 5.0, "note": 60, "device": []}]}',
        ": 'responses[0].device' must be text or null, got []",
    ),
    "goals not ids": (
        '{"index": 0, "activity": "waiting", "outcome": "correct", "goals": "wait"}',
        ": 'goals' must be a list of goal ids or null, got \"wait\"",
    ),
}


@pytest.mark.parametrize(
    "command", ["sessions", "export", "report", "export midi", "export json", "export html"]
)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_stored_record_of_another_shape_is_one_line_naming_the_session_and_trial(
    tmp_path, monkeypatch, capsys, shape, command
):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path))
    assert main(["child", "add", "S-014"]) == 0
    play = ["play", "waiting", "--param", "trials=2", "--child", "S-014", "--input", "virtual"]
    assert main(play) == 0
    record, words = SHAPES[shape]
    with sqlite3.connect(tmp_path / "soundness.db") as conn:
        conn.execute("UPDATE trials SET record = ? WHERE idx = 1", (record,))
    conn.close()
    capsys.readouterr()
    args = COMMANDS.get(command) or [
        "export", "--child", "S-014", "--format", command.split()[1], "--out", "{out}"
    ]  # fmt: skip
    out = tmp_path / "out"
    assert main([arg.format(out=out) for arg in args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0] == (
        f"soundness-live: error: {tmp_path / 'soundness.db'}: expected a Soundness Live store, "
        f"found a damaged trial record of session 1, trial 1{words}; {ADVICE}"
    )
    assert not out.exists()
