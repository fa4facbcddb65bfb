"""The frame line: when a block's first frame was due, from late-only callback times.

The sample clock is linear and a callback can only run *late*, so for a block starting at
frame F called at monotonic ``now``, the origin ``now - F / rate`` is smallest for the most
punctual callback: the line follows new minima at once and may rise by at most 200 ppm of the
time elapsed (clock drift); after an under-run the line has moved, so the estimate starts
again (see :mod:`.output`). The arithmetic is compiled (:func:`line_time`) so that a compiled
audio callback (:mod:`.jack_cycle`) moves the same line as the Python ones.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..synth.numba_cache import CACHE_DIR  # numba's cache directory, set before compiling

__all__ = ["CACHE_DIR", "DRIFT_PER_S", "FrameLine", "LINE_FIGURES", "line_time"]

DRIFT_PER_S = 200e-6
ORIGIN, LAST, RATE = range(3)  # the figures: the origin (NaN: none yet), the last call, Hz
LINE_FIGURES = 3


@numba.njit(cache=True, nogil=True)
def line_time(figures, frame, now_s):  # pragma: no cover - compiled
    """Best estimate of when ``frame`` was due, given a callback for it at ``now_s``; the
    line (``figures``) moves on."""
    reading_s = now_s - frame / figures[RATE]
    origin_s = figures[ORIGIN]
    if math.isnan(origin_s) or reading_s < origin_s:
        origin_s = reading_s
    else:
        origin_s = min(reading_s, origin_s + (now_s - figures[LAST]) * DRIFT_PER_S)
    figures[ORIGIN], figures[LAST] = origin_s, now_s
    return origin_s + frame / figures[RATE]


class FrameLine:
    """Monotonic time of the frame line, from late-only callback times (see the module)."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.figures = np.array([np.nan, 0.0, float(sample_rate)])
        line_time(self.figures.copy(), 0, 0.0)  # compiled (or loaded) now, not in a callback

    @property
    def origin_s(self) -> float | None:
        """When frame 0 was due (None before the first callback or after a reset)."""
        origin_s = float(self.figures[ORIGIN])
        return None if math.isnan(origin_s) else origin_s

    def reset(self) -> None:
        """Forget the estimate (the frame line moved: an under-run)."""
        self.figures[ORIGIN] = np.nan

    def time_of(self, frame: int, now_s: float) -> float:
        """Best estimate of when ``frame`` was due, given a callback for it at ``now_s``."""
        return float(line_time(self.figures, frame, now_s))
