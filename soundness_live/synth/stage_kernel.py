"""The output stage's arithmetic, compiled: one call a block, outside the GIL.

:mod:`.limiter` holds the stage's design (master volume, DC blocker, look-ahead true-peak limiter,
the clip that holds the cap exactly) and its state; :func:`process_block` does a block's work in
one numba call (``nogil``, cached in the synth kernel's cache directory), where the numpy version
made some forty calls a block, each with its own overhead, and two matrix products for the
held-window values.

The held-window values (:mod:`.true_peak`) are computed by a recurrence instead of the (12, 49)
product. Value ``4 t + k`` of sample ``s`` (phase ``k`` of the window ending ``t`` samples after
``s``, the samples after ``s`` held at ``x[s]``) is ``NEWEST[4 t + k] x[s] + R_s[t, k]``, where
``R_s[t, k] = sum_{j=1}^{11-t} taps[k, t + j] x[s - j]`` reads only older samples, and::

    R_s[t, k] = R_{s-1}[t + 1, k] + taps[k, t + 1] x[s - 1],   R_s[11, k] = 0

96 multiply-adds a sample and channel instead of 588. Each ``R_s[t, k]`` is the same chain of
additions from 0 whichever sample the recurrence started at (11 samples back at most), so the
values, and the output, do not depend on the block split.

The limiter's windows slide: each window's maximum (the REACH + 1 input peaks an envelope
value reads, the ATTACK + 1 envelope values a held value reads) comes from runs of the window's
width (:func:`_window_max`), the mean gain from a running sum in exact integers, so a block costs
O(n) whatever the look-ahead's length, where a scan of every window cost O(n x window). A window
peak's log is taken only when the peak changed, the envelope's exp only where it may be over
the target. The maxima are the scanned ones to the bit and the mean differs from a float sum
only in its last bits (tests/synth/test_limiter_sliding.py holds them to the computation written
out sample by sample); the kept outputs of test_stage_reference.py come out the same bytes.

The arrays hold the stage's state between blocks (see :class:`.limiter.OutputStage`, which
makes them): ``inputs`` (the filtered input: the ``KEPT`` frames before the block, then the
block), ``clip_joined`` (the 11 frames sent before the block, then the block), ``trace``
(rows of per-sample figures, each row's history at its front), ``recurrence`` (the ``R`` of each
channel), and the scalars of ``ints`` and ``floats`` named below. :func:`process_block` takes
them in two arrays besides ``ints``: ``pairs`` (``inputs``, ``clip_joined``) and ``rows`` (the
trace, ``recurrence``, ``floats``), each part of them on a 64-byte line.

Compiling: numba finishes every compiled function (optimised, made machine code) with all it
calls linked in, so a helper deep in the call tree is optimised again at every level above it.
The steps that only hand the block on to deeper ones (``_limit``, ``_last_step``,
``_bound_sent_unchanged``, ``_clip_sample``) are inlined into their one caller instead, which
takes a quarter off the code LLVM works through on a cold start; the helpers that do the work
are compiled once each (inlining those too makes one function so large that numba's typing
costs more than it saves).
"""

from __future__ import annotations

import numba
import numpy as np

from .numba_cache import CACHE_DIR, inner_jit  # numba's cache directory, set before compiling
from .true_peak import ANNEX_2_TAPS, HELD_WINDOWS, WINDOW_FRAMES

__all__ = [
    "CACHE_DIR",
    "process_block",
    "joined_at",
    "row_width",
    "aligned_zeros",
    "TRACE_ROWS",
    "N_INTS",
    "N_FLOATS",
]

# -- ints (int64): counters and flags ----------------------------------------------------------
FRAME, RESTING, CLIPPED, BOUND_EXACT, SHORTCUTS = range(5)
DELAY, REACH, ATTACK = range(5, 8)  # the look-ahead's parts, frames (see limiter._Lookahead)
QUIET_BLOCKS, LIMITED_BLOCKS, CLIP_COMPUTED, CLIP_SKIPPED = range(8, 12)  # paths taken
QUIET_FROM = 12  # the first frame a block may take the quiet path (after a cap change)
N_INTS = 13
# -- floats (float64) --------------------------------------------------------------------------
DC_LEFT, DC_RIGHT, DC_POLE = 0, 1, 2  # the DC blocker's state per channel, and its pole
PEAK_MAX = 3  # running max of log(window peak[k]) - k * decay
LOG_DECAY = 4  # the release per frame, in the log domain
CLIP_KEPT = 5  # a ceiling the clip's history is known to keep
BOUND_UNIFORM = 6  # NaN, or: the bound's history is this peak at gain 1
N_FLOATS = 7
# -- trace rows: each starts with its history (of the length given), then the block ------------
PEAKS = 0  # the largest held-window value of each input sample (REACH before)
ENVELOPES = 1  # window peaks, instant attack, exponential release; 0 under the target (ATTACK)
HELD = 2  # the envelope's maximum over the attack ahead (ATTACK before)
GAINS = 3  # the gain each held value asks for (ATTACK before, recomputed)
GAIN = 4  # the limiter's gain of each sample of the block (no history)
BOUND_PEAKS = 5  # the clip bound's input peaks (DELAY before)
BOUND_GAINS = 6  # the clip bound's gains (11 before)
WINDOW_FROM, WINDOW_TO = 7, 8  # a sliding maximum's runs (no history: see _window_max)
TRACE_ROWS = 9

KEPT_BEFORE = WINDOW_FRAMES - 1  # 11: a window reaches this many samples back
INPUT_LIMIT = 8.0  # +18 dBFS: absurd input is clamped so the limiter recovers in ~0.3 s
QUIET_FLOOR = 1e-30  # floor of a window peak before its log (silence)
HELD_GAIN = float(np.abs(HELD_WINDOWS).sum(axis=0).max())  # |value| <= this * the peak
_ROUNDING = 2.0**-23  # float32 rounding of g * d, with room to spare
_SLACK = 1.0 + 1e-6  # the float64 sums behind the peaks and the clip's own values
_EXP_MARGIN = 1e-6  # far beyond the rounding of running + ramp, even after days of frames
_GAIN_UNIT = 2**53  # the limiter's mean gain sums gains as integers of this unit (exact)
_VALUES = 4 * WINDOW_FRAMES  # held-window values besides the sample itself
_NEWEST = np.ascontiguousarray(HELD_WINDOWS[0, :_VALUES])  # the weight of x[s] in each
_STEP = np.zeros(_VALUES)  # taps[k, t + 1] at 4 t + k: the recurrence's new term
for _t in range(WINDOW_FRAMES - 1):
    _STEP[4 * _t : 4 * _t + 4] = ANNEX_2_TAPS[:, _t + 1]


@inner_jit()
def _advance(recurrence, older):  # pragma: no cover - compiled
    """``R`` of the next sample from this one's, ``older`` the sample just passed."""
    for c in range(_VALUES - 4):
        recurrence[c] = recurrence[c + 4] + _STEP[c] * older
    for c in range(_VALUES - 4, _VALUES):
        recurrence[c] = 0.0


@inner_jit()
def _value_peak(recurrence, sample):  # pragma: no cover - compiled
    """The largest |held-window value| of ``sample`` (the sample itself among them).

    Kept as four running maxima, one a phase, joined at the end: a maximum is exact whatever
    the order it is taken in, so this is the maximum of a scan of the values to the bit, and
    the four chains run side by side (LLVM makes vector code of them) where one chain of 48
    comparisons made each wait for the one before."""
    first = abs(sample)
    most_0, most_1, most_2, most_3 = first, first, first, first
    for t in range(WINDOW_FRAMES):
        c = 4 * t
        value_0 = abs(_NEWEST[c] * sample + recurrence[c])
        value_1 = abs(_NEWEST[c + 1] * sample + recurrence[c + 1])
        value_2 = abs(_NEWEST[c + 2] * sample + recurrence[c + 2])
        value_3 = abs(_NEWEST[c + 3] * sample + recurrence[c + 3])
        most_0 = value_0 if value_0 > most_0 else most_0
        most_1 = value_1 if value_1 > most_1 else most_1
        most_2 = value_2 if value_2 > most_2 else most_2
        most_3 = value_3 if value_3 > most_3 else most_3
    most_0 = most_1 if most_1 > most_0 else most_0
    most_2 = most_3 if most_3 > most_2 else most_2
    return most_2 if most_2 > most_0 else most_0


@inner_jit()
def _warm_up(signal, first, channel, recurrence):  # pragma: no cover - compiled
    """``recurrence`` for sample ``first`` of ``signal[:, channel]`` from its 11 before."""
    recurrence[:] = 0.0
    for s in range(first - KEPT_BEFORE, first):
        _advance(recurrence, signal[s, channel])


@inner_jit()
def _input_peaks(inputs, first, n, recurrence, peaks):  # pragma: no cover - compiled
    """``peaks[i]``: the largest held-window value of ``inputs[first + i]``, both channels."""
    for channel in range(2):
        r = recurrence[channel]
        _warm_up(inputs, first, channel, r)
        for i in range(n):
            s = first + i
            peak = _value_peak(r, inputs[s, channel])
            if channel == 0 or peak > peaks[i]:
                peaks[i] = peak
            _advance(r, inputs[s, channel])


@inner_jit()
def _block_peak(block):  # pragma: no cover - compiled
    """The largest |sample| of ``block`` and whether it holds a NaN (the peak is then
    meaningless). Four running maxima side by side, joined at the end: a maximum is exact in
    any order, and one chain of comparisons made each wait for the one before."""
    most_0, most_1, most_2, most_3 = 0.0, 0.0, 0.0, 0.0
    unknown = 0
    n = block.shape[0]
    for i in range(0, n - 1, 2):
        value_0 = abs(np.float64(block[i, 0]))
        value_1 = abs(np.float64(block[i, 1]))
        value_2 = abs(np.float64(block[i + 1, 0]))
        value_3 = abs(np.float64(block[i + 1, 1]))
        most_0 = value_0 if value_0 > most_0 else most_0
        most_1 = value_1 if value_1 > most_1 else most_1
        most_2 = value_2 if value_2 > most_2 else most_2
        most_3 = value_3 if value_3 > most_3 else most_3
        unknown |= (value_0 != value_0) | (value_1 != value_1)
        unknown |= (value_2 != value_2) | (value_3 != value_3)
    if n % 2 == 1:
        value_0 = abs(np.float64(block[n - 1, 0]))
        value_1 = abs(np.float64(block[n - 1, 1]))
        most_0 = value_0 if value_0 > most_0 else most_0
        most_1 = value_1 if value_1 > most_1 else most_1
        unknown |= (value_0 != value_0) | (value_1 != value_1)
    most_0 = most_1 if most_1 > most_0 else most_0
    most_2 = most_3 if most_3 > most_2 else most_2
    return (most_2 if most_2 > most_0 else most_0), unknown != 0


@inner_jit()
def _filter_input(block, inputs, kept, glide, ints, floats):  # pragma: no cover - compiled
    """Master volume and DC blocker: ``inputs[kept:]`` from ``block``; returns the largest
    |filtered sample|. NaN becomes silence and anything beyond +18 dBFS is clamped first
    (every sample when shortcuts are off). The two channels' filters run side by side, one
    pass over the block: each is a chain where every sample waits for the one before."""
    n, shortcuts = block.shape[0], ints[SHORTCUTS] != 0
    peak, unknown = _block_peak(block)
    clean = not shortcuts or unknown or not peak <= INPUT_LIMIT  # NaN, infinity, too loud
    if clean:
        peak = INPUT_LIMIT
    start, volume_from, volume_to = glide[0], glide[1], glide[2]
    ramp_frames, steady_from = glide[3], glide[4]
    frame = ints[FRAME]
    gliding = frame < steady_from
    scaled = gliding or volume_to != 1.0 or not shortcuts
    if scaled:
        if gliding:
            peak *= max(volume_from, volume_to) * (1.0 + 1e-12)  # ramps round
        else:
            peak *= volume_to
    clamp = scaled and (peak > INPUT_LIMIT or not shortcuts)
    pole = floats[DC_POLE]
    z_0, z_1 = floats[DC_LEFT], floats[DC_RIGHT]
    highest_0, highest_1 = 0.0, 0.0
    gain = volume_to
    for i in range(n):
        x_0, x_1 = np.float64(block[i, 0]), np.float64(block[i, 1])
        if clean:
            x_0 = 0.0 if x_0 != x_0 else min(max(x_0, -INPUT_LIMIT), INPUT_LIMIT)
            x_1 = 0.0 if x_1 != x_1 else min(max(x_1, -INPUT_LIMIT), INPUT_LIMIT)
        if scaled:
            if gliding:
                progress = min(max((frame + i - start) / ramp_frames, 0.0), 1.0)
                gain = volume_to
                if progress < 1.0:
                    gain = volume_from + (volume_to - volume_from) * progress
            x_0, x_1 = x_0 * gain, x_1 * gain
        if clamp:
            x_0 = min(max(x_0, -INPUT_LIMIT), INPUT_LIMIT)
            x_1 = min(max(x_1, -INPUT_LIMIT), INPUT_LIMIT)
        y_0 = z_0 + x_0  # scipy's lfilter, transposed direct form II, b = (1, -1), a = (1, -pole)
        y_1 = z_1 + x_1
        z_0 = x_0 * -1.0 - y_0 * -pole
        z_1 = x_1 * -1.0 - y_1 * -pole
        inputs[kept + i, 0], inputs[kept + i, 1] = y_0, y_1
        highest_0 = max(highest_0, abs(y_0))
        highest_1 = max(highest_1, abs(y_1))
    floats[DC_LEFT], floats[DC_RIGHT] = z_0, z_1
    return max(highest_0, highest_1)


@inner_jit()
def _window_max(values, n, width, from_here, to_here):  # pragma: no cover - compiled
    """Ready ``from_here`` and ``to_here`` so that ``max(from_here[i], to_here[i + width - 1])``
    is the largest of ``values[i : i + width]``, for ``i`` in ``0..n-1``: O(n) whatever the
    width (van Herk and Gil-Werman: the values cut into runs of ``width``, ``to_here`` the
    maximum from its run's start to each value, ``from_here`` from each value to its run's end;
    a window is the tail of one run and the head of the next). A maximum is exact, so this is
    the window's maximum to the bit, as a scan of the window gives it."""
    length = n + width - 1
    for start in range(0, length, width):
        stop = min(start + width, length)
        highest = values[start]
        for j in range(start, stop):
            highest = max(highest, values[j])
            to_here[j] = highest
        highest = values[stop - 1]
        for j in range(stop - 1, start - 1, -1):
            highest = max(highest, values[j])
            from_here[j] = highest


@inner_jit()
def _envelope(trace, n, ints, floats, target):  # pragma: no cover - compiled
    """The window peaks (over REACH + 1 samples) with an instant attack and an exponential
    release, computed in the log domain on absolute frames; carries the running maximum.

    A window peak's log is taken only when the peak differs from the sample before's (a peak
    stays the window's maximum for up to REACH + 1 samples); the exp only where the envelope
    may be over ``target``: under it the envelope is kept as 0, as the gain it asks for is 1
    either way (``_gain``) and so is the resting check (``_keep``)."""
    reach, attack, decay = ints[REACH], ints[ATTACK], floats[LOG_DECAY]
    first_frame = np.float64(ints[FRAME] - reach)
    running = floats[PEAK_MAX]
    surely_under = np.log(target) - _EXP_MARGIN  # exp of less is surely under the target
    peaks, envelopes = trace[PEAKS], trace[ENVELOPES]
    from_here, to_here = trace[WINDOW_FROM], trace[WINDOW_TO]
    _window_max(peaks, n, reach + 1, from_here, to_here)
    last_peak, last_log = -1.0, 0.0
    for i in range(n):
        window_peak = max(from_here[i], to_here[i + reach])
        if window_peak != last_peak:
            last_peak, last_log = window_peak, np.log(max(window_peak, QUIET_FLOOR))
        ramp = (i + first_frame) * decay
        running = max(running, last_log - ramp)  # the running maximum carried between blocks
        exponent = running + ramp
        envelopes[attack + i] = np.exp(exponent) if exponent >= surely_under else 0.0
    floats[PEAK_MAX] = running


@inner_jit()
def _gain(trace, n, ints, target):  # pragma: no cover - compiled
    """The limiter's gain of each sample: the held envelope's gain, falling in a straight line
    over the attack (the mean of the attack + 1 gains ahead).

    The mean is a running sum in fixed point (``_GAIN_UNIT``ths of 1, exact integers), so it
    has no drift and depends only on the gains in its window, never on where a block began:
    the same bytes whatever the block split, and exactly 1 where the window's gains all are."""
    attack = ints[ATTACK]
    envelopes, held, gains, gain = trace[ENVELOPES], trace[HELD], trace[GAINS], trace[GAIN]
    from_here, to_here = trace[WINDOW_FROM], trace[WINDOW_TO]
    _window_max(envelopes, n, attack + 1, from_here, to_here)
    for i in range(n):
        held[attack + i] = max(from_here[i], to_here[i + attack])
    for j in range(attack + n):
        gains[j] = target / max(held[j], target)
    total = 0
    for j in range(attack + 1):
        total += np.int64(gains[j] * _GAIN_UNIT)
    whole = np.float64(_GAIN_UNIT) * (attack + 1)
    for i in range(n):
        gain[i] = np.float64(total) / whole
        if i + 1 < n:
            total += np.int64(gains[i + attack + 1] * _GAIN_UNIT) - np.int64(gains[i] * _GAIN_UNIT)


@inner_jit(inline="always")
def _limit(block, inputs, trace, recurrence, ints, floats, target):  # pragma: no cover
    """The block out of the limiter (``block`` = delayed input x gain, ``trace[GAIN]``); False
    when it is at rest and stays so (gain 1: no peak reaches the target)."""
    n, reach, delay = block.shape[0], ints[REACH], ints[DELAY]
    kept = inputs.shape[0] - n
    ints[LIMITED_BLOCKS] += 1
    peaks, gain = trace[PEAKS], trace[GAIN]
    _input_peaks(inputs, kept, n, recurrence, peaks[reach:])
    highest = 0.0
    for i in range(n):
        highest = max(highest, peaks[reach + i])
    limiting = not (ints[RESTING] != 0 and ints[SHORTCUTS] != 0 and highest <= target)
    if limiting:
        _envelope(trace, n, ints, floats, target)
        _gain(trace, n, ints, target)
    else:
        gain[:n] = 1.0
    for i in range(n):
        for channel in range(2):
            block[i, channel] = inputs[kept - delay + i, channel] * gain[i]
    return limiting


@inner_jit()
def _keep(trace, n, ints, floats, target):  # pragma: no cover - compiled
    """What the next block needs of this one after the limiter worked, and whether it rests."""
    reach, attack = ints[REACH], ints[ATTACK]
    released = floats[PEAK_MAX] + (ints[FRAME] + n) * floats[LOG_DECAY] <= np.log(target)
    resting = released
    for row, length in ((PEAKS, reach), (ENVELOPES, attack), (HELD, attack)):
        line = trace[row]
        for j in range(length):
            line[j] = line[n + j]
            resting = resting and line[j] <= target
    for i in range(n):
        resting = resting and trace[GAIN, i] == 1.0
    ints[RESTING] = 1 if resting else 0


@inner_jit()
def _forget_peaks(trace, ints):  # pragma: no cover - compiled
    """After a block sent at gain 1: peaks under the target need not be kept.

    Under one target this gives the full computation's bytes: a peak under the target only
    decays in the release envelope, so it never asks for a gain under 1. When the cap is
    lowered it differs, by design: the full computation's envelope (``PEAK_MAX``, the window
    peaks) still carries the peaks it saw under the old target, for up to a release time, and
    where they now lie over the new one the limiter lowers its gain; the stage that forgot them
    (here, or on the quiet path, which never computes them) sends that input at gain 1 and the
    clip, computed on every block from the change until the look-ahead has been sent
    (``QUIET_FROM``), holds the new ceiling. Keeping them would cost the quiet path the peaks it
    exists to skip. Both hold the cap (tests/faults/test_cap_change_faults.py); with this one
    difference undone in the full computation, they give the same bytes on 384 runs with
    random cap and volume changes, where 90 differ as it is."""
    trace[PEAKS, : ints[REACH]] = 0.0
    trace[ENVELOPES, : ints[ATTACK]] = 0.0


@inner_jit()
def _bound_fill(trace, n, ints, floats):  # pragma: no cover - compiled
    """The bound's history at the front of its rows (a uniform history written out)."""
    uniform = floats[BOUND_UNIFORM]
    if uniform == uniform:
        trace[BOUND_PEAKS, : ints[DELAY]] = uniform
        trace[BOUND_GAINS, :KEPT_BEFORE] = 1.0
        floats[BOUND_UNIFORM] = np.nan


@inner_jit()
def _bound_under(inputs, trace, n, ints, floats, ceiling):  # pragma: no cover - compiled
    """Whether the block's output is surely under ``ceiling``, so the clip can be skipped.

    Output sample ``k`` is ``y[k] = g[k] d[k]`` rounded to float32 (``d`` the delayed input),
    so for every held window ``c`` (weights ``H[j, c]``)::

        |sum_j H[j,c] y[k-j]| <= g[k] |sum_j H[j,c] d[k-j]|                (the input's value)
                                 + sum_j |H[j,c]| |g[k-j] - g[k]| |d[k-j]|  (the gain's motion)
                                 + sum_j |H[j,c]| |y[k-j] - g[k-j] d[k-j]|  (float32 rounding)
                              <= g[k] P[k] + HELD_GAIN D (G - g) + HELD_GAIN D G 2**-23

    with ``P[k]`` the largest value of input sample ``k``, ``D`` the largest ``|d|`` and ``G``,
    ``g`` the largest and smallest gain over the block and the 11 samples before it. The bound
    needs the last 11 samples sent to be exactly ``g d``: it waits until 11 have been.
    """
    delay = ints[DELAY]
    _bound_fill(trace, n, ints, floats)
    peaks, gains = trace[BOUND_PEAKS], trace[BOUND_GAINS]
    for i in range(n):
        peaks[delay + i] = trace[PEAKS, ints[REACH] + i]
        gains[KEPT_BEFORE + i] = trace[GAIN, i]
    if ints[BOUND_EXACT] < KEPT_BEFORE:
        return False
    products, high, low = 0.0, gains[0], gains[0]
    for i in range(n):
        products = max(products, abs(peaks[i] * trace[GAIN, i]))
    for j in range(KEPT_BEFORE + n):
        high, low = max(high, abs(gains[j])), min(low, gains[j])
    delayed = 0.0  # the delayed input of the block and the 11 frames before it
    first = inputs.shape[0] - n - delay - KEPT_BEFORE
    for s in range(first, first + KEPT_BEFORE + n):
        delayed = max(delayed, abs(inputs[s, 0]), abs(inputs[s, 1]))
    bound = products + HELD_GAIN * delayed * (high - low + high * _ROUNDING)
    return bound * _SLACK <= ceiling


@inner_jit()
def _bound_sent(trace, n, ints):  # pragma: no cover - compiled
    """The block checked last was sent: the bound's history moves on by ``n`` frames (the
    caller counts whether it went out exactly as gain x delayed input, ``BOUND_EXACT``)."""
    delay = ints[DELAY]
    peaks, gains = trace[BOUND_PEAKS], trace[BOUND_GAINS]
    for j in range(delay):
        peaks[j] = peaks[n + j]
    for j in range(KEPT_BEFORE):
        gains[j] = gains[n + j]


@inner_jit(inline="always")
def _bound_sent_unchanged(trace, n, ints, floats, peak_bound):  # pragma: no cover - compiled
    """A block of ``n`` frames passed at gain 1, its input peaks at most ``peak_bound``."""
    delay = ints[DELAY]
    if n >= delay >= KEPT_BEFORE:  # the history is this block alone
        floats[BOUND_UNIFORM] = peak_bound
        ints[BOUND_EXACT] += n
        return
    _bound_fill(trace, n, ints, floats)
    trace[BOUND_PEAKS, delay : delay + n] = peak_bound
    trace[BOUND_GAINS, KEPT_BEFORE : KEPT_BEFORE + n] = 1.0
    _bound_sent(trace, n, ints)
    ints[BOUND_EXACT] += n


@inner_jit()
def _interval(recurrence, ceiling):  # pragma: no cover - compiled
    """The values ``v`` of the newest sample keeping every held-window value, ``NEWEST v +
    R``, and ``v`` itself within +-``ceiling``."""
    low, high = -ceiling, ceiling
    for c in range(_VALUES):
        one = (-ceiling - recurrence[c]) / _NEWEST[c]
        other = (ceiling - recurrence[c]) / _NEWEST[c]
        low = max(low, min(one, other))
        high = min(high, max(one, other))
    return low, high


@numba.njit(cache=True, nogil=True)  # the tests call it from Python
def _toward_held(sample, held, low, high):  # pragma: no cover - compiled
    """The float32 in ``low..high`` nearest ``sample`` (a float32 just out of it), else
    ``held``: found at once, where stepping one float32 at a time took millions of steps when
    no float32 lies in a narrow interval. Under the ceiling the sample before kept, ``held``
    lies in the interval, so this is the first float32 in it met stepping from ``sample`` to
    ``held``; under a lower ceiling ``held`` may lie beyond ``high`` on the sample's side, and
    the float32 just under ``high`` is the one to send (``held``, sent instead, then kept every
    later sample at its value, over the lowered cap, until the cap was raised)."""
    if sample < low:
        first = np.float32(low)
        if first < low:  # rounded down: the next float32 up is the first at or above low
            first = np.float32(np.nextafter(first, np.float32(np.inf)))
        if first <= high:
            return first
    elif sample > high:
        first = np.float32(high)
        if first > high:
            first = np.float32(np.nextafter(first, np.float32(-np.inf)))
        if first >= low:
            return first
    if held == 0.0:  # a step onto zero keeps the sign of the side it came from
        return np.float32(np.copysign(0.0, sample))
    return held


@inner_jit(inline="always")
def _clip_sample(joined, at, channel, ceiling, kept, recurrence, ints):  # pragma: no cover
    """Clip ``joined[at, channel]`` into its interval (older samples are final); returns the
    ceiling it keeps: ``ceiling``, or ``kept`` where no interval was left."""
    low, high = _interval(recurrence, ceiling)
    given = wanted = joined[at, channel]
    if low > high:  # toward silence as fast as the ceiling kept allows
        ceiling = max(ceiling, kept)
        low, high = _interval(recurrence, ceiling)
        wanted = 0.0
    held = np.float32(joined[at - 1, channel])
    sample = np.float32(min(max(wanted, low), high))
    if not low <= sample <= high:  # rounded out of it
        sample = _toward_held(sample, held, low, high)
        if not low <= sample <= high:  # no float32 in it: held keeps the ceiling kept before
            ceiling = max(ceiling, kept)
    if np.float64(sample) != given:  # a sample sent as 0.0 toward silence is clipped too:
        ints[CLIPPED] += 1  # the bound may not take the block as sent at gain x input
    joined[at, channel] = sample
    return ceiling


@inner_jit()
def _clip(block, joined, recurrence, ints, floats, ceiling):  # pragma: no cover - compiled
    """The true-peak clip (:class:`.true_peak.TruePeakClip`'s rule): from the first sample
    with a held-window value over ``ceiling``, each sample is clipped into its interval."""
    n = block.shape[0]
    for i in range(n):
        joined[KEPT_BEFORE + i, 0], joined[KEPT_BEFORE + i, 1] = block[i, 0], block[i, 1]
    first = joined.shape[0] - n  # KEPT_BEFORE, as a run-time value: one compiled _warm_up
    for channel in range(2):
        _warm_up(joined, first, channel, recurrence[channel])
    started, kept = False, floats[CLIP_KEPT]
    for at in range(KEPT_BEFORE, KEPT_BEFORE + n):
        if not started:
            over = _value_peak(recurrence[0], joined[at, 0]) > ceiling
            started = over or _value_peak(recurrence[1], joined[at, 1]) > ceiling
        if started:
            kept_now = ceiling
            for channel in range(2):
                r = recurrence[channel]
                kept_now = max(kept_now, _clip_sample(joined, at, channel, ceiling, kept, r, ints))
            kept = kept_now
            block[at - KEPT_BEFORE, 0] = joined[at, 0]
            block[at - KEPT_BEFORE, 1] = joined[at, 1]
        for channel in range(2):
            _advance(recurrence[channel], joined[at, channel])
    floats[CLIP_KEPT] = kept if started else ceiling
    _shift(joined, n)


@inner_jit()
def _shift(rows, n):  # pragma: no cover - compiled
    """Move the last ``len(rows) - n`` rows of ``rows`` to its front (the next history)."""
    for j in range(rows.shape[0] - n):
        rows[j, 0], rows[j, 1] = rows[n + j, 0], rows[n + j, 1]


@inner_jit()
def _rest_clip(joined, sent, first, n):  # pragma: no cover - compiled
    """``sent[first : first + n]`` went out unclipped: the clip's history takes it."""
    for i in range(n):
        joined[KEPT_BEFORE + i, 0] = sent[first + i, 0]
        joined[KEPT_BEFORE + i, 1] = sent[first + i, 1]
    _shift(joined, n)


@inner_jit(inline="always")
def _last_step(block, inputs, clip_joined, trace, recurrence, ints, floats, ceiling):
    """The clip, unless the bound shows it would change nothing (the same bytes)."""
    n = block.shape[0]
    under = _bound_under(inputs, trace, n, ints, floats, ceiling)
    if under and ints[SHORTCUTS] != 0:
        ints[CLIP_SKIPPED] += 1
        _rest_clip(clip_joined, block, 0, n)
        floats[CLIP_KEPT] = ceiling
        _bound_sent(trace, n, ints)
        ints[BOUND_EXACT] += n
    else:
        ints[CLIP_COMPUTED] += 1
        clipped = ints[CLIPPED]
        _clip(block, clip_joined, recurrence, ints, floats, ceiling)
        _bound_sent(trace, n, ints)
        ints[BOUND_EXACT] = ints[BOUND_EXACT] + n if ints[CLIPPED] == clipped else 0


def joined_at(n, delay):
    """The row of ``pairs`` where ``clip_joined`` starts, after ``inputs``: on a 64-byte line."""
    return (delay + KEPT_BEFORE + n + 3) // 4 * 4


def row_width(n, delay):
    """The length of a row of ``rows``: the trace's (its history and the block), at least
    the recurrence's, in whole 64-byte lines."""
    return (max(max(delay, KEPT_BEFORE) + n, _VALUES) + 7) // 8 * 8


def aligned_zeros(rows, columns):
    """A (rows, columns) float64 array of zeros starting on a 64-byte line."""
    raw = np.zeros(rows * columns + 8)
    skip = (-raw.ctypes.data // 8) % 8
    return raw[skip : skip + rows * columns].reshape(rows, columns)


_joined_at = inner_jit()(joined_at)


@numba.njit(cache=True, nogil=True)
def process_block(block, glide, levels, pairs, rows, ints):
    """The whole output stage on ``block`` (float32 (n, 2)) in place; the state moves on.

    ``glide``: the master volume's ramp (start frame, from, to, ramp frames, steady from);
    ``levels``: (ceiling, target) of the cap. ``pairs`` holds ``inputs`` then, from
    :func:`joined_at`, ``clip_joined`` (sized for this block), and ``rows`` the trace, then the
    recurrence's two rows, then ``floats`` (module docstring): numba's call unboxes each array
    it is given, some 0.05 us each, and these were five. A block whose input is far under the
    target while the limiter rests is sent as the delayed input, unless the cap changed while
    the look-ahead held what is sent (``QUIET_FROM``).
    """
    n, delay = block.shape[0], ints[DELAY]
    inputs = pairs[: delay + KEPT_BEFORE + n]
    joined = _joined_at(n, delay)
    clip_joined = pairs[joined : joined + KEPT_BEFORE + n]
    trace, recurrence = rows[:TRACE_ROWS], rows[TRACE_ROWS : TRACE_ROWS + 2]
    floats = rows[TRACE_ROWS + 2]
    kept = inputs.shape[0] - n
    ceiling, target = levels[0], levels[1]
    recent = _filter_input(block, inputs, kept, glide, ints, floats)
    for s in range(kept - KEPT_BEFORE, kept):  # every window's samples: the 11 frames before
        recent = max(recent, abs(inputs[s, 0]), abs(inputs[s, 1]))
    quiet = recent * HELD_GAIN <= target and ints[RESTING] != 0 and ints[SHORTCUTS] != 0
    if quiet and ints[FRAME] >= ints[QUIET_FROM]:
        ints[QUIET_BLOCKS] += 1
        for i in range(n):  # the clip's history takes the samples as sent: float32
            sent_0 = np.float32(inputs[kept - delay + i, 0])
            sent_1 = np.float32(inputs[kept - delay + i, 1])
            block[i, 0], block[i, 1] = sent_0, sent_1
            clip_joined[KEPT_BEFORE + i, 0], clip_joined[KEPT_BEFORE + i, 1] = sent_0, sent_1
            trace[GAIN, i] = 1.0
        _forget_peaks(trace, ints)
        _shift(clip_joined, n)
        floats[CLIP_KEPT] = ceiling  # as the clip, finding nothing over it, would keep
        _bound_sent_unchanged(trace, n, ints, floats, target)
    else:
        limiting = _limit(block, inputs, trace, recurrence, ints, floats, target)
        _last_step(block, inputs, clip_joined, trace, recurrence, ints, floats, ceiling)
        if limiting:
            _keep(trace, n, ints, floats, target)
        else:
            _forget_peaks(trace, ints)
    _shift(inputs, n)
    ints[FRAME] += n


def compile_stage() -> bool:
    """Compile (or load from the cache) :func:`process_block` with one call on a silent
    block; True when the cache served it."""
    delay, n = 24, 1
    ints = np.zeros(N_INTS, dtype=np.int64)
    ints[DELAY], ints[REACH], ints[ATTACK] = delay, KEPT_BEFORE, delay - KEPT_BEFORE
    process_block(
        np.zeros((n, 2), np.float32),
        np.array([0.0, 1.0, 1.0, 1.0, 0.0]),
        np.array([0.5, 0.48]),
        aligned_zeros(joined_at(n, delay) + KEPT_BEFORE + n, 2),
        aligned_zeros(TRACE_ROWS + 3, row_width(n, delay)),
        ints,
    )
    process_block.disable_compile()  # another kind of array is refused, never compiled
    stats = process_block.stats
    return bool(stats.cache_hits.total() > 0 and stats.cache_misses.total() == 0)
