"""analyze_voice end to end, analyze_voice_file, the record's shape, and the live meter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from soundness_live.cli import main
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.voice.analysis import VoiceMeter, analyze_voice, contour_of
from soundness_live.voice.file_analysis import analyze_voice_file, wav_room_ms
from tests.conftest import require_program
from tests.voice_audio import (
    audio_dir,
    espeak,
    first_above_s,
    in_noise,
    read_mono,
    sox_concat,
    sox_noise,
    sox_pad,
    sox_tone,
    speech_take,
)

METRIC_KEYS = {
    "voice_onset_ms",
    "voice_onset_latency_ms",
    "syllables",
    "target_syllables",
    "median_f0_hz",
    "pitch_error_cents",
    "pitch_sd_cents",
    "syllable_pitches_hz",
    "contour",
    "contour_correct",
    "duration_ms",
    "intensity_db",
    "voiced_durations_ms",
    "frame_time_convention",
}


@pytest.fixture(scope="module")
def ba_ba(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A high "ba", 0.25 s rest, a low "ba" (espeak -p 90 then -p 10), after 0.6 s of silence."""
    require_program("espeak-ng", "espeak-ng")
    require_program("sox", "sox")
    directory = audio_dir(tmp_path_factory)
    path = directory / "ba-ba-falling.wav"
    if not path.exists():
        high = sox_pad(espeak(directory / "ba-p90.wav", "ba", pitch=90), directory / "hi.wav",
                       lead_s=0.6, tail_s=0.25)  # fmt: skip
        low = sox_pad(espeak(directory / "ba-p10.wav", "ba", pitch=10), directory / "lo.wav",
                      lead_s=0.0, tail_s=0.3)  # fmt: skip
        sox_concat([high, low], path)
    return path


def test_two_pitch_answer_is_scored(ba_ba: Path) -> None:
    result = analyze_voice(
        *read_mono(ba_ba), prompt_end_ms=400.0, target_syllables=2, target_hz=[180.0, 110.0]
    )
    first_sound_ms = 1000.0 * first_above_s(*read_mono(ba_ba))  # after digital silence
    assert result.voice_onset_ms == pytest.approx(first_sound_ms, abs=10.0)
    assert result.voice_onset_latency_ms == result.voice_onset_ms - 400.0
    assert (result.syllables, result.target_syllables) == (2, 2)
    high_hz, low_hz = result.syllable_pitches_hz
    assert high_hz > low_hz * 2 ** (300 / 1200)  # a clear fall
    assert result.contour == ("falling",)
    assert result.contour_correct is True
    assert result.pitch_sd_cents is not None and result.pitch_error_cents is not None
    assert len(result.voiced_durations_ms) == 2 and min(result.voiced_durations_ms) > 100.0
    assert result.nuclei_ms[0] > result.voice_onset_ms
    assert result.intensity_db is not None and -40.0 < result.intensity_db < 0.0
    rising = analyze_voice(*read_mono(ba_ba), target_hz=[110.0, 180.0])
    assert rising.contour_correct is False


def test_record_is_json_with_the_metric_names(ba_ba: Path) -> None:
    record = analyze_voice(*read_mono(ba_ba), target_hz=220.0).to_dict()
    assert METRIC_KEYS <= set(record)
    assert record["frame_time_convention"] == "frame start"
    assert record["voice_onset_latency_ms"] is None  # no prompt_end_ms given
    assert record["pitch_error_cents"] < -300.0  # espeak's voice sits far below 220 Hz
    assert json.loads(json.dumps(record)) == record


def test_listening_from_a_later_time_skips_what_came_before(ba_ba: Path) -> None:
    everything = analyze_voice(*read_mono(ba_ba))
    later_ms = everything.nuclei_ms[0] + 300.0
    second_only = analyze_voice(*read_mono(ba_ba), listen_from_ms=later_ms)
    assert second_only.voice_onset_ms is not None and second_only.voice_onset_ms >= later_ms
    assert second_only.syllables == 1
    assert second_only.nuclei_ms[0] == pytest.approx(everything.nuclei_ms[1], abs=20.0)


def test_silence_gives_nulls() -> None:
    record = analyze_voice(np.zeros(32000), 16000, target_syllables=2, target_hz=200.0).to_dict()
    assert record["target_syllables"] is None  # METRICS.md: null when no voice
    assert record["voice_onset_ms"] is None and record["syllables"] is None
    assert record["median_f0_hz"] is None and record["pitch_error_cents"] is None
    assert record["syllable_pitches_hz"] == [] and record["contour"] == []


def test_file_at_48_khz_stereo_matches_the_mono_original(ba_ba: Path, tmp_path: Path) -> None:
    stereo = sox_concat([ba_ba], tmp_path / "stereo48.wav", rate_hz=48000, channels=2)
    assert soundfile.info(str(stereo)).channels == 2
    from_file = analyze_voice_file(stereo, target_syllables=2)
    original = analyze_voice(*read_mono(ba_ba), target_syllables=2)
    assert from_file.syllables == original.syllables == 2
    assert from_file.voice_onset_ms == pytest.approx(original.voice_onset_ms, abs=10.0)
    assert from_file.median_f0_hz == pytest.approx(original.median_f0_hz, rel=0.01)


def test_integer_pcm_is_scaled(ba_ba: Path) -> None:
    samples, rate = read_mono(ba_ba)
    pcm = np.round(samples * 32767).astype(np.int16)
    assert analyze_voice(pcm, rate).syllables == analyze_voice(samples, rate).syllables


def test_bad_files_raise_file_format_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(FileFormatError, match="notes.wav"):
        analyze_voice_file(text)
    with pytest.raises(FileFormatError, match="no such file"):
        analyze_voice_file(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    soundfile.write(str(empty), np.zeros(0), 16000)
    with pytest.raises(FileFormatError, match="empty.wav"):
        analyze_voice_file(empty)


@pytest.mark.parametrize(
    ("samples", "rate", "options", "named"),
    [
        (np.zeros(16000), 4000, {}, "sample_rate"),
        (np.zeros(16000), 16000, {"target_hz": 0.0}, "target_hz"),
        (np.zeros(16000), 16000, {"pitch_floor_hz": 1200.0}, "pitch_floor_hz"),
        (np.zeros(16000), 16000, {"vad_mode": 5}, "vad_mode"),
        (np.zeros((2, 2, 2)), 16000, {}, "samples"),
        (np.full(16000, np.nan), 16000, {}, "finite"),
    ],
)
def test_bad_arguments(samples: np.ndarray, rate: int, options: dict, named: str) -> None:
    with pytest.raises(ParameterError, match=named):
        analyze_voice(samples, rate, **options)


def test_contour_steps() -> None:
    assert contour_of([200.0, 300.0, 300.0, 150.0]) == ["rising", "level", "falling"]
    assert contour_of([200.0, 205.0]) == ["level"]  # 43 cents: within the 50-cent band
    assert contour_of([200.0, None, 150.0]) == [None, None]
    assert contour_of([200.0]) == []


@pytest.mark.parametrize("block_size", [1, 64, 65, 128, 8192, 8193])
def test_meter_reads_pitch_and_level(block_size: int) -> None:
    rate = 48000
    signal = 0.5 * np.sin(2 * np.pi * 220.0 * np.arange(rate // 2) / rate)
    meter = VoiceMeter(rate)
    readings = [meter.feed(signal[i : i + block_size]) for i in range(0, len(signal), block_size)]
    pitch_hz, level_db = readings[-1]
    assert pitch_hz is not None and abs(1200 * np.log2(pitch_hz / 220.0)) < 1.0
    if block_size >= 8192:  # a long block holds whole periods: RMS of a 0.5 sine
        assert level_db == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert readings[0][0] is None or block_size >= 1920  # no pitch before the window is full


def test_meter_on_silence_and_bad_settings() -> None:
    meter = VoiceMeter(16000, calibration_db=94.0)
    pitch_hz, level_db = meter.feed(np.zeros((800, 2)))
    assert pitch_hz is None and level_db == -120.0 + 94.0
    with pytest.raises(ParameterError, match="window_ms"):
        VoiceMeter(16000, window_ms=20.0, floor_hz=60.0)


@pytest.fixture(scope="module")
def tone_in_noise(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 220 Hz tone from 500 ms to 1500 ms, white or pink noise from the first sample at 20 dB
    SNR (tone power over noise power), and the noise alone; sox makes both, at 16 kHz."""
    require_program("sox", "sox")
    directory = audio_dir(tmp_path_factory)
    tone_path = directory / "tone-220-at-500ms.wav"
    if not tone_path.exists():
        sox_tone(directory / "tone-220.wav", freq_hz=220.0, seconds=1.0)
        sox_pad(directory / "tone-220.wav", tone_path, lead_s=0.5, tail_s=0.5)
    tone, rate = read_mono(tone_path)
    made = {}
    for color in ("white", "pink"):
        noise_path = directory / f"{color}-noise-16k-2s.wav"
        if not noise_path.exists():
            sox_noise(noise_path, seconds=2.0, rate_hz=rate, color=color)
        noise = read_mono(noise_path)[0][: len(tone)]
        gain = np.sqrt(np.mean(tone[8000:24000] ** 2) / np.mean(noise**2) / 10.0**2)
        made[color] = directory / f"tone-in-{color}-noise.wav"
        soundfile.write(str(made[color]), tone + gain * noise, rate, "PCM_16")
        made[f"{color} alone"] = directory / f"{color}-noise-alone.wav"
        soundfile.write(str(made[f"{color} alone"]), gain * noise, rate, "PCM_16")
    return made


@pytest.mark.parametrize("color", ["white", "pink"])
def test_steady_noise_from_the_first_sample_is_not_a_voice(
    tone_in_noise: dict[str, Path], color: str
) -> None:
    found = analyze_voice_file(tone_in_noise[color], target_hz=220.0)
    assert found.voice_onset_ms == pytest.approx(500.0, abs=10.0)  # the VAD alone: 0 ms
    assert found.median_f0_hz == pytest.approx(220.0, rel=0.003)
    assert abs(found.pitch_error_cents) < 5.0
    assert found.noise_floor_db is not None and -40.0 < found.noise_floor_db < -20.0
    alone = analyze_voice_file(tone_in_noise[f"{color} alone"], target_hz=220.0)
    assert alone.voice_onset_ms is None and alone.median_f0_hz is None


def test_analyze_voice_listens_from_a_time_and_takes_the_room_before_it(
    tone_in_noise: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wav = str(tone_in_noise["white"])
    for listen_from, onset in ((None, 500.0), ("200", 500.0), ("800", 800.0)):
        extra = [] if listen_from is None else ["--listen-from-ms", listen_from]
        assert main(["analyze-voice", wav, *extra]) == 0
        record = json.loads(capsys.readouterr().out)
        assert record["voice_onset_ms"] == pytest.approx(onset, abs=10.0)
    assert wav_room_ms(None) == (0.0, 300.0) and wav_room_ms(800.0) == (0.0, 300.0)
    assert wav_room_ms(200.0) == (0.0, 200.0)
    assert main(["analyze-voice", wav, "--listen-from-ms", "-5"]) == 2
    assert "listen_from_ms: expected ms >= 0" in capsys.readouterr().err


@pytest.mark.parametrize("snr_db", [20.0, 10.0])
@pytest.mark.parametrize("color", ["white", "pink"])
def test_steady_noise_is_not_phonation_the_articulation_rate_counts_the_voice(
    tmp_path_factory: pytest.TempPathFactory, color: str, snr_db: float
) -> None:
    """METRICS §4: the noise floor decides what is voice for the syllables and the sounding
    stretches too. Before, noise read as phonation: "ba ba" in white noise at 10 dB SNR had an
    articulation rate of 0.86 /s against 2.66 clean, and pink noise 8 syllables."""
    require_program("espeak-ng", "espeak-ng")
    require_program("sox", "sox")
    directory = audio_dir(tmp_path_factory)
    raw, take = speech_take(directory, "ba ba", lead_s=0.5, tail_s=0.8)
    speech, rate = read_mono(raw)
    clean_samples, take_rate = read_mono(take)
    assert take_rate == rate
    noise_path = directory / f"{color}-noise-{rate}-4s.wav"
    if not noise_path.exists():
        sox_noise(noise_path, seconds=4.0, rate_hz=rate, color=color)
    noisy = directory / f"ba-ba-in-{color}-{snr_db:g}db.wav"
    noise = read_mono(noise_path)[0]
    soundfile.write(str(noisy), in_noise(speech, clean_samples, noise, snr_db), rate)
    clean = analyze_voice_file(take, target_syllables=2)
    found = analyze_voice_file(noisy, target_syllables=2)
    assert clean.syllables == found.syllables == 2
    assert clean.articulation_rate_per_s is not None and found.articulation_rate_per_s is not None
    assert found.articulation_rate_per_s == pytest.approx(clean.articulation_rate_per_s, rel=0.15)


def test_a_voice_already_sounding_where_listening_begins_is_flagged_not_timed_there(
    tone_in_noise: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    wav = tone_in_noise["white"]  # a tone from 500 to 1500 ms
    heard = analyze_voice_file(wav, listen_from_ms=200.0, prompt_end_ms=200.0)
    assert heard.voice_onset_ms == pytest.approx(500.0, abs=10.0)
    assert heard.onset_censored is False
    assert heard.voice_onset_latency_ms == pytest.approx(300.0, abs=10.0)
    late = analyze_voice_file(wav, listen_from_ms=800.0, prompt_end_ms=700.0)
    assert late.onset_censored is True  # it began before 800 ms: no onset, no latency known
    assert late.voice_onset_ms == 800.0 and late.voice_onset_latency_ms is None
    silent = analyze_voice_file(tone_in_noise["white alone"])
    assert silent.voice_onset_ms is None and silent.onset_censored is None


def test_a_listen_point_past_the_end_of_the_file_is_one_line(
    tone_in_noise: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wav = tone_in_noise["white"]  # 2000 ms long
    assert main(["analyze-voice", str(wav), "--listen-from-ms", "5000"]) == 2
    assert capsys.readouterr().err == (
        f"soundness-live: error: listen_from_ms: expected a time inside {wav} (0 to 2000 ms), "
        "got 5000 ms\n"
    )


def test_a_clean_takes_noise_floor_is_null_never_minus_200(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    require_program("sox", "sox")
    directory = audio_dir(tmp_path_factory)
    clean = directory / "tone-220-at-500ms.wav"
    if not clean.exists():
        sox_tone(directory / "tone-220.wav", freq_hz=220.0, seconds=1.0)
        sox_pad(directory / "tone-220.wav", clean, lead_s=0.5, tail_s=0.5)
    found = analyze_voice_file(clean)  # its first 300 ms are digital silence
    assert found.noise_floor_db is None
    assert found.voice_onset_ms == pytest.approx(500.0, abs=10.0)
