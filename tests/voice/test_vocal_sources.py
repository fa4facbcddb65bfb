"""Vocal prompts around the activity: voice privacy, spoken and recorded prompts, play and demo."""

from __future__ import annotations

import io
import json
import subprocess
from typing import Any

import numpy as np
import pytest
import soundfile

from soundness_live.activities.registry import get_activity
from soundness_live.activities.sung_prompts import sung_prompt
from soundness_live.cli import main
from soundness_live.core.events import PROMPT_LEVEL_DBFS, PlaySound
from soundness_live.core.session import Session, SilentSink
from soundness_live.players.profiles import ChildProfile, Consent
from soundness_live.store.records import Store
from soundness_live.store.session import StoredSession
from soundness_live.synth.singing import SyllableSinger
from soundness_live.voice import prompts as voice_prompts
from soundness_live.voice.prompts import (
    PromptSounds,
    import_prompt_asset,
    prepare_prompts,
)
from soundness_live.voice.scoring import VOICE_SCORING
from soundness_live.voice.sources import VirtualSinger
from tests.conftest import require_program

RATE = 48_000
PARAMS = {"trials": 2, "adaptive": False}


class SingerAtTheMicrophone(VirtualSinger):
    """The virtual singer heard through a stand-in microphone: a child's voice to the store."""

    name = "microphone"


def stored_run(store: Store, code: str, voice: Any = None) -> tuple[int, list[dict]]:
    stored = StoredSession.start(store, code, sample_rate=RATE)
    session = Session(
        get_activity("vocal-prompts"),
        PARAMS,
        sink=SilentSink(),
        inputs=[],
        sample_rate=RATE,
        voice=voice or SingerAtTheMicrophone(RATE, SyllableSinger(RATE), seed=1),
        voice_scoring=VOICE_SCORING,
        hooks=stored.hooks("vocal-prompts"),
    )
    result = session.run()
    stored.close()
    return stored.session_id, result.records


@pytest.mark.parametrize("consent", [True, False])
def test_the_voice_is_kept_only_with_consent(tmp_path, consent):
    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="S-014", consent=Consent(voice_recording=consent)))
        session_id, trials = stored_run(store, "S-014")
        assert [t["metrics"]["syllables"] for t in trials] == [2, 2]  # analysed either way
        kept = [store.voice_recording(session_id, t["index"]) for t in trials]
        if not consent:
            assert kept == [None, None]
            return
        for wav in kept:
            audio, rate = soundfile.read(io.BytesIO(wav))
            # from 300 ms before the prompt (heard at frame 96 000) to the end of the window
            # (5000 ms after the turn at frame 147 200)
            assert rate == RATE and len(audio) == (147_200 + 5000 * 48) - (96_000 - 300 * 48)
            assert np.abs(audio).max() > 0.05  # the child's voice is in it
    finally:
        store.close()


def test_spoken_prompts_come_from_espeak_and_are_played_whole():
    require_program("espeak-ng", "espeak-ng")
    sink = SilentSink()
    session = Session(
        get_activity("vocal-prompts"),
        dict(PARAMS, prompt_source="espeak"),
        sink=sink,
        inputs=[],
        sample_rate=RATE,
        voice=VirtualSinger(RATE, SyllableSinger(RATE), seed=1),
        voice_scoring=VOICE_SCORING,
        prompt_sounds=PromptSounds(RATE),
    )
    trials = session.run().records
    spoken = PromptSounds(RATE).get("espeak:ba ba")
    assert spoken.syllables == 2 and spoken.source == "espeak"
    plays = [e for e in sink.events if isinstance(e, PlaySound)]
    assert [(e.frame, len(e.samples), e.name) for e in plays] == [
        (96_000, len(spoken.samples), "espeak:ba ba"),
        (plays[1].frame, len(spoken.samples), "espeak:ba ba"),
    ]
    peak = float(np.max(np.abs(plays[0].samples)))  # at the prompt level, below the cap stage
    assert 20 * np.log10(peak) == pytest.approx(PROMPT_LEVEL_DBFS, abs=0.01)
    (entry,) = trials[0]["prompt"]
    assert entry["spoken"] == "espeak:ba ba" and entry["onset_ms"] == pytest.approx(2000.0)
    assert entry["duration_ms"] == pytest.approx(1000 * len(spoken.samples) / RATE)
    metrics = trials[0]["metrics"]
    assert metrics["target_syllables"] == 2 and metrics["pitch_error_cents"] is None


def test_without_espeak_the_synth_sings_and_says_so(monkeypatch):
    monkeypatch.setattr(voice_prompts, "espeak_program", lambda: None)
    sounds, params, message = prepare_prompts({"prompt_source": "espeak"}, RATE)
    assert sounds is None and params["prompt_source"] == "synth"
    assert "espeak-ng not found" in message and "apt-get install espeak-ng" in message


def test_a_recorded_prompt_is_analysed_at_import_and_reused(tmp_path):
    espeak = require_program("espeak-ng", "espeak-ng")
    wav = tmp_path / "hello.wav"
    subprocess.run([espeak, "-v", "en+f3", "-s", "110", "-w", str(wav), "ba ma"], check=True)
    store = Store.open(tmp_path / "store.db")
    try:
        analysis = import_prompt_asset(store, "ba-ma", wav)
        assert analysis["syllables"] == 2 and len(analysis["pitches_hz"]) == 2
        assert store.prompt_asset("ba-ma")["wav"] == wav.read_bytes()
        import_prompt_asset(store, "a-ba", wav)
        assert store.prompt_asset_names() == ["a-ba", "ba-ma"]  # what the therapist can pick
        sounds, _, _ = prepare_prompts(
            {"prompt_source": "asset", "prompt_asset": "ba-ma"}, RATE, store
        )
    finally:
        store.close()
    prompt = sounds.get("asset:ba-ma")  # read while the store was open
    assert prompt.syllables == 2 and prompt.samples.dtype == np.float32
    assert len(prompt.samples) == pytest.approx(1000 * analysis["duration_ms"] * RATE / 1e6, abs=2)


def test_sung_prompt_groups_notes_by_voice_and_adds_taps():
    prompt = sung_prompt(["ba", "ma", "ba"], [67, 64, 67], start_frame=100, ioi_frames=1000,
                         hold_frames=600, taps=True)  # fmt: skip
    assert [(p, b, [n.frame for n in notes]) for p, b, notes in prompt.groups] == [
        (0, 1, [100, 2100]),
        (1, 1, [1100]),
    ]
    assert [n.channel for _, _, notes in prompt.groups for n in notes] == [0, 0, 1]
    assert [(t.frame, t.channel) for t in prompt.taps] == [(100, 9), (1100, 9), (2100, 9)]


def test_play_runs_vocal_prompts_with_a_wav_for_the_microphone(tmp_path, capsys):
    espeak = require_program("espeak-ng", "espeak-ng")
    wav = tmp_path / "answer.wav"
    subprocess.run([espeak, "-v", "en+f3", "-s", "120", "-w", str(wav), "ba ba"], check=True)
    out = tmp_path / "trials.json"
    argv = [
        "play",
        "vocal-prompts",
        "--voice-wav",
        str(wav),
        "--param",
        "trials=2",
        "--json",
        str(out),
    ]
    assert main(argv) == 0
    trials = json.loads(out.read_text())["trials"]
    assert [t["params"]["voice_source"] for t in trials] == ["wav", "wav"]
    assert [t["metrics"]["syllables"] for t in trials] == [2, 2]
    assert "syllables=2" in capsys.readouterr().out


def test_the_demo_runs_the_vocal_activity_with_the_virtual_singer(tmp_path, monkeypatch):
    from soundness_live.commands.demo import run_demo

    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))
    written = run_demo(tmp_path / "demo", quick=True, wav=False)
    vocal = [t for t in written["trials"] if t["activity"] == "vocal-prompts"]
    assert len(vocal) == 2 and {t["params"]["voice_source"] for t in vocal} == {"virtual"}
    assert any(t["metrics"]["syllables"] for t in vocal)


def test_a_simulated_voice_is_never_kept_as_the_childs(tmp_path):
    from soundness_live.voice.sources import WavVoice

    wav = tmp_path / "standing-in.wav"
    t = np.arange(RATE) / RATE
    soundfile.write(wav, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE)
    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="S-014", consent=Consent(voice_recording=True)))
        for voice in (VirtualSinger(RATE, SyllableSinger(RATE), seed=1), WavVoice([wav], RATE)):
            session_id, trials = stored_run(store, "S-014", voice)
            assert len(trials) == 2  # analysed and scored as ever
            assert [store.voice_recording(session_id, t["index"]) for t in trials] == [None, None]
    finally:
        store.close()


@pytest.mark.parametrize("consent", [True, False])
def test_kept_voice_leaves_the_store_only_when_asked(tmp_path, consent):
    from soundness_live.export import export
    from soundness_live.export.voice import write_voice_recordings

    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="S-014", consent=Consent(voice_recording=consent)))
        stored_run(store, "S-014")
        bundle = store.export_bundle("S-014")
        out = tmp_path / "out"
        default = export(bundle, "json", out)
        assert all(p.suffix == ".json" for p in default)  # no audio by default
        asked = write_voice_recordings(bundle, store.voice_recording, out)
    finally:
        store.close()
    if not consent:
        assert asked == []  # nothing was kept, so nothing can leave
        return
    assert [p.name for p in asked] == ["S-014-session-1-trial-0.wav", "S-014-session-1-trial-1.wav"]
    assert all(p.parent.name == "S-014-voice" and p.stat().st_mode & 0o777 == 0o600 for p in asked)
