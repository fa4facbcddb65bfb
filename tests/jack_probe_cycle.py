"""The JACK probe's process callback, compiled: no Python and no GIL in the probe's cycle.

The probe (:class:`tests.jackserver.JackProbe`) is itself a client of the graph the synths
under test play in, downstream of them. As a Python callback it cost some 24-28 us of CPU a
128-frame cycle, and jackd named it late in the JACK bench more often than either synth: a
stall of the machine while it ran is an x-run counted against whichever synth was playing.
Compiled (a numba ``cfunc`` registered with ``jack_set_process_callback``) it costs a few
microseconds.

What the callback and Python share lives in numpy arrays the probe keeps, their addresses in
one table, the callback's argument: the messages waiting to be sent (a ring Python appends
to), the messages sent (frame, time, note), the onsets heard, counters, and the callback's
own scratch (the clock's reading, the message being written). The callback writes a row
before it counts it, behind a release fence; Python reads the count first.

libjack's functions and the C library's ``clock_gettime`` are called at addresses the table
holds too (:func:`c_functions`, read through ctypes when a probe is made), so the compiled code
holds no address of this process and numba keeps it in its cache: a process that makes a probe
loads it rather than compiling it again.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

from soundness_live.synth.compiled_calls import acquire_fence as _acquire_fence
from soundness_live.synth.compiled_calls import address_of, c_addresses
from soundness_live.synth.compiled_calls import as_pointer as _as_pointer
from soundness_live.synth.compiled_calls import c_call as _c_call
from soundness_live.synth.compiled_calls import release_fence as _release_fence

# the table (int64): the callback's argument
(
    CLIENT,
    AUDIO_PORT,
    MIDI_PORT,
    PENDING,
    SENT,
    ONSETS,
    COUNTS,
    LEVELS,
    CLOCK,
    MESSAGE,
    GET_BUFFER,  # the addresses of the C functions from here on
    LAST_FRAME_TIME,
    SINCE_CYCLE_START,
    CLEAR_MIDI,
    WRITE_MIDI,
    CLOCK_GETTIME,
) = range(16)
TABLE_SIZE = 16
# counts (int64)
(
    HEAD,  # pending messages taken by the callback
    TAIL,  # pending messages put by Python
    SENT_COUNT,
    ONSET_COUNT,
    LOUD_FRAMES,
    LAST_LOUD,
    QUIET_FRAMES,
    RATE,
    LOST,  # sent messages or onsets past the rows' room (not recorded: the readers raise)
    REFUSED,  # messages JACK would not write (not recorded as sent)
) = range(10)
N_COUNTS = 10
# levels (float64)
THRESHOLD, READ_SKEW, READ_TRIES = range(3)
N_LEVELS = 3
PENDING_ROOM = 4096  # messages waiting; a slot: size, offset, three bytes
SLOT = 5
ROWS = 1 << 16  # sent messages and onsets recorded
CLOCK_MONOTONIC = 1  # Linux's: the clock of Python's time.monotonic


def c_functions() -> dict[int, int]:
    """The addresses of the C functions the callback calls, by their place in the table;
    OSError naming what to install when libjack is missing."""
    jack = c_addresses(
        "jack",
        (
            "jack_port_get_buffer",
            "jack_last_frame_time",
            "jack_frames_since_cycle_start",
            "jack_midi_clear_buffer",
            "jack_midi_event_write",
        ),
        "libjack not found (apt-get install libjack-jackd2-0)",
    )
    libc = c_addresses("c", ("clock_gettime",), "the C library not found")
    return {
        GET_BUFFER: jack["jack_port_get_buffer"],
        LAST_FRAME_TIME: jack["jack_last_frame_time"],
        SINCE_CYCLE_START: jack["jack_frames_since_cycle_start"],
        CLEAR_MIDI: jack["jack_midi_clear_buffer"],
        WRITE_MIDI: jack["jack_midi_event_write"],
        CLOCK_GETTIME: libc["clock_gettime"],
    }


class Shared:
    """What the compiled callback and Python share: the arrays, and the table of their
    addresses and of the C functions' (:attr:`argument`, the callback's argument). Keep it
    while the client is active: the callback reads and writes it in every cycle."""

    def __init__(
        self,
        ports: tuple[int, int, int],
        rate: int,
        threshold: float,
        quiet_frames: int,
        read_skew_s: float,
        read_tries: int,
    ) -> None:
        """``ports``: the addresses of the JACK client, its audio input and its MIDI output."""
        self.pending = np.zeros((PENDING_ROOM, SLOT), dtype=np.int64)
        self.sent_rows = np.zeros((ROWS, 3), dtype=np.float64)
        self.onset_rows = np.zeros(ROWS, dtype=np.int64)
        self.counts = np.zeros(N_COUNTS, dtype=np.int64)
        self.counts[[LAST_LOUD, QUIET_FRAMES, RATE]] = -(10**9), quiet_frames, rate
        self.levels = np.array([threshold, read_skew_s, read_tries], dtype=np.float64)
        self.clock = np.zeros(2, dtype=np.int64)
        self.message = np.zeros(3, dtype=np.uint8)
        self.table = np.zeros(TABLE_SIZE, dtype=np.int64)
        self.table[[CLIENT, AUDIO_PORT, MIDI_PORT]] = ports
        for at, function in c_functions().items():
            self.table[at] = function
        for at, array in (
            (PENDING, self.pending),
            (SENT, self.sent_rows),
            (ONSETS, self.onset_rows),
            (COUNTS, self.counts),
            (LEVELS, self.levels),
            (CLOCK, self.clock),
            (MESSAGE, self.message),
        ):
            self.table[at] = address_of(array)

    def _whole(self) -> None:
        """OverflowError when the callback had no room left to record what it sent or heard."""
        if self.counts[LOST]:
            raise OverflowError(
                f"expected at most {ROWS} sent messages and {ROWS} onsets, "
                f"{self.counts[LOST]} more came (not recorded)"
            )

    @property
    def argument(self) -> int:
        """The address to hand JACK with the callback."""
        return address_of(self.table)

    def push(self, message: bytes, offset: int) -> None:
        """Queue ``message`` (1 to 3 bytes) for the callback to write at ``offset``."""
        if not 1 <= len(message) <= 3:
            raise ValueError(f"expected a channel message of 1 to 3 bytes, got {len(message)}")
        counts = self.counts
        if counts[TAIL] - counts[HEAD] >= PENDING_ROOM:
            raise OverflowError(f"{PENDING_ROOM} messages wait already")
        slot = self.pending[counts[TAIL] % PENDING_ROOM]
        slot[0], slot[1] = len(message), max(0, int(offset))
        slot[2 : 2 + len(message)] = list(message)
        counts[TAIL] += 1  # published last: the callback finds the slot written

    def sent(self) -> list[tuple[int, float, int]]:
        """The messages written so far: (JACK frame, true monotonic s, note)."""
        self._whole()
        rows = self.sent_rows[: self.counts[SENT_COUNT]]  # the count first: its rows are whole
        return [(int(frame), float(time_s), int(note)) for frame, time_s, note in rows]

    def onsets(self) -> list[int]:
        """The JACK frames where sound began after quiet."""
        self._whole()
        return [int(frame) for frame in self.onset_rows[: self.counts[ONSET_COUNT]]]


_pointer, _frames = types.voidptr, types.uint32
_get_buffer = _c_call(_pointer, _pointer, _frames)
_frame_of = _c_call(_frames, _pointer)  # jack_last_frame_time, jack_frames_since_cycle_start
_clear = _c_call(types.none, _pointer)
_write = _c_call(types.int32, _pointer, _frames, _pointer, types.uint64)
_clock_gettime = _c_call(types.int32, types.int32, _pointer)


@numba.njit(cache=True)
def _now_s(table: Any, clock: Any) -> float:
    _clock_gettime(table[CLOCK_GETTIME], np.int32(CLOCK_MONOTONIC), _as_pointer(table[CLOCK]))
    return clock[0] + clock[1] * 1e-9


@numba.njit(cache=True)
def _cycle_start(table: Any, clock: Any, levels: Any, rate: float) -> tuple[int, float]:
    """The cycle's first frame and its start on the monotonic clock, from readings close
    together and of one cycle (JackProbe's docstring)."""
    client = _as_pointer(table[CLIENT])
    best_s, frame, cycle_s = np.inf, -1, 0.0
    for _ in range(int(levels[READ_TRIES])):
        start = _frame_of(table[LAST_FRAME_TIME], client)
        before_s = _now_s(table, clock)
        since = _frame_of(table[SINCE_CYCLE_START], client)
        after_s = _now_s(table, clock)
        if _frame_of(table[LAST_FRAME_TIME], client) != start:
            continue
        if after_s - before_s < best_s:
            best_s, frame, cycle_s = after_s - before_s, start, after_s - since / rate
        if best_s <= levels[READ_SKEW]:
            break
    if frame < 0:
        frame = _frame_of(table[LAST_FRAME_TIME], client)
        cycle_s = _now_s(table, clock) - _frame_of(table[SINCE_CYCLE_START], client) / rate
    return frame, cycle_s


@numba.njit(cache=True)
def _send_one(table: Any, counts: Any, midi: Any, frames: int, start: int, cycle_s: float) -> None:
    """Write the oldest waiting message at its offset (one a cycle) and record it."""
    rate = float(counts[RATE])
    pending = numba.carray(_as_pointer(table[PENDING]), (PENDING_ROOM, SLOT), np.int64)
    slot = pending[counts[HEAD] % PENDING_ROOM]
    size, offset = slot[0], min(slot[1], frames - 1)
    message = numba.carray(_as_pointer(table[MESSAGE]), (3,), np.uint8)  # Shared.message
    for i in range(size):
        message[i] = slot[2 + i]
    written = (
        _write(
            table[WRITE_MIDI], midi, np.uint32(offset), _as_pointer(table[MESSAGE]), np.uint64(size)
        )
        == 0
    )
    counts[HEAD] += 1
    if not written:
        counts[REFUSED] += 1
    elif counts[SENT_COUNT] < ROWS:
        row = numba.carray(_as_pointer(table[SENT]), (ROWS, 3), np.float64)[counts[SENT_COUNT]]
        row[0], row[1] = start + offset, cycle_s + offset / rate
        row[2] = slot[3] if size > 1 else 0
        _release_fence()
        counts[SENT_COUNT] += 1
    else:
        counts[LOST] += 1


@numba.njit(cache=True)
def _hear(table: Any, counts: Any, levels: Any, frames: int, start: int) -> None:
    """Count the loud frames of the cycle's input; note an onset after quiet."""
    audio = _as_pointer(_get_buffer(table[GET_BUFFER], _as_pointer(table[AUDIO_PORT]), frames))
    heard = numba.carray(audio, (frames,), np.float32)
    first, last, loud = -1, -1, 0
    for i in range(frames):
        if abs(heard[i]) > levels[THRESHOLD]:
            loud += 1
            if first < 0:
                first = i
            last = i
    counts[LOUD_FRAMES] += loud
    if loud:
        if start + first - counts[LAST_LOUD] > counts[QUIET_FRAMES]:
            if counts[ONSET_COUNT] < ROWS:
                onsets = numba.carray(_as_pointer(table[ONSETS]), (ROWS,), np.int64)
                onsets[counts[ONSET_COUNT]] = start + first
                _release_fence()
                counts[ONSET_COUNT] += 1
            else:
                counts[LOST] += 1
        counts[LAST_LOUD] = start + last


@numba.cfunc(types.int32(types.uint32, types.voidptr), cache=True)
def cycle(frames: int, argument: Any) -> int:
    """JACK's process callback (``JackProcessCallback``): ``argument`` is the table."""
    table = numba.carray(argument, (TABLE_SIZE,), np.int64)
    counts = numba.carray(_as_pointer(table[COUNTS]), (N_COUNTS,), np.int64)
    levels = numba.carray(_as_pointer(table[LEVELS]), (N_LEVELS,), np.float64)
    clock = numba.carray(_as_pointer(table[CLOCK]), (2,), np.int64)
    start, cycle_s = _cycle_start(table, clock, levels, float(counts[RATE]))
    midi = _as_pointer(_get_buffer(table[GET_BUFFER], _as_pointer(table[MIDI_PORT]), frames))
    _clear(table[CLEAR_MIDI], midi)
    tail = counts[TAIL]
    _acquire_fence()  # the slot Python wrote before it counted it
    if counts[HEAD] < tail:
        _send_one(table, counts, midi, frames, start, cycle_s)
    _hear(table, counts, levels, frames, start)
    return 0
