"""MidiInputs on a stand-in for rtmidi: API choice, no-MIDI status, hot-plug, stamping, flood."""

from __future__ import annotations

import pytest
import rtmidi

from soundness_live.clock import ClockMapping
from soundness_live.errors import ParameterError
from soundness_live.midi import ports
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
    for k in range(1000):
        fake_rtmidi.opened[0].send([0x90, k % 128, 64], 0.0)
    assert len(inputs.drain()) == 100 and inputs.overflow == 900


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
