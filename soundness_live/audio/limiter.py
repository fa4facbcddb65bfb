"""The output stage: master volume, DC blocker, limiter and a hard volume cap.

Hearing safety for children with sensory sensitivities: the cap is a peak level in dBFS that
nothing can exceed — the last step clips to it exactly (NaN becomes silence and anything
beyond +18 dBFS is clamped first), so even a pathological input stays at or below the cap.
Before it, a soft-knee peak limiter keeps normal playing from ever reaching the clip.

Every step is bit-identical whatever the block split, because each is either memoryless or
carries its state sample-exactly:
- master volume: a linear ramp (``RAMP_MS``) that is a function of the absolute frame;
- DC blocker: one-pole high-pass at ~5 Hz through ``scipy.signal.lfilter`` with carried ``zi``;
- limiter: an instant-attack, exponential-release peak envelope computed in the log domain as
  ``frame * decay + running_max(log|x[k]| - k * decay)``; a running maximum is exact, so the
  carried maximum makes it split-invariant. The gain maps the envelope through a tanh knee that
  approaches the cap but never reaches it: below ``KNEE_DB`` under the cap nothing changes.

The stage runs in the audio callback, so work that changes nothing is skipped, and each skip
gives the bytes of the full computation (the tests compare the two):
- peaks come from BLAS ``idamax`` (~0.4 us, not numpy's ~3 us reduction); the input is
  clamped and cleaned only when its peak is over +18 dBFS or NaN reached the DC filter's
  state (the block is then filtered again), and a steady volume of 1 multiplies nothing;
- a block whose filtered peak is at or under the knee while the envelope starts it released
  below the knee needs no limiter: such samples never enter the envelope, so its state stays;
- a block with nothing over the knee while the envelope releases skips the running maximum.
The clip to the cap runs on every block whatever the shortcuts decided.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from scipy.signal import lfilter

from ..clock import check_sample_rate
from ..errors import ParameterError

__all__ = ["OutputStage", "CAP_RANGE_DBFS", "MASTER_VOLUME_MAX"]

CAP_RANGE_DBFS = (-60.0, 0.0)
MASTER_VOLUME_MAX = 4.0  # linear gain (+12 dB)
RAMP_MS = 20.0  # master volume changes glide over this
DC_CUTOFF_HZ = 5.0
RELEASE_MS = 60.0  # limiter envelope falls 8.7 dB (a factor e) per release time
KNEE_DB = 6.0  # the limiter starts acting this far below the cap
_INPUT_LIMIT = 8.0  # +18 dBFS: absurd input is clamped so the limiter recovers in ~0.3 s
_GLIDE_PAD_FRAMES = 4096


def _fast_lfilter() -> Callable[..., tuple[np.ndarray, np.ndarray]] | None:
    """scipy's C filter core without the ~20 us per call of lfilter's argument handling.

    Private to scipy, so it is used only if it gives lfilter's exact result here; else None.
    """
    try:
        from scipy.signal._sigtools import _linear_filter
    except ImportError:
        return None
    b, a = np.array([1.0, -1.0]), np.array([1.0, -0.5])
    x, zi = np.linspace(-1.0, 1.0, 16).reshape(8, 2), np.array([[0.25, -0.5]])
    try:
        fast, fast_zf = _linear_filter(b, a, x, 0, zi)
    except Exception:  # any change in the private signature: use the public function
        return None
    slow, slow_zf = lfilter(b, a, x, axis=0, zi=zi)
    same = np.array_equal(fast, slow) and np.array_equal(fast_zf, slow_zf)
    return _linear_filter if same else None


def _public_lfilter(
    b: np.ndarray, a: np.ndarray, x: np.ndarray, axis: int, zi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.lfilter`` in the C core's calling convention."""
    return lfilter(b, a, x, axis=axis, zi=zi)


_DC_FILTER = _fast_lfilter() or _public_lfilter


def _numpy_peak(values: np.ndarray) -> float:
    """The largest ``|v|`` of the 1-D float64 ``values`` (NaN if one is NaN)."""
    return float(np.maximum.reduce(np.abs(values)))


def _fast_peak() -> Callable[[np.ndarray], float]:
    """The largest ``|v|`` through BLAS ``idamax``: ~0.4 us where numpy's reduction takes
    ~3 us. NaN may be passed over: callers find it elsewhere. Used only if it agrees with
    numpy here, on vectors that put the peak everywhere, signed and tied."""
    try:
        from scipy.linalg.blas import idamax
    except ImportError:
        return _numpy_peak
    rng = np.random.default_rng(0)
    for n in (*range(1, 70), 127, 128, 129, 130, 1024, 1025):
        for values in (rng.standard_normal(n), -np.abs(rng.standard_normal(n)), np.ones(n)):
            values[rng.integers(n)] *= 3.0
            if abs(values.item(idamax(values))) != _numpy_peak(values):
                return _numpy_peak
    return lambda values: abs(values.item(idamax(values)))


_PEAK = _fast_peak()


def _check_cap(cap_dbfs: float) -> float:
    low, high = CAP_RANGE_DBFS
    if not isinstance(cap_dbfs, (int, float)) or not low <= cap_dbfs <= high:
        raise ParameterError(f"cap_dbfs must be in {low:g}..{high:g} dBFS, got {cap_dbfs!r}")
    return float(cap_dbfs)


def _check_volume(volume: float) -> float:
    if not isinstance(volume, (int, float)) or not 0.0 <= volume <= MASTER_VOLUME_MAX:
        raise ParameterError(
            f"master_volume must be in 0..{MASTER_VOLUME_MAX:g} (linear gain), got {volume!r}"
        )
    return float(volume)


def cap_amplitude(cap_dbfs: float) -> np.float32:
    """The largest float32 at or below ``10 ** (cap_dbfs / 20)``."""
    exact = 10.0 ** (cap_dbfs / 20.0)
    value = np.float32(exact)
    if float(value) > exact:
        value = np.nextafter(value, np.float32(0.0))
    return value


def _release_floor(knee: float) -> float:
    """The largest log-envelope whose ``np.exp`` is at most ``knee``.

    An envelope that starts a block at or under it stays under the knee for the whole block
    (it only falls, and exp is monotonic), so skipping the block's gain is exact.
    """
    level = np.array([math.log(knee)])
    while np.exp(level)[0] > knee:
        level = np.nextafter(level, -np.inf)
    while np.exp(np.nextafter(level, np.inf))[0] <= knee:
        level = np.nextafter(level, np.inf)
    return float(level[0])


@dataclasses.dataclass(frozen=True, eq=False)
class _Levels:
    """The cap and what derives from it, swapped in as one object so that a block never
    mixes an old cap with a new knee (the cap may be set from another thread)."""

    knee: float
    release_floor: float  # see _release_floor
    # 0-d arrays: a ufunc takes one ~0.4 us faster than a Python float
    cap_0d: np.ndarray  # the float32 cap amplitude
    minus_cap_0d: np.ndarray
    knee_0d: np.ndarray
    span_0d: np.ndarray  # cap - knee: the room the tanh knee maps into

    @classmethod
    def for_cap(cls, cap_dbfs: float) -> _Levels:
        """The levels of the cap ``cap_dbfs`` (checked by the caller)."""
        cap = float(cap_amplitude(cap_dbfs))
        knee = cap * 10.0 ** (-KNEE_DB / 20.0)
        arrays = (np.array(value) for value in (cap, -cap, knee, cap - knee))
        return cls(knee, _release_floor(knee), *arrays)


@dataclasses.dataclass(frozen=True, eq=False)
class _Glide:
    """A master-volume ramp, swapped in as one object (it may be set from another thread)."""

    start: int  # the frame the ramp starts at
    volume_from: float
    volume_to: float
    ramp_frames: int
    steady_from: int  # the frame from which the gain is volume_to
    gains: np.ndarray  # (k, 1): the gain at start + k, computed ahead (empty when steady)

    @classmethod
    def to(cls, start: int, volume_from: float, volume_to: float, ramp_frames: int) -> _Glide:
        """A ramp with its gains computed ahead, out of the audio callback, with
        ``_GLIDE_PAD_FRAMES`` of ``volume_to`` after it so a block ending past it needs none."""
        steady = cls(start, volume_from, volume_to, ramp_frames, start, np.empty((0, 1)))
        if volume_from == volume_to:
            return steady
        ramp = dataclasses.replace(steady, steady_from=start + ramp_frames)
        frames = np.arange(start, start + ramp_frames + _GLIDE_PAD_FRAMES)
        return dataclasses.replace(ramp, gains=ramp.gain_at(frames)[:, None])

    def gain_at(self, frames: np.ndarray) -> np.ndarray:
        """The master gain at each of ``frames`` (absolute, from ``start`` on)."""
        progress = np.clip((frames - self.start) / self.ramp_frames, 0.0, 1.0)
        gliding = self.volume_from + (self.volume_to - self.volume_from) * progress
        return np.where(progress >= 1.0, self.volume_to, gliding)


class _Work:
    """Work buffers for one block shape, so a block allocates only what the filter returns."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        n = shape[0]
        self.shape = shape
        self.x = np.empty(shape)
        self.x_flat = self.x.reshape(-1)
        self.magnitude = np.empty(shape)
        self.left, self.right = self.magnitude[:, 0], self.magnitude[:, 1]
        self.frame_peak, self.offsets = np.empty(n), np.arange(n, dtype=np.float64)
        self.decay_ramp, self.log_input, self.level = np.empty(n), np.empty(n), np.empty(n)
        self.envelope, self.target, self.knee_curve = np.empty(n), np.empty(n), np.empty(n)
        self.denominator, self.gain = np.empty(n), np.empty(n)
        self.gain_column = self.gain[:, None]
        self.mask = np.empty(n, dtype=bool)
        self.frame_0d = np.array(0.0)


_ZERO_0D, _MINUS_INF_0D = np.array(0.0), np.array(-np.inf)


class OutputStage:
    """Master volume -> DC blocker -> soft-knee limiter -> hard cap, in place on (n, 2) blocks."""

    _shortcuts = True  # False: every block takes the full computation (tests compare the two)

    def __init__(self, sample_rate: int, cap_dbfs: float = -6.0, master_volume: float = 1.0):
        self.sample_rate = check_sample_rate(sample_rate)
        self.frame = 0
        self._ramp_frames = max(1, int(round(RAMP_MS * sample_rate / 1000.0)))
        volume = _check_volume(master_volume)
        self._glide = _Glide.to(0, volume, volume, self._ramp_frames)
        pole = 1.0 - 2.0 * math.pi * DC_CUTOFF_HZ / sample_rate
        self._dc_b, self._dc_a = np.array([1.0, -1.0]), np.array([1.0, -pole])
        self._dc_state = np.zeros((1, 2))
        self._log_decay = -1.0 / (RELEASE_MS * sample_rate / 1000.0)
        self._log_decay_0d = np.array(self._log_decay)
        self._peak_max = -np.inf  # running max of log|x[k]| - k * decay
        self._work = _Work((0, 2))
        self.set_cap_dbfs(cap_dbfs)

    @property
    def cap_dbfs(self) -> float:
        """The hard peak cap in dBFS."""
        return self._cap_dbfs

    @property
    def master_volume(self) -> float:
        """The master volume being approached (linear gain)."""
        return self._glide.volume_to

    def set_cap_dbfs(self, cap_dbfs: float) -> None:
        """Set the hard cap (peak dBFS, -60..0); effective from the next block."""
        levels = _Levels.for_cap(_check_cap(cap_dbfs))
        self._cap_dbfs = float(cap_dbfs)
        self._levels = levels

    def set_master_volume(self, volume: float) -> None:
        """Glide the master volume (linear gain, 0..4) to ``volume`` over ``RAMP_MS``."""
        volume = _check_volume(volume)
        frame, glide = self.frame, self._glide
        volume_from = float(glide.gain_at(np.array([frame]))[0])
        self._glide = _Glide.to(frame, volume_from, volume, self._ramp_frames)

    def process(self, block: np.ndarray) -> None:
        """Apply the whole stage to ``block`` (float32, shape (n, 2)) in place."""
        n = block.shape[0]
        if n == 0:
            return
        levels, work, frame, shortcuts = self._levels, self._work, self.frame, self._shortcuts
        if work.shape != block.shape:  # new size: the one allocation besides the filter output
            if block.ndim != 2 or block.shape[1] != 2:
                raise ParameterError(f"block must have shape (n, 2), got {block.shape}")
            work = self._work = _Work(block.shape)
        y = self._filtered(block, work, clean=not shortcuts)
        if y is None:  # NaN or infinity reached the filter: again, cleaned up first
            y = self._filtered(block, work, clean=True)
        assert y is not None  # a cleaned block always filters to finite values
        peak = _PEAK(y.reshape(-1))
        start_level = frame * self._log_decay + self._peak_max
        # under the knee no sample enters the envelope, so skipping leaves its state as it is
        if not (peak <= levels.knee and start_level <= levels.release_floor and shortcuts):
            self._limit(y, work, levels, loud=peak > levels.knee or not shortcuts)
        np.maximum(y, levels.minus_cap_0d, out=y)  # always: the cap rests on nothing else
        np.minimum(y, levels.cap_0d, out=y)
        block[...] = y
        self.frame = frame + n

    def _filtered(self, block: np.ndarray, work: _Work, clean: bool) -> np.ndarray | None:
        """``block`` through the volume and the DC blocker, or None if it held NaN that the
        peak passed over (the filter state, NaN after it, is then left as it was)."""
        x = work.x
        np.copyto(x, block)
        peak = _PEAK(work.x_flat)
        if clean or not peak <= _INPUT_LIMIT:  # infinity or over +18 dBFS
            peak = _clean(x)
            clean = True
        glide = self._glide
        if self.frame < glide.steady_from or glide.volume_to != 1.0 or not self._shortcuts:
            self._apply_volume(x, peak)  # else a steady 1: nothing to multiply
        y, state = _DC_FILTER(self._dc_b, self._dc_a, x, 0, self._dc_state)
        if not clean and not math.isfinite(sum(state.tolist()[0])):
            return None  # NaN or infinity poisons the state: finite input never does
        self._dc_state = state
        return y

    def _apply_volume(self, x: np.ndarray, peak: float) -> None:
        """Scale ``x`` (its largest ``|x|`` is ``peak``) by the master volume, clamped to
        +18 dBFS when it could exceed it."""
        glide, frame, n = self._glide, self.frame, x.shape[0]
        if frame >= glide.steady_from:
            np.multiply(x, glide.volume_to, out=x)
            peak *= glide.volume_to  # rounding is monotonic: exactly the largest |x * volume|
        else:
            gains = glide.gains[frame - glide.start : frame - glide.start + n]
            if gains.shape[0] < n:  # a block longer than the pad
                gains = glide.gain_at(np.arange(frame, frame + n))[:, None]
            np.multiply(x, gains, out=x)
            peak *= max(glide.volume_from, glide.volume_to) * (1.0 + 1e-12)  # ramps round
        if peak > _INPUT_LIMIT or not self._shortcuts:
            np.maximum(x, -_INPUT_LIMIT, out=x)
            np.minimum(x, _INPUT_LIMIT, out=x)

    def _limit(self, x: np.ndarray, work: _Work, levels: _Levels, loud: bool) -> None:
        """Scale ``x`` in place by the limiter gain (1 wherever the envelope is under the knee).

        Samples under the knee are left out of the envelope: alone they could never lift it
        over the knee, so the gain is the same; a block with none over it (``loud`` False)
        while the envelope releases keeps the carried maximum throughout.
        """
        work.frame_0d[...] = self.frame
        decay_ramp = np.add(work.offsets, work.frame_0d, out=work.decay_ramp)
        np.multiply(decay_ramp, self._log_decay_0d, out=decay_ramp)
        if loud:
            np.abs(x, out=work.magnitude)  # two columns: several times cheaper than max(axis=1)
            peaks = np.maximum(work.left, work.right, out=work.frame_peak)
            level = self._envelope_level(peaks, decay_ramp, work, levels.knee_0d)
        else:
            level = np.add(decay_ramp, self._peak_max, out=work.level)
        envelope = np.exp(level, out=work.envelope)
        np.multiply(x, _gains(envelope, work, levels), out=x)

    def _envelope_level(
        self, peaks: np.ndarray, decay_ramp: np.ndarray, work: _Work, knee: np.ndarray
    ) -> np.ndarray:
        """The log envelope of each frame; carries the running maximum to the next block."""
        log_input = np.maximum(peaks, knee, out=work.log_input)  # no log(0): masked below
        level = np.log(log_input, out=work.level)
        np.copyto(level, _MINUS_INF_0D, where=np.less_equal(peaks, knee, out=work.mask))
        np.subtract(level, decay_ramp, out=level)
        level[0] = max(level.item(0), self._peak_max)  # the carried maximum leads the run
        np.maximum.accumulate(level, out=level)
        self._peak_max = level.item(-1)
        return np.add(level, decay_ramp, out=level)


def _gains(envelope: np.ndarray, work: _Work, levels: _Levels) -> np.ndarray:
    """The gain column: the tanh knee's target over the envelope, exactly 1 at or under the
    knee (there the target is the knee and so is the denominator)."""
    knee, span, target = levels.knee_0d, levels.span_0d, work.target
    np.subtract(envelope, knee, out=target)
    np.maximum(target, _ZERO_0D, out=target)
    np.divide(target, span, out=target)
    np.tanh(target, out=work.knee_curve)  # tanh(0) is 0: the target stays the knee
    np.multiply(work.knee_curve, span, out=target)
    np.add(target, knee, out=target)
    denominator = np.maximum(envelope, knee, out=work.denominator)
    np.divide(target, denominator, out=work.gain)
    return work.gain_column


def _clean(x: np.ndarray) -> float:
    """Clamp ``x`` in place to +18 dBFS and silence NaN; the bound on ``|x|`` after."""
    np.maximum(x, -_INPUT_LIMIT, out=x)  # also turns -inf/+inf into finite values
    np.minimum(x, _INPUT_LIMIT, out=x)
    x[np.isnan(x)] = 0.0
    return _INPUT_LIMIT
