"""Each activity live: the engine process on a private JACK server, a child's notes sent to its
MIDI input through JACK, answered when the cues say so, scored on the session axis."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator

import pytest
import rtmidi

from soundness_live.live.client import EngineClient
from soundness_live.store.records import Store
from tests.conftest import require, require_program
from tests.jackserver import module_jack_server
from tests.live.test_engine_process import _attach, _home, _stop, _wait_for

pytestmark = pytest.mark.jack
jack = module_jack_server(256)
ENGINE_ARGS = [
    "--audio",
    "sounddevice",
    "--midi",
    "jack",
    "--block-size",
    "256",
]


@pytest.fixture(scope="module")
def live_engine(jack) -> Iterator[tuple[EngineClient, rtmidi.MidiOut, object]]:
    from soundness_live.live.client import start_engine

    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "sl-child-pad")
    client: EngineClient | None = None
    try:
        keyboard.open_virtual_port("out")
        client = _attach(home, timeout_s=30.0)
        _wait_for(
            lambda: any("sl-child-pad" in d["device"] for d in client.state.get("devices", [])),
            10.0,
        )
        assert client.state["thru"] == "constant"  # frame-exact JACK stamps: constant latency
        yield client, keyboard, home
    finally:
        if client is not None:
            client.close()
        keyboard.close_port()
        keyboard.delete()  # its JACK client goes now, not whenever the object is collected
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


def hit(keyboard: rtmidi.MidiOut, note: int = 38) -> None:
    keyboard.send_message([0x99, note, 100])
    time.sleep(0.05)
    keyboard.send_message([0x89, note, 0])


def run_live(live_engine, activity: str, params: dict, answer: Callable[[str], None]) -> dict:
    """Start ``activity`` on live input for S-014; call ``answer(cue)`` on every new cue;
    return the stored trial record."""
    client, _keyboard, home = live_engine
    before = len(client.trials)
    client.request("start_activity", activity=activity, params=params, input="live", child="S-014")
    seen: str | None = None
    deadline = time.monotonic() + 30.0
    while len(client.trials) <= before:
        assert time.monotonic() < deadline, f"no trial from {activity}"
        cue = (client.state.get("cue") or {}).get("cue")
        if cue != seen:
            seen = cue
            if cue:
                answer(cue)
        time.sleep(0.005)
    _wait_for(lambda: client.state["activity"] is None, 10.0)
    with Store.open(home / "soundness.db", recover=False) as store:
        return store.trials(client.state["session_id"])[-1]


def test_call_and_response_live(live_engine) -> None:
    keyboard = live_engine[1]

    def answer(cue: str) -> None:
        if cue == "your_turn":
            time.sleep(0.3)
            hit(keyboard, 36)
            time.sleep(0.6)
            hit(keyboard, 38)

    params = {
        "trials": 1,
        "start_level": 2,
        "adaptive": False,
        "lead_in_ms": 300,
        "response_window_ms": 2500,
    }
    trial = run_live(live_engine, "call-and-response", params, answer)
    assert [r["note"] for r in trial["responses"]] == [36, 38]
    assert {r["clock"] for r in trial["responses"]} == {"jack-frame"}
    assert trial["metrics"]["n_response"] == 2 and trial["metrics"]["waited_for_turn"] is True
    assert trial["metrics"]["response_latency_ms"] > 0


def test_waiting_game_live(live_engine) -> None:
    keyboard = live_engine[1]

    def answer(cue: str) -> None:
        if cue == "go":
            time.sleep(0.4)
            hit(keyboard)

    params = {
        "trials": 1,
        "variant": "cue",
        "lead_in_ms": 300,
        "foreperiod_ms": 800,
        "wait_step_ms": 0,
    }
    trial = run_live(live_engine, "waiting", params, answer)
    assert trial["metrics"]["classification"] == "valid"
    assert 250.0 < trial["metrics"]["reaction_time_ms"] < 1500.0


def test_tempo_following_live(live_engine) -> None:
    keyboard = live_engine[1]

    client = live_engine[0]

    def answer(cue: str) -> None:
        # tap with the beat for as long as it shows: the cue reaches this client some time
        # after the first beat (up to a few hundred ms on a loaded machine), so a fixed count
        # of taps from the cue could run past the trial's window
        if cue == "beat":
            for _ in range(12):
                hit(keyboard)
                time.sleep(60.0 / 100.0 - 0.05)
                if (client.state.get("cue") or {}).get("cue") != "beat":
                    break

    params = {"trials": 1, "tempo_bpm": 100, "beats": 8, "lead_in_ms": 300}
    trial = run_live(live_engine, "tempo-following", params, answer)
    assert len(trial["responses"]) >= 7  # the window spans the 8 beats and half a beat on
    assert trial["metrics"]["median_iti_ms"] == pytest.approx(600.0, abs=60.0)


def test_vocal_prompts_live_listen_through_the_microphone(live_engine) -> None:
    # JACK's dummy driver captures silence: the prompt is sung, the microphone heard, no voice
    client = live_engine[0]
    meters: list[dict] = []

    def answer(cue: str) -> None:
        if cue == "your_turn":  # the voice meter reads the microphone against the turn's note
            _wait_for(lambda: (client.state.get("voice_meter") or {}).get("target_hz"), 2.0)
            meters.append(client.state["voice_meter"])

    params = {"trials": 1, "lead_in_ms": 300, "response_window_ms": 1500, "adaptive": False}
    trial = run_live(live_engine, "vocal-prompts", params, answer)
    (meter,) = meters
    assert meter["target_hz"] == pytest.approx(392.0, abs=0.01)  # echo-syllables starts on G4
    assert meter["pitch_hz"] is None and meter["level_db"] <= -100.0  # silence: no pitch
    assert client.state["voice_meter"] is None  # the microphone closed with the activity
    assert trial["outcome"] == "no_response"
    assert trial["params"]["voice_source"] == "microphone"
    assert trial["metrics"]["syllables"] in (0, None)
    assert [p["syllable"] for p in trial["prompt"] if p.get("syllable")]


def test_a_spoken_prompt_is_heard_live(live_engine) -> None:
    """espeak-ng says the prompt; it comes out of the engine's JACK output, whole."""
    require_program("espeak-ng", "espeak-ng")
    try:
        from tests.jackserver import JackProbe, jack_connect
    except ImportError:  # JACK-Client
        require(False, "JACK-Client not installed (pip install JACK-Client)")
    ear = JackProbe("sl-ear").activate()
    try:
        left = ear.client.get_all_connections("system:playback_1")
        jack_connect(next(p.name for p in left if p.name.startswith("PortAudio")), "sl-ear:in")
        params = {
            "trials": 1,
            "lead_in_ms": 300,
            "response_window_ms": 1500,
            "adaptive": False,
            "prompt_source": "espeak",
        }
        trial = run_live(live_engine, "vocal-prompts", params, lambda cue: None)
    finally:
        ear.close()
    (entry,) = trial["prompt"]
    assert entry["spoken"] == "espeak:ba ba" and entry["syllables"] == 2
    assert trial["params"]["prompt_source"] == "espeak"
    # nothing else sounds in this trial: what the ear heard is the spoken prompt
    assert len(ear.onsets) >= 1
    heard_ms = 1000.0 * ear.loud_frames / 48_000
    print(f"\nspoken prompt {entry['duration_ms']:.0f} ms, heard above -60 dBFS {heard_ms:.0f} ms")
    assert 0.3 * entry["duration_ms"] < heard_ms < 1.2 * entry["duration_ms"]
