"""The `analyze-voice` command's core: score a WAV file of a vocal answer.

The CLI stays thin: it parses options, calls :func:`analyze_voice_file` and prints
``analysis.to_dict()`` as JSON. Files are read, never written or kept (a child's voice is
analysed, not recorded, unless the family consents).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.voice.analysis import VoiceAnalysis, analyze_voice
from soundness_live.voice.vad import ROOM_MS

MIN_SAMPLE_RATE_HZ = 8000


def read_audio_bytes(path: str | Path) -> bytes:
    """The bytes of the audio file at ``path``; FileFormatError (one line naming the file)
    when it is missing, not a file, or cannot be read (no permission, a disk error)."""
    file = Path(path)
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{file}: expected an audio file (WAV), found no such file") from None
    except IsADirectoryError:
        raise FileFormatError(f"{file}: expected an audio file (WAV), found a folder") from None
    except PermissionError:
        raise FileFormatError(
            f"{file}: expected an audio file (WAV) we may read, got no permission to read it"
        ) from None
    except OSError as error:
        raise FileFormatError(
            f"{file}: expected an audio file (WAV) we can read, got: {error.strerror or error}"
        ) from None


def decode_audio(data: bytes, source: str | Path) -> tuple[np.ndarray, int]:
    """Mono float64 samples and the sample rate of audio file bytes (read from ``source``).

    Any rate and channel count soundfile reads (WAV, FLAC, OGG); channels are averaged.
    Raises FileFormatError naming ``source`` when they are not audio, or hold no samples.
    """
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, TypeError) as error:
        reason = " ".join(str(error).split())
        raise FileFormatError(
            f"{source}: expected a WAV file soundfile can read: {reason}"
        ) from error
    if rate < MIN_SAMPLE_RATE_HZ:
        raise FileFormatError(
            f"{source}: expected a sample rate >= {MIN_SAMPLE_RATE_HZ} Hz, got {rate}"
        )
    if samples.shape[0] == 0:
        raise FileFormatError(f"{source}: expected audio samples, the file holds none")
    return samples.mean(axis=1), int(rate)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float64 samples and the sample rate of the audio file at ``path``
    (:func:`read_audio_bytes`, then :func:`decode_audio`)."""
    return decode_audio(read_audio_bytes(path), path)


def wav_room_ms(listen_from_ms: float | None) -> tuple[float, float]:
    """Where a WAV file holds the room (METRICS.md §4): its first 300 ms, or its first
    ``listen_from_ms`` when that is given and shorter (0: no room, the VAD alone)."""
    if listen_from_ms is not None and listen_from_ms < ROOM_MS:
        return 0.0, listen_from_ms
    return 0.0, ROOM_MS


def analyze_voice_file(
    path: str | Path, *, listen_from_ms: float | None = None, **options: Any
) -> VoiceAnalysis:
    """Score the vocal answer recorded in the WAV file at ``path``.

    The answer is listened for from ``listen_from_ms`` on (None: from the start), and the noise
    floor a voice must clear is measured over :func:`wav_room_ms`. ``options`` are
    :func:`soundness_live.voice.analysis.analyze_voice`'s other keywords (prompt_end_ms,
    target_syllables, target_hz, pitch_floor_hz, pitch_ceiling_hz, vad_mode, calibration_db).
    Times in the result are ms from the file's start.
    """
    if listen_from_ms is not None and not 0.0 <= listen_from_ms < math.inf:
        raise ParameterError(
            f"listen_from_ms: expected ms >= 0 from the file's start, got {listen_from_ms!r}"
        )
    samples, rate = read_wav(path)
    length_ms = 1000.0 * len(samples) / rate
    if listen_from_ms is not None and listen_from_ms >= length_ms:
        raise ParameterError(
            f"listen_from_ms: expected a time inside {path} (0 to {length_ms:.0f} ms), got "
            f"{listen_from_ms:g} ms"
        )
    return analyze_voice(
        samples,
        rate,
        listen_from_ms=listen_from_ms or 0.0,
        noise_floor_ms=wav_room_ms(listen_from_ms),
        **options,
    )
