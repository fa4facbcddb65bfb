"""The vocal-prompts activity, offline: a WAV stands in for the microphone, or the virtual singer.

Timeline of the defaults (hand-computed): lead-in 2000 ms, 90 BPM (a beat = 666.67 ms), each
syllable held 60 % of a beat (400 ms), start level 2. So the prompt's notes are heard at 2000 and
2666.67 ms, it ends at 3066.67 ms (frame 147 200): the turn; the take runs from 300 ms before the
prompt (1700 ms) to the end of the 5000 ms window.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from soundness_live.activities.registry import get_activity
from soundness_live.activities.vocal_prompts import METRICS, ROOM_LEAD_MS, plan_trial
from soundness_live.core.events import NoteOn, ProgramChange
from soundness_live.core.session import Session, SilentSink
from soundness_live.errors import ParameterError, SoundnessError
from soundness_live.synth.singing import SyllableSinger
from soundness_live.voice.scoring import VOICE_SCORING
from soundness_live.voice.sources import (
    PlacedVoice,
    SingerTraits,
    VirtualSinger,
    WavVoice,
    load_voice_wav,
)
from tests.conftest import require_program
from tests.voice_audio import first_above_s, in_noise, read_mono

RATE = 48_000
TURN_MS = 2000 + 666.6666 + 400
EXACT = SingerTraits(
    onset_ms=900.0, onset_sd_ms=0.0, pitch_bias_cents=0.0, pitch_sd_cents=0.0,
    drop_syllable_rate=0.0, silent_rate=0.0, hold_ratio=1.2,
)  # fmt: skip


def run(params, voice, *, latency_ms=0.0, seed=0):
    sink = SilentSink(output_latency_frames=latency_ms * RATE / 1000)
    session = Session(
        get_activity("vocal-prompts"),
        {"adaptive": False, **params},
        sink=sink,
        inputs=[],
        sample_rate=RATE,
        seed=seed,
        voice=voice,
        voice_scoring=VOICE_SCORING,
    )
    return session.run(), sink


def tool(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory) -> dict[str, Path]:
    """Answers made by espeak-ng and sox, each with 0.8 s of silence before the voice."""
    espeak, sox = require_program("espeak-ng", "espeak-ng"), require_program("sox", "sox")
    folder = tmp_path_factory.mktemp("vocal")
    made: dict[str, Path] = {}
    for name, text in (("ba_ba", "ba ba"), ("ba", "ba")):
        raw = folder / f"{name}-raw.wav"
        tool([espeak, "-v", "en+f3", "-s", "120", "-w", str(raw), text])
        made[name] = folder / f"{name}.wav"
        tool([sox, str(raw), str(made[name]), "pad", "0.8", "0.3"])
    tones = {
        "e4": ("329.628", 1.0), "e4_up100": ("349.228", 1.0), "e4_up300": ("391.995", 1.0),
        "e4_2s": ("329.628", 2.0), "e4_half": ("329.628", 0.5),
    }  # fmt: skip
    for name, (hz, seconds) in tones.items():
        made[name] = folder / f"{name}.wav"
        synth = ["synth", str(seconds), "sawtooth", hz, "vol", "0.3", "pad", "0.8", "0.5"]
        tool([sox, "-R", "-n", "-r", "16000", str(made[name]), *synth])
    answers = {"fall": ("391.995", "261.626"), "rise": ("261.626", "391.995")}
    for name, (first, second) in answers.items():
        parts = []
        for i, hz in enumerate((first, second)):
            parts.append(folder / f"{name}{i}.wav")
            tool([sox, "-R", "-n", "-r", "16000", str(parts[-1]), "synth", "0.4", "sawtooth", hz,
                  "vol", "0.3", "pad", "0", "0.25"])  # fmt: skip
        made[name] = folder / f"{name}.wav"
        tool([sox, *map(str, parts), str(made[name]), "pad", "0.8", "0.5"])
    made["noise"] = folder / "noise.wav"
    tool([sox, "-R", "-n", "-r", "22050", str(made["noise"]), "synth", "4", "whitenoise"])
    speech, rate = read_mono(folder / "ba_ba-raw.wav")
    noise = read_mono(made["noise"])[0]
    made["ba_ba_in_noise"] = folder / "ba_ba_in_noise.wav"
    taken = in_noise(speech, read_mono(made["ba_ba"])[0], noise, 20.0)
    soundfile.write(str(made["ba_ba_in_noise"]), taken, rate, "PCM_16")
    made["silence"] = folder / "silence.wav"
    tool([sox, "-n", "-r", "16000", str(made["silence"]), "trim", "0", "2"])
    return made


def test_echo_scores_the_wav_answer_against_the_heard_prompt(wavs):
    result, _ = run({"trials": 2}, WavVoice([wavs["ba_ba"], wavs["ba"]], RATE))
    first, second = result.records
    assert [p["onset_ms"] for p in first["prompt"]] == pytest.approx([2000.0, 2666.667], abs=0.01)
    assert [(p["note"], p["syllable"]) for p in first["prompt"]] == [(67, "ba"), (64, "ba")]
    assert {m.name for m in METRICS} <= set(first["metrics"])
    speech_s = first_above_s(*read_mono(wavs["ba_ba"]))  # 0.8 s of padding + espeak's own lead
    m = first["metrics"]
    assert m["voice_onset_latency_ms"] == pytest.approx(1000 * speech_s, abs=30.0)
    assert m["voice_onset_ms"] == pytest.approx(TURN_MS + 1000 * speech_s, abs=30.0)
    assert (m["syllables"], m["target_syllables"], first["outcome"]) == (2, 2, "correct")
    assert (second["metrics"]["syllables"], second["outcome"]) == (1, "partial")
    assert first["params"]["voice_source"] == "wav"
    assert len(first["responses"]) == 2 and first["responses"][0]["device"] == "wav"


def test_latency_counts_from_the_prompt_as_heard(wavs):
    plain, _ = run({"trials": 1}, WavVoice([wavs["ba_ba"]], RATE))
    late, _ = run({"trials": 1}, WavVoice([wavs["ba_ba"]], RATE), latency_ms=10.0)
    assert late.records[0]["prompt"][0]["onset_ms"] == pytest.approx(2010.0)
    a, b = plain.records[0]["metrics"], late.records[0]["metrics"]
    assert b["voice_onset_ms"] == pytest.approx(a["voice_onset_ms"] + 10.0, abs=0.5)
    assert b["voice_onset_latency_ms"] == pytest.approx(a["voice_onset_latency_ms"], abs=0.5)


def test_silence_is_no_response(wavs):
    result, _ = run({"trials": 1}, WavVoice([wavs["silence"]], RATE))
    (trial,) = result.records
    assert trial["outcome"] == "no_response"
    # METRICS.md: every voice metric is null when no voice came, the target too; the trial
    # keeps what was asked in its params
    assert trial["metrics"]["target_syllables"] is None
    assert trial["params"]["syllables_asked"] == 2
    assert all(trial["metrics"][k] is None for k in ("syllables", "pitch_error_cents"))


def test_match_pitch_accuracy_per_trial_and_precision_across_attempts(wavs):
    voice = WavVoice([wavs["e4"], wavs["e4_up100"], wavs["e4_up300"]], RATE)
    result, _ = run({"variant": "match-pitch", "trials": 3, "start_level": 1}, voice)
    assert [t["prompt"][0]["note"] for t in result.records] == [64, 64, 64]
    errors = [t["metrics"]["pitch_error_cents"] for t in result.records]
    assert errors == pytest.approx([0.0, 100.0, 300.0], abs=2.0)
    spread = [t["metrics"]["pitch_sd_cents"] for t in result.records]
    assert spread[0] is None
    assert spread[1:] == pytest.approx([70.71, 152.75], abs=2.0)  # sample SD of the errors
    assert [t["outcome"] for t in result.records] == ["correct", "partial", "incorrect"]


def test_sustain_vowel_scores_the_held_duration(wavs):
    voice = WavVoice([wavs["e4_2s"], wavs["e4"], wavs["e4_half"]], RATE)
    result, _ = run({"variant": "sustain-vowel", "trials": 3, "start_level": 1}, voice)
    held = [t["metrics"]["duration_ms"] for t in result.records]
    assert held == pytest.approx([2000.0, 1000.0, 500.0], abs=30.0)
    assert {t["metrics"]["target_duration_ms"] for t in result.records} == {1500.0}
    assert result.records[0]["prompt"][0]["duration_ms"] == pytest.approx(1500.0)
    assert [t["outcome"] for t in result.records] == ["correct", "partial", "incorrect"]


def test_sung_question_wants_the_answer_to_fall_to_the_tonic(wavs):
    voice = WavVoice([wavs["fall"], wavs["rise"]], RATE)
    result, _ = run({"variant": "sung-question", "trials": 2}, voice)
    assert [p["note"] for p in result.records[0]["prompt"]] == [60, 67]  # "hel-lo?" rising
    fall, rise = (t["metrics"] for t in result.records)
    assert fall["contour"] == ["falling"] and fall["contour_correct"] is True
    assert abs(fall["pitch_error_cents"]) < 5.0
    assert rise["contour_correct"] is False
    assert [t["outcome"] for t in result.records] == ["correct", "partial"]


def test_the_staircase_adds_syllables_and_widens_intervals():
    singer = VirtualSinger(RATE, SyllableSinger(RATE), seed=2, traits=EXACT)
    result, _ = run({"trials": 6, "adaptive": True, "max_level": 8}, singer)
    levels = [t["difficulty"] for t in result.records]
    assert levels == [2, 2, 3, 3, 4, 4]
    assert [t["outcome"] for t in result.records] == ["correct"] * 6
    assert [len(t["prompt"]) for t in result.records] == levels
    assert [p["note"] for p in result.records[4]["prompt"]] == [67, 63, 67, 63]  # a 4th, not a 3rd


def test_virtual_singer_runs_repeat_exactly():
    one, _ = run(
        {"trials": 3, "variant": "match-pitch"},
        VirtualSinger(RATE, SyllableSinger(RATE), seed=4),
        seed=4,
    )
    two, _ = run(
        {"trials": 3, "variant": "match-pitch"},
        VirtualSinger(RATE, SyllableSinger(RATE), seed=4),
        seed=4,
    )
    assert one.records == two.records


def test_taps_and_instruments_reach_the_synth():
    _, sink = run({"trials": 1, "tap_per_syllable": True}, None)
    notes = sorted((e for e in sink.events if isinstance(e, NoteOn)), key=lambda e: e.frame)
    assert [(e.channel, e.note) for e in notes] == [(0, 67), (9, 60), (0, 64), (9, 60)]
    programs = {(e.channel, e.program, e.bank) for e in sink.events if isinstance(e, ProgramChange)}
    assert programs == {(0, 0, 1), (9, 0, 128)}  # "Syllable ba" in bank 1; the drum kit
    result, sink = run({"trials": 1, "syllables": "ma la", "instrument": 52}, None)
    programs = {(e.channel, e.program, e.bank) for e in sink.events if isinstance(e, ProgramChange)}
    assert programs == {(0, 52, 0)}
    assert [p["syllable"] for p in result.records[0]["prompt"]] == ["ma", "la"]
    _, sink = run({"trials": 1, "syllables": "ma la"}, None)
    programs = {(e.channel, e.program, e.bank) for e in sink.events if isinstance(e, ProgramChange)}
    assert programs == {(0, 1, 1), (1, 4, 1)}  # one channel per syllable voice


def test_cues_listen_your_turn_done_with_the_answer_to_give():
    result, _ = run({"trials": 1}, None)
    assert [c.cue for c in result.cues] == ["listen", "your_turn", "done"]
    turn = result.cues[1]
    assert turn.frame == 147_200
    assert turn.detail["answer"]["syllables"] == ["ba", "ba"]
    assert turn.detail["answer"]["notes"] == [67, 64]


@pytest.mark.parametrize("pitches", ["x", "20 64", "200"])
def test_bad_pitches_are_a_parameter_error(pitches):
    with pytest.raises(ParameterError, match="'pitches'"):
        run({"trials": 1, "pitches": pitches}, None)


def test_plan_for_each_variant_is_what_the_docstring_says():
    from soundness_live.activities.base import ActivityContext
    from soundness_live.activities.params import resolve_params

    activity = get_activity("vocal-prompts")
    for variant, level, want in (
        ("sung-question", 4, ([60, 69], [69, 60])),
        ("sustain-vowel", 3, ([64], [64])),
        ("echo-syllables", 1, ([67], [67])),
    ):
        params = resolve_params(activity.name, activity.specs, {"variant": variant})
        ctx = ActivityContext(
            params=activity.make_params(params), sample_rate=RATE, rng=random.Random(0)
        )
        plan = plan_trial(ctx, level)
        assert (plan["prompt"][1], plan["answer"][1]) == want
    assert plan_trial(
        ActivityContext(
            params=activity.make_params(
                resolve_params(activity.name, activity.specs, {"variant": "sustain-vowel"})
            ),
            sample_rate=RATE,
            rng=random.Random(0),
        ),
        3,
    )["target_ms"] == pytest.approx(2500.0)


# A room is never silent (METRICS.md §4): the take holds the room before the prompt, the VAD is
# fed from when the source opened, and a voiced frame must clear the room's floor by 6 dB.
NOISE_DBFS = -40.0


class NoisyMicrophone(PlacedVoice):
    """A microphone stand-in: white noise from the frame it opens at (nothing heard before
    it), plus the answers placed on it."""

    name = "microphone"

    def __init__(self, sample_rate: int, opened: int) -> None:
        super().__init__(sample_rate)
        self.opened = opened
        self.noise = np.random.default_rng(7)

    def opened_frame(self) -> float | None:
        return float(self.opened)

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        out = super().audio(since_frame, until_frame)
        heard = max(0, self.opened - since_frame)
        scale = 10 ** (NOISE_DBFS / 20) * np.sqrt(3.0)  # uniform noise at NOISE_DBFS power
        out[heard:] += self.noise.uniform(-scale, scale, len(out) - heard).astype(np.float32)
        return out


def test_a_microphone_hearing_only_the_room_finds_no_voice():
    result, _ = run({"trials": 2, "lead_in_ms": 0.0}, NoisyMicrophone(RATE, opened=0))
    for trial in result.records:
        assert trial["outcome"] == "no_response" and trial["metrics"]["voice_onset_ms"] is None
        # the floor was measured on the room before the prompt, not on unheard silence: white
        # noise at 48 kHz keeps a third of its power below 8 kHz, the analysis' band at 16 kHz
        in_band_db = NOISE_DBFS - 10 * np.log10(3)
        assert trial["metrics"]["noise_floor_db"] == pytest.approx(in_band_db, abs=1.0)
    # the first prompt waits until the microphone heard the room
    assert result.records[0]["prompt"][0]["onset_ms"] == ROOM_LEAD_MS


def test_an_answer_in_the_room_is_found_where_it_starts(wavs):
    microphone = NoisyMicrophone(RATE, opened=0)
    answer = load_voice_wav(wavs["ba_ba"], RATE)
    speech_ms = 1000 * first_above_s(*read_mono(wavs["ba_ba"]))
    microphone.place(int(TURN_MS * RATE / 1000), answer)  # 20 dB over the room
    result, _ = run({"trials": 1}, microphone)
    m = result.records[0]["metrics"]
    assert m["voice_onset_ms"] == pytest.approx(TURN_MS + speech_ms, abs=30.0)
    assert (m["syllables"], result.records[0]["outcome"]) == (2, "correct")


def test_a_wav_with_noise_from_its_first_sample_is_its_own_room(wavs):
    speech_ms = 1000 * first_above_s(*read_mono(wavs["ba_ba"]))
    result, _ = run({"trials": 1}, WavVoice([wavs["ba_ba_in_noise"]], RATE))
    m = result.records[0]["metrics"]
    # the VAD alone called the noise a voice at the turn: a latency of 0 ms
    assert m["voice_onset_latency_ms"] == pytest.approx(speech_ms, abs=30.0)
    assert m["noise_floor_db"] is not None and m["syllables"] == 2


def test_a_run_without_the_voice_analysis_stops_before_the_first_prompt():
    sink = SilentSink()
    session = Session(get_activity("vocal-prompts"), {}, sink=sink, inputs=[], sample_rate=RATE)
    with pytest.raises(SoundnessError, match="expected the run to give it the voice analysis"):
        session.run()
    assert sink.events == []
