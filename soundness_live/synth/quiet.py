"""A renderer's quiet blocks, rendered by compiled code alone: no Python, no GIL.

Most blocks of a session hold no event: nothing queued, nothing due, no prepared sound
playing; the voices sounding (a hat's release tail, a held chord) render on. Such a block is
two compiled calls (the voice kernel, the output stage) and a few counters moved, and a
compiled audio callback (:mod:`soundness_live.audio.jack_cycle`) can render it without
entering Python: in JACK's thread a Python callback costs several times the block's own work.

What that code needs is in one int64 table, :class:`QuietTable` (the renderer's
``quiet.table``): the renderer's frame itself (:attr:`.renderer.Renderer.frame` reads it), the
frame before which the block must end (the scheduler's next event), whether anything changed
since the last block from another thread (a queued command, a new cap or volume), and the
addresses and shapes of the arrays the two compiled calls take, with the voice count and the
synth's frame they move on. The renderer publishes it at the end of each block it renders in
Python (:meth:`QuietTable.publish`), in the audio thread, so compiled and Python blocks never
run at once; the arrays published are kept alive here until the next publication (another
thread may meanwhile swap in a new cap's figures: they reach the compiled code through the
next Python block, which the change's flag asks for).

:func:`quiet_ready` says whether the next block of ``frames`` may be rendered so; then
:func:`render_quiet` renders it, the same bytes as the renderer's :meth:`render_into` (the
tests compare them).
"""

from __future__ import annotations

import array

import numba
import numpy as np

from ..errors import ParameterError
from .compiled_calls import address_of
from .compiled_calls import as_pointer as _as_pointer
from .kernel import render_voices
from .limiter import OutputStage
from .numba_cache import CACHE_DIR  # numba's cache directory, set before compiling
from .stage_kernel import N_INTS, process_block
from .voice_choice import clear_away
from .voice_state import N_CHANNEL_SOURCES, N_CHANNELS, N_PARAMS, N_STATE
from .voices import REAP_FRAMES, VoiceBank

__all__ = ["CACHE_DIR", "QuietTable", "quiet_ready", "render_quiet"]

# the table (int64)
(
    FRAME,  # the renderer's frame: the next block starts here
    UNTIL,  # a block ending after this frame needs Python (an event is due); -1: every block
    CHANGED,  # set by another thread after a change the next block must take in Python
    STAGE_CHANGED,  # the address of the output stage's own flag (a new cap or volume)
    SYNTH_FRAME,  # the address of the synth's frame
    COUNT,  # the address of the voice bank's count
    STATE,  # the addresses of the kernel's arrays, then their shapes
    PARAMS,
    CAPACITY,
    CHANNELS,
    ROWS,
    ROWS_N,
    ROWS_WIDTH,
    MIX,
    MIX_N,
    RATE,  # Hz
    GLIDE,  # the addresses of the output stage's arrays, then their shapes
    LEVELS,
    PAIRS,
    PAIRS_N,
    STAGE_ROWS,
    STAGE_ROWS_N,
    STAGE_ROWS_WIDTH,
    INTS,
    STAGE_FRAMES,  # the block size the stage's arrays are sized for
) = range(25)
TABLE_SIZE = 25
_EVERY_BLOCK = -1  # UNTIL when Python must render every block (a prepared sound playing)
GLIDE_FIGURES, LEVEL_FIGURES = 5, 2


class QuietTable:
    """What compiled code needs to render a renderer's quiet block (see the module)."""

    def __init__(self) -> None:
        # the same memory two ways: Python reads and writes a cell of an array.array in a
        # quarter of numpy's time for one element (the renderer's frame, every block)
        self.cells = array.array("q", bytes(8 * TABLE_SIZE))
        self.table = np.frombuffer(self.cells, dtype=np.int64)
        self.table[UNTIL] = _EVERY_BLOCK
        self.table[CHANGED] = 1
        self.published = False  # set once a compiled callback reads the table
        self._kept: tuple[np.ndarray, ...] = ()  # the arrays whose addresses are published

    def changed(self) -> None:
        """Another thread changed what the next block does: it renders in Python."""
        self.table[CHANGED] = 1

    def publish(
        self, until: int | None, synth_frames: np.ndarray, voices: VoiceBank, stage: OutputStage
    ) -> None:
        """After a block rendered in Python, in the audio thread: what the next quiet block
        reads. ``until``: the frame of the next event due (None: the next block is Python's
        whatever is due); ``synth_frames``: the synth's frame counter; the voices and the
        stage the renderer's. The arrays' addresses are written only when one was replaced."""
        table = self.table
        table[UNTIL] = _EVERY_BLOCK if until is None else until
        glide, levels, pairs, rows, ints = stage.compiled_parts()
        parts = (
            synth_frames,
            voices.counts,
            voices.state,
            voices.params,
            voices.channels,
            voices.layout.rows,
            voices.mix,
            glide,
            levels,
            pairs,
            rows,
            ints,
            stage.changes,
        )
        kept = self._kept
        if len(kept) == len(parts) and all(a is b for a, b in zip(kept, parts, strict=True)):
            return
        frames, counts, state, params, channels, layout_rows, mix = parts[:7]
        for part in (glide, levels, pairs, rows, ints, layout_rows, mix):
            if not part.flags.c_contiguous:  # before any address is written
                raise ParameterError("the stage's and the kernel's arrays must be C-contiguous")
        table[SYNTH_FRAME], table[COUNT] = address_of(frames), address_of(counts)
        table[STATE], table[PARAMS], table[CAPACITY] = (
            address_of(state),
            address_of(params),
            state.shape[1],
        )
        table[CHANNELS] = address_of(channels)
        table[ROWS], table[ROWS_N], table[ROWS_WIDTH] = address_of(layout_rows), *layout_rows.shape
        table[MIX], table[MIX_N] = address_of(mix), mix.shape[0]
        table[RATE] = stage.sample_rate
        table[GLIDE], table[LEVELS] = address_of(glide), address_of(levels)
        table[PAIRS], table[PAIRS_N] = address_of(pairs), pairs.shape[0]
        table[STAGE_ROWS], table[STAGE_ROWS_N], table[STAGE_ROWS_WIDTH] = (
            address_of(rows),
            *rows.shape,
        )
        table[INTS], table[STAGE_FRAMES] = address_of(ints), stage.block_frames
        table[STAGE_CHANGED] = address_of(stage.changes)
        self._kept = parts


@numba.njit(cache=True, nogil=True)
def quiet_ready(table, frames):  # pragma: no cover - compiled
    """Whether the renderer's next block of ``frames`` may be rendered by :func:`render_quiet`:
    nothing changed since its last Python block, nothing due in it, the stage sized for it."""
    changed = numba.carray(_as_pointer(table[STAGE_CHANGED]), (1,), np.int64)
    return (
        table[CHANGED] == 0
        and changed[0] == 0
        and table[FRAME] + frames <= table[UNTIL]
        and table[STAGE_FRAMES] == frames
    )


@numba.njit(cache=True, nogil=True)
def render_quiet(table, out):  # pragma: no cover - compiled
    """The renderer's next block into ``out`` (float32 (n, 2)), as ``render_into`` renders a
    block with nothing queued, due or playing besides the voices: the voices, the clearing
    away of those over at its turn, the output stage; the frames move on."""
    n = out.shape[0]
    synth_frame = numba.carray(_as_pointer(table[SYNTH_FRAME]), (1,), np.int64)
    count = numba.carray(_as_pointer(table[COUNT]), (1,), np.int64)
    capacity = table[CAPACITY]
    state = numba.farray(_as_pointer(table[STATE]), (N_STATE, capacity), np.int64)
    params = numba.farray(_as_pointer(table[PARAMS]), (N_PARAMS, capacity), np.float64)
    channels = numba.carray(
        _as_pointer(table[CHANNELS]), (N_CHANNEL_SOURCES, N_CHANNELS), np.float64
    )
    rows = numba.carray(_as_pointer(table[ROWS]), (table[ROWS_N], table[ROWS_WIDTH]), np.float32)
    mix = numba.carray(_as_pointer(table[MIX]), (table[MIX_N], 2), np.float64)
    render_voices(out, count[0], state, params, channels, rows, mix, float(table[RATE]))
    begin = synth_frame[0]
    synth_frame[0] = end = begin + n
    if end // REAP_FRAMES != begin // REAP_FRAMES:  # none over: it moves nothing
        count[0] = clear_away(state, params, count[0], 0)
    process_block(
        out,
        numba.carray(_as_pointer(table[GLIDE]), (GLIDE_FIGURES,), np.float64),
        numba.carray(_as_pointer(table[LEVELS]), (LEVEL_FIGURES,), np.float64),
        numba.carray(_as_pointer(table[PAIRS]), (table[PAIRS_N], 2), np.float64),
        numba.carray(
            _as_pointer(table[STAGE_ROWS]),
            (table[STAGE_ROWS_N], table[STAGE_ROWS_WIDTH]),
            np.float64,
        ),
        numba.carray(_as_pointer(table[INTS]), (N_INTS,), np.int64),
    )
    table[FRAME] += n
