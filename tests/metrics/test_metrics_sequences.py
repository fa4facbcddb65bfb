"""Call-and-response scores on hand-made calls and echoes (METRICS.md §2)."""

from __future__ import annotations

import json
import math

import pytest

from soundness_live.errors import ParameterError
from soundness_live.metrics.sequences import (
    align_echo,
    count_order_errors,
    drum_group,
    rhythm_error,
    score_echo,
)

CALL = [(0.0, 60), (500.0, 62), (1000.0, 64), (1500.0, 65)]
CALL_END_MS = 1900.0


@pytest.mark.parametrize(
    ("note", "group"),
    [
        (35, "kick"), (36, "kick"), (37, "snare"), (38, "snare"), (39, "snare"), (40, "snare"),
        (42, "hi_hat"), (44, "hi_hat"), (46, "hi_hat"), (41, "tom"), (50, "tom"),
        (49, "cymbal"), (51, "cymbal"), (57, "cymbal"), (54, "hand_percussion"),
        (56, "hand_percussion"), (63, "hand_percussion"), (81, "hand_percussion"),
        (71, "other"), (72, "other"), (20, "other"), (100, "other"),
    ],
)  # fmt: skip
def test_drum_groups_follow_the_gm_key_map(note: int, group: str) -> None:
    assert drum_group(note) == group


def test_drum_group_rejects_non_notes() -> None:
    for bad in (128, -1, True, 60.0):
        with pytest.raises(ParameterError, match="MIDI note number"):
            drum_group(bad)  # type: ignore[arg-type]


def test_slower_perfect_echo() -> None:
    echo = [(2100.0 + 1.2 * t, note) for t, note in CALL]  # 20 % slower, 200 ms after the end
    score = score_echo(CALL, echo, call_end_ms=CALL_END_MS)
    assert (score["hits"], score["omissions"], score["insertions"]) == (4, 0, 0)
    assert score["notes_correct_pct"] == 100.0
    assert score["tempo_ratio"] == pytest.approx(1.2)
    assert score["rhythm_error"] == pytest.approx(0.0, abs=1e-12)
    assert score["response_latency_ms"] == 200.0
    assert score["median_onset_error_ms"] == pytest.approx(0.0, abs=1e-9)
    assert score["waited_for_turn"] is True
    assert (score["n_target"], score["n_response"]) == (4, 4)
    json.dumps(score)


def test_onset_errors_after_rescaling() -> None:
    call = [(500.0 * k, 60 + k) for k in range(5)]
    # same span (2000 ms) so no stretch; errors 0, +30, -20, +40, 0 -> median |e| = 20
    echo = [
        (t + 2500.0, n) for (t, n) in zip([0, 530, 980, 1540, 2000], range(60, 65), strict=True)
    ]
    score = score_echo(call, echo, call_end_ms=2300.0)
    assert score["hits"] == 5
    assert score["onset_errors_ms"] == pytest.approx([0.0, 30.0, -20.0, 40.0, 0.0])
    assert score["median_onset_error_ms"] == pytest.approx(20.0)
    assert score["response_latency_ms"] == 200.0


def test_right_note_outside_tolerance_is_omission_plus_insertion() -> None:
    # the third note comes 150 ms late; no tempo ratio brings it in without losing others
    echo = [(2100.0, 60), (2600.0, 62), (3250.0, 64), (3600.0, 65)]
    score = score_echo(CALL, echo, call_end_ms=CALL_END_MS)
    assert (score["hits"], score["omissions"], score["insertions"]) == (3, 1, 1)
    assert score["substitutions"] == 0
    assert score["order_errors"] == 0  # the notes are in order, only late
    assert score["notes_correct_pct"] == 75.0
    assert score["tempo_ratio"] == 1.0
    # r_target 1/3 1/3 1/3, r_child 500 650 350 over 1500: (0 + log2 1.3 + |log2 0.7|) / 3
    expected = (math.log2(1.3) + abs(math.log2(0.7))) / 3.0
    assert score["rhythm_error"] == pytest.approx(expected, rel=1e-12)
    wider = score_echo(CALL, echo, call_end_ms=CALL_END_MS, tolerance_ms=150.0)
    assert wider["hits"] == 4  # the late note now counts


# METRICS.md §2's examples: a perfectly timed 4-note echo, 600 ms after the call's end.
PERFECT = [(2500.0 + t, note) for t, note in CALL]


@pytest.mark.parametrize(
    ("echo", "counts"),
    [
        (PERFECT[1:], (3, 1, 0, 75.0)),  # its first note missing
        (PERFECT[:-1], (3, 1, 0, 75.0)),  # its last note missing
        ([(2200.0, 67), *PERFECT], (4, 0, 1, 100.0)),  # a stray note 300 ms before it
    ],
)
def test_the_echo_is_aligned_robustly(echo, counts) -> None:
    score = score_echo(CALL, echo, call_end_ms=CALL_END_MS)
    got = (score["hits"], score["omissions"], score["insertions"], score["notes_correct_pct"])
    assert got == counts
    assert score["tempo_ratio"] == 1.0 and score["median_onset_error_ms"] == 0.0


def test_a_late_slower_echo_missing_a_note_is_found_at_its_own_tempo() -> None:
    echo = [(3000.0 + 1.5 * t, note) for t, note in CALL if note != 62]
    score = score_echo(CALL, echo, call_end_ms=CALL_END_MS)
    assert (score["hits"], score["omissions"], score["insertions"]) == (3, 1, 0)
    assert score["tempo_ratio"] == pytest.approx(1.5)
    assert score["onset_errors_ms"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_tempo_ratios_beyond_two_are_not_candidates() -> None:
    twice = score_echo(CALL, [(2500.0 + 2.0 * t, n) for t, n in CALL], call_end_ms=CALL_END_MS)
    assert (twice["hits"], twice["tempo_ratio"]) == (4, 2.0)
    beyond = score_echo(CALL, [(2500.0 + 2.2 * t, n) for t, n in CALL], call_end_ms=CALL_END_MS)
    assert beyond["hits"] == 1 and beyond["tempo_ratio"] == 1.0


def test_only_the_first_2n_plus_4_echo_notes_are_aligned() -> None:
    call = [(0.0, 60), (500.0, 62)]  # n = 2: the first 8 echo notes count
    for stray, hits in ((6, 2), (7, 1), (8, 0)):
        echo = [(1000.0 + 300.0 * k, 70) for k in range(stray)]
        echo += [(4000.0, 60), (4500.0, 62)]
        score = score_echo(call, echo, call_end_ms=700.0)
        assert score["hits"] == hits and score["n_response"] == stray + 2
        paired = score["hits"] + score["substitutions"]
        assert score["insertions"] == stray + 2 - paired  # those past the 8th among them


def test_a_tie_goes_to_the_earliest_call_note() -> None:
    call = [(500.0 * k, 60) for k in range(4)]  # four equal notes: any two could be echoed
    score = score_echo(call, [(2500.0, 60), (3000.0, 60)], call_end_ms=1800.0)
    assert (score["hits"], score["omissions"]) == (2, 2)
    assert score["onset_errors_ms"] == [0.0, 0.0]


def test_swapped_notes_are_substitutions_and_an_order_error() -> None:
    echo = [(2100.0, 60), (2600.0, 64), (3100.0, 62), (3600.0, 65)]
    score = score_echo(CALL, echo, call_end_ms=CALL_END_MS)
    assert (score["hits"], score["substitutions"], score["order_errors"]) == (2, 2, 1)
    assert score["notes_correct_pct"] == 50.0


def test_extra_note_is_an_insertion() -> None:
    call = [(0.0, 60), (500.0, 62), (1000.0, 64)]
    echo = [(2000.0, 60), (2500.0, 62), (2750.0, 70), (3000.0, 64)]
    score = score_echo(call, echo, call_end_ms=1300.0)
    assert (score["hits"], score["insertions"], score["substitutions"]) == (3, 1, 0)
    assert score["rhythm_error"] is None  # 4 notes against 3: proportions do not pair
    assert score["tempo_ratio"] == 1.0


def test_child_plays_during_the_call() -> None:
    response = [(700.0, 62), (2000.0, 60)]
    score = score_echo(CALL, response, call_end_ms=CALL_END_MS)
    assert score["waited_for_turn"] is False
    assert score["notes_during_call"] == 1
    assert score["n_response"] == 1
    assert score["response_latency_ms"] == 100.0
    assert (score["hits"], score["omissions"]) == (1, 3)
    only_during = score_echo(CALL, [(700.0, 62)], call_end_ms=CALL_END_MS)
    assert only_during["waited_for_turn"] is False
    assert only_during["response_latency_ms"] is None
    assert only_during["hits"] == 0
    assert only_during["notes_correct_pct"] == 0.0  # it answered, over the call: 0 % echoed


def test_response_before_the_call_start_does_not_break_waiting() -> None:
    response = [(-300.0, 60), (2100.0, 60)]
    score = score_echo(CALL, response, call_end_ms=CALL_END_MS, call_start_ms=-100.0)
    assert score["waited_for_turn"] is True
    assert score["notes_during_call"] == 0


def test_no_response() -> None:
    score = score_echo(CALL, [], call_end_ms=CALL_END_MS)
    assert (score["hits"], score["omissions"], score["insertions"]) == (0, 4, 0)
    # METRICS.md §4: null when there is no response, never a 0 % that plots as a score
    for name in (
        "notes_correct_pct", "response_latency_ms", "median_onset_error_ms", "rhythm_error",
        "tempo_ratio",
    ):  # fmt: skip
        assert score[name] is None
    assert score["waited_for_turn"] is None
    assert score["n_response"] == 0


def test_one_note_call_scores_pitch_and_latency_only() -> None:
    call = [(0.0, 60)]
    # a wrong note first, then the right one 200 ms later: pitch alone decides
    score = score_echo(call, [(800.0, 62), (1000.0, 60)], call_end_ms=300.0)
    assert (score["hits"], score["insertions"], score["substitutions"]) == (1, 1, 0)
    assert score["notes_correct_pct"] == 100.0
    assert score["response_latency_ms"] == 500.0
    assert score["median_onset_error_ms"] is None
    assert score["tempo_ratio"] is None and score["rhythm_error"] is None
    wrong = score_echo(call, [(800.0, 62)], call_end_ms=300.0)
    assert (wrong["hits"], wrong["substitutions"], wrong["notes_correct_pct"]) == (0, 1, 0.0)


def test_drum_echo_on_another_pad_of_the_same_group() -> None:
    call = [(0.0, 36), (400.0, 38), (800.0, 42)]  # kick, snare, closed hi-hat
    echo = [(1500.0, 35), (1900.0, 40), (2300.0, 44)]  # other kick, snare, hi-hat pads
    grouped = score_echo(call, echo, call_end_ms=1000.0, match="drum_group")
    assert grouped["hits"] == 3
    exact = score_echo(call, echo, call_end_ms=1000.0)
    assert (exact["hits"], exact["substitutions"]) == (0, 3)


def test_pitch_class_mode() -> None:
    call = [(0.0, 60), (500.0, 62), (1000.0, 64)]
    echo = [(1500.0, 72), (2000.0, 74), (2500.0, 76)]  # an octave up
    assert score_echo(call, echo, call_end_ms=1200.0, match="pitch_class")["hits"] == 3
    assert score_echo(call, echo, call_end_ms=1200.0)["substitutions"] == 3


def test_order_errors_and_rhythm_error_helpers() -> None:
    assert count_order_errors([60, 62, 64], [64, 60, 62]) == 1  # LCS 60 62
    assert count_order_errors([60, 62, 64], [64, 62, 60]) == 2
    assert count_order_errors([60, 62, 64], [60, 62, 64]) == 0
    assert count_order_errors([60, 62], [70, 71]) == 0  # nothing shared, nothing misordered
    assert rhythm_error([0.0], [0.0]) is None
    assert rhythm_error([0.0, 0.0, 500.0], [0.0, 100.0, 600.0]) is None  # a chord


def test_alignment_prefers_the_nearer_substitution() -> None:
    # both call notes are within 100 ms of the echo note; the nearer one (10 ms) is paired
    aligned = align_echo([60, 64], [0.0, 100.0], [62], [90.0], tolerance_ms=100.0)
    assert aligned.substitutions == ((1, 0),)
    assert aligned.omissions == (0,)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ParameterError, match="match"):
        score_echo(CALL, [], call_end_ms=CALL_END_MS, match="fuzzy")
    with pytest.raises(ParameterError, match="call_end_ms"):
        score_echo(CALL, [], call_end_ms=1000.0)
    with pytest.raises(ParameterError, match="call: expected at least one"):
        score_echo([], [], call_end_ms=0.0)
    with pytest.raises(ParameterError, match="response"):
        score_echo(CALL, [(2000.0, 200)], call_end_ms=CALL_END_MS)
    with pytest.raises(ParameterError, match="tolerance_ms: expected a finite number"):
        score_echo(CALL, [], call_end_ms=CALL_END_MS, tolerance_ms=float("inf"))
