"""MidiInputs on a stand-in for rtmidi: API choice, no-MIDI status, hot-plug, stamping, flood."""

from __future__ import annotations

import time

import pytest
import rtmidi

from soundness_live.core.clock import ClockMapping
from soundness_live.errors import ParameterError
from soundness_live.midi import ports
from soundness_live.midi.flood import NOTES_BURST
from soundness_live.midi.ports import MidiInputs, device_id, midi_api


class FakeSystem:
    """The MIDI ports a fake rtmidi sees; tests plug and unplug devices here."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.opened: list[FakeMidiIn] = []


class FakeMidiIn:
    """Just enough of rtmidi.MidiIn for MidiInputs."""

    system = FakeSystem()

    def __init__(self, api: int, name: str, queue_size_limit: int = 1024) -> None:
        self.callback = None
        self.port = None
        self.deleted = False
        self.queued: list[tuple[list[int], float]] = []

    def get_ports(self) -> list[str]:
        return list(self.system.names)

    def ignore_types(self, **flags: bool) -> None:
        assert flags == {"sysex": False, "timing": False, "active_sense": False}

    def open_port(self, index: int, name: str) -> None:
        self.port = self.system.names[index]
        self.system.opened.append(self)

    def set_callback(self, callback) -> None:
        self.callback = callback

    def cancel_callback(self) -> None:
        self.callback = None

    def close_port(self) -> None:
        self.port = None

    def delete(self) -> None:
        self.deleted = True

    def get_message(self) -> tuple[list[int], float] | None:
        return self.queued.pop(0) if self.queued else None

    def send(self, data: list[int], delta_s: float) -> None:
        assert self.callback is not None
        self.callback((data, delta_s), None)


@pytest.fixture
def fake_rtmidi(monkeypatch: pytest.MonkeyPatch) -> FakeSystem:
    FakeMidiIn.system = FakeSystem()
    monkeypatch.setattr(ports.rtmidi, "MidiIn", FakeMidiIn)
    return FakeMidiIn.system


def test_api_from_argument_and_environment() -> None:
    assert midi_api("jack") == rtmidi.API_UNIX_JACK
    assert midi_api(None, env={"SOUNDNESS_LIVE_MIDI_API": "ALSA"}) == rtmidi.API_LINUX_ALSA
    assert midi_api(None, env={}) == rtmidi.API_UNSPECIFIED
    with pytest.raises(ParameterError, match="SOUNDNESS_LIVE_MIDI_API must be one of"):
        midi_api("oss")


def test_device_id_drops_alsa_numbers() -> None:
    assert device_id("nanoPAD2:nanoPAD2 MIDI 1 24:0") == "nanoPAD2:nanoPAD2 MIDI 1"
    assert device_id("kbd:out") == "kbd:out"


def test_no_midi_system_is_a_status_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sequencer(*args: object) -> None:
        raise rtmidi.SystemError("MidiInAlsa::initialize: error creating ALSA sequencer client")

    monkeypatch.setattr(ports.rtmidi, "MidiIn", no_sequencer)
    inputs = MidiInputs(api="alsa").start()
    assert not inputs.available and inputs.ports == []
    assert inputs.status.startswith("no MIDI system (alsa)")
    inputs.stop()


def test_hot_plug_opens_closes_and_reopens(fake_rtmidi: FakeSystem) -> None:
    changes = []
    fake_rtmidi.names = ["Midi Through:Midi Through Port-0 14:0", "pad:out 24:0"]
    inputs = MidiInputs(api="alsa", on_device_change=changes.append, clock=lambda: 5.0)
    inputs.start()
    try:
        assert inputs.ports == ["pad:out 24:0"]
        fake_rtmidi.names = ["Midi Through:Midi Through Port-0 14:0"]
        inputs.scan()
        assert inputs.ports == [] and fake_rtmidi.opened[0].deleted
        fake_rtmidi.names.append("pad:out 28:0")  # replugged: new ALSA numbers
        inputs.scan()
        assert inputs.ports == ["pad:out 28:0"]
    finally:
        inputs.stop()
    assert [(c.device, c.connected) for c in changes] == [
        ("pad:out", True),
        ("pad:out", False),
        ("pad:out", True),
    ]


def test_events_are_stamped_mapped_and_queued(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]
    now = iter([9.0, 10.000, 10.0104, 10.0203])  # port opened at 9 s, then three messages
    mapping = ClockMapping(48_000, anchor_frame=0, anchor_time=10.0)
    thru = []
    inputs = MidiInputs(api="alsa", on_event=thru.append, clock=lambda: next(now))
    inputs.mapping = lambda: mapping
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    port = fake_rtmidi.opened[0]
    port.send([0x90, 60, 100], 0.0)
    port.send([0xF8], 0.010)
    port.send([0x80, 60, 0], 0.010)
    events = inputs.drain()
    assert [(e.kind, e.clock) for e in events] == [
        ("note_on", "rtmidi-delta"),
        ("note_off", "rtmidi-delta"),
    ]
    assert events[1].time_s == pytest.approx(10.020)  # deltas, not the 0.3 ms late arrival
    assert events[1].arrival_s == pytest.approx(10.0203)
    assert events[1].frame == pytest.approx(960.0)
    assert thru == events and inputs.filtered == 1


def test_flood_is_bounded_and_counted(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]
    inputs = MidiInputs(api="alsa", queue_size=100, clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    for k in range(1000):  # all in one instant: the flood limit lets its burst of notes through
        fake_rtmidi.opened[0].send([0x90, k % 128, 64], 0.0)
    assert len(inputs.drain()) == 100 and inputs.overflow == NOTES_BURST - 100
    assert inputs.flood_dropped == 900


def test_listener_errors_are_counted_not_raised(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    inputs = MidiInputs(api="alsa", on_event=broken, clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    fake_rtmidi.opened[0].send([0x90, 60, 64], 0.0)
    assert inputs.callback_errors == 1 and len(inputs.drain()) == 1


def test_jack_ports_are_read_from_rtmidi_queue_not_called_back(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]
    inputs = MidiInputs(api="jack", clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    port = fake_rtmidi.opened[0]
    assert port.callback is None  # no Python inside JACK's process thread
    port.queued = [([0x90, 60, 64], 0.0), ([0x80, 60, 0], 0.25)]
    inputs._ports["kbd:out"].read_queue()
    assert [(e.kind, e.time_s) for e in inputs.drain()] == [("note_on", 1.0), ("note_off", 1.0)]


@pytest.mark.parametrize("truncated", [[0xE0, 0x10], [0xF1], [0xF2, 0x01]])
def test_a_truncated_message_is_counted_and_the_next_note_still_comes(
    fake_rtmidi: FakeSystem, truncated: list[int]
) -> None:
    fake_rtmidi.names = ["kbd:out"]
    heard = []
    inputs = MidiInputs(api="alsa", on_event=heard.append, clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    fake_rtmidi.opened[0].send(truncated, 0.0)
    fake_rtmidi.opened[0].send([0x90, 60, 64], 0.0)
    assert [(e.kind, e.note) for e in heard] == [("note_on", 60)]
    assert inputs.malformed == 1 and inputs.callback_errors == 0
    assert inputs.status.startswith("ok")


def test_a_failing_listener_is_named_in_the_status(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    inputs = MidiInputs(api="alsa", on_event=broken, clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    fake_rtmidi.opened[0].send([0x90, 60, 64], 0.0)
    assert inputs.status == "failed: handling a note_on from kbd:out: RuntimeError: listener bug"


def test_a_callback_that_fails_is_counted_not_lost_in_rtmidi(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]
    inputs = MidiInputs(api="alsa", clock=lambda: 1.0)
    inputs.mapping = lambda: 1 / 0  # type: ignore[assignment,return-value]
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    fake_rtmidi.opened[0].send([0x90, 60, 64], 0.0)  # would raise inside rtmidi's thread
    assert inputs.callback_errors == 1
    assert inputs.status == "failed: reading kbd:out: ZeroDivisionError: division by zero"


def test_an_input_thread_that_fails_says_so_and_starts_again(fake_rtmidi: FakeSystem) -> None:
    inputs = MidiInputs(api="alsa", clock=lambda: 1.0)
    runs = []

    def loop() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise IndexError("list index out of range")
        inputs._stop.wait(5.0)

    inputs._start_thread("midi-test", loop)
    deadline = time.monotonic() + 5.0
    while len(runs) < 2:
        assert time.monotonic() < deadline, "the thread did not start again"
        time.sleep(0.01)
    assert inputs.status == (
        "failed: the MIDI input thread midi-test: IndexError: list index out of range; restarted"
    )
    assert inputs._threads[0].is_alive() and inputs.failures == 1
    inputs._stop.set()
    inputs._join_threads()


def test_a_loop_that_returns_while_the_input_runs_starts_again(fake_rtmidi: FakeSystem) -> None:
    inputs = MidiInputs(api="alsa", clock=lambda: 1.0)
    runs = []
    inputs._start_thread("midi-test", lambda: runs.append(1))  # returns at once, every time
    deadline = time.monotonic() + 5.0
    while len(runs) < 2:
        assert time.monotonic() < deadline, "the loop did not run again"
        time.sleep(0.01)
    assert inputs.status == "failed: the MIDI input thread midi-test ended; restarted"
    inputs._stop.set()
    inputs._join_threads()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_thread_that_ended_anyway_is_reported_and_revived(fake_rtmidi: FakeSystem) -> None:
    inputs = MidiInputs(api="alsa", clock=lambda: 1.0)
    inputs.status = "ok: 1 MIDI input(s) (alsa)"
    runs = []

    def loop() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise KeyboardInterrupt  # not an Exception: it ends the thread
        inputs._stop.wait(5.0)

    inputs._start_thread("midi-test", loop)
    inputs._threads[0].join(5.0)
    assert inputs.status == "failed: the MIDI input thread midi-test stopped"
    assert inputs.revive() == ["midi-test"] and inputs._threads[0].is_alive()
    assert inputs.status == "failed: the MIDI input thread midi-test ended; restarted"
    inputs._stop.set()
    inputs._join_threads()
    assert runs == [1, 1]


def test_the_jack_reader_takes_a_batch_at_a_time(fake_rtmidi: FakeSystem) -> None:
    fake_rtmidi.names = ["kbd:out"]
    inputs = MidiInputs(api="jack", queue_size=0, clock=lambda: 1.0)
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    fake_rtmidi.opened[0].queued = [([0xB0, 1, k % 128], 0.0) for k in range(600)]
    port = inputs._ports["kbd:out"]
    assert [port.read_queue(), port.read_queue(), port.read_queue()] == [256, 256, 88]
    assert len(inputs.drain()) == 0  # no queue: the listener takes everything
