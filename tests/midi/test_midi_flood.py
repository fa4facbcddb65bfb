"""The flood limit of one MIDI device: budgets, what is never dropped, what a flood cannot take."""

from __future__ import annotations

from soundness_live.midi.flood import FloodGuard


def test_a_burst_passes_then_the_rate_refills() -> None:
    guard = FloodGuard(controls_per_s=100.0, controls_burst=10.0)
    first = [guard.admit("cc", 0, 1, 64, 0.0) for _ in range(12)]
    assert first.count(True) == 10 and guard.dropped == 2
    later = [guard.admit("cc", 0, 1, 64, 0.05) for _ in range(6)]  # 50 ms: 5 tokens back
    assert later.count(True) == 5 and guard.dropped == 3


def test_a_stuck_controller_never_takes_the_notes_budget() -> None:
    guard = FloodGuard(controls_per_s=500.0, controls_burst=500.0)
    taken_cc = taken_notes = 0
    for step in range(10_000):  # 10,000 control changes a second for one second
        now_s = step / 10_000
        taken_cc += guard.admit("cc", 0, 1, step % 128, now_s)
        if step % 250 == 0:  # and the child plays 40 notes a second
            taken_notes += guard.admit("note_on", 0, 60, 90, now_s)
            taken_notes += guard.admit("note_off", 0, 60, 0, now_s)
    assert taken_notes == 80 and guard.dropped_notes == 0
    assert 500 + 499 <= taken_cc <= 500 + 500  # the burst, then the rate
    assert guard.dropped == 10_000 - taken_cc


def test_a_released_note_is_never_dropped() -> None:
    guard = FloodGuard(notes_per_s=1.0, notes_burst=3.0)
    assert [guard.admit("note_on", 0, n, 90, 0.0) for n in (60, 61, 62, 63)] == [1, 1, 1, 0]
    # the budget is spent, yet every note it let sound may end: no note stuck by the guard
    assert [guard.admit("note_off", 0, n, 0, 0.0) for n in (60, 61, 62)] == [1, 1, 1]
    assert guard.admit("note_off", 0, 63, 0, 0.0) is False  # its note-on was dropped
    assert guard.dropped == guard.dropped_notes == 2


def test_a_pedal_going_down_or_up_is_a_gesture_a_held_pedal_a_control() -> None:
    guard = FloodGuard(notes_per_s=1.0, notes_burst=2.0, controls_per_s=1.0, controls_burst=1.0)
    assert guard.admit("cc", 0, 64, 127, 0.0)  # sustain down: a change, from the notes budget
    assert guard.admit("cc", 0, 64, 120, 0.0)  # still down: a control
    assert not guard.admit("cc", 0, 64, 127, 0.0)  # still down, controls spent
    assert guard.admit("cc", 0, 64, 0, 0.0)  # up: a change, from the notes budget
    assert guard.dropped == 1


def test_time_running_backwards_neither_refills_nor_fails() -> None:
    guard = FloodGuard(controls_per_s=10.0, controls_burst=1.0)
    assert guard.admit("program", 0, 5, 0, 10.0)
    assert not guard.admit("program", 0, 5, 0, 9.0)  # an earlier stamp gives nothing back
    assert guard.admit("program", 0, 5, 0, 10.2)
