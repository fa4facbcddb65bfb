"""Thru timing (constant delay, late fallback, note lengths) and a panic that cancels the queue."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import ControlChange, InputEvent, NoteOff, NoteOn
from soundness_live.errors import ParameterError
from soundness_live.live.input import LiveInput
from soundness_live.live.thru import DEFAULT_THRU_MODE, ThruTiming, default_delay_ms
from soundness_live.live.timeline import StandInRenderer
from soundness_live.players.roles import DeviceRole
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_offline
from tests.synth.test_synth import RATE, STAGE_DELAY, first_sound, tone_font

# frame 48_000 is rendered at monotonic 10.0 s and heard 5 ms (240 frames) later
MAPPING = ClockMapping(RATE, anchor_frame=48_000, anchor_time=10.0 + 0.005, output_latency_s=0.005)
LATENCY = 240
ADDED = 112  # 64-frame blocks + 1 ms


def _event(kind: str, time_s: float, note: int = 60, velocity: int = 100) -> InputEvent:
    velocity = velocity if kind == "note_on" else 0
    return InputEvent(kind, 0, note, velocity, "keys", time_s, "rtmidi-delta")


def _live(render_frame: int, timing: ThruTiming) -> tuple[StandInRenderer, LiveInput]:
    renderer = StandInRenderer()
    renderer.frame = render_frame
    live = LiveInput(renderer, lambda: MAPPING, RATE, thru=timing)
    live.set_role(DeviceRole("keys", "child", "keyboard"))
    renderer.commands.clear()  # the program change
    return renderer, live


def test_default_delay_is_one_block_and_a_margin() -> None:
    timing = ThruTiming.for_output(64, RATE, "constant")
    assert timing.constant and timing.added_frames == ADDED
    assert ThruTiming.for_output(64, RATE).mode == DEFAULT_THRU_MODE == "immediate"
    assert default_delay_ms(256, RATE) == pytest.approx(1000 * 256 / RATE + 1.0)
    assert ThruTiming.for_output(64, RATE, delay_ms=4.0).added_frames == 192
    assert timing.delay_frames(MAPPING) == LATENCY + ADDED


@pytest.mark.parametrize(
    ("mode", "delay_ms"), [("sometimes", None), ("constant", -1.0), ("constant", 500.0)]
)
def test_bad_thru_settings_are_refused(mode: str, delay_ms: float | None) -> None:
    with pytest.raises(ParameterError, match="thru"):
        ThruTiming.for_output(64, RATE, mode, delay_ms)


def test_constant_mode_places_a_note_at_its_timestamp_frame_plus_the_delay() -> None:
    renderer, live = _live(48_000, ThruTiming("constant", ADDED))
    live.on_event(_event("note_on", 10.001))  # 48 frames after frame 48_000's render time
    live.on_event(_event("note_off", 10.2505))
    (on, on_now), (off, off_now) = renderer.commands
    # heard at 10.001 s: frame 48_048 - 240; + the output latency + the added delay
    assert on == NoteOn(48_048 - LATENCY + LATENCY + ADDED, 0, 60, 100) and not on_now
    assert off == NoteOff(on.frame + 11_976, 0, 60) and not off_now  # 249.5 ms later, exactly
    assert live.thru_late == 0


def test_controllers_keep_their_place_between_the_notes() -> None:
    renderer, live = _live(48_000, ThruTiming("constant", ADDED))
    cc = InputEvent("cc", 0, 64, 127, "keys", 10.002, "rtmidi-delta")
    live.on_event(cc)
    ((event, now),) = renderer.commands
    assert event == ControlChange(48_096 + ADDED, 0, 64, 127) and not now


def test_a_late_note_plays_at_once_and_keeps_its_length() -> None:
    # the renderer is already 300 frames past the note's frame (the MIDI thread was starved)
    renderer, live = _live(48_048 + ADDED + 300, ThruTiming("constant", ADDED))
    live.on_event(_event("note_on", 10.001))
    live.on_event(_event("note_off", 10.101))  # 100 ms = 4800 frames later
    (on, on_now), (off, off_now) = renderer.commands
    assert on_now and on == NoteOn(0, 0, 60, 100)
    assert not off_now and off == NoteOff(renderer.frame + 4800, 0, 60)
    assert live.thru_late == 1


def test_immediate_mode_plays_at_the_next_block() -> None:
    renderer, live = _live(48_000, ThruTiming("immediate", 0))
    live.on_event(_event("note_on", 10.001))
    ((on, now),) = renderer.commands
    assert now and on == NoteOn(0, 0, 60, 100)


def test_a_lost_device_releases_a_note_that_has_not_started_yet() -> None:
    renderer, live = _live(48_000, ThruTiming("constant", ADDED))
    live.on_event(_event("note_on", 10.001))
    (on, _), *_ = renderer.commands
    renderer.commands.clear()
    live.all_notes_off("keys")
    (off, now), *_ = renderer.commands
    assert off == NoteOff(on.frame, 0, 60) and not now  # after its note-on, never stuck


def _renderer() -> Renderer:
    from soundness_live.synth.synth import Synth

    return Renderer(Synth(tone_font(), RATE), OutputStage(RATE, 0.0))


def test_panic_cancels_notes_already_scheduled() -> None:
    renderer = _renderer()
    render_offline(renderer, 1024, 256)
    ahead = int(0.03 * RATE)  # prompt notes handed over 30 ms ahead
    for note in (60, 64, 67):
        assert renderer.push(NoteOn(renderer.frame + ahead, 0, note, 100))
    render_offline(renderer, 256, 256)  # drained into the scheduler
    panic = threading.Thread(target=renderer.panic, args=(20.0,))  # the UI's thread
    panic.start()
    panic.join()
    audio = render_offline(renderer, int(0.2 * RATE), 64)
    assert np.max(np.abs(audio)) == 0.0  # not a sample of them
    assert renderer.cancelled_events == 3 and renderer.late_events == 0


def test_commands_after_a_panic_still_play() -> None:
    renderer = _renderer()
    renderer.push(NoteOn(500, 0, 60, 100))
    renderer.panic(20.0)
    renderer.push(NoteOn(700, 0, 64, 100))
    audio = render_offline(renderer, 2048, 256)
    assert first_sound(audio) == 700 + STAGE_DELAY and renderer.cancelled_events == 1
