"""The compiled voice kernel: one call renders every voice of a block, outside the GIL.

:func:`render_voices` is compiled by numba (``nogil=True``: the audio thread holds no lock
other Python threads wait for while it runs; ``cache=True``: the machine code is kept on disk).
The cache lives in the user's cache directory (``platformdirs.user_cache_dir("soundness-live")``
/ ``numba``), not beside the module, so it works when the package is installed read-only; a
``NUMBA_CACHE_DIR`` set by the user wins. Within it, a directory per version of the synth's
sources (:mod:`.numba_cache`).

Compiling takes seconds, which no note may wait for: :func:`compile_kernel` compiles (or loads
from the cache) once per process, before the first block is rendered — a synth calls it when it
is made — and logs how long it took and whether the cache served it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .envelope import ATTACK, CONTROL_FRAMES, DECAY, DELAY, FINISHED, PEAK_CB, RELEASE
from .modulators import CONVEX_TABLE
from .voice_state import (
    A1,
    A1_INC,
    A2,
    A2_INC,
    AGE,
    AMP,
    AMP_INC,
    ATTEN,
    B02,
    B02_INC,
    B1,
    B1_INC,
    BASE,
    CHANNEL,
    COMPENSATE,
    CUTOFF_CENTS,
    DONE,
    END_AT,
    ENV,
    ENV_COUNTS,
    ENVELOPE_CB,
    FADE_AGE,
    FADE_FRAMES,
    FC,
    FILTER_GAIN,
    FILTER_LEFT,
    FILTER_SET,
    FRAC_BITS,
    GAIN_L,
    GAIN_R,
    H1,
    H2,
    KILLED,
    LAST_HZ,
    LENGTH,
    LEVEL_CB,
    MOD_COUNT,
    MOD_ENV_TO_FC,
    MOD_ENV_TO_PITCH,
    MOD_LFO,
    MOD_LFO_DELAY,
    MOD_LFO_TO_FC,
    MOD_LFO_TO_PITCH,
    MOD_LFO_TO_VOL,
    MOD_SECTION,
    MOD_VAL,
    N_CHANNEL_SOURCES,
    N_CHANNELS,
    N_PARAMS,
    N_STATE,
    NOTE_OFF,
    PITCH,
    POS,
    PRESSURE_AMOUNT,
    PRESSURE_SOURCE,
    Q_LIN,
    QUIET,
    STEP,
    STEP_CENTS,
    TO_TICK,
    VIB_LFO,
    VIB_LFO_DELAY,
    VIB_LFO_TO_PITCH,
    VOL_COUNT,
    VOL_SECTION,
    VOL_VAL,
    WHEEL_AMOUNT,
    WHEEL_SOURCE,
    voice_columns,
)

log = logging.getLogger(__name__)

__all__ = ["KernelReady", "compile_kernel", "kernel_cache_dir", "render_voices"]

_started = time.perf_counter()
import numba  # noqa: E402 - timed: the import is part of the start-up the log reports

from .numba_cache import CACHE_DIR, CACHE_ROOT, inner_jit, kernel_cache_dir  # noqa: E402 - before any decoration

_IMPORT_S = time.perf_counter() - _started


_FRAC_MASK = (1 << FRAC_BITS) - 1
_FRAC_SCALE = np.float32(1.0 / (1 << FRAC_BITS))
_ROOT_HZ = 8.175798915643707  # absolute cents 0
_NOISE_FLOOR = 1e-6  # below this amplitude (-120 dB) a decaying voice is over
_CONVEX = CONVEX_TABLE
# the sample loop may fuse a multiply and an add into one step, nothing more: allowed to
# reorder sums too, LLVM put the filter's newest history term first, making every sample wait
# on a multiply and then an add (the loop ran ~10 % slower than with the order written)
_FAST = {"contract"}
# arguments of one value each, not literals: numba would compile a helper once per literal
_VOLUME, _MODULATION = np.int64(0), np.int64(1)  # which envelope _envelope_step moves on
_MOD_LFO_ROW, _VIB_LFO_ROW = np.int64(MOD_LFO), np.int64(VIB_LFO)
_LEVEL_ROW, _ENVELOPE_ROW = np.int64(LEVEL_CB), np.int64(ENVELOPE_CB)  # what _amp_kept keeps
# _envelope_step finds the modulation envelope's rows one (value) or two (section, count) on
assert (MOD_SECTION, MOD_COUNT, MOD_VAL) == (VOL_SECTION + 2, VOL_COUNT + 2, VOL_VAL + 1)


@inner_jit()
def _cb_to_amp(cb):  # pragma: no cover - compiled
    """Amplitude of ``cb`` centibels of attenuation; none is full level, 1441 and more silence
    (FluidSynth's table ends there)."""
    if cb <= 0.0:
        return 1.0
    if cb >= 1441.0:
        return 0.0
    return 10.0 ** (-cb / 200.0)


@inner_jit()
def _convex(x):  # pragma: no cover - compiled
    """The convex curve (0..127 -> 0..1), linearly between FluidSynth's 128 points."""
    if x <= 0.0:
        return 0.0
    if x >= 127.0:
        return 1.0
    i = int(x)
    return _CONVEX[i] + (_CONVEX[i + 1] - _CONVEX[i]) * (x - i)


@inner_jit()
def _amp_kept(params, voice, cb, kept_row):  # pragma: no cover - compiled
    """``_cb_to_amp(cb)``, computed again only when ``cb`` differs from the centibels in
    ``kept_row`` (the amplitude kept in the row after it): a held note's level and sustain
    cost no power of ten at every control step."""
    if cb != params[kept_row, voice]:  # NaN (nothing kept yet) never equals
        params[kept_row, voice] = cb
        params[kept_row + 1, voice] = _cb_to_amp(cb)
    return params[kept_row + 1, voice]


@inner_jit()
def _envelope_step(state, params, voice, which):  # pragma: no cover - compiled
    """One control step of envelope ``which`` (0 volume, 1 modulation); returns its value."""
    section_row, count_row = VOL_SECTION + 2 * which, VOL_COUNT + 2 * which
    value_row = VOL_VAL + which
    section, count = state[section_row, voice], state[count_row, voice]
    value = params[value_row, voice]
    counts, rows = ENV_COUNTS + which * 7, ENV + which * 28
    while section < FINISHED and count >= state[counts + section, voice]:
        if section == DECAY:  # leaving the decay by time: exactly the sustain level
            value = params[rows + DECAY * 4 + 2, voice] * params[rows + DECAY * 4, voice]
        section += 1
        count = 0
    row = rows + section * 4
    x = params[row, voice] * value + params[row + 1, voice]
    if x < params[row + 2, voice]:
        x = params[row + 2, voice]
        section += 1
        count = 0
    elif x > params[row + 3, voice]:
        x = params[row + 3, voice]
        section += 1
        count = 0
    else:
        count += 1
    state[section_row, voice], state[count_row, voice] = section, count
    params[value_row, voice] = x
    return x


@inner_jit()
def _lfo_step(params, voice, value_row, age, delay):
    """One control step of a triangle LFO (from 0, rising, +-1), still until ``delay``."""
    if age < delay:
        return params[value_row, voice]
    x = params[value_row, voice] + params[value_row + 1, voice]
    if x > 1.0:
        params[value_row + 1, voice] = -params[value_row + 1, voice]
        x = 2.0 - x
    elif x < -1.0:
        params[value_row + 1, voice] = -params[value_row + 1, voice]
        x = -2.0 - x
    params[value_row, voice] = x
    return x


@inner_jit()
def _note_off(state, params, voice):  # pragma: no cover - compiled
    """Both envelopes to their release, from the level they sound at: an attack's linear
    amplitude is re-expressed on the release's decibel scale, the modulation envelope's
    through the convex curve its attack was read with."""
    lfo_cb = -params[MOD_LFO, voice] * params[MOD_LFO_TO_VOL, voice]
    if state[VOL_SECTION, voice] == ATTACK and params[VOL_VAL, voice] > 0.0:
        amp = params[VOL_VAL, voice] * _cb_to_amp(lfo_cb)
        value = 1.0 - (-200.0 * np.log10(amp) - lfo_cb) / PEAK_CB
        params[VOL_VAL, voice] = min(max(value, 0.0), 1.0)
    if state[MOD_SECTION, voice] == ATTACK:
        params[MOD_VAL, voice] = min(max(_convex(127.0 * params[MOD_VAL, voice]), 0.0), 1.0)
    state[VOL_SECTION, voice], state[VOL_COUNT, voice] = RELEASE, 0
    state[MOD_SECTION, voice], state[MOD_COUNT, voice] = RELEASE, 0
    state[NOTE_OFF, voice] = 0


@inner_jit()
def _set_filter(state, params, voice, hz, sample_rate):  # pragma: no cover - compiled
    """New low-pass coefficients for cutoff ``hz`` (RBJ biquad, gain 1/sqrt(Q) folded in):
    set at once for a new voice, else reached by a ramp over one control period."""
    omega = 2.0 * np.pi * hz / sample_rate
    alpha = np.sin(omega) / (2.0 * params[Q_LIN, voice])
    a0_inv = 1.0 / (1.0 + alpha)
    cos = np.cos(omega)
    a1, a2 = -2.0 * cos * a0_inv, (1.0 - alpha) * a0_inv
    b1 = (1.0 - cos) * a0_inv * params[FILTER_GAIN, voice]
    b02 = 0.5 * b1
    if state[FILTER_SET, voice] == 0:
        params[A1, voice], params[A2, voice] = a1, a2
        params[B02, voice], params[B1, voice] = b02, b1
        state[FILTER_SET, voice], state[FILTER_LEFT, voice] = 1, 0
        return
    params[A1_INC, voice] = (a1 - params[A1, voice]) / CONTROL_FRAMES
    params[A2_INC, voice] = (a2 - params[A2, voice]) / CONTROL_FRAMES
    params[B02_INC, voice] = (b02 - params[B02, voice]) / CONTROL_FRAMES
    params[B1_INC, voice] = (b1 - params[B1, voice]) / CONTROL_FRAMES
    # a large change of b0 rescales the history sample by sample so the output stays smooth
    old = params[B02, voice]
    far = abs(old) > 1e-4 and not 0.5 <= b02 / old <= 2.0
    params[COMPENSATE, voice] = 1.0 if far else 0.0
    state[FILTER_LEFT, voice] = CONTROL_FRAMES


@inner_jit()
def _pitch_cents(state, params, channels, voice, mod_lfo, vib_lfo, modulation):  # pragma: no cover
    """The voice's pitch now (cents from its sample's step of one): its own, the LFOs', the
    modulation envelope's, and its channel's pitch wheel and pressure (vibrato depth)."""
    channel = state[CHANNEL, voice]
    vibrato = params[VIB_LFO_TO_PITCH, voice]
    vibrato += channels[PRESSURE_SOURCE, channel] * params[PRESSURE_AMOUNT, voice]
    vibrato = min(max(vibrato, -12000.0), 12000.0)
    cents = params[PITCH, voice] + channels[WHEEL_SOURCE, channel] * params[WHEEL_AMOUNT, voice]
    cents += mod_lfo * params[MOD_LFO_TO_PITCH, voice] + vib_lfo * vibrato
    return cents + modulation * params[MOD_ENV_TO_PITCH, voice]


@inner_jit()
def _control_step(state, params, channels, voice, sample_rate):  # pragma: no cover - compiled
    """The once-per-64-frames step of a voice: envelopes, LFOs, the amplitude ramp to the
    next step, the playback step (pitch, with its channel's wheel and pressure) and the
    filter cutoff. Sets DONE when it ends."""
    if state[NOTE_OFF, voice] != 0:
        _note_off(state, params, voice)
    age = state[AGE, voice]
    state[AGE, voice] = age + CONTROL_FRAMES
    volume = _envelope_step(state, params, voice, _VOLUME)
    if state[VOL_SECTION, voice] == FINISHED:
        state[DONE, voice] = 1
        return
    modulation = _envelope_step(state, params, voice, _MODULATION)
    mod_lfo = _lfo_step(params, voice, _MOD_LFO_ROW, age, state[MOD_LFO_DELAY, voice])
    vib_lfo = _lfo_step(params, voice, _VIB_LFO_ROW, age, state[VIB_LFO_DELAY, voice])
    if state[VOL_SECTION, voice] == DELAY:
        state[QUIET, voice] = 1
        return
    level = _amp_kept(params, voice, params[ATTEN, voice], _LEVEL_ROW)
    lfo_cb = -mod_lfo * params[MOD_LFO_TO_VOL, voice]
    if state[VOL_SECTION, voice] == ATTACK:
        target = level * _cb_to_amp(lfo_cb) * volume
    else:
        target = level * _amp_kept(params, voice, PEAK_CB * (1.0 - volume) + lfo_cb, _ENVELOPE_ROW)
        # the floor is the target at the LFO's quietest, never under the target but for
        # rounding: a target twice the noise floor leaves it surely over
        if target < 2.0 * _NOISE_FLOOR:
            floor_cb = PEAK_CB * (1.0 - volume) - abs(params[MOD_LFO_TO_VOL, voice])
            if level * _cb_to_amp(floor_cb) < _NOISE_FLOOR:
                state[DONE, voice] = 1
                return
    if state[KILLED, voice] != 0:
        state[FADE_AGE, voice] += CONTROL_FRAMES
        left = 1.0 - state[FADE_AGE, voice] / max(state[FADE_FRAMES, voice], 1)
        target *= max(left, 0.0)
        if left <= 0.0 and params[AMP, voice] == 0.0:
            state[DONE, voice] = 1
            return
    params[AMP_INC, voice] = (target - params[AMP, voice]) / CONTROL_FRAMES
    if params[AMP, voice] == 0.0 and params[AMP_INC, voice] == 0.0:
        state[QUIET, voice] = 1  # nothing to hear: the sample does not move on either
        return
    state[QUIET, voice] = 0
    if state[MOD_SECTION, voice] == ATTACK:
        modulation = _convex(127.0 * modulation)
    cents = _pitch_cents(state, params, channels, voice, mod_lfo, vib_lfo, modulation)
    if cents != params[STEP_CENTS, voice]:  # else STEP is already this pitch's
        params[STEP_CENTS, voice] = cents
        state[STEP, voice] = max(np.int64(2.0 ** (cents / 1200.0) * (1 << FRAC_BITS)), 1)
    cutoff = params[FC, voice] + mod_lfo * params[MOD_LFO_TO_FC, voice]
    cutoff = min(max(cutoff + modulation * params[MOD_ENV_TO_FC, voice], 1500.0), 13500.0)
    if cutoff != params[CUTOFF_CENTS, voice]:  # else the filter is already set for it
        params[CUTOFF_CENTS, voice] = cutoff
        hz = min(max(_ROOT_HZ * 2.0 ** (cutoff / 1200.0), 5.0), 0.45 * sample_rate)
        if abs(hz - params[LAST_HZ, voice]) > 0.01:
            params[LAST_HZ, voice] = hz
            _set_filter(state, params, voice, hz, sample_rate)
    if abs(params[H1, voice]) < 1e-20:
        params[H1, voice] = 0.0  # no denormals in the filter's feedback


@numba.njit(cache=True, nogil=True, inline="always")
def _interpolate(rows, row, frac):  # pragma: no cover - compiled
    """The sample at ``frac`` (float32, 0..1) past layout row ``row``, by Horner's rule on
    the row's coefficients (cubic: 4, linear: 2), in float32 as the layout computed them."""
    if rows.shape[1] == 2:
        return rows[row, 1] * frac + rows[row, 0]
    acc = rows[row, 3] * frac + rows[row, 2]
    acc = acc * frac + rows[row, 1]
    return acc * frac + rows[row, 0]


@inner_jit(fastmath=_FAST)
def _render_span(mix, first, frames, state, params, voice, rows):  # pragma: no cover
    """Add ``frames`` frames of one voice to ``mix`` from frame ``first``: interpolation,
    the amplitude ramp, the low-pass (direct form II, coefficients ramping while
    FILTER_LEFT lasts), the pan gains; then store where the voice got to."""
    position, step = state[POS, voice], state[STEP, voice]
    base, length, last_row = state[BASE, voice], state[LENGTH, voice], rows.shape[0] - 1
    end_at = state[END_AT, voice]
    edge = min(base + length, end_at)  # past it: round the loop, or the sample is over
    amp, amp_inc = params[AMP, voice], params[AMP_INC, voice]
    a1, a2, b02, b1 = params[A1, voice], params[A2, voice], params[B02, voice], params[B1, voice]
    a1_inc, a2_inc = params[A1_INC, voice], params[A2_INC, voice]
    b02_inc, b1_inc = params[B02_INC, voice], params[B1_INC, voice]
    h1, h2, left = params[H1, voice], params[H2, voice], state[FILTER_LEFT, voice]
    gain_left, gain_right = params[GAIN_L, voice], params[GAIN_R, voice]
    compensate = params[COMPENSATE, voice] != 0.0
    for offset in range(first, first + frames):
        row = min(position >> FRAC_BITS, last_row)
        frac = np.float32(position & _FRAC_MASK) * _FRAC_SCALE
        amp += amp_inc  # first: a note's first frame already sounds (its onset is exact)
        x = amp * _interpolate(rows, row, frac)
        c = (x - a2 * h2) - a1 * h1  # h1, the newest, last: one fused step per sample
        y = b02 * (c + h2) + b1 * h1
        h2, h1 = h1, c
        mix[offset, 0] += gain_left * y
        mix[offset, 1] += gain_right * y
        if left > 0:
            left -= 1
            old = b02
            a1 += a1_inc
            a2 += a2_inc
            b02 += b02_inc
            b1 += b1_inc
            if compensate and abs(b02) > 1e-3:
                h1 *= old / b02
                h2 *= old / b02
        position += step
        if position >= edge:
            if position >= base + length:  # parked in the silence past the end, or looped
                position -= (position - base) // length * length
            if position >= end_at:
                state[DONE, voice] = 1  # a sample without a loop has run out: the voice ends
                break
    state[POS, voice], state[FILTER_LEFT, voice] = position, left
    params[AMP, voice], params[H1, voice], params[H2, voice] = amp, h1, h2
    params[A1, voice], params[A2, voice], params[B02, voice], params[B1, voice] = a1, a2, b02, b1


@numba.njit(cache=True, nogil=True)
def render_voices(out, count, state, params, channels, rows, mix, sample_rate):  # pragma: no cover
    """Overwrite ``out`` (float32 (n, 2)) with the mix of voices ``0 .. count-1`` for the
    next ``n`` frames, and move every voice on by ``n`` frames. ``channels`` holds the
    MIDI channels' pitch wheel and pressure sources (:mod:`.voice_state`).

    Each voice runs its control step (:func:`_control_step`) every 64 frames of its own age
    and renders the frames in between (:func:`_render_span`), so its output does not depend
    on how the caller splits blocks. Voices are summed in their order, in float64 in ``mix``
    (float64 (m, 2), any m: a longer block is mixed m frames at a time), rounded to float32
    once into ``out``. A voice marked DONE adds nothing.

    One compiled call for every voice of a block: numba releases the GIL for the call, and
    the voices x frames loop never returns to Python in between.
    """
    n_frames, room = out.shape[0], mix.shape[0]
    first = np.int64(0)
    while first < n_frames:
        frames = min(room, n_frames - first)
        mix[:frames] = 0.0
        for voice in range(count):
            _render_voice(mix, frames, state, params, channels, voice, rows, sample_rate)
        for i in range(frames):
            out[first + i, 0], out[first + i, 1] = mix[i, 0], mix[i, 1]
        first += frames


@inner_jit()
def _render_voice(
    mix, n_frames, state, params, channels, voice, rows, sample_rate
):  # pragma: no cover
    """Add the next ``n_frames`` frames of ``voice`` to ``mix``: its control steps and the
    spans between them."""
    done = np.int64(0)  # not the literal 0: one compiled _render_span, not two
    while done < n_frames and state[DONE, voice] == 0:
        if state[TO_TICK, voice] == 0:
            _control_step(state, params, channels, voice, sample_rate)
            state[TO_TICK, voice] = CONTROL_FRAMES
            if state[DONE, voice] != 0:
                break
        frames = min(state[TO_TICK, voice], n_frames - done)
        if state[QUIET, voice] == 0:
            _render_span(mix, done, frames, state, params, voice, rows)
        state[TO_TICK, voice] -= frames
        done += frames


@dataclass(frozen=True)
class KernelReady:
    """How the kernel became ready in this process: seconds to import numba and to compile or
    load the kernel (wall clock, and this process's CPU time: on a busy machine the wall clock
    also counts other programs' turns; a helper process's CPU time is not in it), whether the
    on-disk cache served it, and whether a helper process compiled the output stage."""

    import_s: float
    compile_s: float
    from_cache: bool
    cache_dir: Path
    compile_cpu_s: float = 0.0
    stage_beside: bool = False  # the output stage was compiled by a helper process
    helper_cpu_s: float = 0.0  # the helper's CPU time (where the system reports it: not Windows)
    # wall seconds of each part, in order: the kernel, the note-on, waiting for the helper
    # (0 without one), the output stage (compiled, or loaded from the cache)
    parts_s: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


_ready: KernelReady | None = None
_ready_lock = threading.Lock()


def compile_kernel(helper_process: bool = True) -> KernelReady:
    """Compile (or load from the cache) :func:`render_voices`, the output stage's
    :func:`.stage_kernel.process_block` and the note-on's :func:`.voice_choice.play_note` now,
    once per process; logs the time taken. On a cold cache the output stage is compiled by a
    helper process meanwhile (:mod:`.compile_beside`) unless ``helper_process`` is False.
    Later calls return the first call's figures at once."""
    global _ready
    with _ready_lock:
        if _ready is None:
            _ready = _compile(helper_process)
            source = "loaded from the cache" if _ready.from_cache else "compiled"
            beside = "; the output stage in a helper process" if _ready.stage_beside else ""
            log.info(
                "synth kernel %s in %.2f s (%.2f s of CPU; numba import %.2f s; cache %s%s; "
                "kernel %.2f s, note-on %.2f s, waiting for the helper %.2f s, output stage "
                "%.2f s)",
                source,
                _ready.compile_s,
                _ready.compile_cpu_s,
                _ready.import_s,
                _ready.cache_dir,
                beside,
                *_ready.parts_s,
            )
        return _ready


def _compile(helper_process: bool) -> KernelReady:
    """One call on no voices, one of the note-on and one of the output stage on a silent
    frame: numba compiles the only signatures the synth and the stage use. The stage is
    compiled by a helper process meanwhile when it is not in the cache yet."""
    from .compile_beside import (
        finish_stage_helper,
        stage_in_cache,
        start_stage_helper,
        stop_stage_helper,
    )
    from .stage_kernel import compile_stage, process_block
    from .voice_choice import compile_note_on  # loaded only when compiling

    started, started_cpu = time.perf_counter(), time.process_time()
    children_cpu = _children_cpu_s()
    helper = None
    if helper_process and not stage_in_cache(process_block):
        helper = start_stage_helper(str(CACHE_ROOT))  # it finds the same sources' directory
    try:
        out = np.zeros((1, 2), dtype=np.float32)
        state = voice_columns(N_STATE, 2, np.int64)
        params = voice_columns(N_PARAMS, 2, np.float64)
        channels = np.zeros((N_CHANNEL_SOURCES, N_CHANNELS), dtype=np.float64)
        rows = np.zeros((1, 4), dtype=np.float32)
        mix = np.zeros((1, 2), dtype=np.float64)
        render_voices(out, 0, state, params, channels, rows, mix, 48_000.0)
        render_voices.disable_compile()  # another kind of array is refused, never compiled
        stats = render_voices.stats
        kernel_done = time.perf_counter()
        note_on_cached = compile_note_on()
        note_on_done = time.perf_counter()
    except BaseException:  # stopped or failed meanwhile: the helper is not left running
        if helper is not None:
            stop_stage_helper(helper)
        raise
    beside = helper is not None and finish_stage_helper(helper)
    helper_done = time.perf_counter()
    stage_cached = compile_stage()  # from the cache when the helper compiled it
    ended = time.perf_counter()
    parts_s = (
        kernel_done - started,
        note_on_done - kernel_done,
        helper_done - note_on_done,
        ended - helper_done,
    )
    cached = stats.cache_hits.total() > 0 and stats.cache_misses.total() == 0
    return KernelReady(
        _IMPORT_S,
        ended - started,
        cached and note_on_cached and (stage_cached and not beside),
        CACHE_DIR,
        time.process_time() - started_cpu,
        beside and stage_cached,
        _children_cpu_s() - children_cpu,
        parts_s,
    )


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished child processes (0 where not reported)."""
    times = os.times()
    return times.children_user + times.children_system
