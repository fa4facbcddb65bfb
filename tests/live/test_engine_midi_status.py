"""What the engine's snapshot says about its MIDI input: drops counted, failures named, revived."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest

from soundness_live.core.events import NoteOn
from soundness_live.live.commands import handle
from soundness_live.midi import ports
from soundness_live.midi.ports import MidiInputs
from tests.conftest import until_state
from tests.midi.test_midi_ports import FakeMidiIn, FakeSystem


@pytest.fixture
def keyboard(engine_here: Any, monkeypatch: pytest.MonkeyPatch) -> FakeMidiIn:
    """A keyboard on a stand-in for rtmidi, played into the engine's own thru path."""
    FakeMidiIn.system = FakeSystem()
    FakeMidiIn.system.names = ["kbd:out"]
    monkeypatch.setattr(ports.rtmidi, "MidiIn", FakeMidiIn)
    live = engine_here.live_input
    inputs = MidiInputs(
        api="alsa", on_event=live.on_event, on_device_change=live.on_device_change, queue_size=0
    )
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    engine_here.use_midi_input(inputs)
    return FakeMidiIn.system.opened[0]


def test_a_truncated_pitch_bend_is_counted_and_the_next_note_sounds(
    engine_here: Any, keyboard: FakeMidiIn
) -> None:
    keyboard.send([0xE0, 0x10], 0.0)  # a pitch bend missing its last byte
    keyboard.send([0x90, 60, 100], 0.0)
    state = engine_here.snapshot()
    assert state["midi_malformed_dropped"] == 1 and state["midi_flood_dropped"] == 0
    assert state["midi_status"] == "ok: 1 MIDI input(s) (alsa)"
    sounded = [e for e, _ in engine_here.renderer.commands if isinstance(e, NoteOn)]
    assert [(e.note, e.velocity) for e in sounded] == [(60, 100)]
    assert [r.note for r in engine_here.live_input.drain()] == [60]  # kept for scoring


def test_a_flood_is_counted_in_the_snapshot(engine_here: Any, keyboard: FakeMidiIn) -> None:
    for value in range(2000):  # a stuck controller, all in one instant
        keyboard.send([0xB0, 1, value % 128], 0.0)
    keyboard.send([0x90, 62, 90], 0.0)
    state = engine_here.snapshot()
    assert state["midi_flood_dropped"] == 1500  # past the controls' burst of 500
    sounded = [e.note for e, _ in engine_here.renderer.commands if isinstance(e, NoteOn)]
    assert sounded == [62]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_input_thread_that_ended_is_named_then_started_again(
    engine_here: Any, keyboard: FakeMidiIn
) -> None:
    inputs = engine_here.midi
    runs = []

    def loop() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise KeyboardInterrupt  # ends the thread past the loop's own guard
        inputs._stop.wait(5.0)

    inputs._start_thread("midi-hotplug", loop)
    inputs._threads[0].join(5.0)
    failed = "failed: the MIDI input thread midi-hotplug ended; restarted"
    until_state(engine_here, lambda s: s["midi_status"] == failed, 5.0)  # the watcher's doing
    assert inputs._threads[0].is_alive() and runs == [1, 1]
    inputs._stop.set()
    inputs._join_threads()


def test_the_snapshot_starts_no_thread_and_a_failing_watch_goes_on(
    engine_here: Any, keyboard: FakeMidiIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, watch = engine_here.midi, engine_here.midi_watch
    asked: list[float] = []

    def revive() -> list[str]:  # what Thread.start says when the process has no threads left
        asked.append(time.monotonic())
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(inputs, "revive", revive)
    for _ in range(3):
        assert engine_here.snapshot()["midi_status"] == "ok: 1 MIDI input(s) (alsa)"
    deadline = time.monotonic() + 5.0
    while len(asked) < 2:  # the watcher tried twice, on its own thread, and goes on
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert watch.failures >= 2 and watch._thread.is_alive()
    assert handle(engine_here, {"type": "snapshot"})["ok"]


def test_the_engine_takes_only_a_midi_input_that_follows_its_protocol(engine_here: Any) -> None:
    class NoRevive:
        status, malformed, flood_dropped = "ok: bench", 0, 0

        def stop(self) -> None:
            """Nothing to stop."""

    with pytest.raises(TypeError) as refused:
        engine_here.use_midi_input(NoRevive())
    assert str(refused.value) == (
        "a MIDI input needs status, malformed, flood_dropped, revive, stop; NoRevive lacks revive"
    )


def test_bench_trouble_sees_a_failed_midi_input_on_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_trouble.py"
    spec = importlib.util.spec_from_file_location("bench_trouble", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    shown_ms = bench.midi_failed(10.0)  # an AttributeError here once ended the serve loop
    assert 0 < shown_ms < 15_000
