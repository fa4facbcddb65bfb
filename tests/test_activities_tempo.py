"""Tempo-following through the engine, on hand-computed cases (METRICS.md §1)."""

from __future__ import annotations

import pytest

from soundness_live.inputs import CueResponder
from tests.activity_helpers import RATE, run


def tap_beats(offset_ms=0.0, skip=()):
    def rule(cue):
        start = cue.detail.get("heard_frame", cue.frame)
        return [
            ((b - start) * 1000.0 / RATE + offset_ms, 38)
            for i, b in enumerate(cue.detail["beats"])
            if i not in skip
        ]

    return rule


def test_taps_on_the_heard_beat_have_zero_asynchrony_whatever_the_latency():
    child = CueResponder({"beat": tap_beats()}, sample_rate=RATE)
    (trial,) = run("tempo-following", {"trials": 1}, [child], latency_ms=25.0).trials
    m = trial["metrics"]
    assert m["hit_rate"] == 1.0 and m["missed_beats"] == 0 and m["extra_taps"] == 0
    assert m["mean_asynchrony_ms"] == pytest.approx(0.0, abs=0.03)
    assert m["within_window_pct"] == 100.0
    assert m["longest_run"] == 16
    assert trial["outcome"] == "correct"


def test_taps_on_the_scheduled_beat_are_early_by_the_output_latency():
    def scheduled(cue):  # the child taps when the sound was scheduled, before it is heard
        return [(t - 25.0, n) for t, n in tap_beats()(cue)]

    child = CueResponder({"beat": scheduled}, sample_rate=RATE)
    (trial,) = run("tempo-following", {"trials": 1}, [child], latency_ms=25.0).trials
    assert trial["metrics"]["mean_asynchrony_ms"] == pytest.approx(-25.0, abs=0.03)


def test_missed_beats_and_tempo_progression_only_after_criterion():
    child = CueResponder({"beat": tap_beats(skip=range(0, 16, 2))}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 2}, [child]).trials
    assert trials[0]["metrics"]["hit_rate"] == 0.5 and trials[0]["metrics"]["missed_beats"] == 8
    assert trials[0]["outcome"] == "partial"
    assert trials[1]["params"]["trial_tempo_bpm"] == 90.0  # not met: the tempo stays

    good = CueResponder({"beat": tap_beats(offset_ms=-20.0)}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 3, "step_pct": 5.0, "max_bpm": 95.0}, [good]).trials
    assert [t["params"]["trial_tempo_bpm"] for t in trials] == pytest.approx([90.0, 94.5, 95.0])


def test_prompt_lists_beats_heard_in_ms_and_frames():
    (trial,) = run("tempo-following", {"trials": 1, "beats": 8}, [], latency_ms=5.0).trials
    onsets = [p["onset_ms"] for p in trial["prompt"]]
    assert onsets == pytest.approx([2005.0 + i * 60000.0 / 90.0 for i in range(8)], abs=0.011)
    assert trial["outcome"] == "no_response"
    assert trial["metrics"]["mean_asynchrony_ms"] is None


def test_continuation_scores_the_silent_beats():
    child = CueResponder({"beat": tap_beats()}, sample_rate=RATE)
    (trial,) = run("tempo-following", {"trials": 1, "variant": "continuation"}, [child]).trials
    silent = [p for p in trial["prompt"] if p.get("silent")]
    assert len(silent) == 8 and all(p["velocity"] == 0 for p in silent)
    assert trial["metrics"]["continuation_hit_rate"] == 1.0
    assert trial["metrics"]["continuation_tempo_ratio"] == pytest.approx(1.0, abs=1e-3)


def test_follow_child_moves_toward_a_faster_child_and_logs_the_curve():
    def faster(cue):  # the child taps at 120 BPM from the start
        return [(i * 500.0, 38) for i in range(40)]

    child = CueResponder({"lead": faster}, sample_rate=RATE)
    params = {"trials": 1, "variant": "follow-child", "alpha": 0.5, "beta": 0.5, "beats": 24}
    (trial,) = run("tempo-following", params, [child]).trials
    curve = trial["metrics"]["tempo_curve_bpm"]
    assert len(curve) >= 20
    assert curve[0] == pytest.approx(90.0, abs=1.0)
    assert curve[-1] == pytest.approx(120.0, abs=6.0)
    assert trial["metrics"]["final_bpm"] == curve[-1]


def test_follow_child_tempo_stays_in_the_band():
    def racing(cue):
        return [(i * 250.0, 38) for i in range(80)]

    child = CueResponder({"lead": racing}, sample_rate=RATE)
    params = {"trials": 1, "variant": "follow-child", "alpha": 0.5, "beta": 0.8, "max_bpm": 130.0}
    (trial,) = run("tempo-following", params, [child]).trials
    assert max(trial["metrics"]["tempo_curve_bpm"]) <= 130.0 + 1e-9


def test_unpaced_tapping_sets_the_starting_tempo():
    def own(cue):
        return [(i * 600.0, 38) for i in range(12)]  # 100 BPM

    child = CueResponder({"tap": own, "beat": tap_beats()}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 2, "start_from_preferred": True}, [child]).trials
    assert trials[0]["variant"] == "unpaced"
    assert trials[0]["metrics"]["tapping_bpm"] == pytest.approx(100.0, abs=0.1)
    assert trials[1]["params"]["trial_tempo_bpm"] == pytest.approx(100.0, abs=0.1)
