"""Every failure is counted where the engine's snapshot reports it, and logged off the thread
where it happened: audio blocks that raised (played as silence), feeder rounds that raised,
played notes the live input had no room for."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pytest

from soundness_live.live import input as live_input
from soundness_live.live.input import LiveInput


def _wait(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_audio_blocks_that_fail_are_in_the_snapshot_and_logged_once(
    engine_here: Any, caplog: pytest.LogCaptureFixture
) -> None:
    renderer, failures = engine_here.renderer, [ValueError("a voice row out of range")] * 3
    render_into = renderer.render_into

    def render_failing(out: np.ndarray) -> None:
        if failures:
            raise failures.pop()
        render_into(out)

    renderer.render_into = render_failing
    _wait(lambda: not failures and engine_here.output.blocks > 0)
    with caplog.at_level(logging.ERROR, logger="soundness_live.live.engine"):
        state = engine_here.snapshot()
        assert state["output_errors"] == 3
        assert state["output_error"] == "ValueError: a voice row out of range"
        engine_here.snapshot()  # nothing new: not logged again
    (line,) = [r.getMessage() for r in caplog.records if "audio block" in r.getMessage()]
    assert line == (
        "3 audio block(s) failed and played as silence (3 in all); "
        "the latest: ValueError: a voice row out of range"
    )


def test_a_healthy_engine_reports_no_failures(engine_here: Any) -> None:
    state = engine_here.snapshot()
    assert (state["output_errors"], state["output_error"], state["feed_errors"]) == (0, None, 0)
    assert (state["midi_failures"], state["midi_queue_dropped"]) == (0, 0)
    assert state["jack_frame_errors"] == 0


def test_jack_frames_that_could_not_be_read_are_in_the_snapshot(tmp_path: Any) -> None:
    from soundness_live.live.engine import Engine, EngineOptions

    engine = Engine(EngineOptions(tmp_path, audio="null", synth="none", midi="jack"))
    try:
        assert engine.frame_tap is not None
        engine.frame_tap.errors = 2  # counted by the audio callback (tests/midi/)
        assert engine.snapshot()["jack_frame_errors"] == 2
    finally:
        engine.close()


def test_feeder_failures_and_lost_played_notes_are_in_the_snapshot(
    engine_here: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.core.events import InputEvent

    engine_here.sink.feed_errors = 2  # counted by the feeder thread (tests/live/test_live.py)
    monkeypatch.setattr(live_input, "PLAYED_CAPACITY", 4)
    player: LiveInput = engine_here.live_input
    for note in range(7):
        now_s = time.monotonic()
        player.on_event(InputEvent("note_on", 0, 60 + note, 90, "keys", now_s, "arrival"))
    state = engine_here.snapshot()
    assert (state["feed_errors"], state["midi_queue_dropped"]) == (2, 3)
