"""Live sink and live input over a paced null output: look-ahead, waits, skips, thru, responses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from soundness_live.activities.base import (
    ActivityDef,
    Listen,
    Play,
    PromptNote,
    RecordTrial,
    trial_record,
)
from soundness_live.activities.contract import Outcome
from soundness_live.activities.params import ActivityParams
from soundness_live.activities.record import TrialRecord
from soundness_live.audio.backends import open_output
from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import AllNotesOff, DeviceChange, InputEvent, NoteOff, NoteOn
from soundness_live.core.session import Session
from soundness_live.live.engine_setup import apply_profile_devices
from soundness_live.live.input import LiveInput
from soundness_live.live.timeline import (
    POLL_S,
    LiveSink,
    LiveTimeline,
    SessionStopped,
    StandInRenderer,
)
from soundness_live.midi.fake import ScriptedInput, ScriptedNote, script_events
from soundness_live.players.aids import AidSettings
from soundness_live.players.profiles import ChildProfile, DeviceSettings, ScaleLock
from soundness_live.players.roles import DeviceRole

RATE = 48_000


@pytest.fixture()
def rig() -> Iterator[tuple[StandInRenderer, object, LiveTimeline, LiveSink]]:
    renderer = StandInRenderer()
    output = open_output(renderer, "null", block_size=64, sample_rate=RATE).start()
    try:
        timeline = LiveTimeline(lambda: renderer.frame, lambda: output.mapping, RATE)
        sink = LiveSink(renderer, timeline, output.latency_s)
        sink.start()
        yield renderer, output, timeline, sink
        sink.stop()
    finally:
        output.stop()


def test_events_reach_the_renderer_a_look_ahead_before_their_frame(rig) -> None:
    renderer, _, timeline, sink = rig
    at = sink.frame + RATE // 5  # 200 ms from now
    sink.schedule(NoteOn(at, 9, 38, 100))
    assert not renderer.commands  # too early to hand on
    sink.advance_to(at - sink.lookahead_frames // 2)
    ((event, immediate),) = renderer.commands
    assert event == NoteOn(int(timeline.to_output(at)), 9, 38, 100) and not immediate
    assert renderer.frame >= event.frame - sink.lookahead_frames  # handed on in time


def test_the_feeder_hands_events_on_while_the_scheduling_thread_does_something_else(rig) -> None:
    renderer, _, timeline, sink = rig
    at = sink.frame + RATE // 5  # 200 ms from now
    sink.schedule(NoteOn(at, 9, 38, 100))
    time.sleep(0.3)  # no wait on the sink: the feeder alone hands the note on
    ((event, immediate),) = renderer.commands
    assert event == NoteOn(int(timeline.to_output(at)), 9, 38, 100) and not immediate


def test_a_feeder_round_that_fails_is_counted_and_feeding_goes_on(rig, caplog) -> None:
    renderer, _, _, sink = rig
    push, failures = renderer.push, [RuntimeError("queue gone")]

    def push_once_failing(event, immediate=False):
        if failures:
            raise failures.pop()
        return push(event, immediate)

    renderer.push = push_once_failing
    sink.schedule(NoteOn(sink.frame + RATE // 10, 9, 38, 100))
    sink.schedule(NoteOn(sink.frame + RATE // 5, 9, 40, 100))
    time.sleep(0.35)
    assert sink.feed_errors == 1 and sink.feeding
    assert [e.note for e, _ in renderer.commands] == [40]
    assert "feeding the renderer failed" in caplog.text


def test_advance_to_waits_for_the_output_clock(rig) -> None:
    renderer, _, timeline, sink = rig
    start_s, target = time.monotonic(), sink.frame + RATE // 10
    sink.advance_to(target)
    waited_s = time.monotonic() - start_s
    rendered = renderer.frame - timeline.to_output(target)  # past the target when it returned
    assert waited_s >= 0.08  # the output is paced: never faster than the clock
    # returned once the output got there, not a while after (measured on the output's own
    # frames: a loaded machine slows the output and the wait alike)
    assert 0 <= rendered <= POLL_S * RATE + 8 * 64, rendered


def test_a_skip_cuts_the_wait_short_and_drops_pending_sounds(rig) -> None:
    renderer, _, timeline, sink = rig
    far = sink.frame + 10 * RATE
    sink.schedule(NoteOn(far - 100, 0, 60, 90))
    sink.schedule(NoteOff(far - 50, 0, 60))
    threading.Timer(0.1, timeline.skip).start()
    start_s = time.monotonic()
    sink.advance_to(far)
    assert time.monotonic() - start_s < 5.0  # not the 10 s to the target
    assert sink.frame >= far - RATE // 100  # the activity's time jumped to "now"
    assert renderer.panics == 1 and len(timeline.skips) == 1
    assert [e for e, _ in renderer.commands] == [NoteOff(0, 0, 60)]  # never a stuck note


def test_stop_raises_in_the_waiting_activity(rig) -> None:
    _, _, timeline, sink = rig
    threading.Timer(0.05, timeline.stop).start()
    with pytest.raises(SessionStopped):
        sink.advance_to(sink.frame + 10 * RATE)


def test_pause_holds_until_resume_then_continues_from_now(rig) -> None:
    renderer, _, timeline, sink = rig
    threading.Timer(0.05, timeline.pause).start()
    threading.Timer(0.4, timeline.resume).start()
    start_s = time.monotonic()
    target = sink.frame + RATE // 5
    sink.advance_to(target)
    assert time.monotonic() - start_s >= 0.35
    # the 0.35 s paused did not count: without the pause's hold the wait would end 0.2 s past
    # the target (what remains is the sink's place-ahead and the wake-up after the resume)
    assert abs(sink.frame - target) < RATE // 10


def _live(renderer: StandInRenderer, output: object, **kwargs: object) -> LiveInput:
    return LiveInput(renderer, lambda: output.mapping, RATE, **kwargs)  # type: ignore[attr-defined]


def _log_mappings(live: LiveInput) -> list[ClockMapping]:
    """Record every clock mapping ``live`` asks the output for, in order."""
    used: list[ClockMapping] = []
    output_mapping = live.mapping

    def logged() -> ClockMapping:
        used.append(output_mapping())
        return used[-1]

    live.mapping = logged
    return used


def _event(kind: str, note: int, device: str = "nanoPAD2", channel: int = 0) -> InputEvent:
    velocity = 100 if kind == "note_on" else 0
    return InputEvent(kind, channel, note, velocity, device, time.monotonic(), "rtmidi-delta")


def test_thru_sounds_the_aided_note_at_once_and_keeps_the_played_one(rig) -> None:
    renderer, output, timeline, _ = rig
    live = _live(renderer, output)
    live.set_role(DeviceRole("keys", "S-014", "keyboard", program=12))
    live.set_aids("keys", AidSettings(scale="major_pentatonic", transpose_semitones=12))
    live.timeline = timeline
    live.on_event(_event("note_on", 61, device="keys"))  # C# snaps down to C, up an octave
    (event, immediate), *_ = renderer.commands
    assert immediate and isinstance(event, NoteOn) and event.note == 72
    live.on_event(_event("note_off", 61, device="keys"))
    (response,) = live.take_until(timeline.now() + RATE // 100)
    assert (response.note, response.sounded_note, response.player) == (61, 72, "S-014")
    assert response.clock == "rtmidi-delta" and response.duration_frames is not None
    assert abs(response.frame - timeline.now()) < RATE // 20  # on the session axis, just now


def test_a_pad_sounds_gm_drums_and_a_minimum_note_length_delays_the_release(rig) -> None:
    renderer, output, _, _ = rig
    live = _live(renderer, output)
    used = _log_mappings(live)
    live.set_role(DeviceRole("pad", "S-014", "pad", pad_map={36: 38}))
    live.set_aids("pad", AidSettings(min_note_ms=200.0))
    struck = _event("note_on", 36)
    live.on_event(struck)
    live.on_event(_event("note_off", 36))
    (on, now), (off, later) = renderer.commands
    assert on == NoteOn(0, 9, 38, 100) and now
    assert isinstance(off, NoteOff) and off.note == 38 and not later
    # released 200 ms after the onset, on the output's frames (through the mapping that
    # placed the release: an under-run of the output moves the frame axis, not the length)
    placed_with = used[-1]
    onset = placed_with.frame_at(struck.time_s) - placed_with.latency_frames
    assert off.frame - onset == pytest.approx(0.2 * RATE, abs=1.0)


def test_a_lost_device_has_its_notes_released_and_the_ui_is_told(rig) -> None:
    renderer, output, _, _ = rig
    told: list[str] = []
    live = _live(renderer, output, notify=lambda text, change: told.append(text))
    live.set_role(DeviceRole("nanoPAD", "S-014", "pad"))
    live.set_role(DeviceRole("keys", "S-014", "keyboard"))
    live.on_device_change(DeviceChange("nanoPAD2", True, 0.0))
    live.on_event(_event("note_on", 38))
    live.on_event(_event("note_on", 60, device="keys"))
    renderer.commands.clear()
    live.on_device_change(DeviceChange("nanoPAD2", False, 1.0, "port vanished"))
    assert [e for e, _ in renderer.commands] == [NoteOff(0, 9, 38)]
    assert told == ["drum pad connected (nanoPAD2)", "drum pad disconnected (nanoPAD2)"]
    renderer.commands.clear()
    live.stop()  # and on stop, every device's notes
    (off, _), (all_off, _) = renderer.commands
    assert isinstance(off, NoteOff) and off.note == 60 and isinstance(all_off, AllNotesOff)


def _one_trial(ctx):  # a minimal activity: one prompt, listen 600 ms, record what came
    start = ctx.now_frame + ctx.frames(100)
    heard = yield Play((PromptNote(start, 38, 100, ctx.frames(50), 9),))
    end = start + ctx.frames(600)
    got = yield Listen(end, since_frame=start)
    yield RecordTrial(
        trial_record(
            ctx,
            index=0,
            activity="one-trial",
            prompt=heard,
            responses=got,
            metrics={},
            outcome=Outcome.VOID,
            difficulty=None,
            start_frame=start,
            end_frame=end,
        )  # fmt: skip
    )


ONE_TRIAL = ActivityDef("one-trial", "test", ActivityParams, _one_trial, (), "none")


def test_a_live_session_scores_scripted_taps_on_the_session_axis(rig) -> None:
    renderer, output, timeline, sink = rig
    live = _live(renderer, output)
    live.timeline = timeline
    records: list[TrialRecord] = []
    session = Session(ONE_TRIAL, {}, sink=sink, inputs=[live], sample_rate=RATE)
    session.hooks.on_trial = records.append
    taps = [ScriptedNote(0.3, 38, device="pad"), ScriptedNote(0.5, 38, device="pad")]
    script = ScriptedInput(script_events(taps), on_event=live.on_event)
    used: list[ClockMapping] = []
    script.mapping = lambda: used.append(output.mapping) or used[-1]
    with script:
        session.run()
    (record,) = records
    delivered = script.drain()
    played = [(e, used[k]) for k, e in enumerate(delivered) if e.kind == "note_on"]
    started_s = played[0][0].time_s - taps[0].at_s  # the script's clock started here
    assert [e.time_s - started_s for e, _ in played] == pytest.approx([t.at_s for t in taps])
    # each tap kept where it was played on the session axis: its time through the output's
    # mapping of that moment (the frame axis slips against the clock when the output
    # under-runs, as on a loaded machine: then the taps are closer on the frame axis)
    got = [r["onset_frame"] for r in record.responses]
    heard = [timeline.to_session(mapping.frame_at(e.time_s)) for e, mapping in played]
    assert len(got) == 2 and got == pytest.approx(heard, abs=1e-6)
    (_, first_with), (_, second_with) = played
    if first_with.frame_at(0.0) == pytest.approx(second_with.frame_at(0.0), abs=1e-3):
        assert got[1] - got[0] == pytest.approx((taps[1].at_s - taps[0].at_s) * RATE, abs=1e-3)
    thru = [e for e, immediate in renderer.commands if immediate and isinstance(e, NoteOn)]
    assert len(thru) == 2  # the taps sounded through the thru path


def test_a_childs_scale_lock_plays_in_the_mode_their_record_keeps(rig) -> None:
    renderer, output, timeline, _ = rig
    live = _live(renderer, output)
    lock = ScaleLock(key="C", scale="major_pentatonic", mode="degree")
    keys = DeviceSettings("keys", scale_lock=lock)
    apply_profile_devices(live, ChildProfile("S-014", devices=(keys,)))
    live.timeline = timeline
    live.on_event(_event("note_on", 63, device="keys"))  # the 4th key from C: the 4th degree
    (event, _immediate), *_ = renderer.commands
    assert isinstance(event, NoteOn) and event.note == 67  # snapping down would play 62
