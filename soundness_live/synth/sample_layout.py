"""The synth's own copy of the samples it plays, laid out so a block never meets an edge.

Each sample a voice plays gets a *strip*: a run of rows in one growing table (the arena),
one row per sample position, holding that position's interpolation coefficients already
computed from its neighbours (cubic: ``x0, c1, c2, c3`` of the Catmull-Rom polynomial;
linear: ``x0, x1 - x0``). Rendering a sample is then one read of a whole row for each
voice and frame, and a short polynomial in the fraction — no per-tap reads, no masks.

Two kinds of strip, built lazily the first time a sample is played and kept:

- plain: the sample from its start to its end, then ``PAD_ROWS`` rows of silence (a voice
  past its end reads exact zeros until it is cleared away);
- looped: the sample from its start up to the loop end, then the loop once more, then
  ``PAD_ROWS`` rows continuing round the loop. A voice that has reached the second copy is
  moved back by one loop length between blocks, so every read within a block is plain data
  and wrapping is one subtraction.

Neighbours outside the sample (before its start, after its end) count as zero, and a
looped voice's neighbours follow the loop — exactly as a voice reading the raw data with
wrapped, masked taps would see them, so the rows give bit-identical output.

Memory: rows are 16 bytes (cubic) or 8 bytes (linear) per sample position, only for the
samples actually played (plus about twice the loop for looped ones), so a large SoundFont
such as FluidR3 (148 MB) costs what the session plays, not the whole bank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SampleLayout", "Strip", "PAD_ROWS", "TAPS"]

PAD_ROWS = 1024  # rows after a strip's end: a render call may read this far past it
TAPS = {"cubic": (-1, 0, 1, 2), "linear": (0, 1)}
_HALF, _ONE_HALF = np.float32(0.5), np.float32(1.5)


@dataclass(frozen=True, slots=True)
class Strip:
    """Where one sample's rows are: row ``base`` is the sample's first position.

    ``loop_at`` and ``loop_len`` (rows, relative to ``base``) describe a looped strip: from
    ``loop_at`` on, the rows repeat every ``loop_len``; both are 0 for a plain strip, whose
    rows are zero from ``silent_at`` on.
    """

    base: int
    silent_at: int
    loop_at: int = 0
    loop_len: int = 0


class SampleLayout:
    """Strips of interpolation rows for the samples of ``sample_data``, built on demand."""

    def __init__(
        self, sample_data: np.ndarray, interpolation: str = "cubic", reserve_rows: int = 0
    ) -> None:
        if interpolation not in TAPS:
            raise ValueError(f"interpolation must be one of {tuple(TAPS)}, got {interpolation!r}")
        self.data = np.ascontiguousarray(sample_data, dtype=np.float32)
        self.taps = TAPS[interpolation]
        self.width = len(self.taps)
        self.rows = np.zeros((0, self.width), dtype=np.float32)  # (row, coefficient)
        self._used = 0
        self._strips: dict[tuple[int, ...], Strip] = {}
        self.reserve(reserve_rows)

    def reserve(self, n_rows: int) -> None:
        """Make room for ``n_rows`` rows in all, so building strips never copies the arena.

        The zeroed pages are mapped lazily by the OS: only rows built take memory. Where the
        reservation is refused, the arena grows by doubling instead.
        """
        if n_rows > self.rows.shape[0]:
            try:
                self._resize(n_rows)
            except MemoryError:
                pass

    @property
    def nbytes(self) -> int:
        """Bytes of rows built so far."""
        return self._used * self.width * 4

    def plain_rows(self, start: int, end: int) -> int:
        """Rows the plain strip of sample ``start .. end`` takes."""
        return end - start - self.taps[0] + 1 + PAD_ROWS

    def looped_rows(self, start: int, loop_start: int, loop_end: int) -> int:
        """Rows the looped strip of a sample from ``start`` takes."""
        return 2 * loop_end - start - loop_start + PAD_ROWS

    def plain(self, start: int, end: int) -> Strip:
        """The strip of sample ``start .. end`` (absolute indices) played straight through."""
        key = (start, end)
        if key not in self._strips:
            silent_at = end - start - self.taps[0] + 1  # every tap past the end from here
            j = self._tap_range(self.plain_rows(start, end))
            self._strips[key] = Strip(self._append(start + j, start, end), silent_at)
        return self._strips[key]

    def looped(self, start: int, end: int, loop_start: int, loop_end: int) -> Strip:
        """The strip of a sample looping over ``loop_start .. loop_end`` (needs
        ``start <= loop_start`` and ``loop_start + 2 <= loop_end <= end``)."""
        key = (start, end, loop_start, loop_end)
        if key not in self._strips:
            loop_at, loop_len = loop_end - start, loop_end - loop_start
            j = self._tap_range(self.looped_rows(start, loop_start, loop_end))
            wrapped = loop_start + (j - loop_at) % loop_len
            base = self._append(np.where(j < loop_at, start + j, wrapped), start, end)
            self._strips[key] = Strip(base, 1 << 62, loop_at, loop_len)
        return self._strips[key]

    def _tap_range(self, n_rows: int) -> np.ndarray:
        """Strip positions read by rows ``0 .. n_rows - 1``: from the first tap to the last."""
        return np.arange(self.taps[0], n_rows + self.taps[-1], dtype=np.int64)

    def _append(self, reads: np.ndarray, start: int, end: int) -> int:
        """Add the rows whose taps read ``reads`` (absolute positions, see ``_tap_range``)
        of the sample ``start .. end``; returns the first new row."""
        valid = ((reads >= start) & (reads < end)).astype(np.float32)
        signal = self.data.take(reads, mode="clip") * valid  # outside the sample: zero
        n = reads.size - len(self.taps) + 1
        taps = [signal[k : k + n] for k in range(len(self.taps))]
        rows = self._reserve(n)
        for k, coefficient in enumerate(_coefficients(*taps)):
            rows[:, k] = coefficient
        return self._used - n

    def _reserve(self, n: int) -> np.ndarray:
        """``n`` fresh rows at the end of the arena (grown by doubling)."""
        needed = self._used + n
        if needed > self.rows.shape[0]:
            self._resize(max(needed, 2 * self.rows.shape[0], 1 << 16))
        self._used = needed
        return self.rows[needed - n : needed]

    def _resize(self, n_rows: int) -> None:
        grown = np.zeros((n_rows, self.width), np.float32)
        grown[: self._used] = self.rows[: self._used]
        self.rows = grown


def _coefficients(*taps: np.ndarray) -> list[np.ndarray]:
    """Polynomial coefficients (constant term first) from the tap values, in float32.

    The operations and their order are those a renderer interpolating raw taps would use, so
    the polynomial evaluated by Horner's rule gives the same bits.
    """
    if len(taps) == 2:
        x0, x1 = taps
        return [x0, x1 - x0]
    xm, x0, x1, x2 = taps
    c1 = (x1 - xm) * _HALF
    c3 = (x0 - x1) * _ONE_HALF + (x2 - xm) * _HALF
    c2 = ((xm - x0) + c1) - c3
    return [x0, c1, c2, c3]
