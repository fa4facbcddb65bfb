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
"""

from __future__ import annotations

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


_LINEAR_FILTER = _fast_lfilter()


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


class OutputStage:
    """Master volume -> DC blocker -> soft-knee limiter -> hard cap, in place on (n, 2) blocks."""

    def __init__(self, sample_rate: int, cap_dbfs: float = -6.0, master_volume: float = 1.0):
        self.sample_rate = check_sample_rate(sample_rate)
        self.frame = 0
        self._ramp_frames = max(1, int(round(RAMP_MS * sample_rate / 1000.0)))
        self._volume_from = self._volume_to = _check_volume(master_volume)
        self._ramp_start = 0
        pole = 1.0 - 2.0 * math.pi * DC_CUTOFF_HZ / sample_rate
        self._dc_b, self._dc_a = np.array([1.0, -1.0]), np.array([1.0, -pole])
        self._dc_state = np.zeros((1, 2))
        self._log_decay = -1.0 / (RELEASE_MS * sample_rate / 1000.0)
        self._peak_max = -np.inf  # running max of log|x[k]| - k * decay
        self.set_cap_dbfs(cap_dbfs)

    @property
    def cap_dbfs(self) -> float:
        """The hard peak cap in dBFS."""
        return self._cap_dbfs

    @property
    def master_volume(self) -> float:
        """The master volume being approached (linear gain)."""
        return self._volume_to

    def set_cap_dbfs(self, cap_dbfs: float) -> None:
        """Set the hard cap (peak dBFS, -60..0); effective from the next block."""
        self._cap_dbfs = _check_cap(cap_dbfs)
        self._cap = cap_amplitude(self._cap_dbfs)
        self._knee = float(self._cap) * 10.0 ** (-KNEE_DB / 20.0)

    def set_master_volume(self, volume: float) -> None:
        """Glide the master volume (linear gain, 0..4) to ``volume`` over ``RAMP_MS``."""
        volume = _check_volume(volume)
        self._volume_from = self._gain_at(np.array([self.frame]))[0]
        self._volume_to = volume
        self._ramp_start = self.frame

    def _gain_at(self, frames: np.ndarray) -> np.ndarray:
        progress = np.clip((frames - self._ramp_start) / self._ramp_frames, 0.0, 1.0)
        gliding = self._volume_from + (self._volume_to - self._volume_from) * progress
        return np.where(progress >= 1.0, self._volume_to, gliding)

    def process(self, block: np.ndarray) -> None:
        """Apply the whole stage to ``block`` (float32, shape (n, 2)) in place."""
        n = block.shape[0]
        if n == 0:
            return
        x = block.astype(np.float64)
        np.maximum(x, -_INPUT_LIMIT, out=x)  # also turns -inf/+inf into finite values
        np.minimum(x, _INPUT_LIMIT, out=x)
        if not math.isfinite(float(x.sum())):
            x[np.isnan(x)] = 0.0
        if self.frame - self._ramp_start >= self._ramp_frames:
            x *= self._volume_to
        else:
            x *= self._gain_at(np.arange(self.frame, self.frame + n))[:, None]
        np.maximum(x, -_INPUT_LIMIT, out=x)
        np.minimum(x, _INPUT_LIMIT, out=x)
        if _LINEAR_FILTER is not None:
            x, self._dc_state = _LINEAR_FILTER(self._dc_b, self._dc_a, x, 0, self._dc_state)
        else:
            x, self._dc_state = lfilter(self._dc_b, self._dc_a, x, axis=0, zi=self._dc_state)
        self._limit(x)
        cap = self._cap
        np.maximum(x, -cap, out=x)
        np.minimum(x, cap, out=x)
        block[:] = x
        self.frame += n

    def _limit(self, x: np.ndarray) -> None:
        """Scale ``x`` in place by the limiter gain (1 wherever the envelope is under the knee).

        Samples under the knee are left out of the envelope: alone they could never lift it
        over the knee, so the gain is the same, and quiet blocks skip the maths entirely.
        """
        peak = np.abs(x).max(axis=1)
        log_knee = math.log(self._knee)
        start_level = self.frame * self._log_decay + self._peak_max
        if float(peak.max()) <= self._knee and start_level <= log_knee:
            return
        frames = np.arange(self.frame, self.frame + x.shape[0])
        with np.errstate(divide="ignore"):
            relative = np.where(peak > self._knee, np.log(peak), -np.inf)
        relative -= frames * self._log_decay
        running = np.maximum.accumulate(relative)
        np.maximum(running, self._peak_max, out=running)
        self._peak_max = float(running[-1])
        envelope = np.exp(running + frames * self._log_decay)
        knee, cap = self._knee, float(self._cap)
        over = np.maximum(envelope - knee, 0.0)
        target = knee + (cap - knee) * np.tanh(over / (cap - knee))
        with np.errstate(divide="ignore", invalid="ignore"):
            x *= np.where(envelope > knee, target / envelope, 1.0)[:, None]
