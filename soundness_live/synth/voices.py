"""The voice bank: every sounding voice as one column of preallocated arrays.

Rendering is one call of the compiled kernel (:mod:`.kernel`) for all voices of a block: its
cost is the voices' samples, not Python work per voice, and it runs outside the GIL. Voices
are kept in start order (new voices are appended; finished voices are removed by an
order-keeping compaction) and the kernel sums them in that order, so the float result does
not depend on when a finished voice was cleared away, nor on the block size.

Per-sample state is computed in closed form from the frame number, never accumulated:
- playback position: 40.24 fixed point, in rows of the sample layout (:mod:`.sample_layout`),
  ``position + step * age``. After each block, a looped voice past the loop copy in its strip
  moves back by whole loop lengths, and a finished voice is parked past its end (exact
  integer arithmetic: the same whatever the block split);
- envelope: two integer ramps of the age (see :mod:`.envelope`).
Interpolation: 4-point 3rd-order Hermite (Catmull-Rom), or linear, on the 24-bit fraction,
from rows of precomputed coefficients, by Horner's rule.

Allocation: none per block. A note event may allocate: laying out a sample played for the
first time, a few per-voice temporaries.
"""

from __future__ import annotations

import numpy as np

from .envelope import CB_SILENT, Ramp, cb_to_amp_table, ramp_values
from .kernel import FRAC_BITS, render_voices
from .region import LOOP_CONTINUOUS, LOOP_UNTIL_RELEASE, Region
from .sample_layout import PAD_ROWS, SampleLayout, Strip

__all__ = [
    "VoiceBank",
    "FRAC_BITS",
    "INTERPOLATIONS",
    "region_loop_mode",
    "region_span",
]

_ONE = 1 << FRAC_BITS  # one sample in fixed point
_NEVER = 1 << 62  # a position no voice reaches
INTERPOLATIONS = ("cubic", "linear")
MAX_CHUNK = 1024  # frames per render call, within the strips' pad

# rows of VoiceBank.state (int64, one column per voice); positions are fixed point
POS, STEP, BASE, LENGTH, END_AT = range(5)  # a voice at POS >= BASE moves back by LENGTHs
LOOP_MODE, CHANNEL, KEY, EXCLUSIVE, RELEASED, SUSTAINED, KILLED, RELEASE_FRAMES = range(5, 13)
PLAIN_SHIFT, PLAIN_END_AT = 13, 14  # loop-until-release: the plain strip, from the loop strip
N_FIELDS = 15
LEVEL, LINEAR = 0, 1  # VoiceBank.ramps[field, LEVEL|LINEAR, voice]; fields ref s b lo hi sat


def region_span(region: Region) -> tuple[int, int, int, int]:
    """The sample a region plays: (start, end, loop start, loop end), absolute indices."""
    return region.sample_start, region.sample_end, region.loop_start, region.loop_end


def region_loop_mode(region: Region) -> int:
    """The region's loop mode, or 0 when its loop is unusable (the SoundFont parser ensures
    a usable loop; hand-made regions may not have one)."""
    looping = region.loop_mode in (LOOP_CONTINUOUS, LOOP_UNTIL_RELEASE)
    looping = looping and region.sample_start <= region.loop_start
    looping = looping and region.loop_start + 2 <= region.loop_end <= region.sample_end
    return region.loop_mode if looping else 0


class VoiceBank:
    """Preallocated voice state: ``state`` (fields above), ``ramps``, ``gains`` (L, R)."""

    def __init__(
        self, capacity: int, sample_data: np.ndarray, interpolation: str = "cubic"
    ) -> None:
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        self.capacity = capacity
        self.count = 0
        self.interpolation = interpolation
        self.layout = SampleLayout(sample_data, interpolation)
        self.state = np.zeros((N_FIELDS, capacity), dtype=np.int64)
        self.ramps = np.zeros((6, 2, capacity), dtype=np.int64)
        self.gains = np.zeros((capacity, 2), dtype=np.float32)
        self.atten_cb = np.zeros(capacity, dtype=np.float64)  # region + velocity attenuation
        self.pan = np.zeros(capacity, dtype=np.float64)  # region pan, -1..1
        self.chunk_frames = MAX_CHUNK
        self._max_step = 0

    # -- voice lifecycle -------------------------------------------------------------------------
    def add(
        self,
        span: tuple[int, int, int, int],
        fields: dict[int, int],
        level: Ramp,
        linear: Ramp,
        atten_cb: float,
        pan: float,
    ) -> int:
        """Append a voice playing sample ``span`` = (start, end, loop start, loop end) with
        the given ``state`` fields (``LOOP_MODE`` non-zero: it loops); returns its index."""
        i = self.count
        column = self.state[:, i]
        column[:] = 0
        for name, value in fields.items():
            column[name] = value
        self._place(column, span)
        self.count = i + 1
        self.set_ramp(i, level, LEVEL)
        self.set_ramp(i, linear, LINEAR)
        self.atten_cb[i] = atten_cb
        self.pan[i] = pan
        self._changed()
        return i

    def _place(self, column: np.ndarray, span: tuple[int, int, int, int]) -> None:
        """Point a new voice at its strip (built now if this sample was never played)."""
        plain, looped = self.strips(span, int(column[LOOP_MODE]))
        if looped is not None:
            column[POS] = looped.base * _ONE
            column[BASE] = (looped.base + looped.loop_at) * _ONE
            column[LENGTH] = looped.loop_len * _ONE
            column[END_AT] = _NEVER
            if plain is not None:  # loop until release
                column[PLAIN_SHIFT] = (plain.base - looped.base) * _ONE
                column[PLAIN_END_AT] = (plain.base + plain.silent_at) * _ONE
        else:
            assert plain is not None
            column[POS] = plain.base * _ONE
            column[BASE] = column[END_AT] = (plain.base + plain.silent_at) * _ONE
            column[LENGTH] = _ONE  # parked within one sample past the end: reads zeros

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

    def leave_loop(self, rows: np.ndarray) -> None:
        """Loop-until-release voices ``rows``: from now on play on to the sample end."""
        s = self.state
        position, base, length = s[POS, rows], s[BASE, rows], s[LENGTH, rows]
        looped = base - length + (position - base) % length  # back into the first pass
        s[POS, rows] = np.where(position >= base, looped, position) + s[PLAIN_SHIFT, rows]
        s[BASE, rows] = s[END_AT, rows] = s[PLAIN_END_AT, rows]
        s[LENGTH, rows] = _ONE
        s[LOOP_MODE, rows] = 0

    def ramp_array(self, rows: np.ndarray, which: int) -> np.ndarray:
        """The LEVEL or LINEAR ramps of voices ``rows`` as an int64 array (6, len(rows))."""
        return self.ramps[:, which, rows]

    def set_ramps(self, rows: np.ndarray, ramps: np.ndarray, which: int) -> None:
        """Replace the LEVEL or LINEAR ramps of voices ``rows`` (``ramps``: (6, len(rows)))."""
        self.ramps[:, which, rows] = ramps

    def set_ramp(self, i: int, ramp: Ramp, which: int) -> None:
        """Replace the LEVEL or LINEAR ramp of voice ``i`` (in effect from ``ramp.ref``)."""
        self.ramps[:, which, i] = (ramp.ref, ramp.s, ramp.b, ramp.lo, ramp.hi, ramp.sat)

    def set_gains(self, rows: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
        """Set the left and right gains of voices ``rows``."""
        self.gains[rows, 0] = left
        self.gains[rows, 1] = right

    def silent_from(self, frame: int) -> np.ndarray:
        """Bool per voice: it contributes exact zeros from ``frame`` (the bank's frame) on."""
        r = self.ramps[:, :, : self.count]
        level, linear = ramp_values(r[:, LEVEL], frame), ramp_values(r[:, LINEAR], frame)
        dead = (level >= CB_SILENT) & (r[1, LEVEL] >= 0)
        dead |= (linear <= 0) & (r[1, LINEAR] <= 0)
        dead |= self.state[POS, : self.count] >= self.state[END_AT, : self.count]
        return dead

    def remove(self, dead: np.ndarray) -> None:
        """Drop the voices flagged in ``dead`` (bool per voice), keeping start order."""
        if not dead.any():
            return
        keep = (~dead).nonzero()[0]
        n = keep.size
        self.state[:, :n] = self.state[:, keep]
        self.ramps[:, :, :n] = self.ramps[:, :, keep]
        self.gains[:n] = self.gains[keep]
        self.atten_cb[:n] = self.atten_cb[keep]
        self.pan[:n] = self.pan[keep]
        self.count = n
        self._changed()

    def _changed(self) -> None:
        """The set of voices changed: a new limit on the frames of one render call."""
        self._max_step = int(self.state[STEP, : self.count].max(initial=0))
        # a call must not read past a strip's pad: (PAD_ROWS - 2) samples of travel at most
        pad_frames = (PAD_ROWS - 2) * _ONE // max(self._max_step, 1)
        self.chunk_frames = max(1, min(pad_frames, MAX_CHUNK))

    # -- rendering -------------------------------------------------------------------------------
    def render(self, out: np.ndarray, frame: int, reap: bool = True) -> None:
        """Write the mix for frames ``frame .. frame + len(out)`` into ``out``
        (``len(out) <= chunk_frames``).

        With ``reap``, voices silent for good from the next frame on are then removed (this
        never changes the output: they would add exact zeros).
        """
        rows = self.layout.rows
        render_voices(
            out, frame, self.count, self.state, self.ramps, self.gains, rows, cb_to_amp_table
        )
        if reap and self.count:
            self.remove(self.silent_from(frame + out.shape[0]))
