"""The live voice meter: the microphone's pitch and level read off the capture ring outside the
audio callback, announced at most 20 times a second, and published in the engine's snapshot
with the target note of the child's turn; the engine's timing counters beside it."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from soundness_live.activities.base import Show
from soundness_live.activities.contract import Cue
from soundness_live.audio.mic import InputRing
from soundness_live.core.clock import ClockMapping
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from soundness_live.live.voice import PUBLISH_S, LiveVoiceMeter, midi_hz, target_notes
from tests.conftest import until_state

RATE = 48_000
G4_HZ = 391.995  # MIDI key 67


def sine(freq_hz: float, first: int, frames: int, amplitude: float = 0.3) -> np.ndarray:
    """Samples ``first``..``first + frames`` of a steady sine (phase continuous across calls)."""
    t = np.arange(first, first + frames) / RATE
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


class SineMicrophone:
    """A microphone that hears a steady sine: a thread writes 10 ms blocks into an InputRing in
    real time, as PortAudio's callback would."""

    name = "microphone"

    def __init__(self, mapping: Callable[[], ClockMapping], freq_hz: float = G4_HZ) -> None:
        self.mapping, self.freq_hz = mapping, freq_hz
        self.ring = InputRing(RATE, buffer_s=10.0)
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def _capture(self) -> None:
        block, start_s = RATE // 100, time.monotonic()
        while not self.stopped.is_set():
            due_s = start_s + (self.ring.written + block) / RATE
            time.sleep(max(0.0, due_s - time.monotonic()))
            self.ring.write(sine(self.freq_hz, self.ring.written, block), due_s - block / RATE)

    def start(self) -> SineMicrophone:
        self._thread.start()
        return self

    def observe(self, cue: Show, now_frame: int) -> None:
        """A microphone hears whatever comes."""

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        return self.ring.span(self.mapping(), since_frame, until_frame)

    def opened_frame(self) -> float | None:
        first_s = self.ring.first_time()
        return math.inf if first_s is None else self.mapping().frame_at(first_s)

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=1.0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def _ring_with(freq_hz: float, seconds: float = 0.1) -> InputRing:
    ring = InputRing(RATE, buffer_s=2.0)
    ring.write(sine(freq_hz, 0, int(seconds * RATE)), 0.0)
    return ring


def test_a_reading_is_the_pitch_and_level_of_the_newest_40_ms() -> None:
    ring = _ring_with(220.0)
    ring.write(sine(G4_HZ, 0, 1920, amplitude=0.1), 0.1)  # the newest 40 ms: quieter, higher
    meter = LiveVoiceMeter(ring, RATE)
    assert meter.update()
    reading = meter.reading()
    assert reading["pitch_hz"] == pytest.approx(G4_HZ, abs=0.5)
    assert reading["level_db"] == pytest.approx(20 * math.log10(0.1 / math.sqrt(2)), abs=0.2)
    assert reading["target_hz"] is None  # not the child's turn
    assert not meter.update()  # nothing new captured: no new reading


def test_silence_has_no_pitch_and_a_window_not_yet_captured_no_reading() -> None:
    ring = InputRing(RATE, buffer_s=1.0)
    meter = LiveVoiceMeter(ring, RATE)
    ring.write(np.zeros(1000, dtype=np.float32), 0.0)
    assert not meter.update() and meter.reading()["pitch_hz"] is None
    ring.write(np.zeros(4000, dtype=np.float32), 0.1)
    meter.update()
    assert meter.reading() == {"pitch_hz": None, "level_db": -120.0, "target_hz": None}


def test_the_target_is_the_turn_note_nearest_the_sung_pitch() -> None:
    meter = LiveVoiceMeter(_ring_with(midi_hz(66) * 2 ** (30 / 1200)), RATE)  # F#4 +30 cents
    meter.set_targets([66, 60])
    meter.update()
    assert meter.reading()["target_hz"] == pytest.approx(midi_hz(66), abs=0.01)
    meter.set_targets([60, 67])  # F#4 is nearer G4 than C4
    assert meter.reading()["target_hz"] == pytest.approx(G4_HZ, abs=0.01)
    meter.set_targets([])
    assert meter.reading()["target_hz"] is None
    silent = LiveVoiceMeter(InputRing(RATE, buffer_s=1.0), RATE)
    silent.set_targets([64, 67])
    assert silent.reading()["target_hz"] == pytest.approx(midi_hz(64), abs=0.01)  # no pitch yet


def test_target_notes_come_from_a_your_turn_cue_only() -> None:
    answer = {"syllables": ["la"], "notes": [67], "hold_ms": 400.0, "ioi_ms": 667.0}
    assert target_notes(Show(Cue.YOUR_TURN, 0, {"answer": answer})) == (67,)
    assert target_notes(Show(Cue.YOUR_TURN, 0, {})) == ()
    assert target_notes(Show(Cue.LISTEN, 0, {"answer": answer})) == ()


def test_changes_are_announced_at_most_20_times_a_second() -> None:
    ring, clock = InputRing(RATE, buffer_s=2.0), Clock()
    announced: list[float] = []
    meter = LiveVoiceMeter(ring, RATE, on_change=lambda: announced.append(clock.now_s), clock=clock)
    step = RATE // 100
    for i in range(100):  # one second of a glide, read every 10 ms
        ring.write(sine(300.0 + 2 * i, ring.written, step), clock.now_s)
        meter.update()
        clock.now_s += 0.01
    gaps = np.diff(announced)
    assert len(announced) >= 15 and gaps.min() >= PUBLISH_S - 1e-9
    steady_ring = _ring_with(G4_HZ, 1.0)
    steady = LiveVoiceMeter(steady_ring, RATE, clock=clock)
    assert steady.update()
    clock.now_s += 1.0
    steady_ring.write(sine(G4_HZ, steady_ring.written, step), 0.0)
    assert not steady.update()  # the same pitch and level: nothing to announce


def test_the_thread_reads_a_live_microphone_and_stops() -> None:
    mic = SineMicrophone(lambda: ClockMapping(RATE)).start()
    changes = threading.Event()
    meter = LiveVoiceMeter(mic.ring, RATE, on_change=changes.set).start()
    try:
        assert changes.wait(2.0)
        deadline = time.monotonic() + 2.0
        while meter.reading()["pitch_hz"] is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert meter.reading()["pitch_hz"] == pytest.approx(G4_HZ, abs=0.5)
    finally:
        meter.stop()
        mic.stop()
    assert not any(t.name == "voice-meter" and t.is_alive() for t in threading.enumerate())


def test_the_engine_publishes_the_sung_pitch_against_the_turn_note(engine_here: Engine) -> None:
    mics: list[SineMicrophone] = []

    def sine_mic(rate: int, mapping: Callable[[], ClockMapping]) -> SineMicrophone:
        mics.append(SineMicrophone(mapping).start())
        return mics[-1]

    engine_here.open_microphone = sine_mic
    idle = engine_here.snapshot()
    assert idle["voice_meter"] is None
    counters = ("underruns", "thru_late", "late_events", "cancelled_events", "dropped_commands")
    assert all(isinstance(idle[key], int) for key in counters)
    params = {
        "variant": "match-pitch", "pitches": "67", "trials": 1, "lead_in_ms": 200,
        "response_window_ms": 1500, "adaptive": False,
    }  # fmt: skip
    reply = handle(engine_here, {"type": "start_activity", "activity": "vocal-prompts",
                           "input": "live", "params": params})  # fmt: skip
    assert reply["ok"], reply
    listening = until_state(engine_here, lambda s: s["voice_meter"] is not None, 5.0)
    assert listening["voice_meter"]["target_hz"] is None  # the prompt plays: not the turn yet
    turn = until_state(engine_here, lambda s: (s.get("cue") or {}).get("cue") == "your_turn", 10.0)
    meter = until_state(engine_here, lambda s: (s["voice_meter"] or {}).get("target_hz"), 1.0)[
        "voice_meter"
    ]
    assert turn["activity"] == "vocal-prompts"
    assert meter["target_hz"] == pytest.approx(G4_HZ, abs=0.01)
    assert meter["pitch_hz"] == pytest.approx(G4_HZ, abs=0.5)
    assert meter["level_db"] == pytest.approx(20 * math.log10(0.3 / math.sqrt(2)), abs=0.3)
    done = until_state(engine_here, lambda s: s["activity"] is None, 10.0)
    assert done["voice_meter"] is None and done["last_result"] == "finished"
    assert mics and mics[0].stopped.is_set()  # the microphone closed with the activity
    assert not any(t.name == "voice-meter" and t.is_alive() for t in threading.enumerate())


class RoomMicrophone(SineMicrophone):
    """A microphone in a room and nobody answering: white noise at -40 dBFS, written into the
    ring in real time from the moment it opens."""

    def __init__(self, mapping: Callable[[], ClockMapping]) -> None:
        super().__init__(mapping)
        self.noise = np.random.default_rng(3)

    def _capture(self) -> None:
        block, start_s = RATE // 100, time.monotonic()
        scale = 0.01 * math.sqrt(3.0)  # uniform noise of power -40 dBFS
        while not self.stopped.is_set():
            due_s = start_s + (self.ring.written + block) / RATE
            time.sleep(max(0.0, due_s - time.monotonic()))
            samples = self.noise.uniform(-scale, scale, block).astype(np.float32)
            self.ring.write(samples, due_s - block / RATE)


def test_a_live_take_holds_the_room_before_the_prompt_and_noise_is_no_voice(
    engine_here: Engine,
) -> None:
    engine_here.open_microphone = lambda rate, mapping: RoomMicrophone(mapping).start()
    engine_here.store.add_child({"code": "S-030"})
    params = {
        "variant": "match-pitch", "trials": 1, "lead_in_ms": 0, "response_window_ms": 1500,
        "adaptive": False,
    }  # fmt: skip
    reply = handle(engine_here, {"type": "start_activity", "activity": "vocal-prompts",
                                "input": "live", "params": params, "child": "S-030"})  # fmt: skip
    assert reply["ok"], reply
    state = until_state(engine_here, lambda s: s["activity"] is None, 15.0)
    (trial,) = engine_here.store.trials(state["session_id"])
    assert trial["outcome"] == "no_response" and trial["metrics"]["voice_onset_ms"] is None
    # the room was heard before the prompt (the first prompt waited for it): its floor is the
    # noise's power below 8 kHz, a third of it, not the silence before the microphone opened
    floor_db = trial["metrics"]["noise_floor_db"]
    assert floor_db == pytest.approx(-40.0 - 10 * math.log10(3), abs=1.5)
