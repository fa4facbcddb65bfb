"""Which paced trial a tap belongs to (METRICS.md §1), on hand-made beats."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.errors import ParameterError
from soundness_live.metrics.tap_windows import taps_of_trial, trial_window_ms
from soundness_live.metrics.timing import mark_double_taps, score_kept_taps

BEATS_MS = [1000.0, 1500.0, 2000.0, 2500.0]


def test_the_window_takes_half_the_interval_heard_at_each_end():
    assert trial_window_ms(BEATS_MS) == (750.0, 2750.0)
    assert trial_window_ms([1000.0, 1400.0, 2000.0]) == (800.0, 2300.0)  # IOIs 400 then 600


def test_edges_are_inclusive():
    taps = [749.9, 750.0, 2750.0, 2750.1]
    assert taps_of_trial(taps, BEATS_MS).tolist() == [False, True, True, False]


def test_overlapping_windows_share_taps_by_the_nearest_beat():
    # a fast trial (IOI 400) then, after no pause, a slow one (IOI 800): the slow trial's
    # window opens at 2800 - 400 = 2400 ms, before the fast one's closes at 2600 ms
    fast, slow = [1200.0, 1600.0, 2000.0, 2400.0], [2800.0, 3600.0, 4400.0]
    taps = [2450.0, 2590.0, 2610.0]  # nearer the fast trial's last beat, then the slow one's
    assert taps_of_trial(taps, fast, later_beats_ms=slow[:1]).tolist() == [True, True, False]
    assert taps_of_trial(taps, slow, earlier_beats_ms=fast).tolist() == [False, False, True]


def test_a_tie_goes_to_the_later_trial():
    first, second = [0.0, 500.0], [1000.0, 1500.0]
    tie = [750.0]
    assert taps_of_trial(tie, first, later_beats_ms=second[:1]).tolist() == [False]
    assert taps_of_trial(tie, second, earlier_beats_ms=first).tolist() == [True]


def test_a_trial_needs_two_increasing_beats():
    for bad in ([1000.0], [1000.0, 1000.0], [float("nan"), 1.0]):
        with pytest.raises(ParameterError, match="beats_ms"):
            trial_window_ms(bad)


def test_double_taps_are_marked_in_the_order_given_against_the_previous_raw_tap():
    marks = mark_double_taps([600.0, 0.0, 100.0, 250.0, 50.0])
    assert marks.tolist() == [False, False, True, True, True]  # 50, 100, 250 follow by <= 180
    assert mark_double_taps(np.array([])).tolist() == []


def test_kept_taps_are_scored_with_the_double_taps_counted_elsewhere():
    score = score_kept_taps(BEATS_MS, [990.0, 1510.0, 2000.0, 2490.0], double_taps=2)
    assert score["double_taps"] == 2 and score["hit_rate"] == 1.0 and score["extra_taps"] == 0
