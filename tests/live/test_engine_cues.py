"""The child's view as the engine sets it: neutral once an activity ends, however it ends, and
"well done" only after a success; the trouble the engine reports in its snapshot."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soundness_live.activities.base import Show
from soundness_live.audio import output
from soundness_live.audio.backends import open_output
from soundness_live.errors import DeviceError
from soundness_live.live.commands import handle
from soundness_live.live.engine_setup import sound_output_status
from soundness_live.live.timeline import StandInRenderer
from soundness_live.store.records import Store
from soundness_live.ui.widgets import cue_words
from tests.conftest import until_state
from tests.live.test_live_meter import RATE, SineMicrophone

CALL = {"variant": "drums", "trials": 3, "lead_in_ms": 0}  # "your turn" is announced ahead
SING = {"variant": "match-pitch", "pitches": "67", "trials": 2, "lead_in_ms": 0, "gap_ms": 0,
        "tempo_bpm": 180.0, "response_window_ms": 1000, "adaptive": False}  # fmt: skip
FOLLOW = {"variant": "follow-child", "trials": 2, "tempo_bpm": 150.0, "beats": 4,
          "lead_in_ms": 0, "gap_ms": 0, "adaptive": False}  # fmt: skip
STEADY = {"miss_rate": "0", "spread_ms": "0", "bias_ms": "0", "impulsivity": "0"}


@pytest.fixture()
def child(engine_here: Any) -> Any:
    with Store.open(engine_here.options.data_dir / "soundness.db") as store:
        store.add_child({"code": "S-014"})
    return engine_here


def _cues_for(engine: Any, seconds: float) -> list[Any]:
    """Every cue the engine's snapshot shows over ``seconds``, polled every 5 ms."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(engine.snapshot().get("cue"))
        time.sleep(0.005)
    return seen


@pytest.mark.parametrize("command", ["end_session", "stop"])
def test_the_childs_view_returns_to_neutral_when_the_activity_or_session_ends(
    child: Any, command: str
) -> None:
    engine = child
    start = {"type": "start_activity", "activity": "call-and-response", "params": CALL}
    assert handle(engine, dict(start, child="S-014", input="live"))["ok"]
    until_state(engine, lambda s: (s.get("cue") or {}).get("cue") == "listen", 5.0)
    assert handle(engine, {"type": command})["ok"]  # during the call: "your turn" is pending
    seen = _cues_for(engine, 2.0)  # past the end of the call
    assert seen == [None] * len(seen)


class QuietMicrophone(SineMicrophone):
    """A microphone in a silent room."""

    def _capture(self) -> None:
        block, start_s = RATE // 100, time.monotonic()
        silence = np.zeros(block, dtype=np.float32)
        while not self.stopped.is_set():
            due_s = start_s + (self.ring.written + block) / RATE
            time.sleep(max(0.0, due_s - time.monotonic()))
            self.ring.write(silence, due_s - block / RATE)


@pytest.mark.parametrize(
    ("activity", "params", "expected"),
    [("vocal-prompts", SING, {"correct", "no_response"}),
     ("tempo-following", FOLLOW, {"no_response"})],
)  # fmt: skip
def test_the_end_of_a_trial_says_well_done_after_a_success_only(
    child: Any, monkeypatch: pytest.MonkeyPatch, activity: str, params: dict, expected: set
) -> None:
    """Vocal prompts announce "done" with the outcome; tempo-following before scoring: the
    cue shows with the outcome as stored either way, and the engine's word on success."""
    engine, shown = child, []
    show = engine._show_cue

    def spy(cue: dict[str, Any], generation: int, notes: tuple[int, ...]) -> None:
        show(cue, generation, notes)
        if generation == engine._cue_generation and cue.get("cue") == "done":
            shown.append(cue)

    monkeypatch.setattr(engine, "_show_cue", spy)
    trials: list[dict[str, Any]] = []
    engine.broadcast = lambda msg: trials.append(msg["trial"]) if msg["type"] == "trial" else None
    engine.open_microphone = lambda rate, mapping: QuietMicrophone(mapping).start()
    for source in ("virtual", "live"):  # a virtual child who answers, then a silent room
        start = {"type": "start_activity", "activity": activity, "params": params,
                 "child": "S-014", "input": source, "traits": STEADY}  # fmt: skip
        assert handle(engine, start)["ok"]
        until_state(engine, lambda s: s["activity"] is None, 30.0)
    outcomes = [trial["outcome"] for trial in trials]
    assert len(outcomes) == 4 and expected <= set(outcomes)
    assert [cue["outcome"] for cue in shown] == outcomes
    assert [cue["success"] for cue in shown] == [outcome == "correct" for outcome in outcomes]
    words = [cue_words(cue)[0] for cue in shown]
    assert words == ["well done" if outcome == "correct" else "" for outcome in outcomes]


def test_the_screen_says_well_done_from_the_engines_flag_only() -> None:
    assert cue_words({"cue": "done"})[0] == ""
    for outcome in ("partial", "incorrect", "no_response", "premature", "void", "correct"):
        assert cue_words({"cue": "done", "outcome": outcome}) == cue_words(None)  # no flag
        assert cue_words({"cue": "done", "outcome": outcome, "success": False}) == cue_words(None)
    assert cue_words({"cue": "done", "outcome": "correct", "success": True})[0] == "well done"
    assert cue_words({"cue": "done", "success": True})[0] == "well done"  # the flag decides


def test_a_trial_the_engine_voided_after_the_activity_said_correct_gets_no_well_done(
    child: Any,
) -> None:
    engine = child
    done = Show("done", 0, {"outcome": "correct"})  # the activity's own view of the trial
    engine._on_cue(done)
    assert engine.snapshot().get("cue") is None  # it waits for the stored record
    engine._trial_done("void")  # the therapist skipped it, or its device vanished
    cue = until_state(engine, lambda s: s.get("cue") is not None, 5.0)["cue"]
    assert (cue["outcome"], cue["success"], cue_words(cue)[0]) == ("void", False, "")


def test_an_output_that_fell_back_to_null_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_portaudio(*args: object) -> None:
        raise OSError("PortAudio library not found")

    def no_sdl(*args: object) -> None:
        raise DeviceError("SDL audio output could not open the default device: no driver")

    monkeypatch.setattr(output.SoundDeviceOutput, "__init__", no_portaudio)
    monkeypatch.setattr(output.SdlOutput, "__init__", no_sdl)
    renderer = StandInRenderer()
    fell_back = open_output(renderer, "auto")
    assert fell_back.backend == "null"
    status = sound_output_status(fell_back, object())
    assert status == (
        "none: no audio output could be opened (PortAudio: PortAudio library not found; "
        "SDL audio output could not open the default device: no driver)"
    )
    chosen = open_output(renderer, "null")
    assert sound_output_status(chosen, object()) == (
        "none: the null output was chosen (--audio null)"
    )
    assert sound_output_status(chosen, StandInRenderer(why_silent="no synth chosen")) == (
        "none: no synth chosen"
    )


def test_the_engine_snapshot_says_what_cannot_sound_or_listen(child: Any) -> None:
    state = until_state(child, lambda s: s.get("microphone") is not None, 10.0)
    assert state["sound_output"] == "none: no synth chosen (--synth none)"
    assert state["snapshot_hz"] == child.options.snapshot_hz
    assert state["microphone"].startswith(("ok: ", "none: "))


class _Devices:
    """A stand-in for the sounddevice module: one output, and an input when ``mic``."""

    def __init__(self, mic: bool) -> None:
        self.devices = [{"name": "Speakers", "max_input_channels": 0, "max_output_channels": 2}]
        if mic:
            self.devices.append({"name": "USB mic", "max_input_channels": 1,
                                 "max_output_channels": 0})  # fmt: skip
        self.default = types.SimpleNamespace(device=(None, 0))

    def query_devices(self, index: int | None = None) -> Any:
        return self.devices if index is None else self.devices[index]


@pytest.mark.parametrize("mic", [True, False])
def test_the_microphone_check_names_the_device_or_says_why_there_is_none(
    monkeypatch: pytest.MonkeyPatch, mic: bool, tmp_path: Path
) -> None:
    from soundness_live.audio.mic import microphone_status

    monkeypatch.setitem(sys.modules, "sounddevice", _Devices(mic))
    expected = "ok: USB mic" if mic else "none: no audio input device (no microphone"
    assert microphone_status().startswith(expected)
