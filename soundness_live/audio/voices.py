"""The voice bank: every sounding voice as one column of preallocated numpy arrays.

Rendering is vectorised across voices: a block is a fixed number of numpy calls on
(voices x frames) arrays, whatever the number of voices, so the Python cost per block stays
flat as voices grow. Voices are kept in start order (new voices are appended; finished voices
are removed by an order-keeping compaction) and the mix sums them in that order with a
sequential reduction, so the float result does not depend on when a finished voice was
cleared away, nor on the block size.

Per-sample state is computed in closed form from the frame number, never accumulated:
- playback position: 40.24 fixed point, ``start + step * age`` reduced into the loop with
  exact integer arithmetic (``state[POS]`` holds the exact position at the bank's current
  frame, advanced by ``step * n`` after each block — exact, so identical to the closed form);
- envelope: two integer ramps of the age (see :mod:`.envelope`).
Interpolation: 4-point 3rd-order Hermite (Catmull-Rom), or linear, on the 24-bit fraction.

Allocation per block: numpy temporaries of the block's (voices x frames) size only
(positions, the gathered taps, the envelope, the mix); the voice state never reallocates.
"""

from __future__ import annotations

import numpy as np

from .envelope import CB_INDEX_SHIFT, CB_SILENT, LIN_ONE, Ramp, cb_to_amp_table

__all__ = ["VoiceBank", "FRAC_BITS", "INTERPOLATIONS"]

FRAC_BITS = 24
_FRAC_MASK = (1 << FRAC_BITS) - 1
_FRAC_SCALE = np.float32(1.0 / (1 << FRAC_BITS))
_LIN_SCALE = np.float32(1.0 / LIN_ONE)
_HALF, _ONE_HALF = np.float32(0.5), np.float32(1.5)
_NEVER = np.int64(1) << 62  # a loop end no position reaches
INTERPOLATIONS = ("cubic", "linear")

# rows of VoiceBank.state (int64, one column per voice)
POS, STEP, SMP_START, SMP_END, LOOP_START, LOOP_END, LOOP_MODE, LOOPED = range(8)
WRAP_AT, SAFE_LO, SAFE_HI = range(8, 11)  # fixed-point bounds of the plain (no-edge) path
CHANNEL, KEY, EXCLUSIVE, RELEASED, SUSTAINED, KILLED, RELEASE_FRAMES = range(11, 18)
N_FIELDS = 18
LEVEL, LINEAR = 0, 1  # VoiceBank.ramps[field, LEVEL|LINEAR, voice]; fields ref s b lo hi sat


class VoiceBank:
    """Preallocated voice state: ``state`` (fields above), ``ramps``, ``gains`` (L, R)."""

    def __init__(
        self,
        capacity: int,
        sample_data: np.ndarray,
        max_block: int = 8192,
        interpolation: str = "cubic",
    ) -> None:
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        self.capacity = capacity
        self.count = 0
        self.interpolation = interpolation
        self._taps = (-1, 0, 1, 2) if interpolation == "cubic" else (0, 1)
        self.state = np.zeros((N_FIELDS, capacity), dtype=np.int64)
        self.ramps = np.zeros((6, 2, capacity), dtype=np.int64)
        self.gains = np.zeros((capacity, 2, 1), dtype=np.float32)
        self.atten_cb = np.zeros(capacity, dtype=np.float64)  # region + velocity attenuation
        self.pan = np.zeros(capacity, dtype=np.float64)  # region pan, -1..1
        self.data = np.ascontiguousarray(sample_data, dtype=np.float32)
        self.max_block = max_block
        self._offsets = np.arange(max_block, dtype=np.int64)
        self._frames = np.zeros((2, 1, 1), dtype=np.int64)

    # -- voice lifecycle -------------------------------------------------------------------------
    def add(self, fields: dict[int, int], level: Ramp, linear: Ramp, atten_cb: float, pan: float):
        """Append a voice with the given ``state`` fields; returns its index."""
        i = self.count
        column = self.state[:, i]
        column[:] = 0
        for name, value in fields.items():
            column[name] = value
        self.count = i + 1
        self.set_ramp(i, level, LEVEL)
        self.set_ramp(i, linear, LINEAR)
        self.atten_cb[i] = atten_cb
        self.pan[i] = pan
        self.update_bounds(i)
        return i

    def update_bounds(self, i: int) -> None:
        """Recompute voice ``i``'s plain-path bounds after its loop state changed."""
        s = self.state[:, i]
        looping = s[LOOP_MODE] != 0
        lowest = s[LOOP_START] if looping and s[LOOPED] else s[SMP_START]
        highest = s[LOOP_END] if looping else s[SMP_END]
        taps = self._taps
        s[WRAP_AT] = s[LOOP_END] << FRAC_BITS if looping else _NEVER
        s[SAFE_LO] = (lowest - taps[0]) << FRAC_BITS
        s[SAFE_HI] = ((highest - taps[-1]) << FRAC_BITS) - 1

    def ramp(self, i: int, which: int) -> Ramp:
        """The LEVEL or LINEAR ramp of voice ``i``."""
        return Ramp(*(int(x) for x in self.ramps[:, which, i]))

    def set_ramp(self, i: int, ramp: Ramp, which: int) -> None:
        """Replace the LEVEL or LINEAR ramp of voice ``i`` (in effect from ``ramp.ref``)."""
        self.ramps[:, which, i] = (ramp.ref, ramp.s, ramp.b, ramp.lo, ramp.hi, ramp.sat)

    def _ramp_values(self, frame: int, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Both ramps at ``frame`` and ``frame + n_frames``: (unclipped, clipped), (2, 2, n)."""
        r = self.ramps[:, :, : self.count]
        frames = self._frames
        frames[0, 0, 0], frames[1, 0, 0] = frame, frame + n_frames
        age = np.minimum(frames - r[0], r[5])
        raw = r[2] + r[1] * age
        return raw, np.minimum(np.maximum(raw, r[3]), r[4])

    def silent_from(self, frame: int) -> np.ndarray:
        """Bool per voice: it contributes exact zeros from ``frame`` (the bank's frame) on."""
        _, values = self._ramp_values(frame, 0)
        return self._silent(values[0], self.state[POS, : self.count])

    def _silent(self, values: np.ndarray, position: np.ndarray) -> np.ndarray:
        s, r = self.state[:, : self.count], self.ramps[1, :, : self.count]
        dead = (values[LEVEL] >= CB_SILENT) & (r[LEVEL] >= 0)
        dead |= (values[LINEAR] <= 0) & (r[LINEAR] <= 0)
        dead |= (s[LOOP_MODE] == 0) & ((position >> FRAC_BITS) > s[SMP_END] - self._taps[0])
        return dead

    def remove(self, dead: np.ndarray) -> None:
        """Drop the voices flagged in ``dead`` (bool per voice), keeping start order."""
        if not dead.any():
            return
        keep = (~dead).nonzero()[0]
        n = keep.size
        self.state[:, :n] = self.state[:, keep]
        self.ramps[:, :, :n] = self.ramps[:, :, keep]
        self.gains[:n] = self.gains[keep]
        self.atten_cb[:n] = self.atten_cb[keep]
        self.pan[:n] = self.pan[keep]
        self.count = n

    # -- rendering -------------------------------------------------------------------------------
    def render(self, out: np.ndarray, frame: int, reap: bool = True) -> None:
        """Write the mix for frames ``frame .. frame + len(out)`` into ``out``.

        With ``reap``, voices silent for good from the next frame on are then removed (this
        never changes the output: they would add exact zeros).
        """
        n_frames, count = out.shape[0], self.count
        if count == 0:
            out[:] = 0.0
            return
        offsets = self._offsets[:n_frames]
        positions = self._positions(offsets)
        samples = self._interpolate(positions)
        raw, values = self._ramp_values(frame, n_frames)
        self._apply_envelope(samples, raw[0], values, offsets)
        mix = np.add.reduce(samples[:, None, :] * self.gains[:count], axis=0)
        out[:] = mix.T
        if reap:
            self.remove(self._silent(values[1], self.state[POS, :count]))

    def _positions(self, offsets: np.ndarray) -> np.ndarray:
        """Fixed-point positions (voices x frames) of this block; advances ``state[POS]``."""
        s = self.state[:, : self.count]
        pos, step = s[POS], s[STEP]
        positions = pos[:, None] + step[:, None] * offsets
        pos += step * offsets.size
        return positions

    def _interpolate(self, positions: np.ndarray) -> np.ndarray:
        """Interpolated sample values (voices x frames), float32."""
        s = self.state[:, : self.count]
        edge = ((positions[:, 0] < s[SAFE_LO]) | (positions[:, -1] > s[SAFE_HI])).nonzero()[0]
        index = positions >> FRAC_BITS
        taps = [index + k if k else index for k in self._taps]
        if edge.size:
            valid = self._fix_edges(edge, positions, taps)
        take = self.data.take
        x = [take(t, mode="clip") for t in taps]
        if edge.size:
            for values, ok in zip(x, valid, strict=True):
                values[edge] *= ok
        frac = (positions & _FRAC_MASK).astype(np.float32)
        frac *= _FRAC_SCALE
        if len(x) == 2:
            x0, x1 = x
            x1 -= x0
            x1 *= frac
            x1 += x0
            return x1
        xm, x0, x1, x2 = x
        c1 = x1 - xm
        c1 *= _HALF
        c3 = x0 - x1
        c3 *= _ONE_HALF
        x2 -= xm
        x2 *= _HALF
        c3 += x2
        xm -= x0  # c2 = (xm - x0) + c1 - c3
        xm += c1
        xm -= c3
        c3 *= frac
        c3 += xm
        c3 *= frac
        c3 += c1
        c3 *= frac
        c3 += x0
        return c3

    def _fix_edges(self, rows: np.ndarray, positions: np.ndarray, taps: list) -> list:
        """Wrap the taps of ``rows`` (voices near a loop or sample edge); validity masks."""
        s = self.state[:, rows]
        col = lambda f: s[f][:, None]  # noqa: E731 - a field as a (rows, 1) column
        start, end = col(LOOP_START), col(LOOP_END)
        length, looping = np.maximum(end - start, 1), col(LOOP_MODE) != 0
        pos = positions[rows]
        crossed = pos >= col(WRAP_AT)
        start_fp = start << FRAC_BITS
        pos = np.where(crossed, start_fp + (pos - start_fp) % (length << FRAC_BITS), pos)
        self._rebase(rows, pos[:, -1] + s[STEP], crossed[:, -1])
        index = pos >> FRAC_BITS
        been_round = looping & ((col(LOOPED) != 0) | crossed)
        valid = []
        for k, tap in zip(self._taps, taps, strict=True):
            j = index + k
            j = np.where(looping & (j >= end), j - length, j)
            j = np.where(been_round & (j < start) & (index >= start), j + length, j)
            tap[rows] = j
            valid.append(((j >= col(SMP_START)) & (j < col(SMP_END))).astype(np.float32))
        return valid

    def _rebase(self, rows: np.ndarray, next_pos: np.ndarray, crossed: np.ndarray) -> None:
        """Store the wrapped next-block position of looping ``rows`` (exact integers)."""
        s = self.state
        wrap = s[WRAP_AT, rows]
        again = next_pos >= wrap
        start_fp = s[LOOP_START, rows] << FRAC_BITS
        length_fp = wrap - start_fp
        s[POS, rows] = np.where(again, start_fp + (next_pos - start_fp) % length_fp, next_pos)
        for i in rows[(crossed | again) & (s[LOOPED, rows] == 0)].tolist():
            s[LOOPED, i] = 1
            self.update_bounds(i)

    def _apply_envelope(self, samples, raw0: np.ndarray, values: np.ndarray, offsets) -> None:
        """Multiply ``samples`` in place by each voice's envelope amplitude, per sample."""
        count = self.count
        level0, level1 = values[0, LEVEL], values[1, LEVEL]
        if (level0 == level1).all():  # monotonic ramps: constant over the block
            samples *= cb_to_amp_table.take(level0 >> CB_INDEX_SHIFT)[:, None]
        else:
            r = self.ramps[:, LEVEL, :count, None]
            level = raw0[LEVEL][:, None] + r[1] * offsets
            np.maximum(level, r[3], out=level)
            np.minimum(level, r[4], out=level)
            level >>= CB_INDEX_SHIFT
            samples *= cb_to_amp_table.take(level)
        if (values[:, LINEAR] == LIN_ONE).all():
            return
        r = self.ramps[:, LINEAR, :count, None]
        linear = raw0[LINEAR][:, None] + r[1] * offsets
        np.maximum(linear, r[3], out=linear)
        np.minimum(linear, r[4], out=linear)
        scaled = linear.astype(np.float32)
        scaled *= _LIN_SCALE
        samples *= scaled
