"""Spoken prompts in the live engine: made before the trial, handed to the renderer ahead of
their frame; without espeak-ng the synth sings and the therapist is told."""

from __future__ import annotations

from typing import Any

import pytest

from soundness_live.core.events import NoteOn, PlaySound
from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from tests.conftest import require_program, until_state

QUICK_VOCAL = {"trials": 1, "lead_in_ms": 200, "response_window_ms": 1000, "adaptive": False}


def test_the_engine_plays_a_spoken_prompt_on_its_frame(engine_here: Engine) -> None:
    require_program("espeak-ng", "espeak-ng")
    engine_here.store.add_child({"code": "S-021"})
    params = dict(QUICK_VOCAL, prompt_source="espeak")
    reply = handle(engine_here, {"type": "start_activity", "activity": "vocal-prompts",
                           "input": "virtual", "params": params, "child": "S-021"})  # fmt: skip
    assert reply["ok"], reply
    state = until_state(
        engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 15.0
    )
    (trial,) = engine_here.store.trials(state["session_id"])
    (entry,) = trial["prompt"]
    assert entry["spoken"] == "espeak:ba ba" and entry["syllables"] == 2
    commands = list(engine_here.renderer.commands)
    (sound, immediate), *_ = [(e, i) for e, i in commands if isinstance(e, PlaySound)]
    assert sound.name == "espeak:ba ba" and not immediate  # handed over ahead, not as thru
    played = sound.frame - engine_here.timeline.offset_frames  # on the session axis
    assert played + engine_here.sink.output_latency_frames == entry["onset_frame"]  # when heard
    assert len(sound.samples) == round(entry["duration_ms"] * engine_here.sample_rate / 1000)


def test_without_espeak_the_engine_sings_the_prompt_and_says_so(
    engine_here: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.voice import prompts as voice_prompts

    monkeypatch.setattr(voice_prompts, "espeak_program", lambda: None)
    messages: list[dict[str, Any]] = []
    engine_here.broadcast = messages.append
    params = dict(QUICK_VOCAL, prompt_source="espeak")
    reply = handle(engine_here, {"type": "start_activity", "activity": "vocal-prompts",
                           "input": "virtual", "params": params})  # fmt: skip
    assert reply["ok"], reply
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"] == 1, 15.0)
    notices = [m["text"] for m in messages if m["type"] == "notice"]
    assert any("espeak-ng not found" in text for text in notices)
    assert not any(isinstance(e, PlaySound) for e, _ in engine_here.renderer.commands)
    assert any(isinstance(e, NoteOn) for e, _ in engine_here.renderer.commands)  # sung instead
