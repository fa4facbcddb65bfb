"""True peak (ITU-R BS.1770-4 Annex 2) and the last step that holds a true-peak ceiling exactly.

Annex 2 measures the true peak by 4x oversampling with a 48-tap interpolating FIR given as four
phases of 12 taps: interpolated sample ``4n + k`` is ``sum_j ANNEX_2_TAPS[k, j] * x[n - j]``.
The output stage keeps every such interpolated sample (and every plain sample) at or under the
ceiling, over the joined output and whatever the block split.

How it can hold exactly with a look-ahead of a few samples: a window's interpolated value
depends on the 12 newest samples, and the last step emits one sample at a time, not knowing the
next. It keeps one promise instead: **with every later sample held at the newest one's value,
every window is under the ceiling.** Emitting the same value again always keeps that promise
(it is what was assumed), so at each sample the values allowed form a non-empty interval (48
linear constraints, one per window and phase it reaches, plus the sample itself), and the
sample is clipped into it. Held continuations read a steady or slow signal exactly; above about
10 kHz they over-read a little (a 15 kHz tone is held about 0.6 dB under the ceiling, a 20 kHz
one 2.6 dB), where music has little energy.

:func:`window_values` gives, for each sample, the values that promise is about; the limiter
reads the same values from its input to set its gain, so the clip is a backstop that ordinary
material never reaches.
"""

from __future__ import annotations

import numpy as np

from .peak import PEAK as _PEAK

__all__ = [
    "ANNEX_2_TAPS",
    "WINDOW_FRAMES",
    "HELD_WINDOWS",
    "ClipWork",
    "TruePeakClip",
    "window_values",
]

# BS.1770-4 Annex 2: the order-48, 4-phase FIR interpolating filter, one row per phase
ANNEX_2_TAPS = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
WINDOW_FRAMES = ANNEX_2_TAPS.shape[1]  # 12: an interpolated sample reads this many samples


def _held_windows() -> np.ndarray:
    """(12, 49): row ``j`` weighs ``x[s - j]``; column ``4 t + k`` is phase ``k`` of the window
    ending ``t`` samples after ``s`` with those samples held at ``x[s]``; column 48 is
    ``x[s]`` itself."""
    phases, taps = ANNEX_2_TAPS.shape
    matrix = np.zeros((taps, taps * phases + 1))
    for held in range(taps):
        for phase in range(phases):
            column = held * phases + phase
            matrix[0, column] = ANNEX_2_TAPS[phase, : held + 1].sum()
            matrix[1 : taps - held, column] = ANNEX_2_TAPS[phase, held + 1 :]
    matrix[0, -1] = 1.0
    return matrix


HELD_WINDOWS = _held_windows()
_NEWEST, _OLDER = HELD_WINDOWS[0], HELD_WINDOWS[1:]
_HELD_T = np.ascontiguousarray(HELD_WINDOWS.T)
# OpenBLAS runs a product of up to 65536 * 4 multiply-adds on the calling thread; above that it
# wakes its thread pool, which in an audio callback on a busy machine cost milliseconds
_PRODUCT_COLUMNS = 256


def window_values(windows: np.ndarray, work: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The held-window values of each sample: ``windows`` (n, c, 12) holds each sample and
    the 11 before it, newest first; ``work`` is a contiguous (n, c, 12) buffer it is copied
    to (one BLAS product then serves every channel); ``out`` (49, n * c) receives the values,
    column ``i * c + channel``."""
    np.copyto(work, windows)
    rows = work.reshape(-1, WINDOW_FRAMES)
    for start in range(0, rows.shape[0], _PRODUCT_COLUMNS):
        stop = start + _PRODUCT_COLUMNS
        np.matmul(_HELD_T, rows[start:stop].T, out=out[:, start:stop])
    return out


class ClipWork:
    """The clip's buffers for one block size (made once per size, not per block)."""

    def __init__(self, n: int, channels: int = 2) -> None:
        self.joined = np.empty((n + WINDOW_FRAMES - 1, channels))  # history, then the block
        self.windows = np.lib.stride_tricks.sliding_window_view(self.joined, WINDOW_FRAMES, axis=0)[
            ..., ::-1
        ]
        self.contiguous = np.empty((n, channels, WINDOW_FRAMES))
        self.values = np.empty((HELD_WINDOWS.shape[1], n * channels))


class TruePeakClip:
    """The last step of the output stage: each sample clipped into the interval that keeps the
    promise (module docstring) at the ceiling. Per channel; ``clipped`` counts the samples it
    changed (none on ordinary material: the limiter before it keeps the promise itself).

    A ceiling lowered while the last samples keep only a higher one may leave no interval for
    a few samples: those keep the higher ceiling until the history keeps the new one.
    """

    def __init__(self, channels: int = 2) -> None:
        self.history = np.zeros((WINDOW_FRAMES - 1, channels))  # the last samples, newest last
        self.clipped = 0
        self._kept = 0.0  # a ceiling the history is known to keep (silence keeps any)

    def clip(self, block: np.ndarray, ceiling: float, work: ClipWork) -> None:
        """Clip ``block`` (float32 (n, c)) in place to ``ceiling`` (linear), in ``work``."""
        n, keep, joined = block.shape[0], WINDOW_FRAMES - 1, work.joined
        joined[:keep] = self.history
        joined[keep:] = block
        values = window_values(work.windows, work.contiguous, work.values)
        np.abs(values, out=values)
        if _PEAK(values.reshape(-1)) > ceiling:
            over = values.max(axis=0).reshape(n, -1).max(axis=1) > ceiling
            first = int(np.argmax(over))
            kept = self._kept
            for at in range(keep + first, keep + n):
                kept_now = ceiling
                for channel in range(block.shape[1]):
                    kept_now = max(kept_now, self._clip_sample(joined, at, channel, ceiling, kept))
                kept = kept_now
            self._kept = kept
            block[first:] = joined[keep + first :]
        else:
            self._kept = ceiling
        self.history[...] = joined[n:]

    def passed(self, sent: np.ndarray, ceiling: float) -> None:
        """``sent`` (n, c) went out unclipped, known (elsewhere) to keep ``ceiling``: what
        :meth:`clip` does when nothing is over it."""
        self.rest(sent)
        self._kept = ceiling

    def rest(self, sent: np.ndarray) -> None:
        """``sent`` (n, c) went out unclipped, every window of it under the ceiling."""
        keep = WINDOW_FRAMES - 1
        if sent.shape[0] >= keep:
            self.history[...] = sent[-keep:]
        else:
            self.history[: keep - sent.shape[0]] = self.history[sent.shape[0] :].copy()
            self.history[keep - sent.shape[0] :] = sent

    def _clip_sample(
        self, joined: np.ndarray, at: int, channel: int, ceiling: float, kept: float
    ) -> float:
        """Clip ``joined[at, channel]`` into its interval (the older samples are final);
        returns the ceiling it keeps: ``ceiling``, or ``kept`` where no interval was left."""
        stop = at - WINDOW_FRAMES
        older = joined[at - 1 : stop if stop >= 0 else None : -1, channel]
        base = older @ _OLDER
        low, high = _interval(base, ceiling)
        wanted = float(joined[at, channel])
        if low > high:  # toward silence as fast as the ceiling kept allows
            ceiling = max(ceiling, kept)
            low, high = _interval(base, ceiling)
            wanted = 0.0
        held = np.float32(joined[at - 1, channel])
        sample = np.float32(min(max(wanted, low), high))
        while not low <= float(sample) <= high and sample != held:  # rounded out of it
            sample = np.nextafter(sample, held)
        if float(sample) != wanted:
            self.clipped += 1
        joined[at, channel] = sample
        return ceiling


def _interval(base: np.ndarray, ceiling: float) -> tuple[float, float]:
    """The values ``v`` with ``|base + _NEWEST * v| <= ceiling`` for every column."""
    one = (-ceiling - base) / _NEWEST
    other = (ceiling - base) / _NEWEST
    return float(np.minimum(one, other).max()), float(np.maximum(one, other).min())
