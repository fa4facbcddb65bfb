"""Waiting games through the engine, on hand-computed cases (METRICS.md §3)."""

from __future__ import annotations

import pytest

from soundness_live.players.scripted import CueResponder, ScriptedResponses
from tests.activity_helpers import RATE, prompt_ms, run


def cue_trial(**extra):
    return {"trials": 1, "adaptive": False, "start_level": 1, **extra}


def test_valid_reaction_is_measured_from_the_heard_cue():
    child = CueResponder({"go": [(350.0, 38)]}, sample_rate=RATE)
    (trial,) = run("waiting", cue_trial(), [child], latency_ms=12.0).records
    (cue_ms,) = prompt_ms(trial, cue=True)
    assert trial["metrics"]["classification"] == "valid"
    assert trial["metrics"]["reaction_time_ms"] == pytest.approx(350.0, abs=0.03)
    assert trial["responses"][0]["onset_ms"] == pytest.approx(cue_ms + 350.0, abs=0.03)
    assert trial["outcome"] == "correct"


@pytest.mark.parametrize(
    ("offset_ms", "classification", "outcome"),
    [(60.0, "anticipatory", "premature"), (-400.0, "premature", "premature")],
)
def test_early_answers(offset_ms, classification, outcome):
    child = CueResponder({"go": [(offset_ms, 38)]}, sample_rate=RATE)
    (trial,) = run("waiting", cue_trial(), [child]).records
    assert trial["metrics"]["classification"] == classification
    assert trial["metrics"]["reaction_time_ms"] is None
    assert trial["outcome"] == outcome


def test_no_answer_is_an_omission():
    (trial,) = run("waiting", cue_trial(), []).records
    assert trial["metrics"]["classification"] == "omission"
    assert trial["outcome"] == "no_response"


def test_foreperiod_is_random_and_grows_with_level():
    params = {"trials": 8, "adaptive": False, "jitter_pct": 40.0}
    low = [
        t["params"]["foreperiod_ms"]
        for t in run("waiting", params | {"start_level": 1}, []).records
    ]
    high = [
        t["params"]["foreperiod_ms"]
        for t in run("waiting", params | {"start_level": 4}, []).records
    ]
    assert len(set(round(x) for x in low)) == 8  # randomised: the cue cannot be timed
    assert all(900.0 <= x <= 2100.0 for x in low)  # 1500 ms +- 40 %
    assert min(high) > max(low)  # level 4: 1500 + 3 * 750 ms +- 40 %


def test_freeze_counts_notes_in_the_freeze_and_the_time_to_stop():
    def along(cue):  # play every 500 ms while the music plays, and 2 notes into the freeze
        stop = (cue.detail["until_frame"] - cue.frame) / RATE * 1000.0
        return [(t, 38) for t in range(200, int(stop), 500)] + [
            (stop + 100.0, 38),
            (stop + 700.0, 38),
        ]

    child = CueResponder({"play": along}, sample_rate=RATE)
    (trial,) = run("waiting", cue_trial(variant="freeze", freeze_partial_notes=1), [child]).records
    (stop_ms,) = prompt_ms(trial, event="stop")
    events = [p.get("event") for p in trial["prompt"] if p.get("event")]
    assert events == ["start", "stop", "start"]
    assert trial["metrics"]["notes_in_freeze"] >= 1
    assert trial["outcome"] in ("partial", "incorrect")
    assert stop_ms > 0


def test_go_no_go_commission_on_a_no_go_sound():
    child = CueResponder({"no_go": [(300.0, 38)], "go": [(300.0, 38)]}, sample_rate=RATE)
    trials = run(
        "waiting", {"trials": 10, "variant": "go-no-go", "no_go_pct": 50.0}, [child]
    ).records
    no_go = [t for t in trials if prompt_ms(t, no_go=True)]
    go = [t for t in trials if prompt_ms(t, cue=True)]
    assert no_go and go
    assert all(t["metrics"]["commission"] is True and t["outcome"] == "incorrect" for t in no_go)
    assert all(t["metrics"]["commission"] is False and t["outcome"] == "correct" for t in go)


def test_turns_count_plays_outside_ones_own_turn():
    def mine(cue):
        return [(200.0, 38)] if cue.detail["player"] == "child" else [(100.0, 38)]

    child = CueResponder({"turn": mine}, sample_rate=RATE, player="child")
    (trial,) = run("waiting", cue_trial(variant="turns", players="child,partner"), [child]).records
    assert trial["metrics"]["plays_in_turn"] == 1
    assert trial["metrics"]["plays_out_of_turn"] == 1
    assert trial["outcome"] == "partial"


def test_scripted_notes_before_the_first_trial_are_not_counted():
    early = ScriptedResponses.from_ms([(100.0, 38)], sample_rate=RATE)
    (trial,) = run("waiting", cue_trial(), [early]).records
    assert trial["responses"] == []


# METRICS.md's table: "extra_responses, wait_s; freeze: notes_in_freeze, time_to_stop_ms;
# go/no-go: commission | null when not that variant"
_NOT_THAT_VARIANT = {
    "cue": ("notes_in_freeze", "time_to_stop_ms", "commission", "per_player"),
    "go-no-go": ("notes_in_freeze", "time_to_stop_ms", "per_player"),
    "freeze": ("extra_responses", "wait_s", "commission", "classification", "per_player"),
    "turns": ("extra_responses", "wait_s", "notes_in_freeze", "time_to_stop_ms", "commission"),
}


@pytest.mark.parametrize("variant", sorted(_NOT_THAT_VARIANT))
def test_every_variant_names_every_metric_and_nulls_the_others(variant):
    (trial,) = run("waiting", cue_trial(variant=variant), []).records
    (other,) = run("waiting", cue_trial(variant="cue"), []).records
    assert list(trial["metrics"]) == list(other["metrics"])  # the same names, in one order
    assert all(trial["metrics"][name] is None for name in _NOT_THAT_VARIANT[variant])
    measured = {"cue": "wait_s", "go-no-go": "commission", "freeze": "notes_in_freeze"}
    measured["turns"] = "plays_out_of_turn"
    assert trial["metrics"][measured[variant]] is not None


def test_each_turn_says_whether_it_is_the_scored_players_own():
    result = run("waiting", cue_trial(variant="turns", players="Sam, child, Mum"), [])
    turns = [(cue.detail["player"], cue.detail["scored"]) for cue in result.cues
             if cue.cue.value == "turn"]  # fmt: skip
    # the first named is the one scored, whatever they are called: the child's view shows
    # "your turn" on that turn only (a partner called "child" is not the scored child)
    assert turns == [("Sam", True), ("child", False), ("Mum", False)]
