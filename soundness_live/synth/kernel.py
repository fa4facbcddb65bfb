"""The compiled voice kernel: one call renders every voice of a block, outside the GIL.

:func:`render_voices` is compiled by numba (``nogil=True``: the audio thread holds no lock
other Python threads wait for while it runs; ``cache=True``: the machine code is kept on disk).
The cache lives in the user's cache directory (``platformdirs.user_cache_dir("soundness-live")``
/ ``numba``), not beside the module, so it works when the package is installed read-only; a
``NUMBA_CACHE_DIR`` set by the user wins.

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
from typing import Any

import numpy as np
import platformdirs

log = logging.getLogger(__name__)

__all__ = ["KernelReady", "compile_kernel", "kernel_cache_dir", "render_voices"]

APP_NAME = "soundness-live"


def kernel_cache_dir() -> Path:
    """Where numba keeps the compiled kernel: ``$NUMBA_CACHE_DIR``, else the user cache."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "numba"


def _set_cache_dir() -> Path:
    """Point numba's cache at :func:`kernel_cache_dir` before any function is decorated (the
    cache locator is chosen at decoration time; numba's default, beside the module, fails in a
    read-only install); returns the directory in use."""
    from numba.core import config

    settings: Any = config  # numba sets its options at run time: no static attributes
    if not settings.CACHE_DIR:
        settings.CACHE_DIR = str(kernel_cache_dir())
    return Path(settings.CACHE_DIR)


_started = time.perf_counter()
CACHE_DIR = _set_cache_dir()
import numba  # noqa: E402

_IMPORT_S = time.perf_counter() - _started

FRAC_BITS = 24  # playback positions: 40.24 fixed point, in rows of the sample layout
_FRAC_MASK = (1 << FRAC_BITS) - 1
_FRAC_SCALE = np.float32(1.0 / (1 << FRAC_BITS))
CB_INDEX_SHIFT = 16  # level ramp >> 16 = index of the 1/16-cB amplitude table
LIN_SCALE = np.float32(1.0 / (1 << 24))  # linear ramp units to 0..1

# rows of the voice state (int64, one column per voice), shared with voices.py
POS, STEP, BASE, LENGTH = range(4)
# rows of a ramp (ref, slope, base, low, high, saturation age), see envelope.Ramp
_REF, _SLOPE, _B, _LO, _HI, _SAT = range(6)
LEVEL, LINEAR = 0, 1


@numba.njit(cache=True, nogil=True, inline="always")
def _ramp(ramps, which, voice, frame):  # pragma: no cover - compiled
    """Exact value of a voice's LEVEL or LINEAR ramp at ``frame`` (see envelope.Ramp)."""
    age = min(frame - ramps[_REF, which, voice], ramps[_SAT, which, voice])
    value = ramps[_B, which, voice] + ramps[_SLOPE, which, voice] * age
    return min(max(value, ramps[_LO, which, voice]), ramps[_HI, which, voice])


@numba.njit(cache=True, nogil=True, inline="always")
def _interpolate(rows, row, frac):  # pragma: no cover - compiled
    """The sample at ``frac`` (float32, 0..1) past layout row ``row``, by Horner's rule on
    the row's coefficients (cubic: 4, linear: 2), in float32 as the layout computed them."""
    if rows.shape[1] == 2:
        return rows[row, 1] * frac + rows[row, 0]
    acc = rows[row, 3] * frac + rows[row, 2]
    acc = acc * frac + rows[row, 1]
    return acc * frac + rows[row, 0]


@numba.njit(cache=True, nogil=True)
def render_voices(out, frame, count, state, ramps, gains, rows, cb_table):  # pragma: no cover
    """Add nothing, overwrite ``out`` (float32 (n, 2)) with the mix of voices ``0 .. count-1``
    for frames ``frame .. frame + n``, and move each voice's position on by ``n`` frames.

    Per voice and frame: the playback position ``POS + STEP * offset`` (fixed point), the
    interpolated sample from the layout ``rows``, times the level ramp's amplitude
    (``cb_table``), times the linear ramp, times the voice's left and right ``gains``; voices
    are summed in their order, in float32, so the result does not depend on the block split.
    After the block a voice at or past ``BASE`` moves back by whole ``LENGTH``s (a loop, or a
    finished voice parked in the silent rows past its end).

    One function rather than several: numba releases the GIL per call, and the voices x frames
    loop must not return to Python in between.
    """
    n_frames = out.shape[0]
    out[:] = 0.0
    last_row = rows.shape[0] - 1
    last_cb = cb_table.shape[0] - 1
    for voice in range(count):
        position, step = state[POS, voice], state[STEP, voice]
        gain_left, gain_right = gains[voice, 0], gains[voice, 1]
        for offset in range(n_frames):
            row = min(max(position >> FRAC_BITS, 0), last_row)
            frac = np.float32(position & _FRAC_MASK) * _FRAC_SCALE
            sample = _interpolate(rows, row, frac)
            level = _ramp(ramps, LEVEL, voice, frame + offset) >> CB_INDEX_SHIFT
            sample = sample * cb_table[min(max(level, 0), last_cb)]
            linear = _ramp(ramps, LINEAR, voice, frame + offset)
            sample = sample * (np.float32(linear) * LIN_SCALE)
            out[offset, 0] += sample * gain_left
            out[offset, 1] += sample * gain_right
            position += step
        base, length = state[BASE, voice], state[LENGTH, voice]
        if position >= base:
            position -= (position - base) // length * length
        state[POS, voice] = position


@dataclass(frozen=True)
class KernelReady:
    """How the kernel became ready in this process: seconds to import numba and to compile or
    load the kernel, and whether the on-disk cache served it."""

    import_s: float
    compile_s: float
    from_cache: bool
    cache_dir: Path


_ready: KernelReady | None = None
_ready_lock = threading.Lock()


def compile_kernel() -> KernelReady:
    """Compile (or load from the cache) :func:`render_voices` now, once per process; logs the
    time taken. Later calls return the first call's figures at once."""
    global _ready
    with _ready_lock:
        if _ready is None:
            _ready = _compile()
            source = "loaded from the cache" if _ready.from_cache else "compiled"
            log.info(
                "synth kernel %s in %.2f s (numba import %.2f s; cache %s)",
                source,
                _ready.compile_s,
                _ready.import_s,
                _ready.cache_dir,
            )
        return _ready


def _compile() -> KernelReady:
    """One call on no voices: numba compiles the only signature the synth uses."""
    started = time.perf_counter()
    out = np.zeros((1, 2), dtype=np.float32)
    state = np.zeros((4, 1), dtype=np.int64)
    ramps = np.zeros((6, 2, 1), dtype=np.int64)
    gains = np.zeros((1, 2), dtype=np.float32)
    rows = np.zeros((1, 4), dtype=np.float32)
    cb_table = np.zeros(1, dtype=np.float32)
    render_voices(out, np.int64(0), np.int64(0), state, ramps, gains, rows, cb_table)
    stats = render_voices.stats
    return KernelReady(
        _IMPORT_S,
        time.perf_counter() - started,
        stats.cache_hits.total() > 0 and stats.cache_misses.total() == 0,
        CACHE_DIR,
    )
