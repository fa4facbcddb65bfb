"""The JACK output's process callback, compiled: a quiet cycle runs no Python.

In JACK's thread a Python callback costs far more than the block it renders: entering Python
through cffi and JACK-Client, the reader of the MIDI ports, the renderer's bookkeeping, the
copies to the ports (some 50-90 us of CPU a 128-frame cycle, where FluidSynth's whole cycle
takes 15-25). A stall of the machine that catches the callback running makes the server
x-run, so a callback's CPU time is its exposure. Most cycles of a session are *quiet*: no MIDI
event on any of the engine's ports, nothing queued or due in the renderer, only the voices
sounding to render on. :func:`cycle`, a numba ``cfunc`` registered with
``jack_set_process_callback``, renders those itself: the renderer's quiet block
(:mod:`soundness_live.synth.quiet`: the voice kernel and the output stage), the frame line and
the output's clock anchors, the copies to the two ports, and its own timing. Any other cycle
it hands to the Python callback (a cffi callback, which takes the GIL) at once, as JACK would
have called it.

A quiet cycle is allowed by the Python cycle before it, in JACK's thread: at its end the
Python side writes what the next cycles may assume (the period, the x-runs it has seen, the
MIDI ports to look at) and sets ``ENABLED``. Another thread that changes what a cycle must do
(the MIDI input's ports, attaching or detaching it) sets ``CHANGED``, which the Python cycle
clears first thing: the next cycle is Python's. The renderer has its own flags (a queued
command, a new cap or volume). So compiled and Python cycles never run at once, and every
change reaches JACK's thread through a Python cycle, as before.

libjack's functions and the C library's ``clock_gettime`` are called at addresses the table
holds (read when an output is made), so the compiled code holds no address of this process
and numba keeps it in its cache. Linux only (``CLOCK_MONOTONIC`` there is the clock of
``time.monotonic``); elsewhere the Python callback runs every cycle.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

from ..synth import quiet as q
from ..synth.compiled_calls import address_of, as_pointer, c_addresses, c_call, release_fence
from ..synth.numba_cache import CACHE_DIR  # numba's cache directory, set before compiling
from .frame_line import LINE_FIGURES, line_time

__all__ = ["CACHE_DIR", "CompiledCycle"]

# the table (int64): the callback's argument
(
    COUNTS,
    LINE,  # the output's frame line (frame_line.py)
    ANCHORS,  # the output's clock anchors (float64 (2, 2)) and their slot and count (int64)
    MARKS,
    PORTS,  # the MIDI ports to look at for events (handles)
    SOURCE,  # the renderer's quiet table (synth/quiet.py)
    BUFFER,  # the output's block (float32 (period, 2))
    OUT_LEFT,  # the two audio ports (handles)
    OUT_RIGHT,
    PYTHON,  # the Python cycle (a cffi callback of JACK's process callback type)
    CLOCK,  # clock_gettime's struct timespec
    LATENCY,  # the output's latency (float64, s)
    GET_BUFFER,  # the addresses of the C functions from here on
    EVENT_COUNT,
    CLOCK_GETTIME,
) = range(15)
TABLE_SIZE = 15
# counts (int64)
(
    ENABLED,  # the last Python cycle allowed quiet ones
    CHANGED,  # another thread changed what a cycle must do: the next is Python's
    PERIOD,  # the frames of a cycle a quiet one may be
    XRUNS,  # counted by JACK's notification thread
    XRUNS_SEEN,  # by the last Python cycle
    N_PORTS,
    QUIET_CYCLES,  # cycles the compiled code rendered, their time (ns) and the longest
    QUIET_NS,
    QUIET_MAX_NS,
) = range(9)
N_COUNTS = 9
MAX_PORTS = 256  # MIDI ports looked at; more and every cycle is Python's
CLOCK_MONOTONIC = 1  # Linux's: the clock of Python's time.monotonic
SLOT, BLOCKS = 0, 1  # the output's marks


_pointer, _frames = types.voidptr, types.uint32
_get_buffer = c_call(_pointer, _pointer, _frames)
_event_count = c_call(_frames, _pointer)
_clock_gettime = c_call(types.int32, types.int32, _pointer)
_python = c_call(types.int32, _frames, _pointer)


@numba.njit(cache=True, nogil=True)
def _now_ns(table):  # pragma: no cover - compiled
    clock = numba.carray(as_pointer(table[CLOCK]), (2,), np.int64)
    _clock_gettime(table[CLOCK_GETTIME], np.int32(CLOCK_MONOTONIC), as_pointer(table[CLOCK]))
    return clock[0] * 1_000_000_000 + clock[1]


@numba.njit(cache=True, nogil=True)
def _quiet(table, counts, source, frames):  # pragma: no cover - compiled
    """Whether this cycle may run compiled (see the module)."""
    if not (
        counts[ENABLED] == 1
        and counts[CHANGED] == 0
        and counts[PERIOD] == frames
        and counts[XRUNS] == counts[XRUNS_SEEN]
        and q.quiet_ready(source, frames)
    ):
        return False
    ports = numba.carray(as_pointer(table[PORTS]), (MAX_PORTS,), np.int64)
    for i in range(counts[N_PORTS]):
        buffer = _get_buffer(table[GET_BUFFER], as_pointer(ports[i]), np.uint32(frames))
        if _event_count(table[EVENT_COUNT], buffer) != 0:
            return False
    return True


@numba.cfunc(types.int32(types.uint32, types.voidptr), cache=True)
def cycle(frames, argument):  # pragma: no cover - compiled
    """JACK's process callback (``JackProcessCallback``): ``argument`` is the table."""
    table = numba.carray(argument, (TABLE_SIZE,), np.int64)
    counts = numba.carray(as_pointer(table[COUNTS]), (N_COUNTS,), np.int64)
    source = numba.carray(as_pointer(table[SOURCE]), (q.TABLE_SIZE,), np.int64)
    began_ns = _now_ns(table)  # the checks of the ports count in a quiet cycle's time
    if not _quiet(table, counts, source, frames):
        return _python(table[PYTHON], frames, argument)
    n = np.int64(frames)
    frame = source[q.FRAME]
    line = numba.carray(as_pointer(table[LINE]), (LINE_FIGURES,), np.float64)
    due_s = line_time(line, frame, began_ns * 1e-9)
    block = numba.carray(as_pointer(table[BUFFER]), (n, 2), np.float32)
    q.render_quiet(source, block)
    anchors = numba.carray(as_pointer(table[ANCHORS]), (2, 2), np.float64)
    marks = numba.carray(as_pointer(table[MARKS]), (2,), np.int64)
    latency = numba.carray(as_pointer(table[LATENCY]), (1,), np.float64)
    slot = 1 - marks[SLOT]
    anchors[slot, 0], anchors[slot, 1] = frame, due_s + latency[0]
    release_fence()
    marks[SLOT] = slot  # published last: a reader sees the old or the new pair, whole
    marks[BLOCKS] += 1
    get_buffer = table[GET_BUFFER]
    left = numba.carray(
        _get_buffer(get_buffer, as_pointer(table[OUT_LEFT]), frames), (n,), np.float32
    )
    right = numba.carray(
        _get_buffer(get_buffer, as_pointer(table[OUT_RIGHT]), frames), (n,), np.float32
    )
    for i in range(n):
        left[i], right[i] = block[i, 0], block[i, 1]
    spent_ns = _now_ns(table) - began_ns
    counts[QUIET_CYCLES] += 1
    counts[QUIET_NS] += spent_ns
    if spent_ns > counts[QUIET_MAX_NS]:
        counts[QUIET_MAX_NS] = spent_ns
    return 0


def _handle(ffi: Any, pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))


class CompiledCycle:
    """What :func:`cycle` shares with a JACK output: the arrays, the table of their addresses
    and of the C functions (its argument), and the Python cycle's cffi callback. Keep it while
    the client is active."""

    def __init__(
        self,
        jack: Any,
        output_ports: tuple[Any, Any],
        python_cycle: Any,
        arrays: dict[int, np.ndarray],
        source_table: np.ndarray,
    ) -> None:
        """``output_ports``: the two audio ports' handles; ``python_cycle``: the cffi
        callback to call on a cycle that is not quiet; ``arrays``: the output's arrays by
        their place in the table (LINE, ANCHORS, MARKS, BUFFER, LATENCY)."""
        self._ffi = jack._ffi
        self.counts = np.zeros(N_COUNTS, dtype=np.int64)
        self.counts[CHANGED] = 1
        self.ports = np.zeros(MAX_PORTS, dtype=np.int64)
        self.clock = np.zeros(2, dtype=np.int64)
        self.python_cycle = python_cycle  # kept: the callback lives as long as this
        self._arrays = dict(arrays)  # kept: the callback reads them
        self._source = source_table
        self._published_ports: tuple[Any, ...] | None = None
        self.table = np.zeros(TABLE_SIZE, dtype=np.int64)
        named = c_addresses(
            "jack",
            ("jack_port_get_buffer", "jack_midi_get_event_count"),
            "libjack not found (apt-get install libjack-jackd2-0)",
        )
        self.table[GET_BUFFER] = named["jack_port_get_buffer"]
        self.table[EVENT_COUNT] = named["jack_midi_get_event_count"]
        self.table[CLOCK_GETTIME] = c_addresses("c", ("clock_gettime",), "no C library")[
            "clock_gettime"
        ]
        self.table[OUT_LEFT], self.table[OUT_RIGHT] = (_handle(self._ffi, p) for p in output_ports)
        self.table[PYTHON] = _handle(self._ffi, python_cycle)
        for at, array in (
            (COUNTS, self.counts),
            (PORTS, self.ports),
            (CLOCK, self.clock),
            (SOURCE, source_table),
            *arrays.items(),
        ):
            self.table[at] = address_of(array)

    @property
    def argument(self) -> int:
        """The address to hand JACK with the callback."""
        return address_of(self.table)

    @staticmethod
    def callback_address() -> int:
        """The compiled callback's address."""
        address: Any = cycle.address  # numba compiled it on import
        return int(address)

    def changed(self) -> None:
        """Another thread changed what a cycle must do: the next cycle is Python's."""
        self.counts[CHANGED] = 1

    def counted_xruns(self, xruns: int) -> None:
        """JACK's notification thread counted ``xruns`` in all: the next cycle is Python's."""
        self.counts[XRUNS] = xruns

    def python_cycle_began(self) -> None:
        """First thing in a Python cycle: changes made from now on are the next cycle's."""
        self.counts[CHANGED] = 0

    def allow_quiet(self, frames: int, xruns_seen: int, ports: tuple[Any, ...] | None) -> None:
        """Last thing in a Python cycle: quiet cycles of ``frames`` may follow, looking at
        the MIDI ports ``ports`` (handles; None: every cycle is Python's)."""
        counts = self.counts
        if ports is None or len(ports) > MAX_PORTS:
            counts[ENABLED] = 0
            return
        if ports is not self._published_ports:
            for i, port in enumerate(ports):
                self.ports[i] = _handle(self._ffi, port)
            counts[N_PORTS] = len(ports)
            self._published_ports = ports
        counts[PERIOD], counts[XRUNS_SEEN] = frames, xruns_seen
        counts[ENABLED] = 1

    def forbid_quiet(self) -> None:
        """From the last Python cycle on, every cycle is Python's."""
        self.counts[ENABLED] = 0

    @property
    def quiet_cycles(self) -> int:
        """Cycles the compiled callback rendered."""
        return int(self.counts[QUIET_CYCLES])

    @property
    def quiet_s(self) -> float:
        """Their time in all (s)."""
        return float(self.counts[QUIET_NS]) * 1e-9

    @property
    def quiet_max_s(self) -> float:
        """The longest of them (s)."""
        return float(self.counts[QUIET_MAX_NS]) * 1e-9

    def reset_max(self) -> None:
        """Forget the longest (a benchmark's new stretch)."""
        self.counts[QUIET_MAX_NS] = 0
