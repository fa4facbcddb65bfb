"""Prepared sounds mixed into the output: spoken and recorded prompts, live and offline.

A :class:`~soundness_live.core.events.PlaySound` (made at a prompt's level by
:func:`~soundness_live.core.events.prompt_sound`) is scheduled like a note; the renderer starts it
on its exact frame and :class:`SoundMixer` adds it to the block after the synth and before
the output stage (master volume, limiter, volume cap), so a prompt can never be louder than
the cap allows. A panic (an all-notes-off on every channel) fades the sounds playing then with
the same fade as the notes. Mixing allocates nothing in the audio callback for blocks up to
``max_block`` frames: the scratch buffers are made once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.events import PlaySound

MAX_SOUNDS = 8  # sounds at once; a prompt is one, so more means something went wrong


@dataclass(slots=True)
class _Playing:
    samples: np.ndarray
    start: int  # output frame of the first sample
    fade_start: int = -1  # output frame where a fade-out begins (-1: none)
    fade_frames: int = 0
    fade_gain: float = 1.0  # the gain the fade starts from (below 1 when a fade was cut short)

    def gain_at(self, frame: int) -> float:
        """The fade's gain at ``frame`` (1 without a fade)."""
        if self.fade_start < 0:
            return 1.0
        progress = max(0, frame - self.fade_start) / self.fade_frames
        return self.fade_gain * max(0.0, 1.0 - progress)

    @property
    def end(self) -> int:
        """The frame after the last one that sounds."""
        end = self.start + len(self.samples)
        return end if self.fade_start < 0 else min(end, self.fade_start + self.fade_frames)


class SoundMixer:
    """The sounds playing now; :meth:`mix` adds them to a block (audio callback)."""

    def __init__(self, sample_rate: int, max_block: int = 8192) -> None:
        self.sample_rate = sample_rate
        self.dropped = 0  # sounds refused because MAX_SOUNDS were playing
        self.playing: list[_Playing] = []
        self._scratch(max_block)

    def _scratch(self, size: int) -> None:
        self._index = np.arange(size, dtype=np.float32)
        self._ramp = np.empty(size, dtype=np.float32)
        self._buffer = np.empty(size, dtype=np.float32)

    def start(self, sound: PlaySound, frame: int) -> None:
        """Start ``sound`` at output ``frame`` (its own frame, or later when it came late)."""
        if len(self.playing) >= MAX_SOUNDS:
            self.dropped += 1
            return
        self.playing.append(_Playing(sound.samples, frame))

    def fade(self, frame: int, fade_ms: float) -> None:
        """Fade every sound playing at ``frame`` to silence over ``fade_ms``."""
        frames = max(1, int(math.ceil(fade_ms * self.sample_rate / 1000.0)))
        for sound in self.playing:
            if frame + frames < sound.end:  # a fade that ends sooner: from the gain now
                gain = sound.gain_at(frame)
                sound.fade_start, sound.fade_frames, sound.fade_gain = frame, frames, gain

    def mix(self, out: np.ndarray, block_start: int) -> None:
        """Add the sounds' part in ``out`` (float32 (n, 2) at ``block_start``) to both sides."""
        if not self.playing:
            return
        n = out.shape[0]
        if n > len(self._index):  # a long offline block: grow once (never in a live callback)
            self._scratch(n)
        block_end = block_start + n
        for i in range(len(self.playing) - 1, -1, -1):
            sound = self.playing[i]
            first, last = max(block_start, sound.start), min(block_end, sound.end)
            if last > first:
                self._add(out, block_start, sound, first, last)
            if sound.end <= block_end:
                del self.playing[i]

    def _add(
        self, out: np.ndarray, block_start: int, sound: _Playing, first: int, last: int
    ) -> None:
        size = last - first
        buffer = self._buffer[:size]
        buffer[:] = sound.samples[first - sound.start : last - sound.start]
        if sound.fade_start >= 0 and last > sound.fade_start:
            ramp = self._ramp[:size]  # 1 before the fade, falling to 0 at its end
            np.subtract(self._index[:size], sound.fade_start - first, out=ramp)
            np.multiply(ramp, -1.0 / sound.fade_frames, out=ramp)
            np.add(ramp, 1.0, out=ramp)
            np.clip(ramp, 0.0, 1.0, out=ramp)
            if sound.fade_gain != 1.0:
                np.multiply(ramp, sound.fade_gain, out=ramp)
            np.multiply(buffer, ramp, out=buffer)
        rows = slice(first - block_start, last - block_start)
        out[rows, 0] += buffer
        out[rows, 1] += buffer
