"""Scheduler: exact offsets, stable order among equal frames, late events counted."""

from __future__ import annotations

import pytest

from soundness_live.core.events import ControlChange, NoteOff, NoteOn
from soundness_live.core.scheduler import NEVER, Scheduler
from soundness_live.errors import ParameterError


def test_due_gives_offsets_inside_the_block_in_time_order() -> None:
    scheduler = Scheduler()
    late_note = NoteOn(700, 0, 62, 90)
    early_note = NoteOn(520, 0, 60, 100)
    scheduler.add(late_note)
    scheduler.add(early_note)
    scheduler.add(NoteOff(1024, 0, 60))
    assert scheduler.due(0, 512) == []
    assert scheduler.due(512, 512) == [(8, early_note), (188, late_note)]
    assert [offset for offset, _ in scheduler.due(1024, 512)] == [0]
    assert len(scheduler) == 0
    assert scheduler.late_count == 0


def test_equal_frames_keep_insertion_order() -> None:
    scheduler = Scheduler()
    events = [ControlChange(64, 0, 7, v) for v in range(20)]
    for event in events:
        scheduler.add(event)
    assert [event for _, event in scheduler.due(0, 128)] == events


def test_late_events_come_at_offset_zero_and_are_counted() -> None:
    scheduler = Scheduler()
    scheduler.due(0, 1000)  # the block [0, 1000) has been rendered
    scheduler.add(NoteOn(990, 0, 60, 100))
    scheduler.add(NoteOn(400, 0, 64, 100))
    scheduler.add(NoteOn(1010, 0, 67, 100))
    due = scheduler.due(1000, 64)
    assert [(offset, event.note) for offset, event in due] == [(0, 64), (0, 60), (10, 67)]
    assert scheduler.late_count == 2
    assert scheduler.max_late_frames == 600


def test_a_block_of_negative_length_is_refused() -> None:
    scheduler = Scheduler()
    with pytest.raises(ParameterError, match="n_frames"):
        scheduler.due(0, -1)


def test_next_frame_is_the_earliest_event_queued_and_never_without_one() -> None:
    scheduler = Scheduler()
    assert scheduler.next_frame == NEVER
    scheduler.add(NoteOn(700, 0, 62, 90))
    scheduler.add(NoteOn(520, 0, 60, 100))
    scheduler.add(NoteOff(900, 0, 60))
    assert scheduler.next_frame == 520
    scheduler.due(0, 520)  # the block ends just before it
    assert scheduler.next_frame == 520
    scheduler.due(520, 256)
    assert scheduler.next_frame == 900
    scheduler.add(NoteOn(100, 0, 64, 100))  # late, but queued: the earliest now
    assert scheduler.next_frame == 100
    scheduler.due(776, 256)
    assert scheduler.next_frame == NEVER
    scheduler.add(NoteOn(2000, 0, 60, 100))
    scheduler.clear()
    assert scheduler.next_frame == NEVER
