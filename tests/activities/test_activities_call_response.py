"""Call and response through the engine, on hand-computed cases (METRICS.md §2)."""

from __future__ import annotations

import mido
import pytest

from soundness_live.activities.phrases import MAX_CALL_NOTES, phrases_from_midi
from soundness_live.errors import FileFormatError
from soundness_live.players.scripted import CueResponder, ScriptedResponses
from tests.activity_helpers import RATE, run

BEAT_MS = 60000.0 / 90.0  # 666.67 ms at the default 90 BPM
LEAD_MS = 2000.0


def one_trial(**extra):
    # level 3 drums has three phrases; seed 0 picks the same one every run
    return {"trials": 1, "start_level": 3, "adaptive": False, **extra}


def test_call_is_played_on_exact_frames_and_reported_as_heard():
    result = run("call-and-response", one_trial(), [], latency_ms=10.0)
    (trial,) = result.records
    onsets = [p["onset_ms"] for p in trial["prompt"]]
    beats = [p["onset_frame"] for p in trial["prompt"]]
    assert len(onsets) == 3
    assert onsets[0] == pytest.approx(LEAD_MS + 10.0)
    # every onset is the scheduled frame plus the latency, unrounded
    assert all((f - 480) % 1 == 0 for f in beats)
    assert trial["outcome"] == "no_response"
    assert trial["metrics"]["hits"] == 0 and trial["metrics"]["omissions"] == 3
    assert trial["metrics"]["response_latency_ms"] is None


def echo_rule(delay_ms):
    """Echo the call exactly, ``delay_ms`` after the call ends."""

    def rule(cue):
        return [(delay_ms + offset, note) for offset, note in cue.detail["call"]]

    return rule


def test_exact_echo_after_the_call_is_correct_with_its_latency():
    child = CueResponder({"your_turn": echo_rule(500.0)}, sample_rate=RATE)
    (trial,) = run("call-and-response", one_trial(), [child]).records
    m = trial["metrics"]
    assert (m["hits"], m["omissions"], m["insertions"], m["substitutions"]) == (3, 0, 0, 0)
    assert m["notes_correct_pct"] == 100.0
    assert m["waited_for_turn"] is True
    assert m["response_latency_ms"] == pytest.approx(500.0, abs=0.05)
    assert m["median_onset_error_ms"] == pytest.approx(0.0, abs=0.05)
    assert trial["outcome"] == "correct"


def test_a_child_who_plays_during_the_call_did_not_wait():
    (first,) = run("call-and-response", one_trial(), []).records
    during = first["prompt"][1]["onset_ms"] + 50.0
    echo = CueResponder({"your_turn": echo_rule(400.0)}, sample_rate=RATE)
    early = ScriptedResponses.from_ms([(during, 38)], sample_rate=RATE)
    (trial,) = run("call-and-response", one_trial(), [echo, early]).records
    assert trial["metrics"]["waited_for_turn"] is False
    assert trial["metrics"]["notes_correct_pct"] == 100.0
    assert trial["outcome"] == "partial"  # accurate, but did not wait for the turn


def test_staircase_moves_the_phrase_length_within_bounds():
    child = CueResponder({"your_turn": echo_rule(450.0)}, sample_rate=RATE)
    params = {"trials": 6, "start_level": 2, "max_level": 3}
    trials = run("call-and-response", params, [child]).records
    assert [t["outcome"] for t in trials] == ["correct"] * 6
    assert [t["difficulty"] for t in trials] == [2, 2, 3, 3, 3, 3]
    assert [len(t["prompt"]) for t in trials][:2] == [2, 2]


def test_group_mode_scores_each_player_on_their_own_turn():
    a = CueResponder(
        {"your_turn": lambda c: echo_rule(400.0)(c) if c.detail["player"] == "A" else []},
        sample_rate=RATE,
        player="A",
    )
    b = CueResponder({"your_turn": lambda c: echo_rule(400.0)(c)}, sample_rate=RATE, player="B")
    params = {"trials": 2, "start_level": 2, "adaptive": False, "players": "A,B"}
    first, second = run("call-and-response", params, [a, b]).records
    assert first["params"]["player"] == "A" and second["params"]["player"] == "B"
    assert first["metrics"]["out_of_turn_plays"] == 2  # B played in A's turn
    assert first["metrics"]["hits"] == 2
    assert second["metrics"]["out_of_turn_plays"] == 0


def test_same_seed_same_records_different_seed_may_differ():
    from soundness_live.players.virtual_child import ChildTraits, VirtualChild

    def records(seed):
        child = VirtualChild(ChildTraits(), sample_rate=RATE, seed=seed)
        return run("call-and-response", {"trials": 5}, [child], seed=seed).records

    assert records(3) == records(3)
    assert records(3) != records(4)


def test_therapist_call_is_echoed_and_a_missing_call_voids_the_trial():
    therapist = ScriptedResponses.from_ms(
        [(2100.0, 36), (2600.0, 38)], sample_rate=RATE, player="therapist"
    )
    child = CueResponder({"your_turn": echo_rule(300.0)}, sample_rate=RATE)
    params = {"trials": 2, "caller": "therapist", "call_wait_ms": 5000.0}
    first, second = run("call-and-response", params, [therapist, child]).records
    assert [p["note"] for p in first["prompt"]] == [36, 38]
    assert first["prompt"][0]["played_by"] == "therapist"
    assert first["metrics"]["hits"] == 2 and first["outcome"] == "correct"
    assert second["outcome"] == "void"
    assert second["void_reason"] == "no call was played"  # where the report reads it
    assert "void_reason" not in second["params"]


def test_a_therapist_call_ends_at_its_tenth_note():
    played = [(2100.0 + 250.0 * k, 36 + k % 3) for k in range(14)]
    therapist = ScriptedResponses.from_ms(played, sample_rate=RATE, player="therapist")
    params = {"trials": 1, "caller": "therapist"}
    (trial,) = run("call-and-response", params, [therapist]).records
    assert len(trial["prompt"]) == MAX_CALL_NOTES == 10
    assert [p["note"] for p in trial["prompt"]] == [n for _t, n in played[:10]]


def test_a_midi_phrase_longer_than_a_call_is_refused_where_it_starts(tmp_path):
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    for k in range(4 + 11):  # 4 notes, a 2-beat rest, 11 notes
        gap = 960 if k == 4 else (240 if k else 0)
        track.append(mido.Message("note_on", note=60, velocity=90, time=gap))
        track.append(mido.Message("note_off", note=60, velocity=0, time=0))
    midi.save(tmp_path / "calls.mid")
    with pytest.raises(FileFormatError, match=r"at most 10 notes, got 11 from beat 3\.5 on"):
        phrases_from_midi(tmp_path / "calls.mid")
