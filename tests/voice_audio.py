"""Test-audio makers for the voice analysis: speech by espeak-ng, tones and noise by sox.

The audio comes from tools independent of the code under test, so a test cannot pass by
construction. Each maker writes a WAV file and returns its path; callers cache them.
"""

from __future__ import annotations

import itertools
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile

# Phrases with their syllable counts (espeak-ng reads "ba" as /bA:/, one syllable).
SYLLABLE_PHRASES: dict[str, int] = {
    "ba": 1,
    "ba ma": 2,
    "ba ma da": 3,
    "ba ma da pa": 4,
    "cat": 1,
    "water": 2,
    "banana": 3,
    "caterpillar": 4,
}


VOICES = ("en", "en+f3")
SPEEDS_WPM = (80, 140, 200)
PITCHES = (20, 80)  # espeak's -p extremes of the grid; 50 sits between them
CorpusKey = tuple[str, str, int, int]  # text, voice, speed (wpm), pitch
CORPUS: tuple[CorpusKey, ...] = tuple(
    itertools.product(SYLLABLE_PHRASES, VOICES, SPEEDS_WPM, PITCHES)
)


def _run(args: list[str]) -> None:
    """Run a tool; its stderr becomes the error message when it fails."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


def espeak(
    path: Path, text: str, *, voice: str = "en", speed_wpm: int = 140, pitch: int = 50
) -> Path:
    """Speak ``text`` with espeak-ng into ``path`` (22.05 kHz mono WAV)."""
    _run(["espeak-ng", "-v", voice, "-s", str(speed_wpm), "-p", str(pitch), "-w", str(path), text])
    return path


def sox_pad(source: Path, path: Path, *, lead_s: float, tail_s: float = 0.0) -> Path:
    """Copy ``source`` to ``path`` with digital silence before (``lead_s``) and after it."""
    _run(["sox", str(source), str(path), "pad", f"{lead_s}", f"{tail_s}"])
    return path


def sox_concat(
    sources: list[Path], path: Path, *, rate_hz: int | None = None, channels: int = 1
) -> Path:
    """Join ``sources`` end to end into ``path`` (optionally at another rate / channel count)."""
    output = [] if rate_hz is None else ["-r", str(rate_hz)]
    _run(["sox", *map(str, sources), *output, "-c", str(channels), str(path)])
    return path


def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test session for generated audio, shared by every voice test module."""
    directory = tmp_path_factory.getbasetemp() / "voice-audio"
    directory.mkdir(exist_ok=True)
    return directory


def speech_take(
    directory: Path,
    text: str,
    *,
    voice: str = "en",
    speed_wpm: int = 140,
    pitch: int = 50,
    lead_s: float = 0.5,
    tail_s: float = 0.3,
) -> tuple[Path, Path]:
    """(raw espeak file, the same padded like a microphone take), made once and cached."""
    stem = f"{text.replace(' ', '_')}-{voice}-s{speed_wpm}-p{pitch}"
    raw = directory / f"{stem}.wav"
    padded = directory / f"{stem}-pad{lead_s}-{tail_s}.wav"
    if not raw.exists():
        espeak(raw, text, voice=voice, speed_wpm=speed_wpm, pitch=pitch)
    if not padded.exists():
        sox_pad(raw, padded, lead_s=lead_s, tail_s=tail_s)
    return raw, padded


def sox_tone(path: Path, *, freq_hz: float, seconds: float = 1.0, rate_hz: int = 16000) -> Path:
    """A steady sine at ``freq_hz`` (sox's default amplitude, full scale)."""
    _run(
        [
            "sox",
            "-R",
            "-n",
            "-r",
            str(rate_hz),
            str(path),
            "synth",
            str(seconds),
            "sine",
            str(freq_hz),
        ]
    )
    return path


def sox_glide(
    path: Path, *, start_hz: float, end_hz: float, seconds: float = 1.0, rate_hz: int = 16000
) -> Path:
    """A linear sine glide from ``start_hz`` to ``end_hz`` (sox's ``:`` sweep)."""
    sweep = f"{start_hz}:{end_hz}"
    _run(["sox", "-R", "-n", "-r", str(rate_hz), str(path), "synth", str(seconds), "sine", sweep])
    return path


def sox_noise(
    path: Path, *, seconds: float = 1.0, rate_hz: int = 16000, color: str = "white"
) -> Path:
    """White (or ``color="pink"``) noise at sox's default level, repeatable (``-R``: a fixed
    seed)."""
    kind = f"{color}noise"
    _run(["sox", "-R", "-n", "-r", str(rate_hz), str(path), "synth", str(seconds), kind])
    return path


def in_noise(
    speech: np.ndarray, take: np.ndarray, noise: np.ndarray, snr_db: float, offset: int = 0
) -> np.ndarray:
    """``take`` (``speech`` padded) with ``noise[offset:]`` added from its first sample, scaled
    so that the speech's power is ``snr_db`` over the noise's."""
    noise = noise[offset : offset + len(take)]
    gain = np.sqrt(np.mean(speech**2) / (np.mean(noise**2) * 10.0 ** (snr_db / 10.0)))
    return take + gain * noise


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal`` plus ``noise`` scaled so that the power ratio is ``snr_db`` (peak kept < 1)."""
    noise = noise[: len(signal)]
    gain = np.sqrt(np.mean(signal**2) / (np.mean(noise**2) * 10.0 ** (snr_db / 10.0)))
    mixed = signal + gain * noise
    return mixed / max(1.0, float(np.max(np.abs(mixed))) / 0.99)


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Samples (float64, mono) and rate of a WAV file."""
    data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    return data.mean(axis=1), int(rate)


def first_above_s(samples: np.ndarray, rate_hz: int, *, level_dbfs: float = -50.0) -> float:
    """Time of the first sample whose magnitude exceeds ``level_dbfs`` (the true onset)."""
    above = np.flatnonzero(np.abs(samples) > 10.0 ** (level_dbfs / 20.0))
    if above.size == 0:
        raise ValueError(f"no sample above {level_dbfs} dBFS")
    return float(above[0]) / rate_hz


def make_corpus(directory: Path) -> dict[CorpusKey, tuple[Path, Path]]:
    """Every CORPUS take as (raw espeak file, padded take), made in parallel and cached."""

    def make(key: CorpusKey) -> tuple[Path, Path]:
        text, voice, speed, pitch = key
        return speech_take(directory, text, voice=voice, speed_wpm=speed, pitch=pitch)

    with ThreadPoolExecutor(max_workers=4) as pool:  # each tool runs in its own process
        return dict(zip(CORPUS, pool.map(make, CORPUS), strict=True))
