"""Tempo-following scores on hand-made taps (METRICS.md §1)."""

from __future__ import annotations

import json

import pytest

from soundness_live.errors import ParameterError
from soundness_live.metrics.timing import (
    FollowChild,
    match_taps,
    preferred_tempo,
    remove_double_taps,
    score_synchronisation,
    tempo_step,
)

BEATS_MS = [500.0 * k for k in range(8)]


def test_double_taps_measured_from_the_previous_raw_tap() -> None:
    # a bounce at 100 ms steps collapses to its first tap (every gap <= 180 ms)
    assert remove_double_taps([0.0, 100.0, 200.0, 300.0, 600.0]) == [0.0, 600.0]
    assert remove_double_taps([0.0, 180.0]) == [0.0]  # <= 180 ms: dropped
    assert remove_double_taps([0.0, 180.5]) == [0.0, 180.5]
    assert remove_double_taps([600.0, 0.0, 50.0]) == [0.0, 600.0]  # sorted first
    assert remove_double_taps([]) == []
    with pytest.raises(ParameterError, match="min_iti_ms"):
        remove_double_taps([0.0], min_iti_ms=-1.0)


def test_match_taps_nearest_within_window_misses_and_extras() -> None:
    # windows +-200 ms; 700 is exactly on beat 1's edge (inclusive) but 480 is nearer
    match = match_taps([0.0, 500.0, 1000.0, 1500.0], [10.0, 190.0, 480.0, 700.0, 1400.0])
    assert match.pairs == ((0, 0), (1, 2), (3, 4))
    assert match.asynchronies_ms == (10.0, -20.0, -100.0)
    assert match.missed_beats == (2,)
    assert match.extra_taps == (1, 3)
    assert match.window_ms == (200.0, 200.0, 200.0, 200.0)
    assert match.asynchrony_for_beat(4) == [10.0, -20.0, None, -100.0]


def test_match_taps_assigns_globally_by_smallest_asynchrony() -> None:
    # ioi_ms=500 gives both beats a +-200 ms window; the tap at 160 is nearer beat 1 (140 ms)
    # than beat 0 (160 ms), so beat 1 takes it even though beat 0 comes first.
    match = match_taps([0.0, 300.0], [160.0], ioi_ms=500.0)
    assert match.pairs == ((1, 0),)
    assert match.missed_beats == (0,)


def test_match_taps_local_ioi_for_uneven_beats() -> None:
    # local IOI = shorter neighbouring interval: 1000, 250, 250 -> windows 400, 100, 100
    match = match_taps([0.0, 1000.0, 1250.0], [300.0, 1120.0])
    assert match.window_ms == (400.0, 100.0, 100.0)
    assert match.pairs == ((0, 0),)
    assert match.extra_taps == (1,)


def test_match_taps_rejects_bad_beats() -> None:
    with pytest.raises(ParameterError, match="ioi_ms"):
        match_taps([0.0], [0.0])
    with pytest.raises(ParameterError, match="strictly increasing"):
        match_taps([0.0, 500.0, 400.0], [])
    with pytest.raises(ParameterError, match="at least one beat"):
        match_taps([], [], ioi_ms=500.0)
    assert match_taps([1000.0], [1100.0], ioi_ms=500.0).asynchronies_ms == (100.0,)


def _trial_taps() -> list[float]:
    # asynchronies -20, -10, 0, 10, (miss), -20, -10, 0; a double tap 70 ms after the tap of
    # beat 1; an extra tap at 3250 between the windows of beats 6 and 7 (2800-3200, 3300-3700)
    return [-20.0, 490.0, 560.0, 1000.0, 1510.0, 2480.0, 2990.0, 3250.0, 3500.0]


def test_score_synchronisation_by_hand() -> None:
    score = score_synchronisation(BEATS_MS, _trial_taps())
    assert score["asynchronies_ms"] == [-20.0, -10.0, 0.0, 10.0, -20.0, -10.0, 0.0]
    assert score["matched_taps"] == 7
    assert score["missed_beats"] == 1
    assert score["extra_taps"] == 1
    assert score["double_taps"] == 1
    assert score["hit_rate"] == pytest.approx(7 / 8)
    assert score["mean_asynchrony_ms"] == pytest.approx(-50 / 7)
    # sum of squared deviations = 1100 - 7 (50/7)^2 = 742.857; / 6 = 123.81; sqrt = 11.1270
    assert score["sd_asynchrony_ms"] == pytest.approx(11.126973, rel=1e-6)
    # phases 2 pi a / 500; mean cos 0.987644, mean sin -0.088959 -> R 0.991643
    assert score["resultant_length"] == pytest.approx(0.9916426, rel=1e-6)
    assert score["circular_mean_ms"] == pytest.approx(-7.148404, rel=1e-6)
    assert score["circular_sd"] == pytest.approx(0.1295570, rel=1e-6)
    # Rn = 6.941498: p = exp(sqrt(1 + 28 + 4 (49 - 48.1844)) - 15)
    assert score["rayleigh_p"] == pytest.approx(8.961398e-05, rel=1e-5)
    # kept ITIs 510 510 510 970 510 260 250: median 510, mean 502.857, sample SD 238.517
    assert score["median_iti_ms"] == 510.0
    assert score["tapping_bpm"] == pytest.approx(60000 / 510)
    assert score["tempo_ratio"] == pytest.approx(1.02)
    assert score["iti_cv"] == pytest.approx(238.51725 / 502.85714, rel=1e-6)
    # within +-15 ms: beats 1, 2, 3, 6, 7 -> 5 of 8; longest run 1-2-3
    assert score["within_window_pct"] == pytest.approx(62.5)
    assert score["longest_run"] == 3
    assert score["reliable"] is True
    json.dumps(score)  # plain types only


def test_no_taps_scores_nothing_but_counts() -> None:
    score = score_synchronisation(BEATS_MS, [])
    for name in ("mean_asynchrony_ms", "sd_asynchrony_ms", "resultant_length", "rayleigh_p"):
        assert score[name] is None
    for name in ("circular_mean_ms", "iti_cv", "median_iti_ms", "tapping_bpm", "tempo_ratio"):
        assert score[name] is None
    assert (score["hit_rate"], score["missed_beats"], score["extra_taps"]) == (0.0, 8, 0)
    assert (score["within_window_pct"], score["longest_run"]) == (0.0, 0)
    assert score["reliable"] is False
    assert score["asynchronies_ms"] == []


def test_one_tap_has_no_timing_score() -> None:
    score = score_synchronisation(BEATS_MS, [1005.0])
    assert score["matched_taps"] == 1
    assert score["mean_asynchrony_ms"] is None
    assert score["rayleigh_p"] is None
    assert score["median_iti_ms"] is None
    assert score["within_window_pct"] == pytest.approx(12.5)
    assert score["longest_run"] == 1


def test_two_matched_taps_give_mean_and_sd_but_not_reliable() -> None:
    score = score_synchronisation(BEATS_MS, [-10.0, 510.0])
    assert score["mean_asynchrony_ms"] == 0.0
    assert score["sd_asynchrony_ms"] == pytest.approx(14.142136)  # sqrt(200)
    assert score["resultant_length"] is not None
    assert score["iti_cv"] is None  # only 2 kept taps
    assert score["reliable"] is False


def test_taps_outside_every_window() -> None:
    # off-beat tapping, exactly halfway: 250 ms from each beat, windows are +-200 ms
    score = score_synchronisation([0.0, 500.0, 1000.0, 1500.0], [250.0, 750.0, 1250.0])
    assert (score["matched_taps"], score["missed_beats"], score["extra_taps"]) == (0, 4, 3)
    assert score["hit_rate"] == 0.0
    assert score["median_iti_ms"] == 500.0
    assert score["tempo_ratio"] == 1.0
    assert score["iti_cv"] == 0.0


def test_too_many_taps_is_unreliable() -> None:
    beats = BEATS_MS[:6]
    taps = beats + [250.0, 750.0, 1250.0, 1750.0]  # 10 kept taps for 6 beats: 167 %
    score = score_synchronisation(beats, taps)
    assert score["matched_taps"] == 6
    assert score["reliable"] is False
    assert score_synchronisation(beats, beats)["reliable"] is True


def test_preferred_tempo() -> None:
    # kept 0 600 1200 1800 2500 (1250 is a double tap): ITIs 600 600 600 700
    tempo = preferred_tempo([0.0, 600.0, 1200.0, 1250.0, 1800.0, 2500.0])
    assert tempo["median_iti_ms"] == 600.0
    assert tempo["tapping_bpm"] == 100.0
    assert tempo["iti_cv"] == pytest.approx(50.0 / 625.0)  # sample SD sqrt(7500/3) = 50
    assert (tempo["kept_taps"], tempo["double_taps"]) == (5, 1)
    short = preferred_tempo([0.0, 100.0, 600.0])  # two kept taps
    assert short["median_iti_ms"] is None and short["tapping_bpm"] is None


def test_follow_child_phase_and_period_correction() -> None:
    follow = FollowChild(500.0, alpha=0.5)
    assert follow.metrics() == {"tempo_curve_bpm": None, "final_bpm": None}
    assert follow.next_beat(1000.0, [-40.0, -20.0]) == (1485.0, 485.0)  # 500 + 0.5 * -30
    assert follow.next_beat(1485.0, []) == (1985.0, 500.0)  # no tap: steady
    assert follow.metrics() == {
        "tempo_curve_bpm": [60000 / 485, 120.0],
        "final_bpm": 120.0,
    }
    period = FollowChild(500.0, alpha=0.0, beta=0.5)
    assert period.next_beat(0.0, [], last_iti_ms=600.0) == (550.0, 550.0)  # T += 0.5 * 100
    assert period.period_ms == 550.0


def test_follow_child_tempo_is_clamped_to_the_band() -> None:
    follow = FollowChild(420.0, alpha=1.0, beta=1.0, min_bpm=40.0, max_bpm=150.0)
    # 420 - 100 = 320 ms would be 187.5 BPM: held at 400 ms (150 BPM)
    assert follow.next_beat(0.0, [-100.0]) == (400.0, 400.0)
    # a 2000 ms ITI with beta = 1 asks for 30 BPM: held at 1500 ms (40 BPM)
    assert follow.next_beat(400.0, [], last_iti_ms=2000.0) == (1900.0, 1500.0)
    assert follow.tempo_curve_bpm == [150.0, 40.0]


def test_follow_child_accepts_the_band_edges() -> None:
    assert FollowChild(60000.0 / 150.0, max_bpm=150.0).period_ms == 400.0
    assert FollowChild(1500.0 + 1e-9, min_bpm=40.0).period_ms == 1500.0


def test_follow_child_rejects_bad_parameters() -> None:
    with pytest.raises(ParameterError, match="ioi_ms: expected 400-1500 ms"):
        FollowChild(300.0)
    with pytest.raises(ParameterError, match="alpha"):
        FollowChild(500.0, alpha=1.5)
    with pytest.raises(ParameterError, match="min_bpm < max_bpm"):
        FollowChild(500.0, min_bpm=150.0, max_bpm=40.0)


def test_tempo_step() -> None:
    assert tempo_step(100.0, criterion_met=True, min_bpm=40, max_bpm=150) == pytest.approx(105)
    assert tempo_step(100.0, criterion_met=False, min_bpm=40, max_bpm=150) == 100.0
    assert tempo_step(148.0, criterion_met=True, min_bpm=40, max_bpm=150) == 150.0
    assert tempo_step(
        100.0, criterion_met=True, step_pct=-10.0, min_bpm=40, max_bpm=150
    ) == pytest.approx(90.0)
    with pytest.raises(ParameterError, match="step_pct"):
        tempo_step(100.0, criterion_met=True, step_pct=80.0, min_bpm=40, max_bpm=150)
