"""Voice onset with the WebRTC VAD against the true start of padded espeak-ng speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundness_live.audio.vad import (
    first_run_start,
    resample_to,
    speech_frames,
    to_pcm16,
    voice_onset_ms,
)
from soundness_live.errors import ParameterError
from tests.conftest import require_program
from tests.voice_audio import (
    SYLLABLE_PHRASES,
    CorpusKey,
    audio_dir,
    first_above_s,
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


def test_onset_in_noise_after_settling(
    corpus: dict[CorpusKey, tuple[Path, Path]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw, take = corpus[("ba ma", "en", 140, 80)]
    samples, rate = read_mono(take)
    noise_path = audio_dir(tmp_path_factory) / "noise-22050.wav"
    if not noise_path.exists():
        sox_noise(noise_path, seconds=3.0, rate_hz=rate)
    noise = read_mono(noise_path)[0][: len(samples)]
    speech, _ = read_mono(raw)
    gain = np.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10.0**2)  # 20 dB SNR
    true_ms = 1000.0 * (LEAD_S + first_above_s(speech, rate))
    # The VAD calls noise speech while it adapts (~70 ms): ignore a settling period.
    onset = voice_onset_ms(samples + gain * noise, rate, settle_ms=300.0)
    assert onset is not None
    assert abs(onset - true_ms) <= 21.0
    assert voice_onset_ms(gain * noise, rate, settle_ms=300.0) is None


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
