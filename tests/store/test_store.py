"""The session store on a real SQLite file: schema, children, goals, sessions, consent."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from soundness_live.errors import ParameterError, StoreError
from soundness_live.goals.goal import GoalError, builtin_goals
from soundness_live.store.db import SCHEMA_VERSION
from soundness_live.store.records import Store

TABLES = {"children", "goals", "sessions", "trials", "events", "notes", "prompt_assets",
          "voice_recordings"}  # fmt: skip


class Clock:
    """A settable clock: each call advances one minute."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=1)))

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data" / "soundness.db", now=Clock()) as opened:
        opened.add_child({"code": "S-014", "display_name": "Sam", "goal_ids": ["wait-turn"]})
        yield opened


def trial(index: int, pct: float = 80.0, **extra: Any) -> dict[str, Any]:
    record = {
        "index": index,
        "activity": "call-and-response",
        "variant": "drums",
        "params": {"seed": 0, "lead_in_ms": 2000.0},
        "prompt": [{"onset_ms": 2000.0, "onset_frame": 96000, "note": 36, "velocity": 100}],
        "responses": [],
        "metrics": {"waited_for_turn": True, "notes_correct_pct": pct, "hits": 3},
        "outcome": "correct",
        "prompt_level": "independent",
        "difficulty": 2,
        "goals": ["wait-turn"],
        "start_ms": 2000.0,
        "end_ms": 7000.0,
    }
    return record | extra


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_store_is_owner_only_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "new" / "soundness.db"
    with Store.open(path) as store:
        tables = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master")}
        assert TABLES <= tables
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        store.add_child({"code": "S-1"})
        if os.name == "posix":
            assert mode(path) == 0o600 and mode(path.parent) == 0o700
            for suffix in ("-wal", "-shm"):
                assert mode(Path(f"{path}{suffix}")) == 0o600


def test_default_path_is_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))
    with Store.open() as store:
        assert store.path == tmp_path / "home" / "soundness.db"
    assert store.path.exists()


def test_empty_v0_file_migrates(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    path.write_bytes(b"")
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 3
        store.add_child({"code": "S-2"})
        assert [child.code for child in store.list_children()] == ["S-2"]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 is newer .* \\(up to 3\\)"):
        Store.open(path)


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="expected a Soundness Live store, found a damaged file"):
        Store.open(path)


def test_children(store: Store) -> None:
    assert store.get_child("S-014").display_name == "Sam"
    (settings,) = store.conn.execute("SELECT profile FROM children").fetchone()
    assert "Sam" not in settings  # the name lives in its own column only
    store.add_child({"code": "A-1"})
    assert [child.code for child in store.list_children()] == ["A-1", "S-014"]
    with pytest.raises(StoreError, match="already exists"):
        store.add_child({"code": "A-1"})
    with pytest.raises(StoreError, match="no child with code 'B-9'"):
        store.get_child("B-9")
    updated = store.get_child("A-1").to_dict() | {"volume_cap_dbfs": -30.0}
    store.update_profile(updated)
    assert store.get_child("A-1").volume_cap_dbfs == -30.0
    with pytest.raises(ParameterError, match="'code'"):
        store.add_child({"code": "Sam Smith"})


def test_goals(store: Store) -> None:
    assert [goal.id for goal in store.goals_for("S-014")] == ["wait-turn"]
    mine = builtin_goals("waiting")[0].to_dict() | {"id": "my-wait", "success": "wait_s >= 2"}
    goals = store.set_goals("S-014", [mine, builtin_goals("tempo-following")[0]])
    assert [goal.id for goal in store.goals_for("S-014")] == ["my-wait", "steady-beat"]
    assert store.goals_for("S-014") == goals
    assert store.get_child("S-014").goal_ids == ("my-wait", "steady-beat")
    with pytest.raises(GoalError, match="field 'success'"):
        store.set_goals("S-014", [mine | {"success": "wait_seconds >= 2"}])
    with pytest.raises(GoalError, match="given twice"):
        store.set_goals("S-014", [mine, mine])
    with pytest.raises(ParameterError, match="unknown goal 'nope'"):
        store.add_child({"code": "X-1", "goal_ids": ["nope"]})
    # a profile update keeps the child's own goal definitions and adds library ones
    store.update_profile(
        store.get_child("S-014").to_dict() | {"goal_ids": ["my-wait", "wait-turn"]}
    )
    assert [goal.success for goal in store.goals_for("S-014")] == [
        "wait_s >= 2",
        builtin_goals("call-and-response")[0].success,
    ]


def test_a_trials_prompt_level_marked_after_it_ended(store: Store) -> None:
    sid = store.start_session("S-014")
    store.record_trial(sid, trial(0, simulated=True, input="virtual"))
    marked = store.mark_prompt_level(sid, 0, "model")
    stored = store.trials(sid)[0]
    assert stored == marked | {"session_id": sid}
    assert (stored["prompt_level"], stored["prompt_level_recorded"]) == ("model", "independent")
    assert stored["prompt_level_marked_at"].startswith("2026-11-20T10:0")
    assert (stored["simulated"], stored["input"], stored["outcome"]) == (True, "virtual", "correct")
    with pytest.raises(StoreError, match=f"session {sid} has no trial 1 to mark"):
        store.mark_prompt_level(sid, 1, "model")
    with pytest.raises(ParameterError, match="'prompt_level' must be one of full_physical"):
        store.mark_prompt_level(sid, 0, "a lot")
    assert store.trials(sid)[0] == stored  # a refused mark changes nothing
    store.end_session(sid)
    with pytest.raises(StoreError, match="is complete, not running"):
        store.mark_prompt_level(sid, 0, "verbal")


def test_a_session_from_start_to_end(store: Store) -> None:
    sid = store.start_session("S-014", therapist="T-01", params={"plan": ["hello", "echo"]})
    for index in (1, 0, 2):
        store.record_trial(sid, trial(index))
    store.record_events(sid, [
        {"onset_ms": 3512.3, "onset_frame": 168590, "kind": "note_on", "note": 36,
         "velocity": 90, "device": "pad-1", "player": "S-014", "clock": "virtual", "channel": 9},
        {"onset_ms": 3600.0, "kind": "note_off", "note": 36},
    ])  # fmt: skip
    store.add_note(sid, "Waited well today.")
    store.end_session(sid)
    (session,) = store.sessions("S-014")
    assert session["status"] == "complete" and session["therapist"] == "T-01"
    assert session["params"] == {"plan": ["hello", "echo"]}
    assert session["started_at"].startswith("2026-11-20T10:0") and session["started_at"].endswith(
        "+01:00"
    )
    assert [t["index"] for t in store.trials(sid)] == [0, 1, 2]
    assert store.trials(sid)[0] == trial(0) | {"session_id": sid}
    events = store.events(sid)
    assert [e["kind"] for e in events] == ["note_on", "note_off"]
    assert events[0]["onset_frame"] == 168590 and events[1]["device"] is None
    assert store.notes(sid)[0]["text"] == "Waited well today."
    store.add_note(sid, "Added after the session.")
    assert len(store.notes(sid)) == 2
    assert store.integrity_check() == "ok"


def test_trial_records_are_checked(store: Store) -> None:
    sid = store.start_session("S-014")
    store.record_trial(sid, trial(0))
    with pytest.raises(StoreError, match="already has trial 0"):
        store.record_trial(sid, trial(0))
    bad = [
        (trial(1, outcome="great"), "'outcome' must be one of correct"),
        (trial(1, prompt_level="lots"), "'prompt_level' must be one of full_physical"),
        (trial(-1), "'index' must be an integer >= 0"),
        (trial(1, activity=""), "'activity' must be a name"),
        (trial(1, pct=float("nan")), "without NaN/inf"),
        (trial(1, metrics={"x": object()}), "must be JSON data"),
    ]
    for record, message in bad:
        with pytest.raises(ParameterError, match=message):
            store.record_trial(sid, record)
    with pytest.raises(ParameterError, match="'kind' must be note_on or note_off"):
        store.record_events(sid, [{"onset_ms": 1.0, "kind": "cc"}])
    with pytest.raises(ParameterError, match="unknown fields"):
        store.record_events(sid, [{"onset_ms": 1.0, "kind": "note_on", "pitch": 60}])
    store.end_session(sid, status="interrupted")
    with pytest.raises(StoreError, match="is interrupted, not running"):
        store.record_trial(sid, trial(5))
    with pytest.raises(StoreError, match="no session with id 999"):
        store.record_trial(999, trial(5))
    with pytest.raises(ParameterError, match="status must be"):
        store.end_session(sid, status="done")
    with pytest.raises(StoreError, match="no child"):
        store.start_session("Z-9")


def test_voice_is_stored_only_with_consent(store: Store) -> None:
    sid = store.start_session("S-014")
    with pytest.raises(StoreError, match="no consent for voice recording"):
        store.add_voice_recording(sid, 0, b"RIFF....WAVE")
    assert store.conn.execute("SELECT COUNT(*) FROM voice_recordings").fetchone()[0] == 0
    consenting = store.get_child("S-014").to_dict() | {"consent": {"voice_recording": True}}
    store.update_profile(consenting)
    store.add_voice_recording(sid, 0, b"RIFF....WAVE")
    assert store.voice_recording(sid, 0) == b"RIFF....WAVE"
    # withdrawing consent deletes what was kept
    store.update_profile(consenting | {"consent": {"voice_recording": False}})
    assert store.voice_recording(sid, 0) is None


def test_prompt_assets(store: Store) -> None:
    store.add_prompt_asset("ba-ba", wav=b"RIFF", analysis={"syllables": 2})
    asset = store.prompt_asset("ba-ba")
    assert asset is not None and asset["wav"] == b"RIFF" and asset["analysis"] == {"syllables": 2}
    store.add_prompt_asset("ma", path="prompts/ma.wav")
    assert store.prompt_asset("ma")["path"] == "prompts/ma.wav"  # type: ignore[index]
    assert store.prompt_asset("none") is None
    with pytest.raises(ParameterError, match="needs wav bytes or a path"):
        store.add_prompt_asset("empty")


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_recover_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    with Store.open(path) as store:
        store.add_child({"code": "S-1"})
        orphan, reused, mine = (store.start_session("S-1") for _ in range(3))
        store.conn.execute("UPDATE sessions SET owner_pid = ? WHERE id = ?", (dead_pid(), orphan))
        if sys.platform.startswith("linux"):  # same pid, but another process's start time
            store.conn.execute("UPDATE sessions SET owner_start = 'x:1' WHERE id = ?", (reused,))
    with Store.open(path) as store:
        status = {s["id"]: s["status"] for s in store.sessions()}
    assert status[orphan] == "interrupted"
    assert status[mine] == "running"  # this process is alive: never interrupted
    if sys.platform.startswith("linux"):
        assert status[reused] == "interrupted"


def test_export_bundle(store: Store) -> None:
    days = []
    for day, pcts in enumerate([(80, 80, 80, 80, 80), (80, 80, 80, 80, 20), (90,) * 5]):
        sid = store.start_session("S-014", therapist="T-01")
        for index, pct in enumerate(pcts):
            store.record_trial(sid, trial(index, pct))
        store.add_note(sid, f"note {day}")
        store.end_session(sid)
        days.append(sid)
    bundle = store.export_bundle("S-014")
    json.dumps(bundle, allow_nan=False)
    assert bundle["schema_version"] == 4
    assert bundle["child"] == {
        "code": "S-014",
        "display_name": "Sam",
        "date_of_birth": None,
        "consent": {"voice_recording": False},
        "profile": {"volume_cap_dbfs": -12.0, "preferred_tempo_bpm": None,
                    "voice_range_hz": None, "devices": [], "goal_ids": ["wait-turn"]},
    }  # fmt: skip
    assert [goal["id"] for goal in bundle["goals"]] == ["wait-turn"]
    assert [s["id"] for s in bundle["sessions"]] == days
    first = bundle["sessions"][0]
    assert set(first) == {"id", "child_code", "therapist", "started_at", "ended_at", "status",
                          "input", "simulated", "uuid", "laptop", "from_clinic", "trials",
                          "events", "notes"}  # fmt: skip
    assert first["laptop"] is None and first["from_clinic"] is False  # no label, recorded here
    assert first["trials"][0]["session_id"] == days[0]
    assert first["notes"] == [{"created_at": first["notes"][0]["created_at"], "text": "note 0"}]
    (progress,) = bundle["progress"]
    assert progress["goal_id"] == "wait-turn"
    assert [s["met"] for s in progress["sessions"]] == [True, True, True]
    assert progress["mastered_on"] == bundle["sessions"][2]["started_at"][:10]
    assert progress["baseline_pct"] == pytest.approx((100 + 80 + 100) / 3)
    one = store.export_bundle("S-014", session_id=days[1])
    assert [s["id"] for s in one["sessions"]] == [days[1]]
    assert len(one["progress"][0]["sessions"]) == 3  # history still counts for mastery
    with pytest.raises(StoreError, match="no session with id 999"):
        store.export_bundle("S-014", session_id=999)


def test_writes_from_another_thread(store: Store) -> None:
    sid = store.start_session("S-014")
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        try:
            for index in range(start, start + 20):
                store.record_trial(sid, trial(index))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store.trials(sid)) == 40


def test_a_session_says_what_played_it(store: Store) -> None:
    live = store.start_session("S-014")
    store.mark_input(live, "live")
    store.mark_input(live, "live")
    sim = store.start_session("S-014")
    store.mark_input(sim, "virtual")
    mixed = store.start_session("S-014")
    store.mark_input(mixed, "live")
    store.mark_input(mixed, "file")
    empty = store.start_session("S-014")
    found = {s["id"]: (s["input"], s["simulated"]) for s in store.sessions("S-014")}
    assert found == {
        live: ("live", False),
        sim: ("virtual", True),
        mixed: ("mixed", True),
        empty: (None, False),
    }
    with pytest.raises(ParameterError, match="input must be one of live, virtual, file, mixed"):
        store.mark_input(live, "keyboard")
    store.record_events(live, [{"onset_ms": 1.0, "kind": "note_on", "input": "live"}])
    assert store.events(live)[0]["input"] == "live"
    with pytest.raises(ParameterError, match="'input' must be live, virtual, file or null"):
        store.record_events(live, [{"onset_ms": 1.0, "kind": "note_on", "input": "mixed"}])


def _v1_store(path: Path) -> None:
    """A version-1 store as an older Soundness Live left it: a session played with --input
    virtual, one with a MIDI file, a screen session (virtual child, then live), the demo's."""
    from soundness_live.store.db import MIGRATIONS

    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO children VALUES ('S-014', NULL, NULL, '{}', '{}', '2026-11-01T10:00:00')"
    )
    params = ['{"input": "virtual"}', '{"input": "taps.mid"}', '{"live": true}', '{"demo": true}']
    for sid, given in enumerate(params, start=1):
        conn.execute(
            "INSERT INTO sessions (id, child_code, started_at, status, params) "
            "VALUES (?, 'S-014', '2026-11-0{0}T10:00:00', 'complete', ?)".replace("{0}", str(sid)),
            (sid, given),
        )

    def add(sid: int, idx: int, clock: str | None) -> None:
        responses = [] if clock is None else [{"onset_ms": 100.0, "note": 38, "clock": clock}]
        record = trial(idx, responses=responses)
        conn.execute(
            "INSERT INTO trials VALUES (?, ?, 'call-and-response', 'correct', 'independent', ?, "
            "'2026-11-01T10:00:00')",
            (sid, idx, json.dumps(record)),
        )
        if clock is not None:
            conn.execute(
                "INSERT INTO events (session_id, onset_ms, kind, clock) VALUES (?, 100, "
                "'note_on', ?)",
                (sid, clock),
            )

    add(1, 0, "virtual")
    add(1, 1, None)  # the virtual child did not answer: the session says it was virtual
    add(2, 0, "file")
    add(3, 0, "virtual")  # the screen's virtual child...
    add(3, 1, "rtmidi-delta")  # ... then the child on a keyboard
    add(3, 2, None)  # no evidence either way
    add(4, 0, None)
    conn.commit()
    conn.close()


def test_a_version_1_store_marks_what_was_simulated(tmp_path: Path) -> None:
    path = tmp_path / "soundness.db"
    _v1_store(path)
    with Store.open(path) as store:
        sessions = {s["id"]: (s["input"], s["simulated"]) for s in store.sessions()}
        assert sessions == {
            1: ("virtual", True),
            2: ("file", True),
            3: ("mixed", True),
            4: ("virtual", True),
        }
        marks = {
            (sid, t["index"]): (t["input"], t["simulated"])
            for sid in sessions
            for t in store.trials(sid)
        }
        assert marks == {
            (1, 0): ("virtual", True), (1, 1): ("virtual", True), (2, 0): ("file", True),
            (3, 0): ("virtual", True), (3, 1): ("live", False), (3, 2): (None, False),
            (4, 0): ("virtual", True),
        }  # fmt: skip
        assert store.trials(3)[1]["metrics"] == trial(1)["metrics"]  # the record is kept
        assert [e["input"] for e in store.events(3)] == ["virtual", "live"]
        assert store.integrity_check() == "ok"
