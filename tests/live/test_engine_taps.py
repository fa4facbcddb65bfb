"""The child's taps as they land, in the engine's snapshot: against the trial's beats, before the
trial is scored, from the live input as played and from the virtual child once heard; the same
count as the trial's figures once it is scored; cleared by a new activity."""

from __future__ import annotations

import time
from typing import Any

from soundness_live.core.events import InputEvent
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from soundness_live.live.tap_marks import MARKS_SHOWN, TapMarks
from tests.conftest import until_state

RATE = 48_000
BEAT = {"variant": "with-beat", "trials": 1, "beats": 8, "tempo_bpm": 120, "lead_in_ms": 0,
        "gap_ms": 0}  # fmt: skip
QUICK_WAIT = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
              "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


def ms(value: float) -> float:
    return value * RATE / 1000.0


def test_each_tap_is_on_the_beat_early_or_late_once_heard() -> None:
    marks = TapMarks(RATE)
    assert marks.view(ms(10_000)) is None  # no beats: nothing to show
    marks.set_beats([ms(1000 + 500 * i) for i in range(4)])  # 1000 .. 2500 ms, 500 ms apart
    for tap_ms in (1030, 1440, 2090, 2540, 700, 2800, 3000):
        marks.add(ms(tap_ms))
    view = marks.view(ms(2600))
    assert view is not None
    # 700 and 2800 lie outside the window (half an interval either side); 3000 is not heard yet
    assert (view["taps"], view["on_beat"], view["early"], view["late"]) == (4, 2, 1, 1)
    assert [(m["side"], m["by_ms"]) for m in view["last"]] == [
        ("on_beat", 30), ("early", -60), ("late", 90), ("on_beat", 40),
    ]  # fmt: skip
    assert view["mean_ms"] == 25.0 and view["window_ms"] == 250
    assert marks.view(ms(1500))["taps"] == 2  # type: ignore[index]
    marks.set_beats([ms(5000), ms(5500)])  # the next trial: its taps start afresh
    assert marks.view(ms(9000))["taps"] == 0  # type: ignore[index]
    for i in range(MARKS_SHOWN + 5):
        marks.add(ms(5000 + i * 10))
    assert len(marks.view(ms(9000))["last"]) == MARKS_SHOWN  # type: ignore[index]


def _start(engine: Engine, activity: str, params: dict[str, Any], source: str) -> None:
    msg = {"type": "start_activity", "activity": activity, "params": params, "child": "S-014",
           "input": source}  # fmt: skip
    reply = handle(engine, msg)
    assert reply["ok"], reply


def test_the_virtual_childs_taps_show_one_by_one_then_agree_with_the_scored_figures(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-014"})
    _start(engine_here, "tempo-following", BEAT, "virtual")
    seen = set()
    deadline = time.monotonic() + 15.0
    while True:
        state = engine_here.snapshot()
        if state["trials_done"]:
            break
        if state["taps"] is not None:
            seen.add(state["taps"]["taps"])
        assert time.monotonic() < deadline, state
        time.sleep(0.02)
    assert len(seen) >= 4  # they came a few at a time as they were heard, not all at the end
    taps, figures = state["taps"], state["figures"]
    assert taps["taps"] >= 6
    for key in ("taps", "on_beat", "early", "late"):
        assert taps[key] == figures[key], (key, taps, figures)
    until_state(engine_here, lambda s: s["activity"] is None, 10.0)
    _start(engine_here, "waiting", QUICK_WAIT, "virtual")  # a new activity clears them
    state = engine_here.snapshot()
    assert state["taps"] is None and state["figures"] is None


def test_a_live_childs_taps_show_as_they_are_played_before_the_trial_is_scored(
    engine_here: Engine,
) -> None:
    engine_here.store.add_child({"code": "S-014"})
    _start(engine_here, "tempo-following", BEAT, "live")
    until_state(engine_here, lambda s: (s["cue"] or {}).get("cue") == "beat", 10.0)
    for _ in range(3):
        now = time.monotonic()
        engine_here.live_input.on_event(InputEvent("note_on", 0, 60, 90, "keyboard", now,
                                                   "arrival"))  # fmt: skip
        engine_here.live_input.on_event(InputEvent("note_off", 0, 60, 0, "keyboard", now + 0.05,
                                                   "arrival"))  # fmt: skip
        time.sleep(0.3)
    state = until_state(engine_here, lambda s: (s["taps"] or {}).get("taps") == 3, 2.0)
    assert state["trials_done"] == 0 and state["activity"] == "tempo-following"
    assert len(state["taps"]["last"]) == 3
    handle(engine_here, {"type": "stop"})
