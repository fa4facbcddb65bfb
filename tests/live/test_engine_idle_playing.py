"""Notes played while no activity listens are kept with the open session (the log shows the
child played), on the session's axis; outside a stored session they only sound."""

from __future__ import annotations

import time

import pytest

from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import DeviceChange, InputEvent
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from tests.conftest import until_state

QUICK = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
         "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


class HeardFrames:
    """Where the engine's live input placed each note it was given, on the output frame axis.

    The live input places a note's timestamp through the output's clock mapping of that
    moment. The headless output re-syncs its pacing after an under-run (seen on a loaded
    machine): the frame axis then slips against the monotonic clock, and a note held across
    the under-run is shorter on the frame axis by the time the output lost. So a stored length
    is checked against the mappings the engine used, and against the played length whenever
    the output kept its pace between the two ends of the note.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.used: list[ClockMapping] = []
        output_mapping = engine.live_input.mapping

        def logged() -> ClockMapping:
            mapping = output_mapping()
            self.used.append(mapping)
            return mapping

        engine.live_input.mapping = logged

    def give(self, event: InputEvent) -> ClockMapping:
        """Hand ``event`` to the live input; the mapping it placed the note with."""
        self.engine.live_input.on_event(event)
        return self.used[-1]  # the heard frame is mapped last

    def hit(self, note: int, device: str = "nanoPAD2") -> float:
        """Strike and release ``note`` 80 ms apart; its length (ms) on the frame axis."""
        now = time.monotonic()
        on = InputEvent("note_on", 9, note, 90, device, now, "arrival")
        off = InputEvent("note_off", 9, note, 0, device, now + 0.08, "arrival")
        return length_ms((on, self.give(on)), (off, self.give(off)))


def length_ms(on: tuple[InputEvent, ClockMapping], off: tuple[InputEvent, ClockMapping]) -> float:
    """A note's length (ms) on the frame axis, from each end's timestamp and mapping; the
    played length itself when the output kept its pace in between (the mappings agree)."""
    (on_event, on_mapping), (off_event, off_mapping) = on, off
    frames = off_mapping.frame_at(off_event.time_s) - on_mapping.frame_at(on_event.time_s)
    played_ms = (off_event.time_s - on_event.time_s) * 1000.0
    kept_pace = off_mapping.frame_at(0.0) == pytest.approx(on_mapping.frame_at(0.0), abs=1e-3)
    if kept_pace:
        assert frames * 1000.0 / on_mapping.sample_rate == pytest.approx(played_ms, abs=1e-3)
    return frames * 1000.0 / on_mapping.sample_rate


def test_playing_between_activities_is_kept_with_the_session(engine_here: Engine) -> None:
    engine_here.store.add_child({"code": "S-030"})
    heard = HeardFrames(engine_here)
    heard.hit(49)  # no session yet: it sounds, and is not the session's
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": "S-030"}
    assert handle(engine_here, start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    session = state["session_id"]
    before = engine_here.timeline.now() * 1000.0 / engine_here.sample_rate
    lengths_ms = {note: heard.hit(note) for note in (36, 38, 42)}  # between activities
    assert handle(engine_here, start)["ok"]  # the next activity starts: they are stored now
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    lengths_ms[51] = heard.hit(51)  # after the last activity
    assert handle(engine_here, {"type": "end_session"})["ok"]
    played = [e for e in engine_here.store.events(session) if e["device"] == "nanoPAD2"]
    ons = {e["note"]: e["onset_ms"] for e in played if e["kind"] == "note_on"}
    offs = {e["note"]: e["onset_ms"] for e in played if e["kind"] == "note_off"}
    assert sorted(ons) == sorted(offs) == [36, 38, 42, 51]  # not 49: played before the session
    assert {n: offs[n] - ons[n] for n in ons} == pytest.approx(lengths_ms, abs=0.01)
    assert min(ons.values()) >= before - 50  # on the session's axis, after the first activity
    assert ons[51] > ons[42]
    assert engine_here.live_input.timeline is None  # no session open: notes only sound


def test_a_long_break_is_stored_as_it_goes_and_held_notes_with_their_length(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-031"})
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": "S-031"}
    assert handle(engine_here, start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    session = state["session_id"]
    heard = HeardFrames(engine_here)
    heard.hit(40)  # struck and released
    now = time.monotonic()
    held = InputEvent("note_on", 9, 45, 80, "nanoPAD2", now, "arrival")
    held_with = heard.give(held)
    engine_here.snapshot()  # what the engine does a few times a second
    stored = {(e["kind"], e["note"]) for e in engine_here.store.events(session)}
    assert {("note_on", 40), ("note_off", 40)} <= stored and ("note_on", 45) not in stored
    release = InputEvent("note_off", 9, 45, 0, "nanoPAD2", now + 0.5, "arrival")
    release_with = heard.give(release)
    engine_here.snapshot()
    events = [e for e in engine_here.store.events(session) if e["note"] == 45]
    assert [e["kind"] for e in events] == ["note_on", "note_off"]
    held_ms = length_ms((held, held_with), (release, release_with))
    assert events[1]["onset_ms"] - events[0]["onset_ms"] == pytest.approx(held_ms, abs=0.01)


def test_closing_saves_the_session_before_the_devices_stop(tmp_path) -> None:
    import sqlite3

    from soundness_live.live.engine import EngineOptions

    engine = Engine(EngineOptions(tmp_path, audio="null", synth="none", midi="none"))
    engine.start()
    engine.live_input.on_device_change(DeviceChange("nanoPAD2", True, time.monotonic()))
    engine.store.add_child({"code": "S-032"})
    params = dict(QUICK, trials=50)
    start = {"type": "start_activity", "activity": "waiting", "params": params, "child": "S-032"}
    assert handle(engine, start)["ok"]
    until_state(engine, lambda s: s["trials_done"] >= 1, 10.0)
    seen: list[tuple[str, bool]] = []

    def saved() -> None:  # where the engine process arms its watchdog
        with sqlite3.connect(tmp_path / "soundness.db") as db:
            (status,) = db.execute("SELECT status FROM sessions").fetchone()
        seen.append((status, engine.output._thread is not None))  # the null output runs

    engine.close(saved=saved)
    assert seen == [("interrupted", True)]  # saved while the output still ran
