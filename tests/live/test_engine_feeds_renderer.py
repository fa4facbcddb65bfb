"""The engine, not the activity thread, feeds the renderer: a slow store write or a long scoring
step on the activity thread never makes a scheduled prompt late."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from soundness_live.activities import registry
from soundness_live.activities.base import (
    DRUM_CHANNEL,
    ActivityDef,
    Listen,
    Play,
    PromptNote,
    RecordTrial,
    trial_record,
)
from soundness_live.activities.contract import Outcome
from soundness_live.activities.params import ActivityParams
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.store.records import Store
from tests.conftest import until_state

NAME = "prompt-while-storing"
AHEAD_MS = 300.0  # the prompt is scheduled this far ahead, then the trial before it is stored
BLOCKED_S = 0.5  # how long the store's write holds the activity thread


def _run(ctx: Any) -> Iterator[Any]:
    """Schedule the next prompt, then store the trial before it (the slow write), then listen
    past the prompt."""
    start = ctx.now_frame + ctx.frames(50)
    prompt_at = start + ctx.frames(AHEAD_MS)
    (heard,) = yield Play((PromptNote(prompt_at, 76, 100, ctx.frames(100), DRUM_CHANNEL),))
    yield RecordTrial(
        trial_record(
            ctx, index=0, activity=NAME, prompt=[heard], responses=[], metrics={},
            outcome=Outcome.NO_RESPONSE, difficulty=None, start_frame=start, end_frame=prompt_at,
        )
    )  # fmt: skip
    yield Listen(prompt_at + ctx.frames(400))


TEST_ACTIVITY = ActivityDef(
    NAME, "a prompt scheduled before a slow store write", ActivityParams, _run, (), ""
)


def _slow_write(kind: str) -> None:
    """The activity thread held in the store's write: waiting on a slow disk, or computing
    in Python (holding the GIL but for the interpreter's switches)."""
    if kind == "disk":
        time.sleep(BLOCKED_S)
        return
    until = time.perf_counter() + BLOCKED_S
    while time.perf_counter() < until:
        sum(range(1000))


@pytest.fixture()
def engine(tmp_path, monkeypatch) -> Iterator[Engine]:
    builtins = registry.builtin_activities
    monkeypatch.setattr(registry, "builtin_activities", lambda: builtins() | {NAME: TEST_ACTIVITY})
    registry.reload_activities()  # the registry loads once per process
    options = EngineOptions(tmp_path, audio="null", synth="auto", midi="none", block_size=128)
    engine = Engine(options)
    engine.start()
    with Store.open(tmp_path / "soundness.db") as store:
        store.add_child({"code": "S-014"})
    try:
        yield engine
    finally:
        engine.close()
        monkeypatch.undo()
        registry.reload_activities()


@pytest.mark.parametrize("kind", ["disk", "python"])
def test_a_prompt_stays_on_its_frame_while_the_activity_thread_is_held_500_ms(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    record_trial = Store.record_trial
    held_s: list[float] = []

    def slow_record_trial(
        store: Store, session_id: int, record: dict[str, Any], events: Any = ()
    ) -> None:
        started = time.perf_counter()
        _slow_write(kind)
        record_trial(store, session_id, record, events)
        held_s.append(time.perf_counter() - started)

    monkeypatch.setattr(Store, "record_trial", slow_record_trial)
    start = {"type": "start_activity", "activity": NAME, "child": "S-014", "input": "virtual"}
    assert handle(engine, start)["ok"]
    state = until_state(engine, lambda s: s.get("last_result") is not None, 10.0)
    assert state["last_result"] == "finished"
    assert held_s and held_s[0] >= BLOCKED_S  # the prompt was due while the thread was held
    assert engine.renderer.max_late_frames == 0
    assert engine.renderer.late_events == 0
    assert state["late_events"] == 0
