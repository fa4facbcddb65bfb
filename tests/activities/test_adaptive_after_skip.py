"""A trial the therapist cut short is stored void, and no adaptive rule moves for it: the
call-and-response and vocal staircases, the waiting game's foreperiod and the tempo's step and
preferred tempo all read the final record (``final = yield RecordTrial(...)``).

Each case runs twice, on one seed: once as it is (the rule moves after the first trial, which
shows the case can move it) and once with the first trial cut short (nothing moves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from soundness_live.activities.registry import get_activity
from soundness_live.core.session import RunResult, Session, SessionHooks, SilentSink
from soundness_live.players.scripted import CueResponder
from soundness_live.voice.scoring import VOICE_SCORING
from tests.activity_helpers import RATE


def _cut_first(why: str) -> SessionHooks:
    """Hooks that cut the first trial short (``why``) and no other."""
    asked = iter(range(1_000))
    return SessionHooks(cut_short=lambda proposed: why if next(asked) == 0 else None)


def _run(activity: str, params: dict[str, Any], inputs: list, hooks: SessionHooks) -> RunResult:
    session = Session(
        get_activity(activity), params, sink=SilentSink(), inputs=inputs, sample_rate=RATE,
        seed=3, hooks=hooks, voice_scoring=VOICE_SCORING,
    )  # fmt: skip
    return session.run()


def _on_the_beat(cue: Any) -> list[tuple[float, int]]:
    start = cue.detail.get("heard_frame", cue.frame)
    return [((b - start) * 1000.0 / RATE - 20.0, 38) for b in cue.detail["beats"]]


def _steady_taps(cue: Any) -> list[tuple[float, int]]:
    return [(300.0 + 600.0 * k, 38) for k in range(10)]  # 100 BPM of the child's own


def _tapper() -> list:
    return [CueResponder({"beat": _on_the_beat, "tap": _steady_taps}, sample_rate=RATE)]


def _level(trial: dict[str, Any]) -> Any:
    return trial["difficulty"]


def _tempo(trial: dict[str, Any]) -> Any:
    return trial["params"]["trial_tempo_bpm"]


QUICK = {"trials": 2, "lead_in_ms": 0, "gap_ms": 0}
CASES: dict[str, tuple[str, dict[str, Any], Callable[[], list], Callable, Any, Any]] = {
    # name: activity, params, inputs, what moves, after an uncut first trial, after a cut one
    "call-and-response staircase": (
        "call-and-response",
        {**QUICK, "start_level": 3, "response_window_ms": 500},
        list,  # no echo: a failure, one level down
        _level,
        2,
        3,
    ),
    "waiting foreperiod": (
        "waiting",
        {
            **QUICK,
            "variant": "cue",
            "start_level": 3,
            "foreperiod_ms": 200,
            "wait_step_ms": 100,
            "jitter_pct": 0,
            "response_window_ms": 300,
        },  # fmt: skip
        list,  # no answer: an omission, one level down
        _level,
        2,
        3,
    ),
    "tempo step": (
        "tempo-following",
        {**QUICK, "beats": 8, "step_pct": 5.0},
        _tapper,  # taps on every beat: the criterion is met, the tempo steps up
        _tempo,
        pytest.approx(94.5),
        pytest.approx(90.0),
    ),
    "preferred tempo": (
        "tempo-following",
        {**QUICK, "beats": 8, "start_from_preferred": True, "unpaced_ms": 6500},
        _tapper,  # taps at 100 BPM when asked for their own tempo
        _tempo,
        pytest.approx(100.0),
        pytest.approx(90.0),
    ),
    "vocal staircase": (
        "vocal-prompts",
        {**QUICK, "start_level": 3, "response_window_ms": 1000},
        list,  # no voice: no response, one level down
        _level,
        2,
        3,
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("why", ["skipped", "paused"])
def test_a_trial_cut_short_leaves_the_difficulty_where_it_was(case: str, why: str) -> None:
    activity, params, inputs, moved, uncut, cut = CASES[case]
    first, second = _run(activity, params, inputs(), SessionHooks()).records
    assert first["outcome"] != "void" and moved(second) == uncut  # the rule does move
    first, second = _run(activity, params, inputs(), _cut_first(why)).records
    assert (first["outcome"], first["void_reason"]) == ("void", why)
    assert moved(second) == cut
    assert "void_reason" not in second and second["outcome"] != "void"
