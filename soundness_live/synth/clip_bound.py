"""When the output stage's last step may be skipped: a bound on the output's true-peak values.

The clip (:class:`~.true_peak.TruePeakClip`) computes every held-window value of the output, one
matrix product a block. The limiter has already computed those of its input, and the output is
that input times a gain that moves slowly, so the output's values can be bounded without the
second product. Output sample ``k`` is ``y[k] = g[k] * d[k]`` rounded to float32 (``d`` the
delayed input), so for every held window ``c`` (weights ``H[j, c]``, from
:data:`~.true_peak.HELD_WINDOWS`)::

    |sum_j H[j,c] y[k-j]| <= g[k] |sum_j H[j,c] d[k-j]|                  (the input's value)
                             + sum_j |H[j,c]| |g[k-j] - g[k]| |d[k-j]|    (the gain's motion)
                             + sum_j |H[j,c]| |y[k-j] - g[k-j] d[k-j]|    (float32 rounding)
                          <= g[k] P[k] + HELD_GAIN D (G - g) + HELD_GAIN D G 2**-23

with ``P[k]`` the largest value of input sample ``k`` (both channels), ``D`` the largest
``|d|`` and ``G``, ``g`` the largest and smallest gain over the block and the 11 samples before
it. When that bound is under the ceiling, the clip would change nothing: skipping it gives the
same bytes. The bound needs the last 11 samples sent to be exactly ``g * d``, so it is not used
until 11 samples have passed the clip unchanged.
"""

from __future__ import annotations

import numpy as np

from .peak import PEAK as _PEAK
from .true_peak import HELD_WINDOWS, WINDOW_FRAMES

__all__ = ["ClipBound"]

_HELD_GAIN = float(np.abs(HELD_WINDOWS).sum(axis=0).max())  # |value| <= this * the peak
_ROUNDING = 2.0**-23  # float32 rounding of g * d, with room to spare
_SLACK = 1.0 + 1e-6  # the float64 sums behind P and the clip's own product
_BEFORE = WINDOW_FRAMES - 1  # a window reaches this many samples back


class ClipBound:
    """The bound above over a stream of blocks: the input peaks still in the look-ahead, the
    gains of the last samples sent, and how many samples in a row were sent exactly."""

    def __init__(self, delay_frames: int) -> None:
        self._delay = delay_frames
        self._peaks = np.zeros(delay_frames)  # P (or a bound on it) of the delayed input
        self._gains = np.ones(_BEFORE)  # the gains of the last samples sent
        self._exact = _BEFORE  # samples sent as g * d, the newest last (silence: all)
        self._uniform: float | None = None  # set: the history is this peak bound at gain 1
        self._size = -1

    def check(
        self, peaks: np.ndarray, gains: np.ndarray, delayed: np.ndarray, ceiling: float
    ) -> bool:
        """Take this block's input peaks ``peaks`` (n) and gains ``gains`` (n) and say whether
        its output is under ``ceiling``; ``delayed`` is the flat delayed input of the block and
        the 11 frames before it."""
        self._fill(peaks, gains)
        if self._exact < _BEFORE:
            return False
        n = self._size
        products = np.multiply(self._peak_buffer[:n], gains, out=self._products)
        high, low = _PEAK(self._gain_buffer), float(np.min(self._gain_buffer))
        bound = _PEAK(products) + _HELD_GAIN * _PEAK(delayed) * (high - low + high * _ROUNDING)
        return bound * _SLACK <= ceiling

    def sent(self, exact: bool) -> None:
        """The block checked last was sent: exactly as ``g * d`` (the clip changed nothing),
        or not."""
        n = self._size
        self._peaks[...] = self._peak_buffer[n:]
        self._gains[...] = self._gain_buffer[n:]
        self._exact = self._exact + n if exact else 0

    def sent_unchanged(self, n: int, peak_bound: float) -> None:
        """A block of ``n`` frames passed at gain 1, its input peaks at most ``peak_bound``."""
        if n >= self._delay >= _BEFORE:  # the history is this block alone: filled when needed
            self._uniform = peak_bound
            self._exact += n
            return
        self._resize(n)
        self._fill_history()
        self._peak_buffer[self._delay :] = peak_bound
        self._gain_buffer[_BEFORE:] = 1.0
        self.sent(exact=True)

    def _fill_history(self) -> None:
        if self._uniform is not None:
            self._peaks.fill(self._uniform)
            self._gains.fill(1.0)
            self._uniform = None
        self._peak_buffer[: self._delay] = self._peaks
        self._gain_buffer[:_BEFORE] = self._gains

    def _fill(self, peaks: np.ndarray, gains: np.ndarray) -> None:
        self._resize(gains.shape[0])
        self._fill_history()
        self._peak_buffer[self._delay :] = peaks
        self._gain_buffer[_BEFORE:] = gains

    def _resize(self, n: int) -> None:
        if n != self._size:  # the one allocation, per block size
            self._size = n
            self._peak_buffer = np.empty(self._delay + n)
            self._gain_buffer = np.empty(_BEFORE + n)
            self._products = np.empty(n)
