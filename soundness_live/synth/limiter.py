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

import copy
import dataclasses
import math

import numpy as np

from ..core.clock import check_sample_rate
from ..errors import ParameterError
from ..players.volume_cap import check_cap_dbfs
from . import stage_kernel as sk
from .kernel import compile_kernel
from .true_peak import WINDOW_FRAMES

__all__ = ["OutputStage", "MASTER_VOLUME_MAX", "LOOKAHEAD_MS", "cap_amplitude"]

MASTER_VOLUME_MAX = 4.0  # linear gain (+12 dB)
RAMP_MS = 20.0  # master volume changes glide over this
DC_CUTOFF_HZ = 5.0
LOOKAHEAD_MS = 0.5  # the delay the limiter may add: its attack happens within it
RELEASE_MS = 60.0  # the limiter's gain reduction falls 8.7 dB (a factor e) per release time
MARGIN_DB = 0.3  # the limiter aims this far under the ceiling: the clip stays a backstop


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
    figures: np.ndarray  # the five above as float64, what the compiled stage reads

    @classmethod
    def to(cls, start: int, volume_from: float, volume_to: float, ramp_frames: int) -> _Glide:
        """A ramp from ``volume_from`` at frame ``start`` to ``volume_to`` ``ramp_frames``
        later (steady at once when the two are equal)."""
        steady_from = start if volume_from == volume_to else start + ramp_frames
        figures = np.array([start, volume_from, volume_to, ramp_frames, steady_from], float)
        return cls(start, volume_from, volume_to, ramp_frames, steady_from, figures)

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
    figures: np.ndarray  # (ceiling, target) as float64, what the compiled stage reads

    @classmethod
    def for_cap(cls, cap_dbfs: float) -> _Levels:
        """The levels of the cap ``cap_dbfs`` (checked by the caller)."""
        ceiling = 10.0 ** (cap_dbfs / 20.0) * (1.0 - 1e-9)
        target = ceiling * 10.0 ** (-MARGIN_DB / 20.0)
        return cls(ceiling, target, np.array([ceiling, target]))


class _State:
    """The stage's state between blocks, in the arrays :func:`.stage_kernel.process_block`
    moves on (``pairs``, ``rows`` and ``ints``; the others are views of the first two, as the
    stage makes them), sized for one block size (a new size copies the history into new
    arrays: the one allocation)."""

    def __init__(self, look: _Lookahead, sample_rate: int, n: int) -> None:
        self._allocate(look.delay, n)
        self.ints = np.zeros(sk.N_INTS, dtype=np.int64)
        self.ints[[sk.DELAY, sk.REACH, sk.ATTACK]] = look.delay, look.reach, look.attack
        self.ints[[sk.BOUND_EXACT, sk.SHORTCUTS]] = sk.KEPT_BEFORE, 1
        self.floats[sk.DC_POLE] = 1.0 - 2.0 * math.pi * DC_CUTOFF_HZ / sample_rate
        self.floats[sk.PEAK_MAX] = -np.inf
        self.floats[sk.LOG_DECAY] = -1.0 / (RELEASE_MS * sample_rate / 1000.0)
        self.floats[sk.BOUND_UNIFORM] = np.nan

    def _allocate(self, delay: int, n: int) -> None:
        """Zeroed arrays for blocks of ``n`` frames, and the views the stage makes of them."""
        self.n, self.delay, self.front = n, delay, max(delay, sk.KEPT_BEFORE)
        self.shape = (n, 2)  # of the blocks these arrays are sized for
        joined = sk.joined_at(n, delay)
        self.pairs = sk.aligned_zeros(joined + sk.KEPT_BEFORE + n, 2)
        self.rows = sk.aligned_zeros(sk.TRACE_ROWS + 3, sk.row_width(n, delay))
        self.inputs = self.pairs[: delay + sk.KEPT_BEFORE + n]
        self.clip_joined = self.pairs[joined:]
        self.trace = self.rows[: sk.TRACE_ROWS]
        self.recurrence = self.rows[sk.TRACE_ROWS : sk.TRACE_ROWS + 2]
        self.floats = self.rows[sk.TRACE_ROWS + 2]

    def resized(self, n: int) -> _State:
        """The same state in arrays for blocks of ``n`` frames."""
        other = copy.copy(self)
        other._allocate(self.delay, n)
        other.floats[: sk.N_FLOATS] = self.floats[: sk.N_FLOATS]
        kept = self.inputs.shape[0] - self.n
        other.inputs[:kept] = self.inputs[:kept]
        other.clip_joined[: sk.KEPT_BEFORE] = self.clip_joined[: sk.KEPT_BEFORE]
        other.trace[:, : self.front] = self.trace[:, : self.front]
        return other


def KEPT_INPUTS(look: _Lookahead) -> int:  # noqa: N802 - a constant of the look-ahead
    """Input frames kept before a block: the delay and the 11 its windows reach back."""
    return look.delay + WINDOW_FRAMES - 1


class OutputStage:
    """Master volume -> DC blocker -> look-ahead true-peak limiter -> true-peak clip, in place
    on (n, 2) float32 blocks; the output is :attr:`delay_frames` behind the input."""

    def __init__(self, sample_rate: int, cap_dbfs: float = -6.0, master_volume: float = 1.0):
        self.sample_rate = check_sample_rate(sample_rate)
        compile_kernel()
        self._ramp_frames = max(1, int(round(RAMP_MS * sample_rate / 1000.0)))
        volume = _check_volume(master_volume)
        self._glide = _Glide.to(0, volume, volume, self._ramp_frames)
        self._look = _Lookahead.at(sample_rate)
        self._state = _State(self._look, sample_rate, 1)
        # set after a new cap or volume (from any thread): a compiled caller that rendered
        # with the arrays of before takes the new ones through Python (synth/quiet.py)
        self.changes = np.zeros(1, dtype=np.int64)
        self.set_cap_dbfs(cap_dbfs)

    @property
    def _shortcuts(self) -> bool:
        """False: every block takes the full computation (tests compare the two)."""
        return bool(self._state.ints[sk.SHORTCUTS])

    @_shortcuts.setter
    def _shortcuts(self, shortcuts: bool) -> None:
        self._state.ints[sk.SHORTCUTS] = shortcuts

    @property
    def frame(self) -> int:
        """Frames processed so far."""
        return int(self._state.ints[sk.FRAME])

    @property
    def delay_frames(self) -> int:
        """How far the output lags the input: the limiter's look-ahead (part of the latency)."""
        return self._look.delay

    @property
    def clipped_samples(self) -> int:
        """Samples the last step had to clip (0 on ordinary material)."""
        return int(self._state.ints[sk.CLIPPED])

    @property
    def paths(self) -> dict[str, int]:
        """How many blocks took each path: ``quiet`` (sent as the delayed input, the limiter
        at rest), ``limited`` (the limiter's peaks computed), ``clip_computed`` (the clip's
        values computed) and ``clip_skipped`` (the bound showed the clip could change
        nothing)."""
        ints = self._state.ints
        return {
            "quiet": int(ints[sk.QUIET_BLOCKS]),
            "limited": int(ints[sk.LIMITED_BLOCKS]),
            "clip_computed": int(ints[sk.CLIP_COMPUTED]),
            "clip_skipped": int(ints[sk.CLIP_SKIPPED]),
        }

    @property
    def last_gains(self) -> np.ndarray:
        """The limiter's gain on each frame of the last block (1 where it rests); a view,
        overwritten by the next block."""
        return self._state.trace[sk.GAIN, : self._state.n]

    @property
    def cap_dbfs(self) -> float:
        """The true-peak cap in dBFS."""
        return self._cap_dbfs

    @property
    def master_volume(self) -> float:
        """The master volume being approached (linear gain)."""
        return self._glide.volume_to

    def set_cap_dbfs(self, cap_dbfs: float) -> None:
        """Set the true-peak cap (dBFS, -60..0); effective from the next block's first output
        sample: an interpolated sample reading samples sent before may keep the older cap, and
        where a lowered cap leaves a sample no value under it, the clip glides to silence under
        the ceiling its history keeps (a few samples)."""
        cap = check_cap_dbfs(cap_dbfs)
        self._levels = _Levels.for_cap(cap)
        self._cap_dbfs = cap
        ints = self._state.ints
        ints[sk.RESTING] = 0  # the next block checks the rest against the new target
        # the look-ahead holds input whose peaks, under the old target, the limiter forgot:
        # until it and the 11 samples its windows read are sent, the clip or its bound checks
        # every block against the new ceiling (the quiet path would send it as it is)
        ints[sk.QUIET_FROM] = ints[sk.FRAME] + self._look.delay + WINDOW_FRAMES - 1
        self.changes[0] = 1  # after the new figures: whoever clears it reads them

    def set_master_volume(self, volume: float) -> None:
        """Glide the master volume (linear gain, 0..4) to ``volume`` over ``RAMP_MS``."""
        volume = _check_volume(volume)
        frame, glide = self.frame, self._glide
        volume_from = float(glide.gain_at(np.array([frame]))[0])
        self._glide = _Glide.to(frame, volume_from, volume, self._ramp_frames)
        self.changes[0] = 1

    @property
    def block_frames(self) -> int:
        """The block size the stage's arrays are sized for now (the last block's)."""
        return self._state.n

    def compiled_parts(self) -> tuple[np.ndarray, ...]:
        """What :func:`.stage_kernel.process_block` takes besides the block, as the next
        block would take it: (glide, levels, pairs, rows, ints)."""
        state = self._state
        return self._glide.figures, self._levels.figures, state.pairs, state.rows, state.ints

    def process(self, block: np.ndarray) -> None:
        """Apply the whole stage to ``block`` (float32, shape (n, 2)) in place."""
        state = self._state
        if block.shape != state.shape:  # one comparison on the way of every block
            if block.shape[0] == 0:
                return
            if block.ndim != 2 or block.shape[1] != 2:
                raise ParameterError(f"block must have shape (n, 2), got {block.shape}")
            state = self._state = state.resized(block.shape[0])  # the one allocation
        try:  # the stage takes C-contiguous float32 only (it is never compiled again)
            sk.process_block(
                block,
                self._glide.figures,
                self._levels.figures,
                state.pairs,
                state.rows,
                state.ints,
            )
        except TypeError:
            raise ParameterError(
                f"block must be C-contiguous float32, got {block.dtype}"
                f"{'' if block.flags.c_contiguous else ' (a strided view)'}"
            ) from None
