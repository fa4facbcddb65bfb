"""The live engine lays out the programs chosen while it runs off the audio thread: a device
role's instrument and a prompt's program change are prepared on the engine's own thread, and
the log says what stood in meanwhile."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soundness_live.core.events import DeviceChange, InputEvent, NoteOn, ProgramChange
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.players.roles import DeviceRole
from soundness_live.synth.synth import Synth


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, list]]:
    """An engine on the bundled bank laid out as a large bank is (its channels' programs
    only), noting the thread of every lay-out."""
    threads: list[str] = []
    lay_out = Synth._lay_out

    def noting(self: Synth, presets: Any, between: Any = None) -> int:
        threads.append(threading.current_thread().name)
        return lay_out(self, presets, between)

    monkeypatch.setattr(Synth, "_lay_out", noting)
    monkeypatch.setattr(Synth, "prepare_bank", lambda self, limit_bytes=0: self.prepare())
    engine = Engine(EngineOptions(tmp_path, audio="null", synth="auto", midi="none"))
    engine.start()
    try:
        yield engine, threads
    finally:
        engine.close()


def _wait(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_role_instrument_is_laid_out_off_the_audio_thread_before_it_plays(
    engine: tuple[Engine, list], caplog: pytest.LogCaptureFixture
) -> None:
    live, threads = engine
    synth = live.renderer.synth
    with caplog.at_level(logging.INFO, logger="soundness_live.live.programs"):
        live.live_input.set_role(DeviceRole("keys", "S-014", "keyboard", program=12))
        _wait(lambda: live.programs.prepared == 1)
    assert threads[1:] == ["prepare-programs"]  # after the one before the output started
    assert "bank 0 program 12 is laid out and plays from now" in caplog.text
    live.live_input.on_device_change(DeviceChange("keys", True, time.monotonic()))
    live.live_input.on_event(InputEvent("note_on", 0, 60, 90, "keys", time.monotonic(), "arrival"))
    _wait(lambda: synth.active_voices == 1)
    channel = live.live_input.roles.synth_channel("keys")
    assert synth.channels[channel].preset.name == "Marimba" and not synth.stand_ins


def test_a_program_change_from_a_prompt_is_prepared_as_it_is_scheduled(
    engine: tuple[Engine, list],
) -> None:
    live, threads = engine
    at = live.sink.frame + live.sample_rate  # a second ahead
    live.sink.schedule(ProgramChange(at, 2, 24, 0))
    live.sink.schedule(NoteOn(at, 2, 64, 90))
    _wait(lambda: live.programs.prepared == 1)
    assert live.renderer.frame < at  # ready before its frame
    _wait(lambda: live.renderer.synth.active_voices == 1)
    assert live.renderer.synth.channels[2].preset.name == "Nylon Guitar"
    assert "null-audio" not in threads


def test_a_program_no_one_asked_for_plays_a_stand_in_and_the_log_says_so(
    engine: tuple[Engine, list], caplog: pytest.LogCaptureFixture
) -> None:
    live, threads = engine
    with caplog.at_level(logging.INFO, logger="soundness_live.live.programs"):
        live.renderer.push(ProgramChange(0, 3, 13, 0), True)  # a device's own program change
        live.renderer.push(NoteOn(0, 3, 72, 90), True)
        _wait(lambda: live.programs.prepared == 1)
    assert (
        "Xylophone (bank 0 program 13) is not laid out yet: channel 4 plays Grand Piano "
        "(bank 0 program 0) until it is" in caplog.text
    )
    assert "null-audio" not in threads
