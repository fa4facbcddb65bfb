"""A realistic export bundle for the export tests, and tests of the bundle helpers.

``make_bundle()`` builds what ``Store.export_bundle`` hands to the exports: a child with a
name and birth date that must never leak, four goals, three sessions (one interrupted) with
call-and-response, freeze-game, tempo-following (incl. follow-child) and vocal trials, input
events, therapist notes that name people, and progress entries.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from soundness_live.errors import ParameterError
from soundness_live.export.tables import (
    check_bundle,
    find_non_finite,
    metric_names,
    metric_unit,
    refuse_non_finite,
)
from soundness_live.goals.goal import goal_from_dict

CHILD_NAME = "Samuel Okafor"
CHILD_DOB = "2019-03-01"
NOTE_TEXT = "Samuel covered his ears once; Joy (mum) says he slept badly."
SECRETS = ("Samuel", "Okafor", CHILD_DOB, "Joy (mum)", "slept badly")
SAMPLE_RATE = 48_000


def _stamp(onset_ms: float, **fields: Any) -> dict[str, Any]:
    """A note entry with its frame on the 48 kHz axis."""
    return {"onset_ms": onset_ms, "onset_frame": round(onset_ms * SAMPLE_RATE / 1000), **fields}


def _response(onset_ms: float, note: int, device: str = "pad-1") -> dict[str, Any]:
    """A response from the child on a pad, stamped by the MIDI driver's delta clock."""
    return _stamp(
        onset_ms, note=note, velocity=90, duration_ms=120.0, device=device,
        player="S-014", clock="rtmidi-delta", sounded_note=note,
    )  # fmt: skip


def _trial(index: int, activity: str, variant: str, start_ms: float, **fields: Any) -> dict:
    """A trial record with the shared shape; ``fields`` fill prompt/responses/metrics."""
    record = {
        "index": index, "activity": activity, "variant": variant,
        "params": {"seed": index, "lead_in_ms": 2000.0, "engine_version": "0.1.0",
                   "soundfont": {"name": "TimGM6mb", "sha256": "ab" * 32}},
        "prompt": [], "responses": [], "metrics": {}, "outcome": "correct",
        "prompt_level": "independent", "difficulty": 2, "goals": [],
        "input": "live", "simulated": False,
        "start_ms": start_ms, "end_ms": start_ms + 6000.0,
    }  # fmt: skip
    record.update(fields)
    return record


def call_trial(index: int, start_ms: float, rng: random.Random, good: bool) -> dict:
    """A drum call-and-response trial: 4-note call, an echo, the §2 metrics."""
    call = [36, 38, 38, 36]
    prompt = [
        _stamp(start_ms + 500.0 * k, note=n, velocity=100, duration_ms=250.0, channel=9)
        for k, n in enumerate(call)
    ]
    call_end = start_ms + 1750.0
    responses = [] if good else [_response(start_ms + 700.0, 38)]
    latency = rng.uniform(300, 900)
    hits = 4 if good else rng.choice([2, 3])
    responses += [
        _response(round(call_end + latency + 480.0 * k + rng.uniform(-20, 20), 3), n)
        for k, n in enumerate(call[:hits])
    ]
    metrics = {
        "n_target": 4, "hits": hits, "omissions": 4 - hits, "insertions": 0,
        "substitutions": 0, "order_errors": 0, "notes_correct_pct": 25.0 * hits,
        "rhythm_error": round(rng.uniform(0.02, 0.3), 4),
        "median_onset_error_ms": round(rng.uniform(5, 40), 3),
        "tempo_ratio": round(rng.uniform(0.9, 1.1), 4),
        "response_latency_ms": round(latency, 3), "waited_for_turn": good,
    }  # fmt: skip
    level = "independent" if good else "gestural"
    return _trial(
        index, "call-and-response", "drums", start_ms, prompt=prompt, responses=responses,
        metrics=metrics, outcome="correct" if good else "partial", prompt_level=level,
        goals=["wait-turn"],
    )  # fmt: skip


def freeze_trial(index: int, start_ms: float, rng: random.Random, good: bool) -> dict:
    """A freeze game trial: music, a stop, notes played into the freeze."""
    prompt = [
        _stamp(start_ms + 400.0 * k, note=60 + 2 * (k % 3), velocity=80, duration_ms=350.0,
               channel=0)
        for k in range(5)
    ]  # fmt: skip
    stop_ms = start_ms + 2000.0
    prompt.append(_stamp(stop_ms, event="stop", cue=True))
    late = 0 if good else 2
    responses = [_response(start_ms + 150.0 + 400.0 * k, 62, "keys-1") for k in range(4)]
    responses += [_response(stop_ms + 120.0 + 150.0 * k, 64, "keys-1") for k in range(late)]
    metrics = {
        "notes_in_freeze": late, "time_to_stop_ms": 120.0 + 150.0 * (late - 1) if late else 0.0,
        "extra_responses": 0, "classification": None, "reaction_time_ms": None,
    }  # fmt: skip
    return _trial(
        index, "waiting", "freeze", start_ms, prompt=prompt, responses=responses,
        metrics=metrics, outcome="correct" if good else "incorrect", goals=["freeze"],
    )  # fmt: skip


def tempo_trial(index: int, start_ms: float, rng: random.Random, follow: bool) -> dict:
    """A play-with-the-beat trial at 90 BPM (or follow-child, with its tempo curve)."""
    ioi = 666.667
    beats = [start_ms + ioi * k for k in range(12)]
    asyncs = [round(rng.gauss(-35.0, 25.0), 3) for _ in beats[:10]]
    prompt = [_stamp(b, note=42, velocity=90, duration_ms=100.0, channel=9) for b in beats]
    responses = [_response(round(b + a, 3), 38) for b, a in zip(beats, asyncs, strict=False)]
    mean = sum(asyncs) / len(asyncs)
    sd = (sum((a - mean) ** 2 for a in asyncs) / (len(asyncs) - 1)) ** 0.5
    metrics: dict[str, Any] = {
        "mean_asynchrony_ms": round(mean, 3), "sd_asynchrony_ms": round(sd, 3),
        "resultant_length": 0.93, "circular_mean_ms": round(mean, 3), "rayleigh_p": 0.0004,
        "iti_cv": 0.06, "median_iti_ms": 668.2, "tapping_bpm": 89.8, "tempo_ratio": 1.002,
        "hit_rate": round(len(asyncs) / len(beats), 4), "missed_beats": 2, "extra_taps": 0,
        "within_window_pct": round(100 * sum(abs(a) <= 50 for a in asyncs) / len(beats), 3),
        "longest_run": 6, "matched_taps": 10, "reliable": True, "asynchronies_ms": asyncs,
    }  # fmt: skip
    if follow:
        metrics["tempo_curve_bpm"] = [round(90.0 - 0.6 * k, 2) for k in range(12)]
        metrics["final_bpm"] = metrics["tempo_curve_bpm"][-1]
    trial = _trial(
        index, "tempo-following", "follow-child" if follow else "steady", start_ms,
        prompt=prompt, responses=responses, metrics=metrics, goals=["steady-beat"],
        outcome="correct" if metrics["hit_rate"] >= 0.8 else "partial",
    )  # fmt: skip
    trial["params"].update(tempo_bpm=90.0, timing_window_ms=50.0)
    return trial


def vocal_trial(index: int, start_ms: float, rng: random.Random) -> dict:
    """A sung-syllable trial ("ba - ba"); the voice is analysed, not recorded: no responses."""
    prompt = [
        _stamp(start_ms + 600.0 * k, note=n, velocity=70, duration_ms=500.0, channel=0)
        for k, n in enumerate((67, 64))
    ]
    metrics = {
        "voice_onset_latency_ms": round(rng.uniform(900, 1800), 3), "syllables": 2,
        "target_syllables": 2, "median_f0_hz": 301.5, "pitch_error_cents": -38.0,
        "pitch_sd_cents": 22.5, "contour_correct": True, "duration_ms": 640.0,
        "intensity_db": 61.2,
    }  # fmt: skip
    return _trial(
        index, "vocal-prompts", "ba", start_ms, prompt=prompt, metrics=metrics,
        goals=["say-ba"], prompt_level="model",
    )  # fmt: skip


def make_session(session_id: int, day: int, rng: random.Random, status: str) -> dict:
    """One session: 5 call trials, 3 freeze, 2 tempo (1 follow-child), 2 vocal; events; a note."""
    builders = [lambda i, t: call_trial(i, t, rng, good=rng.random() < 0.4 + 0.2 * day)] * 5
    builders += [lambda i, t: freeze_trial(i, t, rng, good=rng.random() < 0.6)] * 3
    builders += [lambda i, t: tempo_trial(i, t, rng, follow=i % 2 == 1)] * 2
    builders += [lambda i, t: vocal_trial(i, t, rng)] * 2
    trials = [build(i, 2000.0 + 10_000.0 * i) for i, build in enumerate(builders)]
    for trial in trials:
        trial["session_id"] = session_id
    events = []
    for trial in trials:
        for r in trial["responses"]:
            common = {"session_id": session_id, "note": r["note"], "device": r["device"],
                      "player": r["player"], "clock": r["clock"], "channel": 9,
                      "input": "live"}  # fmt: skip
            events.append({**common, "onset_ms": r["onset_ms"], "onset_frame": r["onset_frame"],
                           "kind": "note_on", "velocity": r["velocity"]})  # fmt: skip
            off_ms = r["onset_ms"] + r["duration_ms"]
            events.append({**common, **_stamp(off_ms), "kind": "note_off", "velocity": 0})
    return {
        "id": session_id, "child_code": "S-014", "therapist": "T-01",
        "started_at": f"2026-11-{12 + 7 * day:02d}T10:00:00+00:00",
        "ended_at": f"2026-11-{12 + 7 * day:02d}T10:40:00+00:00", "status": status,
        "input": "live", "simulated": False, "trials": trials, "events": events,
        "notes": [{"created_at": f"2026-11-{12 + 7 * day:02d}T10:41:00+00:00", "text": NOTE_TEXT}],
    }  # fmt: skip


GOALS = [
    {"id": "wait-turn", "domain": "social", "activity": "call-and-response",
     "text": "Given a 4-beat drum call, Samuel waits for the end of the call and echoes it",
     "success": "waited_for_turn and notes_correct_pct >= 75", "max_prompt_level": "independent",
     "mastery": {"trials": 5, "successes": 4, "consecutive_sessions": 3},
     "measure": "notes_correct_pct"},
    {"id": "freeze", "domain": "behaviour", "activity": "waiting",
     "text": "Stops playing when the music stops", "success": "notes_in_freeze <= 0",
     "max_prompt_level": "gestural",
     "mastery": {"trials": 3, "successes": 2, "consecutive_sessions": 2},
     "measure": "notes_in_freeze"},
    {"id": "steady-beat", "domain": "motor", "activity": "tempo-following",
     "text": "Taps with a steady beat", "success": "hit_rate >= 0.8 and reliable",
     "max_prompt_level": "independent",
     "mastery": {"trials": 2, "successes": 2, "consecutive_sessions": 2},
     "measure": "mean_asynchrony_ms"},
    {"id": "say-ba", "domain": "communication", "activity": "vocal-prompts",
     "text": "Says \"ba\" after a sung model", "success": "syllables >= target_syllables",
     "max_prompt_level": "model",
     "mastery": {"trials": 2, "successes": 2, "consecutive_sessions": 3}, "measure": None},
]  # fmt: skip


def _progress(goal: dict, sessions: list[dict]) -> dict:
    """Hand-made progress entry: successes counted the way the store counts them."""
    rows = []
    for s in sessions:
        trials = [t for t in s["trials"] if goal["id"] in t["goals"]]
        wins = sum(t["outcome"] == "correct" for t in trials)
        independent = sum(t["prompt_level"] == "independent" for t in trials)
        need = goal["mastery"]
        rows.append({
            "session_id": s["id"], "started_at": s["started_at"], "status": s["status"],
            "trials": len(trials), "successes": wins,
            "pct_successful": 100.0 * wins / len(trials),
            "pct_independent": 100.0 * independent / len(trials),
            "met": s["status"] == "complete" and wins >= need["successes"],
        })  # fmt: skip
    mastered = "2026-11-26" if all(r["met"] for r in rows[-2:]) and goal["id"] == "freeze" else None
    return {"goal_id": goal["id"], "sessions": rows, "baseline_pct": rows[0]["pct_successful"],
            "trend": "improving", "mastered_on": mastered}  # fmt: skip


def make_bundle(seed: int = 7) -> dict[str, Any]:
    """A fresh, realistic export bundle (deterministic for ``seed``)."""
    rng = random.Random(seed)
    statuses = ["complete", "interrupted", "complete"]
    sessions = [make_session(12 + k, k, rng, statuses[k]) for k in range(3)]
    goals = copy.deepcopy(GOALS)
    return {
        "schema_version": 3,
        "child": {"code": "S-014", "display_name": CHILD_NAME, "date_of_birth": CHILD_DOB,
                  "consent": {"voice_recording": False},
                  "profile": {"volume_cap_dbfs": -18.0, "preferred_tempo_bpm": 88.0,
                              "comment": "Samuel likes the red drum", "goal_ids": ["wait-turn"],
                              "devices": {"pad-1": {"role": "child", "kind": "pad"}}}},
        "goals": goals, "sessions": sessions,
        "progress": [_progress(goal, sessions) for goal in goals],
    }  # fmt: skip


def test_fixture_has_the_bundle_shape() -> None:
    bundle = make_bundle()
    check_bundle(bundle)
    assert len(bundle["sessions"]) == 3
    assert all(len(s["trials"]) == 12 for s in bundle["sessions"])
    assert make_bundle() == bundle, "the fixture must be deterministic"
    assert [goal_from_dict(goal).id for goal in bundle["goals"]] == [g["id"] for g in GOALS]


def test_check_bundle_names_the_missing_key() -> None:
    bundle = make_bundle()
    del bundle["sessions"]
    with pytest.raises(ParameterError, match="'sessions' must be a list"):
        check_bundle(bundle)
    with pytest.raises(ParameterError, match="child.code"):
        check_bundle({"child": {}, "goals": [], "sessions": [], "progress": []})


def test_metric_names_known_first_in_table_order_then_unknown_sorted() -> None:
    trials = [
        {"metrics": {"zeta_ms": 1, "hits": 2, "notes_correct_pct": 50.0}},
        {"metrics": {"alpha": None, "n_target": 4}},
    ]
    assert metric_names(trials) == ["n_target", "hits", "notes_correct_pct", "alpha", "zeta_ms"]
    assert metric_unit("zeta_ms") == "ms"
    assert metric_unit("hit_rate") == "ratio"
    assert metric_unit("alpha") == "as named"


def test_non_finite_values_are_found_with_their_path() -> None:
    bundle = make_bundle()
    assert find_non_finite(bundle) is None
    bundle["sessions"][1]["trials"][3]["metrics"]["rhythm_error"] = float("nan")
    expected = "bundle.sessions[1].trials[3].metrics.rhythm_error"
    assert find_non_finite(bundle) == expected
    with pytest.raises(ParameterError, match=r"sessions\[1\]\.trials\[3\]"):
        refuse_non_finite(bundle, "test")
