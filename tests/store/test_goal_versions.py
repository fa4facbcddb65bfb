"""Schema version 3: session and note UUIDs, goal versions (who, where, when; newest wins)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from soundness_live.cli import main
from soundness_live.store.db import MIGRATIONS
from soundness_live.store.goal_versions import newest_first
from soundness_live.store.records import Store
from tests.store.test_store import Clock

WAIT = {
    "id": "wait",
    "domain": "behaviour",
    "text": "Waits for the end of the call",
    "activity": "call-and-response",
    "success": "waited_for_turn",
}
ECHO = dict(WAIT, id="echo", success="notes_correct_pct >= 75")


def _v2_store(path: Path) -> None:
    """A store as version 2 left it: a child with two goals, a session with a note."""
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:2]:
        for statement in statements:
            assert isinstance(statement, str)
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO children VALUES ('S-014', NULL, NULL, '{}', '{}', '2026-11-01T10:00:00+01:00')"
    )
    for position, goal in enumerate([ECHO, WAIT]):  # the order the therapist gave them
        conn.execute(
            "INSERT INTO goals VALUES ('S-014', ?, ?, ?, ?)",
            (position, goal["id"], json.dumps(goal), f"2026-11-0{position + 1}T10:00:00+01:00"),
        )
    for sid in (1, 2):
        conn.execute(
            "INSERT INTO sessions (id, child_code, started_at, status) "
            "VALUES (?, 'S-014', ?, 'complete')",
            (sid, f"2026-11-1{sid}T10:00:00+01:00"),
        )
        conn.execute(
            "INSERT INTO notes (session_id, created_at, text) VALUES (?, '2026-11-11', 'ok')",
            (sid,),
        )
    conn.commit()
    conn.close()


def test_a_version_2_store_keeps_todays_goals_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    _v2_store(path)
    with Store.open(path) as store:
        (first,) = store.goal_history("S-014")
        assert first["version"] == 1 and first["current"] is True
        assert [goal.id for goal in first["goals"]] == ["echo", "wait"]  # in their order
        assert first["author"] is None and first["laptop"] is None
        assert first["created_at"] == "2026-11-02T10:00:00+01:00"  # the last change
        assert [goal.id for goal in store.goals_for("S-014")] == ["echo", "wait"]
        sessions = store.sessions("S-014")
        uuids = [s["uuid"] for s in sessions]
        assert len(set(uuids)) == 2 and all(uuid.UUID(u).version == 4 for u in uuids)
        notes = store.conn.execute("SELECT uuid FROM notes").fetchall()
        assert len({row[0] for row in notes}) == 2 and None not in {row[0] for row in notes}
        kept = store.conn.execute("SELECT goals_version FROM sessions").fetchall()
        assert [tuple(row) for row in kept] == [(None,), (None,)]  # no version was kept then
        assert store.integrity_check() == "ok"
    with Store.open(path) as again:  # opening again changes nothing
        assert [s["uuid"] for s in again.sessions("S-014")] == uuids
        assert len(again.goal_history("S-014")) == 1


def test_only_a_change_of_goals_makes_a_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "soundness.db", now=Clock()) as store:
        store.add_child({"code": "S-1"}, [WAIT], author="Mia Berger")
        store.set_voice_consent("S-1", True)  # saves the profile: the goals are the same
        store.update_profile(store.get_child("S-1"), [WAIT], author="Jo Ray")
        assert len(store.goal_history("S-1")) == 1
        store.set_goals("S-1", [WAIT, ECHO], author="Jo Ray")
        store.add_child({"code": "S-2"})  # no goals: no version
        history = store.goal_history("S-1")
        assert [(v["version"], v["author"], v["current"]) for v in history] == [
            (2, "Jo Ray", True),
            (1, "Mia Berger", False),
        ]
        assert [g.id for g in history[1]["goals"]] == ["wait"]
        assert store.goal_history("S-2") == []
        assert store.current_goal_version("S-2") is None


def test_a_session_keeps_the_goal_version_it_started_under(tmp_path: Path) -> None:
    with Store.open(tmp_path / "soundness.db", now=Clock()) as store:
        store.add_child({"code": "S-1"}, [WAIT])
        first = store.start_session("S-1")
        store.set_goals("S-1", [ECHO])
        second = store.start_session("S-1")
        history = store.goal_history("S-1")
        rows = store.conn.execute("SELECT id, goals_version FROM sessions").fetchall()
        kept = {row[0]: row[1] for row in rows}
        assert kept == {first: history[1]["uuid"], second: history[0]["uuid"]}
        assert len({s["uuid"] for s in store.sessions()}) == 2


def test_the_newest_version_is_chosen_by_instant_then_by_id() -> None:
    versions = [
        {"uuid": "b", "created_at": "2026-11-20T10:00:00+01:00"},  # 09:00 UTC
        {"uuid": "a", "created_at": "2026-11-20T09:30:00+00:00"},  # 09:30 UTC: newest
        {"uuid": "c", "created_at": "2026-11-20T09:00:00+00:00"},  # = b's instant; c > b
    ]
    assert [v["uuid"] for v in newest_first(versions)] == ["a", "c", "b"]


def test_sessions_are_listed_by_when_they_started(tmp_path: Path) -> None:
    with Store.open(tmp_path / "soundness.db", now=Clock()) as store:
        store.add_child({"code": "S-1"})
        late, early = store.start_session("S-1"), store.start_session("S-1")
        store.conn.execute(
            "UPDATE sessions SET started_at = '2026-11-01T10:00:00+01:00' WHERE id = ?", (early,)
        )
        assert [s["id"] for s in store.sessions("S-1")] == [early, late]


def test_goals_history_command(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(home))
    goal_file = tmp_path / "goals.toml"
    goal_file.write_text(
        '[[goal]]\nid = "wait"\ndomain = "behaviour"\ntext = "Waits"\n'
        'activity = "call-and-response"\nsuccess = "waited_for_turn"\n'
    )
    add = ["child", "add", "S-1", "--goals", str(goal_file), "--therapist", "Mia Berger"]
    assert main(add) == 0
    goal_file.write_text(goal_file.read_text().replace('"Waits"', '"Waits calmly"'))
    home.joinpath("config.toml").write_text('therapist = "Jo Anne Ray"\nlaptop = "Room 2"\n')
    assert main(["child", "edit", "S-1", "--goals", str(goal_file)]) == 0
    capsys.readouterr()
    assert main(["goals", "history", "S-1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "S-1: 2 versions of the goals, newest first; the newest is the one in force"
    assert lines[1].startswith("version 2  ") and lines[1].endswith("by JAR on Room 2  (in force)")
    assert lines[3].startswith("version 1  ") and lines[3].endswith("by MB on Room 2")
    assert lines[2] == lines[4] == "    wait [behaviour] call-and-response: waited_for_turn"
    assert main(["goals", "history", "S-1", "--include-names"]) == 0
    assert "by Jo Anne Ray on Room 2" in capsys.readouterr().out
    assert main(["goals", "history", "S-9"]) == 2
    assert "no child with code 'S-9'" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["sessions", "notes"])
def test_uuids_are_unique_in_the_store(tmp_path: Path, kind: str) -> None:
    with Store.open(tmp_path / "soundness.db") as store:
        store.add_child({"code": "S-1"})
        sid = store.start_session("S-1")
        store.add_note(sid, "one")
        table_uuid = store.conn.execute(f"SELECT uuid FROM {kind}").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            if kind == "sessions":
                store.conn.execute(
                    "INSERT INTO sessions (child_code, started_at, status, uuid) "
                    "VALUES ('S-1', 'x', 'complete', ?)",
                    (table_uuid,),
                )
            else:
                store.conn.execute(
                    "INSERT INTO notes (session_id, created_at, text, uuid) "
                    "VALUES (?, 'x', 't', ?)",
                    (sid, table_uuid),
                )
