"""The JACK probe's process callback, compiled: no Python and no GIL in the probe's cycle.

The probe (:class:`tests.jackserver.JackProbe`) is itself a client of the graph the synths
under test play in, downstream of them. As a Python callback it cost some 50-70 us of CPU a
cycle, and jackd named it late in the JACK bench more often than either synth: a stall of
the machine while it ran is an x-run counted against whichever synth was playing. Compiled
(a numba ``cfunc`` registered with ``jack_set_process_callback``, calling libjack and the C
library's ``clock_gettime`` through ctypes) it costs a few microseconds.

What the callback and Python share lives in numpy arrays the probe keeps (their addresses in
one table, the callback's argument): the messages waiting to be sent (a ring Python appends
to), the messages sent (frame, time, note), the onsets heard, counters, and the callback's own
scratch (the clock's reading, the message being written). The callback
writes a row before it counts it, behind a release fence; Python reads the count first.

The addresses of libjack's functions are constants of the compiled code, so it is compiled
once per process (about a second) and not kept in numba's cache.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np

# the table of addresses (int64): the callback's argument
CLIENT, AUDIO_PORT, MIDI_PORT, PENDING, SENT, ONSETS, COUNTS, LEVELS, CLOCK, MESSAGE = range(10)
TABLE_SIZE = 10
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
    CYCLES,
    LOST,  # sent messages or onsets past the rows' room (not recorded)
    REFUSED,  # messages JACK would not write (not recorded as sent)
) = range(11)
N_COUNTS = 11
# levels (float64)
THRESHOLD, READ_SKEW, READ_TRIES = range(3)
N_LEVELS = 3
PENDING_ROOM = 4096  # messages waiting; a slot: size, offset, three bytes
SLOT = 5
ROWS = 1 << 16  # sent messages and onsets recorded
CLOCK_MONOTONIC = 1  # Linux's: the clock of Python's time.monotonic

_compiled: Any = None


def compiled_cycle() -> Any:
    """The compiled callback (a numba ``cfunc``: its ``address`` is the C function pointer);
    compiled on the first call in a process."""
    global _compiled
    if _compiled is None:
        _compiled = _compile()
    return _compiled


def _c_function(library: Any, name: str, result: Any, *arguments: Any) -> Any:
    function = getattr(library, name)
    function.restype, function.argtypes = result, list(arguments)
    return function


def _compile() -> Any:
    import numba
    from numba import types
    from numba.extending import intrinsic

    path = ctypes.util.find_library("jack")
    if path is None:
        raise OSError("libjack not found (apt-get install libjack-jackd2-0)")
    jack, libc = ctypes.CDLL(path), ctypes.CDLL(ctypes.util.find_library("c"))
    pointer, frames_t = ctypes.c_void_p, ctypes.c_uint32
    get_buffer = _c_function(jack, "jack_port_get_buffer", pointer, pointer, frames_t)
    last_frame_time = _c_function(jack, "jack_last_frame_time", frames_t, pointer)
    since_cycle_start = _c_function(jack, "jack_frames_since_cycle_start", frames_t, pointer)
    clear_midi = _c_function(jack, "jack_midi_clear_buffer", None, pointer)
    write_midi = _c_function(
        jack, "jack_midi_event_write", ctypes.c_int, pointer, frames_t, pointer, ctypes.c_size_t
    )
    clock_gettime = _c_function(libc, "clock_gettime", ctypes.c_int, ctypes.c_int, pointer)

    @intrinsic
    def as_pointer(typingctx: Any, address: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            return builder.inttoptr(arguments[0], context.get_value_type(types.voidptr))

        return types.voidptr(address), codegen

    @intrinsic
    def release_fence(typingctx: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            builder.fence("release")
            return context.get_dummy_value()

        return types.none(), codegen

    @intrinsic
    def acquire_fence(typingctx: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            builder.fence("acquire")
            return context.get_dummy_value()

        return types.none(), codegen

    @numba.njit
    def now_s(clock: Any) -> float:
        clock_gettime(CLOCK_MONOTONIC, as_pointer(clock.ctypes.data))
        return clock[0] + clock[1] * 1e-9

    @numba.njit
    def cycle_start(client: Any, clock: Any, levels: Any, rate: float) -> tuple[int, float]:
        # the cycle's first frame and its start on the monotonic clock, from readings close
        # together and of one cycle (JackProbe's docstring)
        best_s, frame, cycle_s = np.inf, -1, 0.0
        for _ in range(int(levels[READ_TRIES])):
            start = last_frame_time(client)
            before_s = now_s(clock)
            since = since_cycle_start(client)
            after_s = now_s(clock)
            if last_frame_time(client) != start:
                continue
            if after_s - before_s < best_s:
                best_s, frame, cycle_s = after_s - before_s, start, after_s - since / rate
            if best_s <= levels[READ_SKEW]:
                break
        if frame < 0:
            frame = last_frame_time(client)
            cycle_s = now_s(clock) - since_cycle_start(client) / rate
        return frame, cycle_s

    @numba.cfunc(types.int32(types.uint32, types.voidptr))
    def cycle(frames: int, argument: Any) -> int:
        table = numba.carray(argument, (TABLE_SIZE,), np.int64)
        client = as_pointer(table[CLIENT])
        counts = numba.carray(as_pointer(table[COUNTS]), (N_COUNTS,), np.int64)
        levels = numba.carray(as_pointer(table[LEVELS]), (N_LEVELS,), np.float64)
        clock = numba.carray(as_pointer(table[CLOCK]), (2,), np.int64)
        rate = float(counts[RATE])
        start, cycle_s = cycle_start(client, clock, levels, rate)
        midi = as_pointer(get_buffer(as_pointer(table[MIDI_PORT]), frames))
        clear_midi(midi)
        tail = counts[TAIL]
        acquire_fence()
        if counts[HEAD] < tail:  # one message a cycle (JackProbe's docstring)
            pending = numba.carray(as_pointer(table[PENDING]), (PENDING_ROOM, SLOT), np.int64)
            slot = pending[counts[HEAD] % PENDING_ROOM]
            size, offset = slot[0], min(slot[1], frames - 1)
            message = numba.carray(as_pointer(table[MESSAGE]), (3,), np.uint8)
            for i in range(size):
                message[i] = slot[2 + i]
            written = write_midi(midi, offset, as_pointer(table[MESSAGE]), size) == 0
            counts[HEAD] += 1
            sent = numba.carray(as_pointer(table[SENT]), (ROWS, 3), np.float64)
            if not written:
                counts[REFUSED] += 1
            elif counts[SENT_COUNT] < ROWS:
                row = sent[counts[SENT_COUNT]]
                row[0], row[1] = start + offset, cycle_s + offset / rate
                row[2] = slot[3] if size > 1 else 0
                release_fence()
                counts[SENT_COUNT] += 1
            else:
                counts[LOST] += 1
        audio = as_pointer(get_buffer(as_pointer(table[AUDIO_PORT]), frames))
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
                onsets = numba.carray(as_pointer(table[ONSETS]), (ROWS,), np.int64)
                if counts[ONSET_COUNT] < ROWS:
                    onsets[counts[ONSET_COUNT]] = start + first
                    release_fence()
                    counts[ONSET_COUNT] += 1
                else:
                    counts[LOST] += 1
            counts[LAST_LOUD] = start + last
        counts[CYCLES] += 1
        return 0

    return cycle
