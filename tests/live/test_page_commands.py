"""The engine's commands for the therapist's pages, against a real store: a child's profile,
goals from the library, a device's settings, the therapist's name, the session summary and the
export to a listed place. Each bad field is refused with one line; limits apply at once."""

from __future__ import annotations

import inspect
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from soundness_live.config import load_settings
from soundness_live.export import places as places_module
from soundness_live.export.places import Place
from soundness_live.live import export_commands
from soundness_live.live.client import EngineClient
from soundness_live.live.commands import COMMANDS, handle
from soundness_live.live.protocol import message
from soundness_live.store.records import Store


def test_a_command_with_a_field_called_kind_can_be_built_and_asked_for() -> None:
    msg = message("save_device", device="drum", kind="pad")
    assert (msg["type"], msg["kind"]) == ("save_device", "pad")
    asked = inspect.signature(EngineClient.request).parameters["kind"]
    assert asked.kind is inspect.Parameter.POSITIONAL_ONLY


def ok(engine: Any, command: str, **fields: Any) -> dict[str, Any]:
    reply = handle(engine, {"type": command, **fields})
    assert reply["ok"], reply
    return reply


def store_of(engine: Any) -> Store:
    return Store.open(engine.options.data_dir / "soundness.db")


class Clock:
    """Earlier sessions, a day apart (each call a minute on)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def trial(index: int, waited: bool, pct: float, **extra: Any) -> dict[str, Any]:
    return {
        "index": index, "activity": "call-and-response", "variant": "drums",
        "params": {}, "prompt": [], "responses": [],
        "metrics": {"waited_for_turn": waited, "notes_correct_pct": pct},
        "outcome": "correct" if waited else "premature", "prompt_level": "independent",
        "goals": ["wait-turn"], "start_ms": 1000.0 * index, "end_ms": 1000.0 * index + 900,
    } | extra  # fmt: skip


def session(store: Store, clock: Clock, wins: int, of: int = 5, **extra: Any) -> int:
    """A completed session of ``of`` call-and-response trials, ``wins`` of them successes."""
    clock.now += timedelta(days=1)
    session_id = store.start_session("S-014", therapist="Mia Berger")
    for index in range(of):
        store.record_trial(session_id, trial(index, index < wins, 80.0, **extra))
    store.end_session(session_id)
    return session_id


@pytest.fixture()
def engine(engine_here: Any) -> Any:
    with store_of(engine_here) as store:
        store.add_child({"code": "S-014", "display_name": "Sam Quill", "volume_cap_dbfs": -18.0})
    return engine_here


# -- refusals: one line naming the command, the field, what it takes and what came ------------
REFUSALS = [
    ({"type": "save_child", "child": "S 014"},
     "save_child: field 'child' must be a child's code (letters, digits, - or _, at most 32), "
     "got \"S 014\""),
    ({"type": "save_child", "child": "S-014", "volume_cap_dbfs": 6},
     "save_child: field 'volume_cap_dbfs' must be a number in -60..0 (dBFS), got 6"),
    ({"type": "save_child", "child": "S-014", "voice_range_hz": [500, 300]},
     "save_child: field 'voice_range_hz' must be [lowest, highest] in Hz (50..800, 200..2000), "
     "or null, got [500, 300]"),
    ({"type": "save_child", "child": "S-014", "display_name": "   "},
     "save_child: field 'display_name' must be a name of 1..64 characters, or null for none, "
     "got \"   \""),
    ({"type": "save_child", "child": "S-014", "voice_consent": "yes"},
     "save_child: field 'voice_consent' must be true or false, got \"yes\""),
    ({"type": "set_goals", "child": "S-014", "goals": ["wait-turn", "wait-turn"]},
     "set_goals: field 'goals' must be a list of at most 64 goal ids, none twice, got "
     "[\"wait-turn\", \"wait-turn\"]"),
    ({"type": "set_goals", "child": "S-014", "goals": ["fly"]},
     "set_goals: field 'goals' must name the child's goals or the library's, got 'fly'"),
    ({"type": "save_device", "device": "nanoKEY", "scale": "klingon"},
     "save_device: field 'scale' must be one of chromatic, major, minor, harmonic_minor, "
     "major_pentatonic, minor_pentatonic, blues, dorian, mixolydian, lydian, phrygian, or null "
     "(no scale lock), got \"klingon\""),
    ({"type": "save_device", "device": "nanoKEY", "transpose": 30},
     "save_device: field 'transpose' must be an integer -24..24 (semitones), got 30"),
    ({"type": "save_device", "device": "nanoKEY", "velocity_gamma": 0},
     "save_device: field 'velocity_gamma' must be a number 0.1..10, got 0"),
    ({"type": "save_device", "device": "nanoKEY"},
     "save_device: no child is chosen and field 'child' is not given: a device's settings "
     "are kept with a child"),
    ({"type": "set_therapist", "name": ""},
     "set_therapist: field 'name' must be a name of 1..64 characters, or null for none, "
     "got \"\""),
    ({"type": "export_session", "child": "S-014", "place": "exports", "formats": ["pdf"]},
     "export_session: field 'formats' must be a list of csv, midi, html, got [\"pdf\"]"),
    ({"type": "export_session", "child": "S-014", "place": "/etc", "session": 1},
     "export_session: field 'place' must be one of the places listed now ('exports'), "
     "got '/etc'"),
    ({"type": "session_summary", "child": "S-014"},
     "S-014 has no stored session yet: start one, or choose another child"),
    ({"type": "export_session", "child": "S-014", "place": "exports"},
     "S-014 has no stored session yet: start one, or choose another child"),
    ({"type": "add_note", "text": "late", "session": 99},
     "add_note: field 'session' must be a session of a chosen child, got 99"),
    ({"type": "child_profile", "child": "X-999"},
     "no child with code 'X-999' in {db}"),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "error"), REFUSALS)
def test_a_bad_field_is_refused_with_one_line(engine: Any, msg: dict, error: str) -> None:
    with store_of(engine) as store:
        before = store.get_child("S-014")
    expected = error.format(db=engine.options.data_dir / "soundness.db")
    assert handle(engine, msg) == {"ok": False, "error": expected}
    with store_of(engine) as store:
        assert store.get_child("S-014") == before  # nothing half-written


def test_a_child_is_added_and_edited_field_by_field(engine: Any) -> None:
    ok(engine, "save_child", child="M-001", new=True, display_name="Mo",
       volume_cap_dbfs=-24, voice_range_hz=[150, 500])  # fmt: skip
    profile = ok(engine, "child_profile", child="M-001")["profile"]
    assert (profile["display_name"], profile["volume_cap_dbfs"]) == ("Mo", -24.0)
    assert tuple(profile["voice_range_hz"]) == (150.0, 500.0)
    assert profile["consent"] == {"voice_recording": False}
    ok(engine, "save_child", child="M-001", display_name=None, voice_consent=True)
    profile = ok(engine, "child_profile", child="M-001")["profile"]
    assert profile["display_name"] is None and profile["volume_cap_dbfs"] == -24.0
    assert profile["consent"] == {"voice_recording": True}
    refused = handle(engine, {"type": "save_child", "child": "M-001", "new": True})
    assert refused == {"ok": False, "error": "a child with code 'M-001' already exists"}
    children = ok(engine, "catalog")["children"]
    assert [c["code"] for c in children] == ["M-001", "S-014"]


def test_withdrawing_voice_consent_deletes_the_kept_recordings_and_counts_them(
    engine: Any,
) -> None:
    ok(engine, "save_child", child="S-014", voice_consent=True)
    with store_of(engine) as store:
        session_id = store.start_session("S-014")
        store.add_voice_recording(session_id, 0, b"RIFF....WAVE")
        store.add_voice_recording(session_id, 1, b"RIFF....WAVE")
    reply = ok(engine, "save_child", child="S-014", voice_consent=False, display_name="Sam")
    assert (reply["deleted_recordings"], reply["added"]) == (2, False)
    with store_of(engine) as store:
        assert store.voice_recording(session_id, 0) is None
        assert store.get_child("S-014").display_name == "Sam"
        assert store.holdings("S-014")["voice recordings"] == 0
    assert ok(engine, "save_child", child="S-014", voice_consent=False)["deleted_recordings"] == 0


def test_the_chosen_childs_new_volume_cap_holds_at_once(engine: Any) -> None:
    ok(engine, "select_child", child="S-014")
    assert engine.volume_cap_dbfs == -18.0
    ok(engine, "save_child", child="S-014", volume_cap_dbfs=-30)
    state = engine.snapshot()
    assert (state["volume_cap_dbfs"], state["child_cap_dbfs"]) == (-30.0, -30.0)
    assert engine.renderer.cap_dbfs == -30.0
    assert ok(engine, "set_volume_cap", dbfs=-6)["volume_cap_dbfs"] == -30.0  # the ceiling
    ok(engine, "save_child", child="S-014", volume_cap_dbfs=-20)  # the therapist set it louder
    assert (engine.volume_cap_dbfs, engine.child_cap_dbfs) == (-20.0, -20.0)
    ok(engine, "set_volume_cap", dbfs=-26)
    ok(engine, "save_child", child="S-014", display_name="Samuel")  # the cap is not touched
    assert (engine.volume_cap_dbfs, engine.child_cap_dbfs) == (-26.0, -20.0)


def test_another_childs_cap_leaves_the_chosen_ones_alone(engine: Any) -> None:
    ok(engine, "save_child", child="M-001", new=True, volume_cap_dbfs=-40)
    ok(engine, "select_child", child="S-014")
    ok(engine, "save_child", child="M-001", volume_cap_dbfs=-45)
    assert (engine.volume_cap_dbfs, engine.child_cap_dbfs) == (-18.0, -18.0)


def test_goals_are_picked_from_the_library_by_the_therapist_named(engine: Any) -> None:
    library = ok(engine, "goal_library")["goals"]
    wait = next(goal for goal in library if goal["id"] == "wait-turn")
    assert wait["criterion"] == (
        "waits for the turn and gets at least 75 % of the notes, in 4 of 5 trials, in 3 "
        "sessions in a row"
    )
    assert (wait["help"], wait["activity"]) == ("no help (independent)", "call-and-response")
    assert len(library) == 11
    only = ok(engine, "goal_library", activity="call-and-response")["goals"]
    assert {g["activity"] for g in only} == {"call-and-response"} and len(only) < len(library)
    ok(engine, "set_therapist", name="Mia Berger")
    assert ok(engine, "set_goals", child="S-014", goals=["wait-turn"])["goals"] == ["wait-turn"]
    goals = ok(engine, "child_profile", child="S-014")["goals"]
    assert [g["id"] for g in goals] == ["wait-turn"]
    with store_of(engine) as store:
        [version] = store.goal_history("S-014")
    assert version["author"] == "Mia Berger"
    ok(engine, "set_goals", child="S-014", goals=[])
    assert ok(engine, "child_profile", child="S-014")["goals"] == []


def test_the_therapists_name_is_this_machines_from_now_on(engine: Any) -> None:
    reply = ok(engine, "set_therapist", name="  Mia Berger ")
    assert reply["therapist"] == "Mia Berger" and reply["open_session_therapist"] is None
    assert load_settings(engine.options.data_dir).therapist == "Mia Berger"
    ok(engine, "start_activity", activity="waiting", child="S-014", input="virtual",
       params={"trials": 1})  # fmt: skip
    ok(engine, "stop")
    with store_of(engine) as store:
        assert store.sessions("S-014")[-1]["therapist"] == "Mia Berger"
    reply = ok(engine, "set_therapist", name=None)
    assert reply == {"ok": True, "therapist": None, "open_session_therapist": "Mia Berger"}
    assert load_settings(engine.options.data_dir).therapist is None


def test_a_device_is_kept_with_the_child_and_plays_so_at_once(engine: Any) -> None:
    ok(engine, "select_child", child="S-014")
    reply = ok(engine, "save_device", device="nanoKEY", program=12, scale="major_pentatonic",
               key="C", transpose=-12, velocity_floor=40, velocity_gamma=0.5)  # fmt: skip
    assert reply["applied"] is True
    live = engine.live_input
    role = live.roles.role_for("nanoKEY2 MIDI 1")
    assert (role.player, role.kind, role.program) == ("S-014", "keyboard", 12)
    aids = live._aid_settings["nanoKEY"]
    assert (aids.scale, aids.key, aids.transpose_semitones) == ("major_pentatonic", 0, -12)
    assert (aids.velocity_floor, aids.velocity_gamma) == (40, 0.5)
    ok(engine, "save_device", device="drum", player="therapist", kind="pad")
    with store_of(engine) as store:
        devices = store.get_child("S-014").devices
    assert [(d.device, d.role, d.kind) for d in devices] == [
        ("nanoKEY", "child", "keyboard"), ("drum", "therapist", "pad")]  # fmt: skip
    assert devices[0].scale_lock is not None and devices[0].instrument.program == 12
    assert live.roles.role_for("the drum pad").player == "therapist"
    ok(engine, "save_device", device="nanoKEY", program=0)  # saved again: replaces, no lock
    with store_of(engine) as store:
        devices = store.get_child("S-014").devices
    assert [d.device for d in devices] == ["drum", "nanoKEY"] and devices[1].scale_lock is None


def test_a_device_saved_for_another_child_waits_for_them(engine: Any) -> None:
    ok(engine, "save_child", child="M-001", new=True)
    ok(engine, "select_child", child="S-014")
    assert (
        ok(engine, "save_device", child="M-001", device="nanoKEY", program=40)["applied"] is False
    )
    assert engine.live_input.roles.role_for("nanoKEY").program == 0
    ok(engine, "select_child", child="M-001")
    assert engine.live_input.roles.role_for("nanoKEY").program == 40


def test_the_summary_sets_today_against_the_earlier_sessions_per_goal(engine: Any) -> None:
    ok(engine, "set_goals", child="S-014", goals=["wait-turn"])
    clock = Clock()
    with Store.open(engine.options.data_dir / "soundness.db", now=clock) as store:
        session(store, clock, wins=2)
        session(store, clock, wins=3)
        session(store, clock, wins=1, simulated=True, input="virtual")
        today = session(store, clock, wins=4)
        store.add_note(today, "waited well")
    summary = ok(engine, "session_summary", child="S-014")
    assert summary["session_id"] == today and summary["trials"] == 5 and summary["notes"] == 1
    assert summary["activities"] == [
        {"activity": "call-and-response", "trials": 5, "outcomes": {"correct": 4, "premature": 1}}
    ]
    [goal] = summary["goals"]
    assert goal["today"] == "today: 4 of 5 trials succeeded (80 %)"
    assert goal["before"] == "before: 50 % on average over 2 sessions; last time (2026-11-04) 60 %"
    assert goal["status"].startswith("Criterion met in 1 of 3 sessions needed in a row.")
    assert [(p["pct"], p["simulated"], p["today"]) for p in goal["points"]] == [
        (40.0, False, False),
        (60.0, False, False),
        (20.0, True, False),
        (80.0, False, True),
    ]
    assert goal["criterion_pct"] == 80.0
    earlier = ok(engine, "session_summary", child="S-014", session=today - 1)
    assert earlier["goals"][0]["today"] == "today: 1 of 5 trials succeeded, all SIMULATED " \
        "(never counted)"  # fmt: skip


def test_the_summary_of_the_open_session_is_the_default(engine: Any) -> None:
    ok(engine, "start_activity", activity="waiting", child="S-014", input="virtual",
       params={"trials": 1})  # fmt: skip
    ok(engine, "stop")
    summary = ok(engine, "session_summary")
    assert summary["session_id"] == engine.stored.session_id and summary["goals"] == []
    assert summary["played"] in ("SIMULATED (the virtual child)", "input not known")


def drive_at(path: Path) -> list[Place]:
    return [Place(str(path), "USB drive KINGSTON", path, removable=True)]


def test_an_export_goes_de_identified_to_a_listed_drive_owner_only(
    engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive = tmp_path / "media" / "KINGSTON"
    drive.mkdir(parents=True)
    monkeypatch.setattr(places_module, "removable_drives", lambda: drive_at(drive))
    clock = Clock()
    with Store.open(engine.options.data_dir / "soundness.db", now=clock) as store:
        session_id = session(store, clock, wins=3)
        store.add_note(session_id, "Sam covered his ears once")
    places = ok(engine, "export_places")["places"]
    assert [(p["key"], p["name"], p["removable"]) for p in places] == [
        ("exports", "exports folder", False), (str(drive), "USB drive KINGSTON", True)]  # fmt: skip
    assert all(isinstance(p["free_bytes"], int) for p in places)
    reply = ok(engine, "export_session", child="S-014", place=str(drive))
    folder = drive / "soundness-live"
    assert reply["deidentified"] is True and reply["folder"] == str(folder)
    assert reply["session_id"] == session_id and reply["place"] == "USB drive KINGSTON"
    files = [Path(f) for f in reply["files"]]
    assert {f.name for f in files} >= {f"S-014-session-{session_id}.mid", "S-014-report.html",
                                        "trials.csv"}  # fmt: skip
    for written in files:
        assert written.is_relative_to(folder)
        if os.name == "posix":
            assert stat.S_IMODE(written.stat().st_mode) == 0o600
        text = written.read_bytes()
        assert b"Quill" not in text and b"covered his ears" not in text
    named = ok(engine, "export_session", child="S-014", place="exports", formats=["html"],
               identified=True)  # fmt: skip
    [report] = [Path(f) for f in named["files"]]
    assert report.parent == engine.options.data_dir / "exports" and not named["deidentified"]
    assert "Sam Quill" in report.read_text(encoding="utf-8")


def test_an_export_writes_its_files_without_holding_the_engines_lock(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    with Store.open(engine.options.data_dir / "soundness.db", now=clock) as store:
        session(store, clock, wins=3)
    free: list[bool] = []

    def cue_meanwhile() -> None:  # a cue or a snapshot on another thread
        taken = engine.lock.acquire(timeout=2.0)
        free.append(taken)
        if taken:
            engine.lock.release()

    def slow_export(bundle: Any, fmt: str, folder: Any, **names: Any) -> list[Path]:
        waiting = threading.Thread(target=cue_meanwhile)
        waiting.start()  # while the files are written
        waiting.join()
        return []

    monkeypatch.setattr(export_commands, "export", slow_export)
    ok(engine, "export_session", child="S-014", place="exports", formats=["html"])
    ok(engine, "session_summary", child="S-014")
    assert free == [True]


def test_a_note_goes_to_an_ended_session_of_the_chosen_child_only(engine: Any) -> None:
    clock = Clock()
    with Store.open(engine.options.data_dir / "soundness.db", now=clock) as store:
        ended = session(store, clock, wins=3)
        store.add_child({"code": "M-001"})
        other = store.start_session("M-001")
    ok(engine, "select_child", child="S-014")
    assert ok(engine, "add_note", text="settled after the break", session=ended) == {
        "ok": True, "session_id": ended}  # fmt: skip
    refused = handle(engine, {"type": "add_note", "text": "x", "session": other})
    assert refused == {"ok": False, "error": "add_note: field 'session' must be a session of "
                       f"the chosen child (S-014), got {other}"}  # fmt: skip
    with store_of(engine) as store:
        assert [n["text"] for n in store.notes(ended)] == ["settled after the break"]
        assert store.notes(other) == []


# -- reading wakes nobody: only a change is broadcast at once --------------------------------
READS = [  # every command that only reads, with fields it carries out
    ("hello", {}), ("catalog", {}), ("plans", {"child": "S-014"}), ("snapshot", {}),
    ("child_profile", {"child": "S-014"}), ("goal_library", {}),
    ("session_summary", {"child": "S-014"}), ("export_places", {}), ("remote_addresses", {}),
]  # fmt: skip


def test_a_command_that_only_reads_does_not_wake_the_snapshot_broadcast(engine: Any) -> None:
    clock = Clock()
    with Store.open(engine.options.data_dir / "soundness.db", now=clock) as store:
        session(store, clock, wins=3)
    for command, fields in READS:
        engine.changed.clear()
        ok(engine, command, **fields)
        assert not engine.changed.is_set(), f"{command} woke the snapshot broadcast"
    ok(engine, "set_volume_cap", dbfs=-20)
    assert engine.changed.is_set()
    quiet = {name for name, command in COMMANDS.items() if not command.wakes_broadcast}
    # these two wake it themselves, when what they set changed
    assert quiet == {name for name, _ in READS} | {"remote_status", "set_volume_cap"}


def test_the_same_volume_cap_again_does_not_wake_the_snapshot_broadcast(engine: Any) -> None:
    """A page's louder at the cap sends the cap it has: nothing a snapshot shows changed."""
    woke = []
    for dbfs in (-20, -20, -24, -24, -20):
        engine.changed.clear()
        assert ok(engine, "set_volume_cap", dbfs=dbfs)["volume_cap_dbfs"] == dbfs
        woke.append(engine.changed.is_set())
    assert woke == [True, False, True, False, True]
