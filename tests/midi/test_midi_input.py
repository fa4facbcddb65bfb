"""InputEvent conversion from raw bytes, filtering counts, and the delta-time stamping rule."""

from __future__ import annotations

import pytest

from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import InputEvent
from soundness_live.errors import ParameterError
from soundness_live.midi.flood import FloodGuard
from soundness_live.midi.input import DeltaStamper, InputCounts, convert_message


def test_note_on_converts_with_all_fields() -> None:
    event = convert_message([0x93, 60, 100], "pad", 1.5, "arrival", arrival_s=1.6, keep_raw=True)
    assert event == InputEvent(
        "note_on", 3, 60, 100, "pad", 1.5, "arrival", raw=b"\x93\x3c\x64", arrival_s=1.6
    )


def test_note_on_velocity_zero_is_note_off() -> None:
    event = convert_message([0x90, 64, 0], "kbd", 0.0, "rtmidi-delta")
    assert event is not None and event.kind == "note_off" and event.note == 64


def test_cc_and_program_use_note_and_velocity_slots() -> None:
    cc = convert_message([0xB1, 7, 90], "kbd", 0.0, "arrival")
    program = convert_message([0xC2, 33], "kbd", 0.0, "arrival")
    assert (cc.kind, cc.channel, cc.note, cc.velocity) == ("cc", 1, 7, 90)
    assert (program.kind, program.channel, program.note, program.velocity) == ("program", 2, 33, 0)


def test_pitch_wheel_and_channel_pressure_are_taken_with_their_values() -> None:
    counts = InputCounts()
    bend = convert_message([0xE3, 0x7F, 0x7F], "kbd", 0.0, "arrival", counts)
    centre = convert_message([0xE0, 0x00, 0x40], "kbd", 0.0, "arrival", counts)
    pressure = convert_message([0xD2, 100], "kbd", 0.0, "arrival", counts)
    assert (bend.kind, bend.channel, bend.bend_value) == ("bend", 3, 16383)
    assert (centre.kind, centre.bend_value) == ("bend", 8192)
    assert (pressure.kind, pressure.channel, pressure.note, pressure.velocity) == (
        "pressure", 2, 0, 100,
    )  # fmt: skip
    assert counts.total == 0


def test_system_and_other_messages_are_filtered_and_counted() -> None:
    counts = InputCounts()
    for data in ([0xF8], [0xF8], [0xFE], [0xFA], [0xFC], [0xF0, 1, 2, 0xF7], [0xA0, 60, 64]):
        assert convert_message(data, "kbd", 0.0, "arrival", counts) is None
    assert convert_message([0x90, 200, 1], "kbd", 0.0, "arrival", counts) is None
    assert counts.filtered == {
        "clock": 2,
        "active_sensing": 1,
        "start": 1,
        "stop": 1,
        "sysex": 1,
        "polytouch": 1,
    }
    assert counts.malformed == 1 and counts.total == 8


def test_mapping_places_event_on_frame_axis() -> None:
    mapping = ClockMapping(48_000, anchor_frame=4800, anchor_time=10.0, output_latency_s=0.01)
    event = InputEvent("note_on", 0, 60, 90, "kbd", 10.5, "arrival").mapped(mapping)
    assert event.frame == pytest.approx(4800 + 24_000 + 480)
    framed = convert_message([0x90, 60, 90], "kbd", 10.5, "arrival", frame=1.0)
    assert framed is not None and framed.frame == 1.0


@pytest.mark.parametrize(
    "changes",
    [{"kind": "aftertouch"}, {"clock": "guess"}, {"channel": 16}, {"note": 128}],
)
def test_invalid_event_fields_raise(changes: dict) -> None:
    fields = {"kind": "note_on", "channel": 0, "note": 60, "velocity": 1, "device": "d"}
    fields |= {"time_s": 0.0, "clock": "arrival"} | changes
    with pytest.raises(ParameterError):
        InputEvent(**fields)


def test_stamper_accumulates_deltas_from_first_arrival() -> None:
    stamper = DeltaStamper()
    # true times 0, 0.010, 0.025; each delivered 1 ms late except the first (2 ms late)
    assert stamper.stamp(0.0, 100.002) == 100.002
    assert stamper.stamp(0.010, 100.011) == pytest.approx(100.012 - 0.001)
    assert stamper.reanchors == 1  # the stamp ran ahead of its arrival: re-anchored earlier
    assert stamper.stamp(0.015, 100.026) == pytest.approx(100.026)


def test_stamper_keeps_delta_precision_under_late_delivery() -> None:
    stamper = DeltaStamper()
    stamps = [stamper.stamp(d, a) for d, a in [(0.0, 1.0), (0.005, 1.0053), (0.005, 1.0104)]]
    assert stamps == pytest.approx([1.0, 1.005, 1.010])  # arrival jitter is not in the stamps
    assert stamper.reanchors == 0


def test_stamper_bounds_lag_when_the_delta_clock_drifts_slow() -> None:
    stamper = DeltaStamper(drift_tolerance_s=0.005, window_s=2.0, min_messages=8)
    stamper.stamp(0.0, 0.0)
    # the delta clock runs 0.1 % slow (a bad crystal): without re-anchoring, 60 ms lag at 60 s
    lags = []
    for k in range(1, 601):
        arrival = k * 0.1
        lags.append(arrival - stamper.stamp(0.0999, arrival))
    assert stamper.reanchors >= 5
    assert max(lags) < 0.005 + 0.001 * 2.0 + 0.0002  # tolerance + drift over one window


def test_stamper_recovers_from_lost_deltas() -> None:
    stamper = DeltaStamper()
    stamper.stamp(0.0, 0.0)
    stamps = [stamper.stamp(0.05 if k != 10 else 0.02, k * 0.05) for k in range(1, 120)]
    # message 10's delta lost 30 ms (a driver queue overflow): stamps lag 30 ms, then recover
    assert 10 * 0.05 - stamps[9] == pytest.approx(0.030)
    assert stamps[-1] == pytest.approx(119 * 0.05)
    assert stamper.reanchors == 1


def test_stamper_ignores_one_late_delivery_after_a_pause() -> None:
    stamper = DeltaStamper()
    stamper.stamp(0.0, 0.0)
    stamp = stamper.stamp(10.0, 10.020)  # 20 ms late delivery after a 10 s pause
    assert stamp == pytest.approx(10.0) and stamper.reanchors == 0


TRUNCATED_OR_GARBAGE = [
    [0xE0, 0x10],  # a pitch bend missing its last byte
    [0xF1],  # an MTC quarter frame without its data byte
    [0xF2, 0x01],  # a song position missing a byte
    [0x90, 0x3C],  # a note-on missing its velocity
    [0x90, 0x3C, 0x40, 0x00],  # one byte too many
    [0xB0, 0x07, 0x80],  # a status byte where a data byte belongs
    [0xF0, 0x7E, 0x01],  # system exclusive without its end
    [0xF0, 0x7E, 0x90, 0xF7],  # ... or with a status byte inside
    [0xF7],  # an end of sysex alone
    [0xF4],  # an undefined status
    [0x3C, 0x40],  # data bytes without a status (running status is not handed over)
    [],
]


@pytest.mark.parametrize("data", TRUNCATED_OR_GARBAGE, ids=lambda d: bytes(d).hex() or "empty")
def test_bytes_that_are_not_one_message_are_dropped_as_malformed(data: list[int]) -> None:
    counts = InputCounts()
    assert convert_message(data, "kbd", 0.0, "arrival", counts) is None
    assert counts.malformed == 1 and counts.filtered == {}


def test_the_message_after_a_truncated_one_converts_as_usual() -> None:
    counts = InputCounts()
    events = [convert_message(d, "kbd", 0.0, "arrival", counts) for d in TRUNCATED_OR_GARBAGE]
    after = convert_message([0x90, 0x3C, 0x40], "kbd", 0.0, "arrival", counts)
    assert events == [None] * len(TRUNCATED_OR_GARBAGE) and after is not None
    assert (after.kind, after.note, after.velocity) == ("note_on", 0x3C, 0x40)
    assert counts.malformed == len(TRUNCATED_OR_GARBAGE)


def test_a_flood_guard_drops_and_counts_what_comes_beyond_its_limit() -> None:
    guard = FloodGuard(controls_per_s=10.0, controls_burst=3.0)
    counts = InputCounts()
    cc = [
        convert_message([0xB0, 1, value], "kbd", 5.0, "arrival", counts, guard=guard)
        for value in range(5)
    ]
    note = convert_message([0x90, 60, 90], "kbd", 5.0, "arrival", counts, guard=guard)
    assert [e is not None for e in cc] == [True, True, True, False, False]
    assert note is not None and guard.dropped == 2 and counts.total == 0
