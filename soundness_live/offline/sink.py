"""Offline sound for a session: the engine's renderer driven by the session's clock.

:class:`OfflineRenderSink` is the offline twin of the live sink: the same Renderer (scheduler,
synth, output stage) the audio callback runs, rendered block by block up to each frame the
session reaches, so what is written to the WAV is what a live session would have played.
Given a WAV path when it is made, the sink streams each block into that file as it renders
(memory stays flat however long the session; the file appears only when finished, see
:class:`soundness_live.audio.wav.WavWriter`); without one it keeps the audio in memory.
Offline is not real time, so the output stage's look-ahead is rendered ahead and dropped: frame
f of the WAV is the sound scheduled at frame f, and the output latency is 0.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..audio.wav import WavWriter, write_wav
from ..core.events import SynthEvent
from ..errors import ParameterError
from ..synth.renderer import Renderer, build_renderer

DEFAULT_CAP_DBFS = -12.0
TAIL_S = 3.0


class OfflineRenderSink:
    """Renders the session's sound into memory as the session's clock advances."""

    output_latency_frames = 0.0  # heard at its scheduled frame: the look-ahead is dropped

    def __init__(
        self, renderer: Renderer, block_size: int, soundfont_info: dict[str, str | None]
    ) -> None:
        if not 1 <= block_size <= 8192:
            raise ParameterError(f"block_size must be in 1..8192 frames, got {block_size}")
        self.renderer = renderer
        # the stage's first output frames are its delay line's silence, not the session's
        self._to_drop = max(0, renderer.delay_frames - renderer.frame)
        self.block_size = block_size
        self.soundfont_info = soundfont_info
        self._chunks: list[np.ndarray] = []
        self._writer: WavWriter | None = None
        self._frames_written = 0
        self._peak = 0.0

    @classmethod
    def create(
        cls,
        *,
        sample_rate: int,
        block_size: int = 256,
        soundfont: str | Path | None = None,
        cap_dbfs: float | None = None,
        wav_path: str | Path | None = None,
    ) -> OfflineRenderSink:
        """A sink on a fresh renderer (volume cap default -12 dBFS); with ``wav_path`` it
        streams into that WAV (checked writable now, before anything runs)."""
        renderer, info = build_renderer(
            soundfont, sample_rate, DEFAULT_CAP_DBFS if cap_dbfs is None else cap_dbfs
        )
        sink = cls(renderer, block_size, info)
        if wav_path is not None:
            sink._writer = WavWriter(wav_path, renderer.sample_rate, 2)
        return sink

    @property
    def frame(self) -> int:
        """The next frame to be rendered."""
        return self.renderer.frame

    def schedule(self, event: SynthEvent) -> None:
        """Play ``event`` at its frame (late ones at the next block start, counted)."""
        self.renderer.scheduler.add(event)

    def advance_to(self, frame: int) -> None:
        """Render whole blocks up to ``frame`` (the last one may be short)."""
        while self.renderer.frame < frame:
            size = min(self.block_size, frame - self.renderer.frame)
            block = np.zeros((size, 2), dtype=np.float32)
            self.renderer.render_into(block)
            self._keep(block)

    def _keep(self, block: np.ndarray) -> None:
        dropped = min(len(block), self._to_drop)
        self._to_drop -= dropped
        block = block[dropped:]
        if not len(block):
            return
        self._frames_written += len(block)
        self._peak = max(self._peak, float(np.abs(block).max()))
        if self._writer is not None:
            self._writer.write(block)
        else:
            self._chunks.append(block)

    def audio(self) -> np.ndarray:
        """Everything rendered so far, float32 (n, 2) (kept only without a streamed WAV)."""
        if self._writer is not None:
            raise ParameterError("this sink streams to a WAV file and keeps no audio in memory")
        if not self._chunks:
            return np.zeros((0, 2), dtype=np.float32)
        return np.concatenate(self._chunks)

    def _render_tail(self) -> None:
        """The release tail: until nothing sounds, at most TAIL_S."""
        limit = self.frame + int(TAIL_S * self.renderer.sample_rate)
        while self.renderer.synth.active_voices and self.frame < limit:
            self.advance_to(min(limit, self.frame + self.block_size))
        self.advance_to(self.frame + self.renderer.delay_frames)  # the look-ahead, rendered ahead

    def write_wav(self, path: Path) -> dict[str, Any]:
        """Render the release tail, then write the 16-bit WAV (a streamed one is finished and
        takes its name; ``path`` must then be the one given at creation); report."""
        self._render_tail()
        if self._writer is not None:
            if Path(path) != self._writer.path:
                raise ParameterError(f"this sink streams to {self._writer.path}, not {path}")
            writer, self._writer = self._writer, None
            writer.close(keep=True)
        else:
            write_wav(path, self.audio(), self.renderer.sample_rate)
        return {
            "path": str(path),
            "frames": self._frames_written,
            "seconds": self._frames_written / self.renderer.sample_rate,
            "peak_dbfs": 20.0 * math.log10(self._peak) if self._peak > 0 else -math.inf,
            "late_events": self.renderer.late_events,
            "soundfont": self.soundfont_info["name"],
        }

    def discard(self) -> None:
        """Drop a streamed WAV unfinished (the run failed): no file appears."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close(keep=False)
