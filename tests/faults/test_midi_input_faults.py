"""Any bytes through every live MIDI input path, and the child's next note still sounds and counts.

Three paths, each fed byte strings drawn by hypothesis (truncated messages, stray status and
data bytes, unterminated sysex, empty events, plain noise), each example followed by a probe
note from the same device that must reach the thru path (sound) and the responses kept for
scoring, with the input's status still "ok":

- python-rtmidi's callback, called directly (what ALSA, CoreMIDI and WinMM run);
- python-rtmidi's JACK API for real: a private JACK server and a source in its own process
  writing raw JACK MIDI events;
- the JACK-native input (JACK-Client), from the same kind of source.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import NoteOn
from soundness_live.live.input import LiveInput
from soundness_live.live.timeline import StandInRenderer
from soundness_live.midi import ports
from soundness_live.midi.delivery import EventDelivery
from soundness_live.midi.jack_input import JackMidiInputs
from soundness_live.midi.ports import MidiInputs
from tests.faults import FAULTS
from tests.jack_midi_source import JackMidiSource
from tests.jackserver import module_jack_server, require_jack_client
from tests.midi.test_midi_ports import FakeMidiIn, FakeSystem

jack = module_jack_server(period_frames=128)
SAMPLE_RATE = 48_000
PROBE_VELOCITY = 101
PROBE_DEADLINE_S = 10.0  # for a probe to sound when the server did not x-run
MAX_RESENDS = 100  # probes sent again after an x-run, in one test (hundreds of examples)

# what a device can send: truncated and over-long messages, stray status and data bytes,
# unterminated or interrupted sysex, empty events, plain noise
ANY_BYTES = st.one_of(
    st.binary(min_size=1, max_size=8),
    st.builds(lambda s, d: bytes([s]) + d, st.integers(0x80, 0xFF), st.binary(max_size=3)),
    st.binary(max_size=6).map(lambda body: b"\xf0" + body),
    st.sampled_from([b"\xe0\x10", b"\xf1", b"\xf2\x01", b"", b"\xf7", b"\x90\x3c"]),
)
BYTE_STRINGS = st.lists(ANY_BYTES, min_size=1, max_size=8)
KNOWN_KILLERS = [b"\xe0\x10", b"\xf1", b"\xf2\x01"]  # each ended the input thread before


class Rig:
    """The child's side of the engine: LiveInput's thru path into a recording renderer."""

    def __init__(self) -> None:
        self.renderer = StandInRenderer()
        mapping = ClockMapping(SAMPLE_RATE, anchor_frame=0, anchor_time=time.monotonic())
        self.live = LiveInput(self.renderer, lambda: mapping, SAMPLE_RATE)  # type: ignore[arg-type]
        self.sent = 0  # byte strings sent
        self.examples = 0
        self.held = 0  # examples after which rtmidi held a sysex open
        self.resent = 0  # probes sent again because the server x-ran
        self.xruns = 0  # the server's x-runs, as the source last saw them

    def sounded(self, note: int) -> bool:
        """True when the last note-on pushed to the renderer is the probe ``note``."""
        pushed = [event for event, _ in list(self.renderer.commands) if isinstance(event, NoteOn)]
        return bool(pushed) and (pushed[-1].note, pushed[-1].velocity) == (note, PROBE_VELOCITY)

    def scored(self, note: int) -> bool:
        """True when the probe is among the notes kept for scoring (taken, then forgotten)."""
        played = self.live.drain()
        return any((r.note, r.velocity) == (note, PROBE_VELOCITY) for r in played)


def probe(example_index: int) -> tuple[int, list[bytes]]:
    note = 48 + example_index % 24
    return note, [bytes([0x90, note, PROBE_VELOCITY]), bytes([0x80, note, 0])]


def wait_until(condition: Callable[[], bool], timeout_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def check_alive(rig: Rig, inputs: EventDelivery, note: int, sent: list[bytes]) -> None:
    assert wait_until(lambda: rig.sounded(note)), f"the probe did not sound after {sent}"
    assert rig.scored(note), f"the probe was not kept for scoring after {sent}"
    assert inputs.status.startswith("ok"), inputs.status
    assert inputs.callback_errors == 0


def report(path: str, rig: Rig, inputs: EventDelivery) -> None:
    print(
        f"\n{path}: {rig.sent} byte strings in {rig.examples} examples (+ a probe note each), "
        f"malformed {inputs.malformed}, filtered {inputs.filtered}, flood-dropped "
        f"{inputs.flood_dropped}; every probe sounded and was kept for scoring ({rig.held} "
        f"after a sysex held open, {rig.resent} sent again after an x-run); {inputs.status}"
    )


def test_any_bytes_through_the_rtmidi_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeMidiIn.system = FakeSystem()
    FakeMidiIn.system.names = ["kbd:out"]
    monkeypatch.setattr(ports.rtmidi, "MidiIn", FakeMidiIn)
    rig = Rig()
    ticks = iter(range(10**9))
    inputs = MidiInputs(
        api="alsa", on_event=rig.live.on_event, queue_size=0, clock=lambda: next(ticks) * 0.01
    )
    inputs._lister = FakeMidiIn(0, "list")
    inputs.scan()
    keyboard = FakeMidiIn.system.opened[0]

    @FAULTS
    @given(BYTE_STRINGS)
    @example(KNOWN_KILLERS)
    def property_(sent: list[bytes]) -> None:
        note, notes = probe(rig.examples)
        rig.examples += 1
        rig.sent += len(sent)
        for data in sent + notes:
            keyboard.send(list(data), 0.01)  # what python-rtmidi's callback gets: ints
        check_alive(rig, inputs, note, sent)

    property_()
    report("rtmidi callback", rig, inputs)
    assert inputs.malformed > 0


@contextmanager
def jack_rig(make_input: Callable[[Rig], EventDelivery]) -> Iterator[tuple[Rig, Any, Any]]:
    """A source process and a started input on the private server, torn down in safe order."""
    rig = Rig()
    with JackMidiSource("sl-fault-kbd") as source:
        inputs = make_input(rig)
        try:
            assert wait_until(lambda: source.port in inputs.ports, 5.0), inputs.ports
            yield rig, inputs, source
        finally:
            inputs.stop()


def probe_through_jack(
    rig: Rig, inputs: EventDelivery, source: JackMidiSource, events: list[bytes], sent: list[bytes]
) -> None:
    """Send ``events`` (ending with the probe) and check the probe sounded and counts.

    The non-realtime test server x-runs under load, and a client late for a cycle loses that
    cycle's events: only then (the server's x-run count moved since they were sent) are
    ``events`` sent once more, whole, so an F7 among them that closed a held sysex is sent again
    with the probe (a lost F7 leaves rtmidi holding every later event, the probe's too), as
    often as the server x-runs. Without an x-run the probe must sound within
    :data:`PROBE_DEADLINE_S` (a busy machine delays delivery, it loses nothing).
    """
    note = events[-2][1]
    before, rig.xruns = rig.xruns, source.send(events)
    deadline = time.monotonic() + PROBE_DEADLINE_S
    while not wait_until(lambda: rig.sounded(note), 1.0):
        rig.xruns = source.send([])
        if rig.xruns > before:  # the events' cycle may have been lost: send them again
            assert rig.resent < MAX_RESENDS, f"the server x-ran {rig.resent} times: {sent}"
            rig.resent += 1
            before, rig.xruns = rig.xruns, source.send(events)
            deadline = time.monotonic() + PROBE_DEADLINE_S
        else:
            assert time.monotonic() < deadline, (
                f"the probe did not sound after {sent} (and no x-run)"
            )
    check_alive(rig, inputs, note, sent)


def holds_back(events: list[bytes]) -> bool:
    """True when rtmidi's JACK API still holds a sysex open after ``events`` (measured: an
    event that starts with F0 opens one, any later event ending with F7 closes it, clock and
    sensing pass by; an empty event makes it read a byte that is not there)."""
    held = False
    for data in events:
        if not data:
            return True
        if data[0] == 0xF0 or (held and data[0] not in (0xF1, 0xF8, 0xFE)):
            held = data[-1] != 0xF7
    return held


def test_any_bytes_through_rtmidi_on_jack(jack: Any) -> None:
    def start(rig: Rig) -> EventDelivery:
        return MidiInputs(
            api="jack", on_event=rig.live.on_event, queue_size=0, poll_interval_s=0.1,
            client_name="sl-fault-in",
        ).start()  # fmt: skip

    with jack_rig(start) as (rig, inputs, source):

        @FAULTS
        @given(BYTE_STRINGS)
        @example(KNOWN_KILLERS)
        @example([b"\xf0\x7e\x01"])  # a sysex never ended: rtmidi holds what follows
        def property_(sent: list[bytes]) -> None:
            _, notes = probe(rig.examples)
            rig.examples += 1
            rig.sent += len(sent)
            rig.xruns = source.send(sent)
            if holds_back(sent):  # rtmidi's JACK API holds it until the device sends F7
                rig.held += 1
                notes = [b"\xf7", *notes]
            probe_through_jack(rig, inputs, source, notes, sent)

        property_()
        report("rtmidi JACK API", rig, inputs)
        assert inputs.malformed > 0 and rig.held > 0


def test_any_bytes_through_the_jack_input(jack: Any) -> None:
    require_jack_client()

    def start(rig: Rig) -> EventDelivery:
        return JackMidiInputs(rig.live.on_event, queue_size=0, client_name="sl-fault-jack").start()

    with jack_rig(start) as (rig, inputs, source):

        @FAULTS
        @given(BYTE_STRINGS)
        @example(KNOWN_KILLERS)
        def property_(sent: list[bytes]) -> None:
            _, notes = probe(rig.examples)
            rig.examples += 1
            rig.sent += len(sent)
            probe_through_jack(rig, inputs, source, sent + notes, sent)  # in one JACK cycle

        property_()
        report("JACK-native input", rig, inputs)
        assert inputs.malformed > 0
