"""Voice onset with the WebRTC VAD against the true start of padded espeak-ng speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundness_live.errors import ParameterError
from soundness_live.voice.vad import (
    ROOM_MS,
    first_run_start,
    frame_energies_db,
    noise_floor_db,
    resample_to,
    speech_frames,
    to_pcm16,
    voice_onset_ms,
)
from tests.conftest import require_program
from tests.voice_audio import (
    SYLLABLE_PHRASES,
    CorpusKey,
    audio_dir,
    first_above_s,
    in_noise,
    make_corpus,
    read_mono,
    sox_noise,
)

LEAD_S = 0.5  # speech_take's padding
PROMPT_PHRASES = ("ba", "ba ma", "ba ma da", "ba ma da pa")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[CorpusKey, tuple[Path, Path]]:
    require_program("espeak-ng", "espeak-ng")
    require_program("sox", "sox")
    return make_corpus(audio_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def onset_errors_ms(corpus: dict[CorpusKey, tuple[Path, Path]]) -> dict[CorpusKey, float]:
    """Onset error per take: VAD onset − (padding + espeak's own leading silence), where the
    speech starts at the first sample above −50 dBFS of the unpadded file."""
    errors = {}
    for key, (raw, take) in corpus.items():
        true_ms = 1000.0 * (LEAD_S + first_above_s(*read_mono(raw)))
        onset = voice_onset_ms(*read_mono(take))
        assert onset is not None, key
        errors[key] = onset - true_ms
    return errors


def test_onset_error_on_prompt_phrases(onset_errors_ms: dict[CorpusKey, float]) -> None:
    errors = np.abs([e for key, e in onset_errors_ms.items() if key[0] in PROMPT_PHRASES])
    # Measured: median 3 ms, p95 5 ms, max 5 ms (frame START convention: the VAD fires on
    # the frame holding the first audible sample, so the error is that sample's phase in it).
    assert np.percentile(errors, 95) <= 6.0
    assert errors.max() <= 21.0


def test_onset_error_on_all_takes(onset_errors_ms: dict[CorpusKey, float]) -> None:
    errors = np.array(list(onset_errors_ms.values()))
    # Measured over the 96 takes: median |error| 3 ms, p95 8 ms, max 8 ms, never late.
    # "cat"/"caterpillar" start 8 ms into a frame, so p95 here is bounded by one frame (10 ms).
    assert len(errors) == len(SYLLABLE_PHRASES) * 12
    assert np.percentile(np.abs(errors), 95) <= 10.0
    assert np.abs(errors).max() <= 21.0
    assert np.median(np.abs(errors)) <= 5.0


@pytest.fixture(scope="module")
def noises(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """A minute of white and of pink noise at the corpus' rate (22.05 kHz), made by sox."""
    require_program("sox", "sox")
    made = {}
    for color in ("white", "pink"):
        path = audio_dir(tmp_path_factory) / f"{color}-noise-60s.wav"
        if not path.exists():
            sox_noise(path, seconds=60.0, rate_hz=22050, color=color)
        made[color] = read_mono(path)[0]
    return made


@pytest.mark.parametrize("color", ["white", "pink"])
def test_onset_in_noise_from_the_first_sample(
    corpus: dict[CorpusKey, tuple[Path, Path]], noises: dict[str, np.ndarray], color: str
) -> None:
    """METRICS.md §4: at 20 dB SNR, with noise from the take's first sample, the onset error
    stays within median 10 ms and p95 30 ms; the room is the take's first 300 ms."""
    errors = []
    for k, (raw, take) in enumerate(corpus.values()):
        speech, rate = read_mono(raw)
        samples = in_noise(speech, read_mono(take)[0], noises[color], 20.0, offset=k * 7919)
        onset = voice_onset_ms(samples, rate, noise_floor_ms=(0.0, ROOM_MS))
        assert onset is not None, raw.name
        errors.append(onset - 1000.0 * (LEAD_S + first_above_s(speech, rate)))
    # Measured over the 96 takes: white median 3 ms, p95 7 ms; pink median 4 ms, p95 10 ms
    # (the VAD alone: every onset in the first frames, median error 515 ms).
    assert len(errors) == 96
    assert np.median(np.abs(errors)) <= 10.0
    assert np.percentile(np.abs(errors), 95) <= 30.0


@pytest.mark.parametrize("color", ["white", "pink"])
def test_a_take_of_noise_alone_finds_no_voice(noises: dict[str, np.ndarray], color: str) -> None:
    for level in (0.01, 0.1, 0.5):
        noise = level * noises[color][: 5 * 22050] / np.max(np.abs(noises[color]))
        assert voice_onset_ms(noise, 22050, noise_floor_ms=(0.0, ROOM_MS)) is None


def test_the_floor_is_measured_where_the_room_is() -> None:
    energies = np.array([-60.0] * 30 + [-20.0] * 30)
    assert noise_floor_db(energies, (0.0, 300.0)) == -60.0
    assert noise_floor_db(energies, (200.0, 500.0)) == -60.0  # 20th percentile of 10 and 20
    assert noise_floor_db(energies, (300.0, 600.0)) == -20.0
    assert noise_floor_db(energies, (0.0, 5.0)) is None  # no whole frame: no floor
    silence = frame_energies_db(np.zeros(1600))
    assert silence.tolist() == [-200.0] * 10


def test_no_voice_in_silence() -> None:
    assert voice_onset_ms(np.zeros(16000), 16000) is None


def test_first_run_and_frame_convention() -> None:
    flags = np.array([0, 1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    assert first_run_start(flags) == 4
    assert first_run_start(flags, min_run=2) == 1
    assert first_run_start(flags, min_run=2, from_index=2) == 4
    assert first_run_start(flags, min_run=5) is None


def test_pcm_and_resampling() -> None:
    assert to_pcm16(np.array([0.0, 1.0, -1.5])) == np.array([0, 32767, -32768], "<i2").tobytes()
    rate = 44100
    t = np.arange(rate) / rate
    resampled = resample_to(np.sin(2 * np.pi * 1000 * t), rate)
    assert len(resampled) == 16000
    expected = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
    # No delay; the gain error is the anti-alias filter's passband ripple (~0.1 %).
    assert np.max(np.abs(resampled[100:-100] - expected[100:-100])) < 3e-3


def test_bad_vad_parameters() -> None:
    with pytest.raises(ParameterError, match="vad_mode"):
        speech_frames(np.zeros(1600), mode=4)
    with pytest.raises(ParameterError, match="frame_ms"):
        speech_frames(np.zeros(1600), frame_ms=15)
    with pytest.raises(ParameterError, match="sample_rate"):
        resample_to(np.zeros(10), 0)
