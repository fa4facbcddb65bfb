"""Waiting-game scores on hand-made responses (METRICS.md §3)."""

from __future__ import annotations

import json

import pytest

from soundness_live.errors import ParameterError
from soundness_live.metrics.waiting import (
    classify_response,
    score_freeze,
    score_go_no_go,
    score_turns,
)

TRIAL_START_MS = 1000.0
CUE_MS = 4000.0


def _classify(*onsets: float, **params: float) -> dict:
    return classify_response(CUE_MS, list(onsets), trial_start_ms=TRIAL_START_MS, **params)


@pytest.mark.parametrize(
    ("onsets", "classification", "reaction_time_ms"),
    [
        ((3500.0,), "premature", None),
        ((4000.0,), "anticipatory", None),  # 0 ms: too fast to be a reaction
        ((4099.0,), "anticipatory", None),
        ((4100.0,), "valid", 100.0),  # the floor itself is a reaction
        ((4350.0,), "valid", 350.0),
        ((7000.0,), "valid", 3000.0),  # the window's end is inside it
        ((7001.0,), "omission", None),
        ((), "omission", None),
        ((500.0,), "omission", None),  # before the trial started: belongs to the last trial
    ],
)
def test_classification_by_first_response(
    onsets: tuple[float, ...], classification: str, reaction_time_ms: float | None
) -> None:
    result = _classify(*onsets)
    assert result["classification"] == classification
    assert result["reaction_time_ms"] == reaction_time_ms


def test_first_response_decides_and_later_ones_are_extra() -> None:
    result = _classify(4300.0, 3800.0, 5000.0)  # unsorted input: 3800 is first
    assert result["classification"] == "premature"
    assert result["extra_responses"] == 2
    assert result["wait_s"] == pytest.approx(2.8)  # 3800 - 1000
    json.dumps(result)


def test_wait_is_capped_at_the_window_end() -> None:
    assert _classify(5200.0)["wait_s"] == pytest.approx(4.2)
    assert _classify()["wait_s"] == pytest.approx(6.0)  # (4000 + 3000 - 1000) / 1000
    assert _classify(7500.0)["wait_s"] == pytest.approx(6.0)
    assert _classify(7500.0)["extra_responses"] == 0


def test_classify_rejects_bad_parameters() -> None:
    with pytest.raises(ParameterError, match="cue_ms"):
        classify_response(500.0, [], trial_start_ms=1000.0)
    with pytest.raises(ParameterError, match="anticipatory_ms"):
        _classify(anticipatory_ms=5000.0)
    with pytest.raises(ParameterError, match="window_ms"):
        _classify(window_ms=0.0)


def test_freeze_with_notes_inside() -> None:
    stops = [(1000.0, 3000.0), (5000.0, 6000.0)]
    # 900 and 6500 are outside both freezes; 1100 and 1200 fall in the first 250 ms grace;
    # 2000 and 2500 break the first freeze; 5100 is in the second freeze's grace
    responses = [900.0, 1100.0, 1200.0, 2000.0, 2500.0, 5100.0, 6500.0]
    score = score_freeze(stops, responses)
    assert score["notes_in_freeze"] == 2
    assert score["notes_in_freeze_per_freeze"] == [2, 0]
    assert score["time_to_stop_per_freeze_ms"] == [1500.0, 100.0]
    assert score["time_to_stop_ms"] == 800.0
    assert score["freezes_held"] == 1
    strict = score_freeze(stops, responses, stop_tolerance_ms=0.0)
    assert strict["notes_in_freeze_per_freeze"] == [4, 1]
    json.dumps(score)


def test_freeze_without_notes_and_without_stops() -> None:
    still = score_freeze([(1000.0, 2000.0)], [500.0, 2500.0])
    assert (still["notes_in_freeze"], still["time_to_stop_ms"], still["freezes_held"]) == (0, 0, 1)
    assert score_freeze([], [100.0])["time_to_stop_ms"] is None


def test_a_freeze_with_nothing_played_before_it_has_no_time_to_stop() -> None:
    # nothing played at all: nothing to stop, not an instant stop
    idle = score_freeze([(1000.0, 2000.0)], [])
    assert (idle["time_to_stop_ms"], idle["time_to_stop_per_freeze_ms"]) == (None, [None])
    assert (idle["notes_in_freeze"], idle["freezes_held"]) == (0, 0)  # nothing held
    # played only in the music after the first freeze: the second freeze alone is measured
    stops = [(1000.0, 2000.0), (3000.0, 4000.0)]
    later = score_freeze(stops, [2500.0, 3100.0])
    assert later["time_to_stop_per_freeze_ms"] == [None, 100.0]
    assert later["time_to_stop_ms"] == 100.0 and later["freezes_held"] == 1
    # a note in a freeze is no music before the next one
    inside = score_freeze(stops, [500.0, 1500.0])
    assert inside["time_to_stop_per_freeze_ms"] == [500.0, None]
    with pytest.raises(ParameterError, match="overlaps"):
        score_freeze([(0.0, 2000.0), (1000.0, 3000.0)], [])
    with pytest.raises(ParameterError, match="stop < restart"):
        score_freeze([(2000.0, 1000.0)], [])


def test_go_no_go_commission_on_a_single_no_go() -> None:
    played = score_go_no_go([(1000.0, True)], [1400.0])
    assert played["commission"] is True
    assert played["commission_errors"] == 1
    assert played["reaction_time_ms"] is None
    held = score_go_no_go([(1000.0, True)], [])
    assert held["commission"] is False
    assert held["correct_rejections"] == 1


def test_go_no_go_sequence() -> None:
    stimuli = [(0.0, False), (1000.0, True), (2000.0, False), (3000.0, False)]
    # 300: hit on go 0; 1500: commission on the no-go (go 0's window ends at 1000);
    # 2600 and 2700: hit on go 2000 (first response counts); nothing after 3000: omission;
    # -200: before any stimulus
    score = score_go_no_go(stimuli, [-200.0, 300.0, 1500.0, 2600.0, 2700.0], window_ms=3000.0)
    assert (score["hits"], score["omissions"], score["commission_errors"]) == (2, 1, 1)
    assert score["commission"] is True
    assert score["reaction_times_ms"] == [300.0, 600.0]
    assert score["reaction_time_ms"] == 450.0
    assert score["responses_outside"] == 1
    late = score_go_no_go([(0.0, False)], [1500.0], window_ms=1000.0)
    assert (late["hits"], late["omissions"], late["responses_outside"]) == (0, 1, 1)


def test_turns_with_three_players() -> None:
    turns = [("ana", 0.0, 1000.0), ("ben", 1000.0, 2000.0), ("ana", 2000.0, 3000.0)]
    responses = [("ana", 100.0), ("ben", 500.0), ("ben", 1500.0), ("ana", 2999.0), ("cy", 10.0)]
    score = score_turns(turns, responses)
    assert score["players"] == [
        {"player": "ana", "plays_in_turn": 2, "plays_out_of_turn": 0, "waited": True},
        {"player": "ben", "plays_in_turn": 1, "plays_out_of_turn": 1, "waited": False},
        {"player": "cy", "plays_in_turn": 0, "plays_out_of_turn": 1, "waited": False},
    ]
    assert (score["plays_in_turn"], score["plays_out_of_turn"]) == (3, 2)
    assert score["waited"] is False
    json.dumps(score)
    # a turn ends before its end_ms: ben's note at 2000 is already ana's turn
    assert score_turns(turns, [("ben", 2000.0)])["plays_out_of_turn"] == 1
    with pytest.raises(ParameterError, match="turns\\[0\\]"):
        score_turns([("ana", 10.0, 10.0)], [])
