"""Tempo-following through the engine, on hand-computed cases (METRICS.md §1)."""

from __future__ import annotations

import pytest

from soundness_live.activities.registry import get_activity
from soundness_live.core.session import Session, SilentSink
from soundness_live.players.profiles import ChildProfile
from soundness_live.players.scripted import CueResponder, ScriptedResponses
from soundness_live.store.records import Store
from soundness_live.store.session import StoredSession
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
    (trial,) = run("tempo-following", {"trials": 1}, [child], latency_ms=25.0).records
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
    (trial,) = run("tempo-following", {"trials": 1}, [child], latency_ms=25.0).records
    assert trial["metrics"]["mean_asynchrony_ms"] == pytest.approx(-25.0, abs=0.03)


def test_missed_beats_and_tempo_progression_only_after_criterion():
    child = CueResponder({"beat": tap_beats(skip=range(0, 16, 2))}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 2}, [child]).records
    assert trials[0]["metrics"]["hit_rate"] == 0.5 and trials[0]["metrics"]["missed_beats"] == 8
    assert trials[0]["outcome"] == "partial"
    assert trials[1]["params"]["trial_tempo_bpm"] == 90.0  # not met: the tempo stays

    good = CueResponder({"beat": tap_beats(offset_ms=-20.0)}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 3, "step_pct": 5.0, "max_bpm": 95.0}, [good]).records
    assert [t["params"]["trial_tempo_bpm"] for t in trials] == pytest.approx([90.0, 94.5, 95.0])


def test_prompt_lists_beats_heard_in_ms_and_frames():
    (trial,) = run("tempo-following", {"trials": 1, "beats": 8}, [], latency_ms=5.0).records
    onsets = [p["onset_ms"] for p in trial["prompt"]]
    assert onsets == pytest.approx([2005.0 + i * 60000.0 / 90.0 for i in range(8)], abs=0.011)
    assert trial["outcome"] == "no_response"
    assert trial["metrics"]["mean_asynchrony_ms"] is None


def test_continuation_scores_the_silent_beats():
    child = CueResponder({"beat": tap_beats()}, sample_rate=RATE)
    (trial,) = run("tempo-following", {"trials": 1, "variant": "continuation"}, [child]).records
    silent = [p for p in trial["prompt"] if p.get("silent")]
    assert len(silent) == 8 and all(p["velocity"] == 0 for p in silent)
    assert trial["metrics"]["continuation_hit_rate"] == 1.0
    assert trial["metrics"]["continuation_tempo_ratio"] == pytest.approx(1.0, abs=1e-3)


def test_follow_child_moves_toward_a_faster_child_and_logs_the_curve():
    def faster(cue):  # the child taps at 120 BPM from the start
        return [(i * 500.0, 38) for i in range(40)]

    child = CueResponder({"lead": faster}, sample_rate=RATE)
    params = {"trials": 1, "variant": "follow-child", "alpha": 0.5, "beta": 0.5, "beats": 24}
    (trial,) = run("tempo-following", params, [child]).records
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
    (trial,) = run("tempo-following", params, [child]).records
    assert max(trial["metrics"]["tempo_curve_bpm"]) <= 130.0 + 1e-9


def test_unpaced_tapping_sets_the_starting_tempo():
    def own(cue):
        return [(i * 600.0, 38) for i in range(12)]  # 100 BPM

    child = CueResponder({"tap": own, "beat": tap_beats()}, sample_rate=RATE)
    trials = run("tempo-following", {"trials": 2, "start_from_preferred": True}, [child]).records
    assert trials[0]["variant"] == "unpaced"
    assert trials[0]["metrics"]["tapping_bpm"] == pytest.approx(100.0, abs=0.1)
    assert trials[1]["params"]["trial_tempo_bpm"] == pytest.approx(100.0, abs=0.1)


# Which trial a tap belongs to (METRICS.md §1). At 120 BPM a beat is 500 ms = 24000 frames, so
# every window edge below is an exact frame. Trial 0's beats are heard at 2000 + 500 k ms
# (k = 0..15), its window is [1750, 9750] ms and it ends one beat after its last, at 10000 ms.
STEADY = {"tempo_bpm": 120.0, "step_pct": 0.0, "lead_in_ms": 2000.0}
TRIAL_0_BEATS_MS = [2000.0 + 500.0 * k for k in range(16)]


def scripted(*times_ms: float) -> ScriptedResponses:
    return ScriptedResponses.from_ms([(t, 38) for t in times_ms], sample_rate=RATE)


def tap_times(trial: dict) -> list[float]:
    return [r["onset_ms"] for r in trial["responses"]]


def test_a_tap_50_ms_before_beat_1_counts_whatever_the_latency():
    child = CueResponder({"beat": tap_beats(offset_ms=-50.0)}, sample_rate=RATE)
    for latency_ms in (0.0, 25.0):
        (trial,) = run("tempo-following", {"trials": 1}, [child], latency_ms=latency_ms).records
        m = trial["metrics"]
        assert (m["hit_rate"], m["missed_beats"], m["extra_taps"]) == (1.0, 0, 0)
        assert len(trial["responses"]) == 16
        assert m["asynchronies_ms"][0] == pytest.approx(-50.0, abs=0.03)


@pytest.mark.parametrize(("frames_out", "counted"), [(0, True), (1, False)])
def test_window_edges_are_inclusive_and_a_tap_outside_is_in_no_trial(frames_out, counted):
    early, late = 1750.0 - frames_out * 1000.0 / RATE, 9750.0 + frames_out * 1000.0 / RATE
    child = scripted(early, *TRIAL_0_BEATS_MS, late)
    result = run("tempo-following", {**STEADY, "trials": 1}, [child])
    (trial,) = result.records
    edges = [early, late] if counted else []
    assert sorted(tap_times(trial)) == pytest.approx(sorted(TRIAL_0_BEATS_MS + edges))
    assert trial["metrics"]["extra_taps"] == len(edges) and trial["metrics"]["hit_rate"] == 1.0
    assert (trial["start_ms"], trial["end_ms"]) == (1750.0, 9750.0)
    # every tap reached the session, those outside the window too (stored as input events)
    assert len(result.responses) == 18


def test_a_tap_as_near_to_both_trials_belongs_to_the_later_one():
    # no pause: trial 1's first beat is heard at 10000 ms, its window opens at 9750 ms
    tie = 9750.0
    child = scripted(*TRIAL_0_BEATS_MS, tie, *(10000.0 + 500.0 * k for k in range(16)))
    first, second = run("tempo-following", {**STEADY, "trials": 2, "gap_ms": 0.0}, [child]).records
    assert tie not in tap_times(first) and first["metrics"]["extra_taps"] == 0
    assert tie in tap_times(second) and second["metrics"]["extra_taps"] == 1


def test_a_double_tap_across_the_trial_boundary_is_removed_from_the_later_trial():
    # 9740 closes trial 0; its bounce 100 ms later lies nearer to trial 1's first beat
    bounce = 9840.0
    later = [10000.0 + 500.0 * k for k in range(1, 16)]
    child = scripted(*TRIAL_0_BEATS_MS, 9740.0, bounce, *later)
    first, second = run("tempo-following", {**STEADY, "trials": 2, "gap_ms": 0.0}, [child]).records
    assert tap_times(first)[-1] == 9740.0 and first["metrics"]["double_taps"] == 0
    assert bounce in tap_times(second)
    m = second["metrics"]
    assert (m["double_taps"], m["missed_beats"], m["extra_taps"]) == (1, 1, 0)


def test_taps_between_trials_count_in_none_and_are_stored_as_events(tmp_path):
    pause_tap = 10400.0  # nearest to trial 0's last beat, but after its window closed
    child = scripted(*TRIAL_0_BEATS_MS, pause_tap, 11500.0, 12000.0)
    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="S-014"))
        stored = StoredSession.start(store, "S-014", sample_rate=RATE)
        session = Session(
            get_activity("tempo-following"),
            {**STEADY, "trials": 2},
            sink=SilentSink(),
            inputs=[child],
            sample_rate=RATE,
            hooks=stored.hooks("tempo-following"),
        )
        trials = session.run().records
        stored.close()
        assert all(pause_tap not in tap_times(t) for t in trials)
        events = [e["onset_ms"] for e in store.events(stored.session_id)]
        assert pause_tap in events and len(events) == 19
    finally:
        store.close()


def test_an_unpaced_trial_keeps_its_taps_when_the_next_window_opens_before_it_ends():
    def own(cue):
        return [(i * 600.0, 38) for i in range(13)]  # the last one 100 ms before the end

    child = CueResponder({"tap": own, "beat": tap_beats()}, sample_rate=RATE)
    params = {"trials": 2, "start_from_preferred": True, "gap_ms": 0.0, "unpaced_ms": 7300.0}
    unpaced, paced = run("tempo-following", params, [child]).records
    assert len(unpaced["responses"]) == 13
    assert paced["metrics"]["extra_taps"] == 0 and len(paced["responses"]) == 16
