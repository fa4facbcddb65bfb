"""WAV files with the standard library's ``wave``: 16-bit PCM out, integer PCM in.

Writing goes to a pending file beside the target that takes the target's name only when the
WAV is complete (:class:`soundness_live.audio.private_file.PendingFile`): a crash or a kill never
leaves half a file, nor a hidden temporary one; the file is readable by its owner only (0o600).
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, MissingFileError, ParameterError
from .private_file import PendingFile

__all__ = ["WavWriter", "write_wav", "read_wav"]

_INT16_SCALE = 32767.0


class WavWriter:
    """Stream 16-bit PCM to ``path``: written to a pending file, named ``path`` on success.

    Use as a context manager; on an exception what was written is dropped and ``path`` is left
    as it was. Opening fails at once (OutputFileError) when ``path`` cannot be written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        sample_rate: int,
        channels: int = 2,
        dither_seed: int | None = None,
    ) -> None:
        if not isinstance(sample_rate, int) or not 1000 <= sample_rate <= 384_000:
            raise ParameterError(
                f"sample_rate must be an integer in 1000..384000, got {sample_rate!r}"
            )
        if not 1 <= channels <= 8:
            raise ParameterError(f"channels must be in 1..8, got {channels!r}")
        self.path = Path(path)
        self.frames = 0
        self._channels = channels
        self._rng = None if dither_seed is None else np.random.default_rng(dither_seed)
        self._pending = PendingFile(self.path)
        self._wave = wave.open(self._pending.handle, "wb")
        self._wave.setnchannels(channels)
        self._wave.setsampwidth(2)
        self._wave.setframerate(sample_rate)

    def write(self, audio: np.ndarray) -> None:
        """Append float frames in -1..1, shape (n, channels) (or (n,) for mono)."""
        data = np.asarray(audio)
        data = data[:, None] if data.ndim == 1 else data
        if data.ndim != 2 or data.shape[1] != self._channels:
            raise ParameterError(
                f"audio must have shape (n, {self._channels}), got {np.shape(audio)}"
            )
        scaled = data.astype(np.float64) * _INT16_SCALE
        if self._rng is not None:  # TPDF dither of +-1 LSB, seeded: deterministic
            scaled += self._rng.random(scaled.shape) - self._rng.random(scaled.shape)
        pcm = np.clip(np.rint(scaled), -32768, 32767).astype("<i2")
        with self._pending.guarded():  # a full disk: one line naming the file
            self._wave.writeframes(pcm.tobytes())
        self.frames += pcm.shape[0]

    def close(self, keep: bool = True) -> None:
        """Finish the file and move it into place (``keep=False``: discard it)."""
        try:
            with self._pending.guarded():
                self._wave.close()  # writes the final sizes into the header
        except BaseException:
            self._pending.discard()
            raise
        if keep:
            self._pending.commit()
        else:
            self._pending.discard()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.close(keep=kind is None)


def write_wav(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    sample_rate: int,
    dither_seed: int | None = None,
) -> Path:
    """Write float audio in -1..1 (shape (n,) or (n, channels)) as 16-bit PCM; returns the path.

    ``dither_seed``: add deterministic TPDF dither (None = plain rounding).
    """
    data = np.asarray(audio)
    data = data[:, None] if data.ndim == 1 else data
    if data.ndim != 2:
        raise ParameterError(f"audio must have shape (n,) or (n, channels), got {np.shape(audio)}")
    with WavWriter(path, sample_rate, data.shape[1], dither_seed) as writer:
        writer.write(data)
    return Path(path)


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read an 8/16/24/32-bit integer PCM WAV: (float32 array (n, channels) in -1..1, rate)."""
    source = Path(path)
    try:
        with wave.open(str(source), "rb") as wav:
            channels, width = wav.getnchannels(), wav.getsampwidth()
            rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    except FileNotFoundError as exc:
        raise MissingFileError(f"{source}: expected a WAV file, found no such file") from exc
    except (wave.Error, EOFError, OSError) as exc:
        raise FileFormatError(f"{source}: not a readable PCM WAV file ({exc})") from exc
    if width not in (1, 2, 3, 4) or channels < 1:
        raise FileFormatError(f"{source}: expected 8/16/24/32-bit PCM, got {width * 8}-bit")
    usable = len(frames) - len(frames) % (width * channels)
    raw = np.frombuffer(frames[:usable], dtype=np.uint8).reshape(-1, width)
    if width == 1:
        values = raw[:, 0].astype(np.float32) - 128.0
    else:
        padded = np.zeros((raw.shape[0], 4), dtype=np.uint8)
        padded[:, 4 - width :] = raw  # little-endian sample into the top bytes of an int32
        values = padded.view("<i4")[:, 0].astype(np.float32) / float(1 << (8 * (4 - width)))
    full_scale = float(1 << (8 * width - 1))
    return (values / full_scale).reshape(-1, channels).astype(np.float32), rate
