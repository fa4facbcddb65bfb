"""The output stage: master volume, DC blocker, and a true-peak limiter under the volume cap.

Hearing safety for children with sensory sensitivities: the cap is a true-peak ceiling in dBFS
(ITU-R BS.1770-4 Annex 2, over the joined output) that nothing can exceed. The stage is one
object, ``OutputStage.process(block)``, between whatever renders the sound (the synth and the
prompts mixer) and the device, live and offline alike:

1. master volume: a linear ramp (``RAMP_MS``) that is a function of the absolute frame;
2. DC blocker: one-pole high-pass at ~5 Hz through ``scipy.signal.lfilter`` with carried ``zi``;
   NaN becomes silence and anything beyond +18 dBFS is clamped first;
3. look-ahead limiter, delayed by ``LOOKAHEAD_MS`` (0.5 ms, 24 frames at 48 kHz; the outputs
   add :attr:`OutputStage.delay_frames` to the latency they report, so heard times stay right):
   each input sample's held-window true-peak values (:func:`~.true_peak.window_values`) set the
   gain that keeps them under the ceiling less ``MARGIN_DB``, over the 12 samples they read;
   the gain falls in a straight line over the rest of the look-ahead (no step, so no click),
   and comes back with an exponential release (``RELEASE_MS``), so loud playing is not pumped
   sample by sample. Material under the ceiling passes unchanged (delayed);
4. the clip (:class:`~.true_peak.TruePeakClip`): exact, whatever came before; ordinary material
   never reaches it.

Every step gives the same bytes whatever the block split: each is memoryless or carries its
state sample-exactly (the release envelope is computed in the log domain as ``frame * decay +
running_max(log peak[k] - k * decay)`` on absolute frames). A block whose input is far under the
ceiling while the limiter is at rest skips steps 3-4: nothing there could change it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from scipy.signal import lfilter

from ..core.clock import check_sample_rate
from ..errors import ParameterError
from ..players.volume_cap import check_cap_dbfs
from .clip_bound import ClipBound
from .peak import PEAK as _PEAK
from .true_peak import HELD_WINDOWS, WINDOW_FRAMES, ClipWork, TruePeakClip, window_values

__all__ = ["OutputStage", "MASTER_VOLUME_MAX", "LOOKAHEAD_MS", "cap_amplitude"]

MASTER_VOLUME_MAX = 4.0  # linear gain (+12 dB)
RAMP_MS = 20.0  # master volume changes glide over this
DC_CUTOFF_HZ = 5.0
LOOKAHEAD_MS = 0.5  # the delay the limiter may add: its attack happens within it
RELEASE_MS = 60.0  # the limiter's gain reduction falls 8.7 dB (a factor e) per release time
MARGIN_DB = 0.3  # the limiter aims this far under the ceiling: the clip stays a backstop
_INPUT_LIMIT = 8.0  # +18 dBFS: absurd input is clamped so the limiter recovers in ~0.3 s
_GLIDE_PAD_FRAMES = 4096
_HELD_GAIN = float(np.abs(HELD_WINDOWS).sum(axis=0).max())  # |value| <= this * the peak
_QUIET = 1e-30  # floor of a window peak before its log (silence)


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


@dataclasses.dataclass(frozen=True)
class _Lookahead:
    """How the stage's delay is spent at one sample rate (frames)."""

    delay: int  # in all: LOOKAHEAD_MS
    reach: int  # a sample is in the windows of this many later ones (11), as far as the delay goes
    attack: int  # the rest: the gain's straight-line fall

    @classmethod
    def at(cls, sample_rate: int) -> _Lookahead:
        """The look-ahead of ``sample_rate``."""
        delay = int(LOOKAHEAD_MS * sample_rate / 1000.0 + 1e-9)
        reach = min(WINDOW_FRAMES - 1, delay)
        return cls(delay, reach, delay - reach)


@dataclasses.dataclass(frozen=True)
class _Levels:
    """The cap as amplitudes, swapped in as one object (the cap may be set from another
    thread, so a block never mixes an old ceiling with a new target)."""

    ceiling: float  # what the clip holds, a hair under the cap (the meters' rounding)
    target: float  # what the limiter aims at

    @classmethod
    def for_cap(cls, cap_dbfs: float) -> _Levels:
        """The levels of the cap ``cap_dbfs`` (checked by the caller)."""
        ceiling = 10.0 ** (cap_dbfs / 20.0) * (1.0 - 1e-9)
        return cls(ceiling, ceiling * 10.0 ** (-MARGIN_DB / 20.0))


def _windows(buffer: np.ndarray, size: int) -> np.ndarray:
    """The sliding windows of ``size`` frames over ``buffer``'s first axis (a view)."""
    return np.lib.stride_tricks.sliding_window_view(buffer, size, axis=0)


class _Work:
    """Work buffers and their window views for one block size, so a block allocates only
    what the DC filter returns. Each buffer is [what the last blocks left | this block]."""

    def __init__(self, n: int, look: _Lookahead, kept_inputs: int) -> None:
        self.n = n
        self.x = np.empty((n, 2))
        self.x_flat = self.x.reshape(-1)
        self.inputs = np.empty((kept_inputs + n, 2))
        start = kept_inputs - (WINDOW_FRAMES - 1)
        self.input_windows = _windows(self.inputs[start:], WINDOW_FRAMES)[..., ::-1]
        self.contiguous = np.empty((n, 2, WINDOW_FRAMES))
        self.delayed = self.inputs[kept_inputs - look.delay : kept_inputs - look.delay + n]
        before = kept_inputs - look.delay - (WINDOW_FRAMES - 1)  # what windows of it reach
        self.delayed_reach = self.inputs[before : kept_inputs - look.delay + n].reshape(-1)
        self.values = np.empty((HELD_WINDOWS.shape[1], 2 * n))
        self.value_peaks = np.empty(2 * n)
        self.peaks = np.empty(look.reach + n)
        self.peak_windows = _windows(self.peaks, look.reach + 1)
        self.window_peak, self.level = np.empty(n), np.empty(n)
        self.offsets, self.ramp = np.arange(n, dtype=np.float64), np.empty(n)
        self.envelopes = np.empty(look.attack + n)
        self.envelope_windows = _windows(self.envelopes, look.attack + 1)
        self.held = np.empty(look.attack + n)
        self.gains = np.empty(look.attack + n)
        self.gain_windows = _windows(self.gains, look.attack + 1)
        self.gain = np.empty(n)
        self.gain_column = self.gain[:, None]
        self.y = np.empty((n, 2))
        self.clip = ClipWork(n, 2)


class OutputStage:
    """Master volume -> DC blocker -> look-ahead true-peak limiter -> true-peak clip, in place
    on (n, 2) float32 blocks; the output is :attr:`delay_frames` behind the input."""

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
        self._look = look = _Lookahead.at(sample_rate)
        self._log_decay = -1.0 / (RELEASE_MS * sample_rate / 1000.0)
        self._peak_max = -np.inf  # running max of log(window peak[k]) - k * decay
        self._kept_inputs = look.delay + WINDOW_FRAMES - 1  # the delayed input's windows
        self._inputs = np.zeros((self._kept_inputs, 2))
        self._peaks = np.zeros(look.reach)
        self._envelopes = np.zeros(look.attack)
        self._held = np.zeros(look.attack)  # the attack's held peaks (gain 1 under the target)
        self._resting = True  # the gain is 1 and stays 1 for input under the target
        self._clip = TruePeakClip(2)
        self._bound = ClipBound(look.delay)  # when the clip can change nothing
        self._work = _Work(1, look, self._kept_inputs)
        self.set_cap_dbfs(cap_dbfs)

    @property
    def delay_frames(self) -> int:
        """How far the output lags the input: the limiter's look-ahead (part of the latency)."""
        return self._look.delay

    @property
    def clipped_samples(self) -> int:
        """Samples the last step had to clip (0 on ordinary material)."""
        return self._clip.clipped

    @property
    def cap_dbfs(self) -> float:
        """The true-peak cap in dBFS."""
        return self._cap_dbfs

    @property
    def master_volume(self) -> float:
        """The master volume being approached (linear gain)."""
        return self._glide.volume_to

    def set_cap_dbfs(self, cap_dbfs: float) -> None:
        """Set the true-peak cap (dBFS, -60..0); effective from the next block."""
        cap = check_cap_dbfs(cap_dbfs)
        self._levels = _Levels.for_cap(cap)
        self._cap_dbfs = cap
        self._resting = False  # the next block checks the rest against the new target

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
        levels, work = self._levels, self._work
        if work.n != n or block.ndim != 2 or block.shape[1] != 2:
            if block.ndim != 2 or block.shape[1] != 2:
                raise ParameterError(f"block must have shape (n, 2), got {block.shape}")
            work = self._work = _Work(n, self._look, self._kept_inputs)  # the one allocation
        x = self._filtered(block, work, clean=not self._shortcuts)
        if x is None:  # NaN or infinity reached the filter: again, cleaned up first
            x = self._filtered(block, work, clean=True)
        assert x is not None  # a cleaned block always filters to finite values
        kept = self._kept_inputs
        work.inputs[:kept] = self._inputs
        work.inputs[kept:] = x
        recent = work.inputs[kept - (WINDOW_FRAMES - 1) :].reshape(-1)  # every window's samples
        quiet = _PEAK(recent) * _HELD_GAIN <= levels.target
        if quiet and self._resting and self._shortcuts:
            block[...] = work.delayed  # unchanged: nothing here could reach the target
            self._forget_peaks()
            self._clip.rest(work.delayed)
            self._bound.sent_unchanged(n, levels.target)
        else:
            limited = self._limit(work, levels)
            block[...] = work.y
            self._last_step(block, work, levels)
            if limited:
                self._keep(work, levels)
            else:
                self._forget_peaks()
        self._inputs[...] = work.inputs[n:]
        self.frame += n

    def _last_step(self, block: np.ndarray, work: _Work, levels: _Levels) -> None:
        """The clip, unless the bound shows it would change nothing (the same bytes)."""
        peaks = work.peaks[self._look.reach :]
        under = self._bound.check(peaks, work.gain, work.delayed_reach, levels.ceiling)
        if under and self._shortcuts:
            self._clip.passed(block, levels.ceiling)
            self._bound.sent(exact=True)
        else:
            clipped = self._clip.clipped
            self._clip.clip(block, levels.ceiling, work.clip)
            self._bound.sent(exact=self._clip.clipped == clipped)

    def _limit(self, work: _Work, levels: _Levels) -> bool:
        """``work.y``: the delayed input times the limiter's gain (``work.gain``); False when
        the limiter is at rest and stays so (gain 1: nothing new reaches the target)."""
        look = self._look
        values = window_values(work.input_windows, work.contiguous, work.values)
        np.abs(values, out=values)
        pairs = np.max(values, axis=0, out=work.value_peaks)  # both channels: one gain
        peaks = np.maximum(pairs[0::2], pairs[1::2], out=work.peaks[look.reach :])
        if self._resting and self._shortcuts and _PEAK(peaks) <= levels.target:
            work.gain.fill(1.0)  # what the full computation gives: every peak under the target
            np.copyto(work.y, work.delayed)
            return False
        work.peaks[: look.reach] = self._peaks
        np.max(work.peak_windows, axis=1, out=work.window_peak)  # the peak each sample is in
        self._envelope(work, first_frame=self.frame - look.reach)
        np.max(work.envelope_windows, axis=1, out=work.held[look.attack :])  # the attack ahead
        work.held[: look.attack] = self._held
        np.maximum(work.held, levels.target, out=work.gains)  # at the current target, so a
        np.divide(levels.target, work.gains, out=work.gains)  # new cap acts on every sample
        np.sum(work.gain_windows, axis=1, out=work.gain)  # the straight-line fall
        np.divide(work.gain, look.attack + 1, out=work.gain)
        np.multiply(work.delayed, work.gain_column, out=work.y)
        return True

    def _envelope(self, work: _Work, first_frame: int) -> None:
        """``work.envelopes``: the window peaks with an instant attack and an exponential
        release; carries the running maximum to the next block."""
        look = self._look
        ramp = np.add(work.offsets, float(first_frame), out=work.ramp)
        np.multiply(ramp, self._log_decay, out=ramp)
        level = np.maximum(work.window_peak, _QUIET, out=work.level)
        np.log(level, out=level)
        np.subtract(level, ramp, out=level)
        level[0] = max(level.item(0), self._peak_max)  # the carried maximum leads the run
        np.maximum.accumulate(level, out=level)
        self._peak_max = level.item(-1)
        np.add(level, ramp, out=level)
        np.exp(level, out=work.envelopes[look.attack :])
        work.envelopes[: look.attack] = self._envelopes

    def _keep(self, work: _Work, levels: _Levels) -> None:
        """What the next block needs of this one, after the full computation."""
        n = work.n
        self._peaks[...] = work.peaks[n:]
        self._envelopes[...] = work.envelopes[n:]
        self._held[...] = work.held[n:]
        released = self._peak_max + (self.frame + n) * self._log_decay <= math.log(levels.target)
        self._resting = (
            released
            and bool(np.all(self._held <= levels.target))
            and bool(np.all(self._peaks <= levels.target))
            and bool(np.all(self._envelopes <= levels.target))
            and bool(np.all(work.gain == 1.0))
        )

    def _forget_peaks(self) -> None:
        """After a block that passed unchanged: the peaks under the target need not be kept
        (under the target they change nothing)."""
        self._peaks[...] = 0.0
        self._envelopes[...] = 0.0

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
            with np.errstate(invalid="ignore"):  # infinity * 0: NaN, which the filter reveals
                np.multiply(x, glide.volume_to, out=x)
            peak *= glide.volume_to  # rounding is monotonic: exactly the largest |x * volume|
        else:
            gains = glide.gains[frame - glide.start : frame - glide.start + n]
            if gains.shape[0] < n:  # a block longer than the pad
                gains = glide.gain_at(np.arange(frame, frame + n))[:, None]
            with np.errstate(invalid="ignore"):
                np.multiply(x, gains, out=x)
            peak *= max(glide.volume_from, glide.volume_to) * (1.0 + 1e-12)  # ramps round
        if peak > _INPUT_LIMIT or not self._shortcuts:
            np.maximum(x, -_INPUT_LIMIT, out=x)
            np.minimum(x, _INPUT_LIMIT, out=x)


def _clean(x: np.ndarray) -> float:
    """Clamp ``x`` in place to +18 dBFS and silence NaN; the bound on ``|x|`` after."""
    np.maximum(x, -_INPUT_LIMIT, out=x)  # also turns -inf/+inf into finite values
    np.minimum(x, _INPUT_LIMIT, out=x)
    x[np.isnan(x)] = 0.0
    return _INPUT_LIMIT
