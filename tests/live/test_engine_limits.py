"""The engine keeps a child's limits whatever a client sends: a volume cap asked above the
child's own is clamped to it (the reply says so) and holds at the output, true peak; stop and
end_session silence everything at once, notes a child still holds through thru included, with
no activity running too. The engine here runs in-process on the offline output (pulled block
by block), with the bundled SoundFont."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soundness_live.core.events import DeviceChange, InputEvent
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.store.records import Store
from tests.true_peak import true_peak_dbfs

CHILD_CAP_DBFS = -18.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with Store.open(tmp_path / "soundness.db") as store:
        store.add_child({"code": "S-014", "volume_cap_dbfs": CHILD_CAP_DBFS})
    options = EngineOptions(data_dir=tmp_path, audio="offline", midi="none", block_size=64)
    engine = Engine(options)
    engine.start()
    engine.live_input.on_device_change(DeviceChange("keyboard", True, time.monotonic()))
    try:
        yield engine
    finally:
        engine.close()


def open_session(engine: Engine) -> None:
    """Open S-014's session (an activity started and stopped at once)."""
    reply = handle(engine, {"type": "start_activity", "activity": "waiting", "child": "S-014"})
    assert reply["ok"], reply
    assert handle(engine, {"type": "stop"})["ok"]


def hold_chord(engine: Engine, velocity: int = 127) -> None:
    """The child presses and holds 24 keys (thru: they sound until released)."""
    for note in range(36, 84, 2):
        event = InputEvent("note_on", 0, note, velocity, "keyboard", time.monotonic(), "arrival")
        engine.live_input.on_event(event)


def test_a_cap_asked_above_the_childs_is_clamped_and_holds_at_the_output(engine: Engine) -> None:
    open_session(engine)
    reply = handle(engine, {"type": "set_volume_cap", "dbfs": 0})
    assert reply["ok"] and reply["volume_cap_dbfs"] == CHILD_CAP_DBFS
    assert reply["requested_dbfs"] == 0.0 and reply["child_cap_dbfs"] == CHILD_CAP_DBFS
    assert engine.snapshot()["volume_cap_dbfs"] == CHILD_CAP_DBFS
    assert handle(engine, {"type": "set_device", "device": "keyboard", "volume": 127})["ok"]
    hold_chord(engine)
    audio = engine.output.render(24_000)
    print(f"\ntrue peak after a client asked for 0 dBFS: {true_peak_dbfs(audio):.2f} dBFS")
    assert CHILD_CAP_DBFS - 1.0 < true_peak_dbfs(audio) <= CHILD_CAP_DBFS
    reply = handle(engine, {"type": "set_volume_cap", "dbfs": -30})  # lower: as asked
    assert reply["volume_cap_dbfs"] == -30.0


def test_without_a_session_a_cap_up_to_0_dbfs_can_be_set(engine: Engine) -> None:
    assert handle(engine, {"type": "set_volume_cap", "dbfs": 0})["volume_cap_dbfs"] == 0.0
    refused = handle(engine, {"type": "set_volume_cap", "dbfs": 3})
    assert not refused["ok"] and refused["error"] == (
        "set_volume_cap: field 'dbfs' must be a number in -60..0 (dBFS), got 3"
    )


@pytest.mark.parametrize("command", ["stop", "end_session"])
def test_stop_and_end_session_silence_held_thru_notes_with_no_activity(
    engine: Engine, command: str
) -> None:
    open_session(engine)
    engine.output.render(4800)
    hold_chord(engine, velocity=100)
    sounding = engine.output.render(4800)
    assert true_peak_dbfs(sounding) > -40.0  # the held notes sound
    assert handle(engine, {"type": command})["ok"]
    after = engine.output.render(9600)
    fade = int(0.06 * 48_000)  # the 50 ms fade and the look-ahead
    assert float(np.abs(after[fade:]).max()) < 1e-5  # under -100 dBFS: the DC filter's tail


def choose(engine: Engine, child: str | None) -> dict:
    """The screen chose ``child`` (None: no child); the engine's reply."""
    reply = handle(engine, {"type": "select_child", "child": child})
    assert reply["ok"], reply
    return reply


def loud_chord_dbfs(engine: Engine) -> float:
    """The true peak of a held velocity-127 chord at full device volume, then released."""
    assert handle(engine, {"type": "set_device", "device": "keyboard", "volume": 127})["ok"]
    hold_chord(engine)
    peak_dbfs = true_peak_dbfs(engine.output.render(24_000))
    handle(engine, {"type": "stop"})  # the notes off, the next chord starts from silence
    engine.output.render(9600)
    return peak_dbfs


def test_a_chosen_childs_cap_holds_before_any_activity_and_after_end_session(
    engine: Engine,
) -> None:
    assert choose(engine, "S-014") == {
        "ok": True, "child": "S-014", "volume_cap_dbfs": CHILD_CAP_DBFS,
        "child_cap_dbfs": CHILD_CAP_DBFS,
    }  # fmt: skip
    asked = handle(engine, {"type": "set_volume_cap", "dbfs": 0})
    assert asked["volume_cap_dbfs"] == CHILD_CAP_DBFS and asked["child_cap_dbfs"] == CHILD_CAP_DBFS
    before_dbfs = loud_chord_dbfs(engine)  # he plays freely before any activity
    open_session(engine)
    assert handle(engine, {"type": "end_session"})["ok"]
    state = engine.snapshot()
    assert (state["child"], state["child_cap_dbfs"]) == ("S-014", CHILD_CAP_DBFS)  # still his
    asked = handle(engine, {"type": "set_volume_cap", "dbfs": 0})
    assert asked["volume_cap_dbfs"] == CHILD_CAP_DBFS
    after_dbfs = loud_chord_dbfs(engine)
    print(f"\nS-014 chosen: {before_dbfs:.2f} dBFS; after end_session {after_dbfs:.2f} dBFS")
    assert CHILD_CAP_DBFS - 1.0 < before_dbfs <= CHILD_CAP_DBFS
    assert CHILD_CAP_DBFS - 1.0 < after_dbfs <= CHILD_CAP_DBFS


def test_another_child_or_no_child_changes_the_ceiling(engine: Engine) -> None:
    engine.store.add_child({"code": "Q-030", "volume_cap_dbfs": -30.0})
    choose(engine, "S-014")
    assert choose(engine, "Q-030")["volume_cap_dbfs"] == -30.0  # a child starts at their own
    assert handle(engine, {"type": "set_volume_cap", "dbfs": -6})["volume_cap_dbfs"] == -30.0
    assert choose(engine, "S-014")["volume_cap_dbfs"] == CHILD_CAP_DBFS
    assert handle(engine, {"type": "set_volume_cap", "dbfs": -24})["volume_cap_dbfs"] == -24.0
    assert choose(engine, "S-014")["volume_cap_dbfs"] == -24.0  # the same child: kept
    reply = choose(engine, None)  # no child: the cap set stays, the ceiling goes
    assert (reply["child"], reply["volume_cap_dbfs"], reply["child_cap_dbfs"]) == (None, -24, None)
    assert handle(engine, {"type": "set_volume_cap", "dbfs": 0})["volume_cap_dbfs"] == 0.0


def test_a_started_activity_chooses_its_child_and_holds_them_while_the_session_is_open(
    engine: Engine,
) -> None:
    engine.store.add_child({"code": "Q-030", "volume_cap_dbfs": -30.0})
    open_session(engine)  # start_activity names S-014, no select_child before it
    assert engine.snapshot()["child"] == "S-014"
    assert handle(engine, {"type": "set_volume_cap", "dbfs": 0})["volume_cap_dbfs"] == -18.0
    for child in ("Q-030", None):
        refused = handle(engine, {"type": "select_child", "child": child})
        expected = f"the session of S-014 is open; end it before choosing {child or 'no child'}"
        assert refused == {"ok": False, "error": expected}
    assert handle(engine, {"type": "end_session"})["ok"]
    assert choose(engine, "Q-030")["child_cap_dbfs"] == -30.0


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({}, "select_child: field 'child' is needed: a child's code, or null for none"),
        (
            {"child": 14},
            "select_child: field 'child' must be a child's code, or null for none, got 14",
        ),
        (
            {"child": ""},
            "select_child: field 'child' must be a child's code, or null for none, got \"\"",
        ),
        (
            {"child": "S 014"},
            "select_child: field 'child' must be a child's code, or null for none, got \"S 014\"",
        ),
        ({"child": "NOPE"}, "no child with code 'NOPE' in "),
    ],
)
def test_a_bad_choice_of_child_is_refused_in_one_line(
    engine: Engine, message: dict, error: str
) -> None:
    choose(engine, "S-014")
    reply = handle(engine, {"type": "select_child", **message})
    assert not reply["ok"] and reply["error"].startswith(error) and "\n" not in reply["error"]
    assert engine.snapshot()["child"] == "S-014"  # nothing changed


KEYS_OF_S_020 = {
    "device": "keyboard",
    "instrument": {"program": 40},
    "scale_lock": {"key": "C", "scale": "major_pentatonic"},
    "velocity_curve": {"floor": 1, "ceiling": 40, "gamma": 1.0},
}


def test_a_chosen_childs_devices_and_aids_play_from_the_choice(engine_here: Any) -> None:
    from soundness_live.core.events import DeviceChange, NoteOn, ProgramChange

    engine_here.store.add_child({"code": "S-020", "devices": [KEYS_OF_S_020]})
    live = engine_here.live_input
    live.on_device_change(DeviceChange("keyboard", True, time.monotonic()))

    def sounded_after_a_key(note: int) -> tuple[int, int]:
        engine_here.renderer.commands.clear()
        live.on_event(InputEvent("note_on", 0, note, 127, "keyboard", time.monotonic(), "arrival"))
        (sounded,) = [e for e, _ in engine_here.renderer.commands if isinstance(e, NoteOn)]
        return sounded.note, sounded.velocity

    assert sounded_after_a_key(61) == (61, 127)
    engine_here.renderer.commands.clear()
    choose(engine_here, "S-020")  # no activity, no session: the aids play at once
    programs = [e for e, _ in engine_here.renderer.commands if isinstance(e, ProgramChange)]
    assert programs[-1].program == 40  # the keyboard plays her instrument
    assert sounded_after_a_key(61) == (60, 40)  # C# is not in the scale: C below it
    choose(engine_here, None)  # the aids were S-020's
    assert sounded_after_a_key(61) == (61, 127)
