"""The engine keeps a child's limits whatever a client sends: a volume cap asked above the
child's own is clamped to it (the reply says so) and holds at the output, true peak; stop and
end_session silence everything at once, notes a child still holds through thru included, with
no activity running too. The engine here runs in-process on the offline output (pulled block
by block), with the bundled SoundFont."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import InputEvent
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
    try:
        yield engine
    finally:
        engine.close()


def open_session(engine: Engine) -> None:
    """Open S-014's session (an activity started and stopped at once)."""
    reply = engine.handle({"type": "start_activity", "activity": "waiting", "child": "S-014"})
    assert reply["ok"], reply
    assert engine.handle({"type": "stop"})["ok"]


def hold_chord(engine: Engine, velocity: int = 127) -> None:
    """The child presses and holds 24 keys (thru: they sound until released)."""
    for note in range(36, 84, 2):
        event = InputEvent("note_on", 0, note, velocity, "keyboard", time.monotonic(), "arrival")
        engine.live_input.on_event(event)


def test_a_cap_asked_above_the_childs_is_clamped_and_holds_at_the_output(engine: Engine) -> None:
    open_session(engine)
    reply = engine.handle({"type": "set_volume_cap", "dbfs": 0})
    assert reply["ok"] and reply["volume_cap_dbfs"] == CHILD_CAP_DBFS
    assert reply["requested_dbfs"] == 0.0 and reply["child_cap_dbfs"] == CHILD_CAP_DBFS
    assert engine.snapshot()["volume_cap_dbfs"] == CHILD_CAP_DBFS
    assert engine.handle({"type": "set_device", "device": "keyboard", "volume": 127})["ok"]
    hold_chord(engine)
    audio = engine.output.render(24_000)
    print(f"\ntrue peak after a client asked for 0 dBFS: {true_peak_dbfs(audio):.2f} dBFS")
    assert CHILD_CAP_DBFS - 1.0 < true_peak_dbfs(audio) <= CHILD_CAP_DBFS
    reply = engine.handle({"type": "set_volume_cap", "dbfs": -30})  # lower: as asked
    assert reply["volume_cap_dbfs"] == -30.0


def test_without_a_session_a_cap_up_to_0_dbfs_can_be_set(engine: Engine) -> None:
    assert engine.handle({"type": "set_volume_cap", "dbfs": 0})["volume_cap_dbfs"] == 0.0
    refused = engine.handle({"type": "set_volume_cap", "dbfs": 3})
    assert not refused["ok"] and "must be a number in -60..0, got 3" in refused["error"]


@pytest.mark.parametrize("command", ["stop", "end_session"])
def test_stop_and_end_session_silence_held_thru_notes_with_no_activity(
    engine: Engine, command: str
) -> None:
    open_session(engine)
    engine.output.render(4800)
    hold_chord(engine, velocity=100)
    sounding = engine.output.render(4800)
    assert true_peak_dbfs(sounding) > -40.0  # the held notes sound
    assert engine.handle({"type": command})["ok"]
    after = engine.output.render(9600)
    fade = int(0.06 * 48_000)  # the 50 ms fade and the look-ahead
    assert float(np.abs(after[fade:]).max()) < 1e-5  # under -100 dBFS: the DC filter's tail
