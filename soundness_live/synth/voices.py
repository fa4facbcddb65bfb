"""The voice bank: every sounding voice as one column of two preallocated state arrays.

Rendering is one call of the compiled kernel (:mod:`.kernel`) for all voices of a block: its
cost is the voices' samples, not Python work per voice, and it runs outside the GIL. Voices
are kept in start order (new voices are appended; finished voices are removed by an
order-keeping compaction) and the kernel sums them in that order, so the float result does
not depend on when a finished voice was cleared away. Every voice runs its control step on
its own age (every 64 frames from its first), so the result does not depend on the block
size either.

Playback position: 40.24 fixed point, in rows of the sample layout (:mod:`.sample_layout`);
a looped voice that passes its loop's end moves back by the loop length, and a voice without
a loop is parked in the silent rows past its end. Interpolation: 4-point 3rd-order Hermite
(Catmull-Rom), or linear, from rows of precomputed coefficients, by Horner's rule.

Allocation: none per block, none per note-on: a note-on is one compiled call
(:func:`.voice_choice.play_note`) that finds the voices it changes and writes its own in place.
A note-off, the pedal's lift, all notes off and all sound off flag the voices they change in
buffers the synth keeps. A controller change that sounding voices follow (CC1, 7, 10, 11) still
allocates small arrays over its channel's voices, and so does a release of voices that loop
until release; a note may lay out a sample the first time it sounds (unless its preset was
prepared, as the live engine does).
"""

from __future__ import annotations

import array

import numpy as np

from .kernel import render_voices
from .region import LOOP_CONTINUOUS, LOOP_UNTIL_RELEASE, region_loop_mode, region_span
from .sample_layout import SampleLayout, Strip
from .voice_choice import clear_away
from .voice_state import (
    DONE,
    FRAC_BITS,
    LOOP_MODE,
    N_CHANNEL_SOURCES,
    N_CHANNELS,
    N_PARAMS,
    N_STATE,
    ONE,
    PLACEMENT_FIELDS,
    voice_columns,
)

__all__ = [
    "REAP_FRAMES",
    "VoiceBank",
    "FRAC_BITS",
    "INTERPOLATIONS",
    "PLACEMENT_FIELDS",
    "region_loop_mode",
    "region_span",
]

_NEVER = 1 << 62  # a position no voice reaches
INTERPOLATIONS = ("cubic", "linear")


REAP_FRAMES = 1024  # voices that are over are cleared away about this often (synth, quiet)
MIX_FRAMES = 2048  # the kernel's float64 sum of the voices: 32 KB


class VoiceBank:
    """Preallocated voice state: ``state`` (int64) and ``params`` (float64), one column per
    voice, and ``channels`` (float64), one column per MIDI channel, rows as
    :mod:`.voice_state` names them."""

    def __init__(
        self, capacity: int, sample_data: np.ndarray, interpolation: str = "cubic"
    ) -> None:
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        self.capacity = capacity
        # the voices in use, in an array compiled code moves on too (a renderer's quiet block)
        # (an array.array read by Python and a numpy view of it whose address compiled code takes)
        self._count = array.array("q", [0])
        self.counts = np.frombuffer(self._count, dtype=np.int64)
        self.interpolation = interpolation
        self.layout = SampleLayout(sample_data, interpolation)
        self.state = voice_columns(N_STATE, capacity, np.int64)
        self.params = voice_columns(N_PARAMS, capacity, np.float64)
        # the MIDI channels' pitch wheel and pressure sources, at rest (the synth sets them)
        self.channels = np.zeros((N_CHANNEL_SOURCES, N_CHANNELS), dtype=np.float64)
        # the kernel sums the voices in float64 here, MIX_FRAMES at a time (a block of up to
        # that many frames at once), and rounds the sum to the output's float32 once
        self.mix = np.zeros((MIX_FRAMES, 2), dtype=np.float64)

    @property
    def count(self) -> int:
        """Voices in use: columns ``0 .. count - 1``."""
        return self._count[0]

    @count.setter
    def count(self, count: int) -> None:
        self._count[0] = count

    # -- voice lifecycle -------------------------------------------------------------------------
    def add(self, span: tuple[int, int, int, int], state: np.ndarray, params: np.ndarray) -> int:
        """Append a voice playing sample ``span`` = (start, end, loop start, loop end) with
        the given ``state`` and ``params`` columns (``LOOP_MODE`` non-zero: it loops; the
        position fields are set here); returns its index."""
        i = self.count
        self.state[:, i] = state
        self.params[:, i] = params
        self.place(i, span)
        return i

    def place(self, index: int, span: tuple[int, int, int, int]) -> None:
        """Make column ``index`` (the next, its other fields written) a voice playing sample
        ``span``: its position fields are set here."""
        self._place(self.state[:, index], span)
        self.count = index + 1

    def _place(self, column: np.ndarray, span: tuple[int, int, int, int]) -> None:
        """Point a new voice at its strip (built now if this sample was never played)."""
        column[list(PLACEMENT_FIELDS)] = self.placement(span, int(column[LOOP_MODE]))

    def placement(self, span: tuple[int, int, int, int], loop_mode: int) -> tuple[int, ...]:
        """The position fields (:data:`PLACEMENT_FIELDS`) of a new voice playing sample
        ``span`` in ``loop_mode``, its strips built now if this sample was never played."""
        plain, looped = self.strips(span, loop_mode)
        if looped is not None:
            position, base = looped.base * ONE, (looped.base + looped.loop_at) * ONE
            plain_shift = plain_end_at = 0
            if plain is not None:  # loop until release
                plain_shift = (plain.base - looped.base) * ONE
                plain_end_at = (plain.base + plain.silent_at) * ONE
            return position, base, looped.loop_len * ONE, _NEVER, plain_shift, plain_end_at
        assert plain is not None
        end = (plain.base + plain.silent_at) * ONE
        return plain.base * ONE, end, ONE, end, 0, 0  # parked within a sample past the end

    def strips(self, span: tuple[int, int, int, int], loop_mode: int) -> tuple[Strip | None, ...]:
        """(plain, looped) strips of a voice playing sample ``span`` in ``loop_mode`` (0: no
        loop), built now if this sample was never played; None where not needed."""
        start, end, loop_start, loop_end = span
        looped = self.layout.looped(*span) if loop_mode else None
        needs_plain = loop_mode in (0, LOOP_UNTIL_RELEASE)
        return (self.layout.plain(start, end) if needs_plain else None), looped

    def reserve(self, spans: set[tuple[tuple[int, int, int, int], int]]) -> None:
        """Reserve the rows of every (span, loop mode) in ``spans`` (see :meth:`strips`)."""
        layout = self.layout
        plain = {(start, end) for (start, end, _, _), mode in spans if mode != LOOP_CONTINUOUS}
        looped = {(start, ls, le) for (start, _, ls, le), mode in spans if mode}
        rows = sum(layout.plain_rows(*key) for key in plain)
        layout.reserve(rows + sum(layout.looped_rows(*key) for key in looped))

    # -- rendering -------------------------------------------------------------------------------
    def render(self, out: np.ndarray, sample_rate: float) -> None:
        """Write the mix of the next ``len(out)`` frames into ``out`` (float32 (n, 2))."""
        rows = self.layout.rows
        render_voices(
            out, self.count, self.state, self.params, self.channels, rows, self.mix, sample_rate
        )

    def sounding(self) -> np.ndarray:
        """Bool per voice: not over yet."""
        return self.state[DONE, : self.count] == 0

    def reap(self) -> None:
        """Clear away the voices that are over (the output does not change: they add nothing).

        Most calls find none: one count over the voices' DONE flags answers that (about a
        quarter of building and testing a mask of them), and no array is made.
        """
        if np.count_nonzero(self.state[DONE, : self.count]):  # compiled: nothing allocated
            self.count = clear_away(self.state, self.params, self.count, 0)
