"""Preallocated work buffers of the voice bank's block render, and the per-sample maths on them.

A render call works on (voices x frames) arrays; here they are views into flat buffers
allocated once, so rendering allocates nothing. The views for a (voices, frames) shape are
built once and kept for reuse (the usual case: a fixed block size and a voice count that
changes only on note events).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .envelope import CB_INDEX_SHIFT, LIN_ONE, cb_to_amp_table
from .sample_layout import SampleLayout

__all__ = ["WorkBuffers", "BlockViews"]

_FRAC_SCALE = np.float32(1.0 / (1 << 24))
_LIN_SCALE = np.float32(1.0 / LIN_ONE)
POS, STEP, BASE, LENGTH = range(4)  # the first rows of VoiceBank.state
_MAX_SHAPES = 32


class WorkBuffers:
    """Flat buffers for ``size`` voice-frames, handing out :class:`BlockViews`."""

    def __init__(self, size: int, layout: SampleLayout, gains: np.ndarray) -> None:
        self.size = size
        self.layout = layout
        self.gains = gains
        self.ints = np.zeros((3, size), dtype=np.int64)  # positions, row indices, steps
        # fraction, samples, envelope; and per-voice constants spread over the block: gains
        # (left, right) and the amplitude while steady (a multiply by a full plane is one
        # contiguous loop, by a per-voice column one short loop per voice)
        self.floats = np.zeros((6, size), dtype=np.float32)
        self.parts = np.zeros(2 * size, dtype=np.float32)  # samples times left/right gains
        self.rows = np.zeros(size, dtype=layout.table.dtype)  # gathered coefficient rows
        self.offsets = np.arange(size, dtype=np.int64)
        self.wrap = np.zeros(size, dtype=np.int64)
        self._views: dict[tuple[int, int], BlockViews] = {}
        self._filled: dict[str, object] = {}  # plane -> what it holds now

    def views(self, count: int, n_frames: int, state: np.ndarray) -> BlockViews:
        """Views for ``count`` voices and ``n_frames`` frames (``count * n_frames <= size``)
        of the voice bank's ``state``; their step offsets and gain planes are up to date."""
        views = self._views.get((count, n_frames))
        if views is None:
            if len(self._views) >= _MAX_SHAPES:  # shapes come and go with events: start afresh
                self._views.clear()
            views = self._views[count, n_frames] = BlockViews(self, count, n_frames, state)
        filled = self._filled
        if filled.get("steps") is not views:  # after the voices or the block size changed
            np.multiply(views.step_col, views.offsets, out=views.step_offsets)
            filled["steps"] = views
        if filled.get("gains") is not views:
            views.gain_left[...] = views.gains[:, 0]
            views.gain_right[...] = views.gains[:, 1]
            filled["gains"] = views
        return views

    def steady_amplitude(self, views: BlockViews, steady: tuple) -> np.ndarray:
        """The plane of the amplitude column ``steady[0]`` (filled once per steady spell)."""
        held = self._filled.get("amplitude")
        if not (isinstance(held, tuple) and held[0] is views and held[1] is steady):
            views.steady_amp[...] = steady[0]
            self._filled["amplitude"] = (views, steady)
        return views.steady_amp

    def voices_changed(self) -> None:
        """Voices were added or removed: every cached plane is out of date."""
        self._filled.clear()

    def gains_changed(self) -> None:
        """Some voice's gains changed: the gain planes are out of date."""
        self._filled.pop("gains", None)


class BlockViews(SimpleNamespace):
    """Every array one render call touches, shaped for its voices and frames."""

    def __init__(self, work: WorkBuffers, count: int, n_frames: int, state: np.ndarray) -> None:
        super().__init__()
        m, shape = count * n_frames, (count, n_frames)
        self.offsets = work.offsets[:n_frames]
        self.pos, self.step = state[POS, :count], state[STEP, :count]
        self.pos_col, self.step_col = self.pos[:, None], self.step[:, None]
        self.base, self.length = state[BASE, :count], state[LENGTH, :count]
        self.position = work.ints[0, :m].reshape(shape)
        self.index = work.ints[1, :m].reshape(shape)
        self.step_offsets = work.ints[2, :m].reshape(shape)  # step * frame offset, per voice
        self.last_position = self.position[:, n_frames - 1]
        planes = [work.floats[k, :m].reshape(shape) for k in range(6)]
        self.frac, self.acc, self.amp = planes[:3]
        self.gain_left, self.gain_right, self.steady_amp = planes[3:]
        self.parts = work.parts[: 2 * m].reshape(count, 2, n_frames)
        self.parts_left, self.parts_right = self.parts[:, 0], self.parts[:, 1]
        self.gains = work.gains[:count]
        self.rows = work.rows[:m].reshape(shape)
        coefficients: np.ndarray = self.rows.view(np.float32)  # (count, width * n_frames)
        width = int(coefficients.shape[-1]) // n_frames
        self.coefficients = [coefficients[:, k::width] for k in range(width)]
        self.wrap_tmp = work.wrap[:count]
        self.lin_scale = _LIN_SCALE

    def interpolate(self) -> np.ndarray:
        """The interpolated samples (voices x frames) from the gathered rows and the fraction
        left in ``position``; float32, in ``acc``."""
        frac, acc = self.frac, self.acc
        frac[...] = self.position  # exact: the fraction has 24 bits
        frac *= _FRAC_SCALE
        if len(self.coefficients) == 2:
            x0, d = self.coefficients
            np.multiply(d, frac, out=acc)
            acc += x0
            return acc
        x0, c1, c2, c3 = self.coefficients
        np.multiply(c3, frac, out=acc)
        acc += c2
        acc *= frac
        acc += c1
        acc *= frac
        acc += x0
        return acc

    def wrap(self) -> None:
        """Move voices at or past ``BASE`` back by whole ``LENGTH``s (loop or parking)."""
        t = self.wrap_tmp
        np.subtract(self.pos, self.base, out=t)
        np.floor_divide(t, self.length, out=t)
        np.maximum(t, 0, out=t)
        t *= self.length
        self.pos -= t

    def ramp_amplitude(self, raw0: np.ndarray, ramp: np.ndarray) -> np.ndarray:
        """Per-sample amplitude of the level ramps ``ramp`` (6, voices), starting at ``raw0``."""
        level = self.position  # free once the fraction is taken
        np.multiply(ramp[1][:, None], self.offsets, out=level)
        level += raw0[:, None]
        np.maximum(level, ramp[3][:, None], out=level)
        np.minimum(level, ramp[4][:, None], out=level)
        level >>= CB_INDEX_SHIFT
        cb_to_amp_table.take(level, mode="clip", out=self.amp)
        return self.amp

    def ramp_linear(self, raw0: np.ndarray, ramp: np.ndarray) -> np.ndarray:
        """Per-sample factor (0..1) of the linear ramps ``ramp``, starting at ``raw0``."""
        linear = self.index  # free once the rows are gathered
        np.multiply(ramp[1][:, None], self.offsets, out=linear)
        linear += raw0[:, None]
        np.maximum(linear, ramp[3][:, None], out=linear)
        np.minimum(linear, ramp[4][:, None], out=linear)
        self.amp[...] = linear  # exact (at most 2 ** 24); amp is already applied
        self.amp *= _LIN_SCALE
        return self.amp
