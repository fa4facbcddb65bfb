"""JACK frame arithmetic, the output-frame tap and the event ring, without a JACK server."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.clock import ClockMapping
from soundness_live.midi.jack_frames import (
    FRAME_WRAP,
    EventRing,
    OutputFrameTap,
    frame_difference,
)
from soundness_live.midi.jack_input import JackMidiInputs


class Blocks:
    """A block source counting frames."""

    def __init__(self) -> None:
        self.frame = 0

    def render_into(self, out: np.ndarray) -> None:
        out.fill(0.0)
        self.frame += len(out)


@pytest.mark.parametrize(
    ("later", "earlier", "difference"),
    [(1000, 900, 100), (900, 1000, -100), (5, FRAME_WRAP - 10, 15), (FRAME_WRAP - 10, 5, -15)],
)
def test_frame_difference_survives_the_32_bit_wrap(later: int, earlier: int, difference: int):
    assert frame_difference(later, earlier) == difference


def test_tap_places_jack_frames_on_the_output_axis() -> None:
    source, out = Blocks(), np.zeros((64, 2), dtype=np.float32)
    tap = OutputFrameTap(source)
    tap.render_into(out)
    assert tap.engine_frame(123) is None and source.frame == 64  # not attached: no pair
    jack_frame = [FRAME_WRAP - 64]  # the JACK cycle of the next block, just before a wrap
    tap.attach(lambda: jack_frame[0])
    tap.render_into(out)  # block 64..127 rendered in cycle FRAME_WRAP - 64
    assert tap.frame == 128 and tap.blocks == 1
    assert tap.engine_frame(FRAME_WRAP - 64 + 10) == 74
    assert tap.engine_frame(30) == 64 + 64 + 30  # after the wrap
    tap.detach()
    assert tap.engine_frame(30) is None


def test_tap_counts_a_failing_clock_and_still_renders() -> None:
    source = Blocks()
    tap = OutputFrameTap(source)
    tap.attach(lambda: 1 // 0)
    tap.render_into(np.zeros((32, 2), dtype=np.float32))
    assert tap.errors == 1 and source.frame == 32 and tap.engine_frame(5) is None


def test_ring_keeps_order_and_counts_overflow() -> None:
    ring = EventRing(capacity=2)
    ring.put(1000, 5, 2.5, 3, b"\x90\x3c\x64")
    ring.put(1000, 9, 2.5, 3, b"\xf0\x01\x02\x03\xf7")  # sysex: only its size is kept
    ring.put(1064, 0, 2.6, 3, b"\x80\x3c\x00")
    assert ring.overflow == 1
    first, second = ring.take(), ring.take()
    assert first is not None and second is not None and ring.take() is None
    assert first == [1000, 5, 2.5, 3, 3, 0x90, 0x3C, 0x64]
    assert second[4] == 5
    ring.put(1128, 1, 2.7, 0, b"\xc0\x05")
    row = ring.take()
    assert row is not None and row[4] == 2 and row[5:7] == [0xC0, 5]


def test_stamps_prefer_the_exact_output_frame_route() -> None:
    mapping = ClockMapping(48_000, anchor_frame=4800, anchor_time=10.0, output_latency_s=0.0)
    tap = OutputFrameTap(Blocks())
    inputs = JackMidiInputs(mapping=lambda: mapping, frame_tap=tap)
    timed = inputs._stamp("pad", 1000, 9.999)  # no block seen yet: through the clock
    assert timed.route == "jack-time" and timed.frame == pytest.approx(4800 - 48)
    tap.attach(lambda: 900)
    tap.render_into(np.zeros((64, 2), dtype=np.float32))  # output frame 0 at JACK frame 900
    exact = inputs._stamp("pad", 1000, 9.999)
    assert exact.route == "output-frame" and exact.frame == 100.0
    assert exact.time_s == pytest.approx(mapping.time_of(100.0)) and exact.jack_time_s == 9.999


def test_rows_become_jack_frame_events_and_filtered_counts() -> None:
    events = []
    inputs = JackMidiInputs(events.append)
    inputs._devices[0] = "pad:out"
    inputs._ring.put(2000, 17, 5.0, 0, b"\x99\x26\x5a")
    inputs._ring.put(2000, 20, 5.0, 0, b"\xf8")  # a clock tick: off the note path
    inputs._ring.put(2000, 21, 5.0, 0, b"\xf0\x7e\x7f\x09\x01\xf7")
    inputs._deliver_rows()
    assert len(events) == 1 and inputs.drain() == events
    (event,) = events
    assert (event.kind, event.channel, event.note, event.velocity) == ("note_on", 9, 38, 90)
    assert event.clock == "jack-frame" and event.device == "pad:out" and event.frame is None
    assert event.time_s == pytest.approx(5.0 + 17 / 48_000)
    assert inputs.stamps[0].jack_frame == 2017 and inputs.filtered == 2


def test_rows_that_are_not_one_message_are_counted_and_the_next_note_comes() -> None:
    events = []
    inputs = JackMidiInputs(events.append)
    inputs._devices[0] = "pad:out"
    for data in (b"\xe0\x10", b"\xf1", b"\xf2\x01", b"", b"\x90\x3c\x40\x00", b"\xf0\x01\x02"):
        inputs._ring.put(2000, 1, 5.0, 0, data)
    inputs._ring.put(2000, 2, 5.0, 0, b"\x99\x26\x5a")
    inputs._deliver_rows()
    assert [(e.kind, e.note) for e in events] == [("note_on", 0x26)]
    assert inputs.malformed == 6 and inputs.filtered == 0 and inputs.callback_errors == 0


def test_a_ring_keeps_its_reserve_for_notes() -> None:
    ring = EventRing(capacity=4, reserve=2)
    for value in range(3):  # a controller flood: refused once only the reserve is left
        ring.put(1000, value, 2.5, 0, bytes([0xB0, 1, value]), spare=True)
    ring.put(1000, 5, 2.5, 0, b"\x90\x3c\x64")
    ring.put(1000, 6, 2.5, 0, b"\x80\x3c\x00")
    assert ring.shed == 1 and ring.overflow == 0
    rows = [ring.take() for _ in range(4)]
    assert [int(row[5]) for row in rows if row is not None] == [0xB0, 0xB0, 0x90, 0x80]


def test_a_block_marked_by_its_cycle_reader_asks_for_the_jack_frame_once() -> None:
    source, out = Blocks(), np.zeros((64, 2), dtype=np.float32)
    tap, asked = OutputFrameTap(source), []
    cycle = [1000]
    tap.attach(lambda: asked.append(cycle[0]) or cycle[0])
    tap.mark()  # the shared client's MIDI reader, first in the cycle
    tap.render_into(out)  # the same cycle's block: no second call into libjack
    assert asked == [1000] and tap.engine_frame(1010) == 10
    cycle[0] = 1064
    tap.render_into(out)  # a cycle without a reader: the block notes its own pair
    assert asked == [1000, 1064] and tap.engine_frame(1064 + 5) == 64 + 5
    cycle[0] = 1128
    tap.mark()
    tap.render_into(out)
    assert asked == [1000, 1064, 1128] and tap.engine_frame(1128) == 128
