"""The JACK process callback keeps the real-time contract: no lock, no logging, no queue.

Every Python function and C function the callback calls is recorded (``sys.setprofile``): none
may come from ``threading``, ``queue`` or ``logging``, and no lock may be acquired, whether
the cycle brings notes, a flood's excess or a port that fails.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from soundness_live.midi.jack_frames import Doorbell
from soundness_live.midi.jack_input import CYCLE_SPARE_ROWS, JackMidiInputs

FORBIDDEN = ("threading", "queue", "logging", "acquire", "release", "__enter__")


class _Client:
    last_frame_time = 96_000
    frames_since_cycle_start = 17


class _Port:
    def __init__(self, events: list[tuple[int, bytes]]) -> None:
        self.events = events

    def incoming_midi_events(self) -> Iterator[tuple[int, bytes]]:
        yield from self.events


class _BrokenPort:
    def incoming_midi_events(self) -> Iterator[tuple[int, bytes]]:
        raise RuntimeError("the port's buffer is gone")


def _calls_of(callback: Any, *args: Any) -> list[str]:
    """Every Python and C function ``callback`` calls, by file/module and name."""
    calls: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
        elif event == "c_call":
            calls.append(f"{getattr(arg, '__module__', None)}:{getattr(arg, '__qualname__', arg)}")

    sys.setprofile(profile)
    try:
        callback(*args)
    finally:
        sys.setprofile(None)
    return calls


def _inputs(*ports: Any) -> JackMidiInputs:
    inputs = JackMidiInputs()
    inputs._client = _Client()
    inputs._table = tuple(enumerate(ports))
    inputs._wake.open()
    return inputs


def test_a_cycle_of_notes_and_a_flood_takes_no_lock_and_logs_nothing() -> None:
    flood = [(k % 64, b"\xb0\x01\x40") for k in range(CYCLE_SPARE_ROWS + 36)]
    inputs = _inputs(_Port([(3, b"\x90\x3c\x64"), (9, b"\x80\x3c\x00")]), _Port(flood))
    try:
        calls = _calls_of(inputs._process, 128)
        assert [c for c in calls if any(word in c for word in FORBIDDEN)] == []
        assert inputs.received == 2 + len(flood)
        assert inputs._ring.shed == 36  # past the cycle's spare rows: only counted
        assert inputs._wake.wait(0.0)  # the consumer is woken
    finally:
        inputs._wake.close()


def test_a_port_that_fails_is_counted_without_a_lock_or_a_log_line() -> None:
    inputs = _inputs(_BrokenPort())
    try:
        calls = _calls_of(inputs._process, 128)
        assert [c for c in calls if any(word in c for word in FORBIDDEN)] == []
        assert inputs.callback_errors == 1
        assert inputs.status.startswith("failed: the JACK process callback: RuntimeError")
    finally:
        inputs._wake.close()


def test_the_doorbell_wakes_once_for_many_rings_and_is_quiet_when_closed() -> None:
    bell = Doorbell().open()
    try:
        assert not bell.wait(0.0)
        for _ in range(10_000):  # more than a socket buffer holds: the rest are no-ops
            bell.ring()
        assert bell.wait(0.0) and not bell.wait(0.0)
    finally:
        bell.close()
    bell.ring()  # closed: nothing happens
    assert not bell.wait(0.0)


class _StalledClock:
    """The engine's clock, which the callback's thread loses for 6 ms (the GIL handed to
    another thread) between its first clock read and its first read of JACK's frames."""

    def __init__(self) -> None:
        self.now_s = 10.0

    def __call__(self) -> float:
        return self.now_s


class _StalledClient:
    last_frame_time = 96_000
    cycle_start_s = 9.999  # when the cycle truly began on the engine's clock

    def __init__(self, clock: _StalledClock) -> None:
        self.clock = clock
        self.reads = 0

    @property
    def frames_since_cycle_start(self) -> int:
        self.reads += 1
        if self.reads == 1:
            self.clock.now_s += 0.006
        return round((self.clock.now_s - self.cycle_start_s) * 48_000)


def test_a_thread_switch_while_the_cycle_start_is_read_does_not_misplace_the_cycle() -> None:
    clock = _StalledClock()
    inputs = JackMidiInputs(clock=clock)
    inputs._client = _StalledClient(clock)
    inputs._table = ((0, _Port([(5, b"\x90\x3c\x64")])),)
    inputs._wake.open()
    try:
        inputs._process(128)
        row = inputs._ring.take()
        assert row is not None and row[1] == 5
        assert abs(row[2] - _StalledClient.cycle_start_s) < 1e-6  # not 6 ms early
        assert inputs._client.reads == 2  # the interrupted read was made again, once
    finally:
        inputs._wake.close()
