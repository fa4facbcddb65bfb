"""JACK frames on the engine's frame axis: an exact offset taken in the audio callback.

A note read from a JACK MIDI port carries its JACK frame (``last_frame_time + offset``, the
server's sample counter). The engine's axis is the output's own frame counter. When the
engine's audio output runs in the same JACK graph, both counters advance together, so one
pair read in the audio callback — (JACK frame of the cycle, output frame of the block) —
places every MIDI event exactly: ``engine frame = block frame + (event frame - cycle frame)``.
:class:`OutputFrameTap` wraps the output's block source to read that pair in every block.

Why not JACK's own frame-to-time conversion through the monotonic clock. Measured with
jackd2 1.9.21 (Debian 12, dummy driver, 64-frame periods, 2 busy cores):

- ``jack_get_time()`` runs on CLOCK_MONOTONIC_RAW, not CLOCK_MONOTONIC (Python's
  ``time.monotonic``): 144 ms apart on that machine, and they drift apart at NTP's slew rate;
- the dummy driver's frame clock ran 3 % slow against the system clock (period 1.349 ms
  instead of 1.333 ms), and a cycle starts whenever the server thread wakes, so a frame's time
  jitters by the wake-up lateness;
- the JACK-Client package (0.5.7) does not wrap ``jack_frames_to_time``.

So a time-based route (JACK frame -> seconds -> engine frame) carries the wake-up jitter of
two threads, while the offset route is exact to the frame as long as the output renders one
block per JACK cycle. The time-based route is kept for a JACK MIDI input without a JACK audio
output (``jack_time_s``: the cycle's start read in the MIDI callback, plus offset / rate).
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

FRAME_WRAP = 1 << 32  # jack_nframes_t wraps after 2**32 frames (24.9 h at 48 kHz)


def frame_difference(later: int, earlier: int) -> int:
    """``later - earlier`` for 32-bit JACK frame counters, correct across a wrap."""
    difference = (later - earlier) % FRAME_WRAP
    return difference - FRAME_WRAP if difference >= FRAME_WRAP // 2 else difference


class _BlockSource(Protocol):
    @property
    def frame(self) -> int: ...

    def render_into(self, out: np.ndarray) -> None: ...


class OutputFrameTap:
    """A block source that reads the JACK frame of each audio block before rendering it.

    Give it to the output instead of the renderer (``open_output(OutputFrameTap(renderer),
    ...)``); :meth:`attach` a function returning JACK's current cycle frame (the MIDI input's
    ``client.last_frame_time``) once a JACK client exists. ``render_into`` runs in the audio
    callback: one call into libjack and two numbers stored (real-time contract of
    ``Output.process``: no allocation, no I/O, no locks), none when the cycle's reader
    marked the block already. Errors are counted, never raised.
    """

    def __init__(self, source: _BlockSource) -> None:
        self.source = source
        self.blocks = 0
        self.errors = 0
        self._jack_frame: Callable[[], int] | None = None
        self._pairs = np.zeros((2, 2), dtype=np.int64)  # double buffer: (JACK frame, frame)
        self._slot = 0
        self._marked = False  # the next block's pair is noted (by the cycle's reader)
        self._reader_marked = False  # the last block's pair was noted by the cycle's reader

    @property
    def frame(self) -> int:
        """The wrapped source's frame counter (the next block starts at this frame)."""
        return self.source.frame

    @property
    def delay_frames(self) -> int:
        """The wrapped source's own delay (frames), 0 if it has none."""
        return int(getattr(self.source, "delay_frames", 0))

    @property
    def quiet(self) -> Any:
        """The wrapped source's quiet table (``synth/quiet.py``), None when it has none."""
        return getattr(self.source, "quiet", None)

    @property
    def quiet_allowed(self) -> bool:
        """Whether the next block may be rendered without :meth:`render_into` (a compiled
        callback's quiet cycle): when no pair is noted (no JACK frame to read) or the cycle's
        reader notes it, which it does in any cycle with an event to place."""
        return self._jack_frame is None or self._reader_marked

    def attach(self, jack_frame: Callable[[], int]) -> None:
        """Start reading JACK's cycle frame with ``jack_frame()`` in every block."""
        self.blocks = 0
        self._jack_frame = jack_frame

    def detach(self) -> None:
        """Stop reading JACK frames (the JACK client is about to close)."""
        self._jack_frame = None
        self.blocks = 0

    def render_into(self, out: np.ndarray) -> None:
        """Audio callback: note (cycle frame, block frame) unless this cycle's reader did,
        then render the block."""
        self._reader_marked = marked = self._marked
        if not marked:
            self.mark()
        self._marked = False  # the next block is the next cycle's
        self.source.render_into(out)

    def mark(self) -> None:
        """Note (JACK's cycle frame, the next block's frame) now, in the audio callback.

        :meth:`render_into` does it for each block; a JACK MIDI input reading in the same
        callback before the block renders (one shared client) does it first, so the events of
        a cycle are placed by that cycle's own pair even after a cycle the server skipped, and
        the block then renders on that pair without asking libjack again (every call into it
        lets the GIL go).
        """
        jack_frame = self._jack_frame
        if jack_frame is not None:
            try:
                slot = 1 - self._slot
                self._pairs[slot, 0] = jack_frame()
                self._pairs[slot, 1] = self.source.frame
                self._slot = slot  # published last: a reader sees a whole pair
                self.blocks += 1
                self._marked = True
            except Exception:
                self.errors += 1

    def engine_frame(self, jack_frame: int) -> int | None:
        """Output frame rendered at JACK frame ``jack_frame`` (None before the first block)."""
        if self.blocks == 0 or self._jack_frame is None:
            return None
        cycle_frame, block_frame = self._pairs[self._slot]
        return int(block_frame) + frame_difference(jack_frame, int(cycle_frame))


@dataclass(frozen=True, slots=True)
class JackStamp:
    """How one event was stamped (diagnostics; kept for the last few thousand events).

    ``jack_frame`` is the event's JACK frame; ``frame`` its engine-axis position (None without
    a mapping); ``time_s`` the stamp given to the event (monotonic s); ``jack_time_s`` the same
    event timed from its cycle's start in the MIDI callback (the time-based route); ``route``
    says which route gave ``frame``: ``"output-frame"`` (the exact offset) or ``"jack-time"``.
    """

    device: str
    jack_frame: int
    frame: float | None
    time_s: float
    jack_time_s: float
    route: str


class EventRing:
    """A preallocated single-producer single-consumer ring of MIDI events (rows of floats).

    The producer is JACK's process callback (:meth:`put`: no allocation beyond the row
    writes, no locks); the consumer a normal thread (:meth:`take`). A full ring drops the new
    event and counts it in ``overflow``. A row: cycle frame, offset in the cycle, cycle start
    (monotonic s), port slot, message size, then up to 3 message bytes (a longer message keeps
    only its first and last bytes: enough to tell system exclusive from garbage).

    ``reserve`` rows can be kept for what matters more: :meth:`put` with ``spare=True`` refuses
    (and counts in ``shed``) an event that would leave fewer than ``reserve`` rows free, so a
    flood of controller messages never takes the room a child's next note needs. When the
    consumer takes a bounded number of rows a cycle, :attr:`spare_room` bounds the spare rows
    waiting too: a note put behind them waits no more than that many rows.
    """

    WIDTH = 8

    def __init__(self, capacity: int = 1024, reserve: int = 0) -> None:
        if not 0 <= reserve < capacity:
            raise ValueError(f"reserve must be in range 0..{capacity - 1}, got {reserve}")
        self.rows = np.zeros((capacity, self.WIDTH), dtype=np.float64)
        self.reserve = reserve
        self.spare_room = capacity - reserve  # rows waiting at which a spare event is refused
        self.overflow = 0  # events dropped: the ring was full
        self.shed = 0  # spare events refused to keep the reserve free
        self._written = 0  # rows written (producer only)
        self._taken = 0  # rows taken (consumer only)

    def put(
        self,
        cycle_frame: int,
        offset: int,
        cycle_s: float,
        slot: int,
        data: bytes,
        spare: bool = False,
    ) -> None:
        """Producer: one event (``data``: a bytes-like MIDI message; ``spare``: it may be
        refused to keep the reserve free)."""
        index = self._written
        used = index - self._taken
        if used >= len(self.rows):
            self.overflow += 1
            return
        if spare and used >= self.spare_room:
            self.shed += 1
            return
        row = self.rows[index % len(self.rows)]
        row[0], row[1], row[2], row[3] = cycle_frame, offset, cycle_s, slot
        size = len(data)
        row[4] = size
        if size <= 3:
            for position, value in enumerate(data[:size]):  # a bytes slice: ints
                row[5 + position] = value
        else:
            row[5], row[6] = data[:1][0], data[size - 1 :][0]  # slices: ints (cffi buffers)
        self._written = index + 1  # published last: the consumer reads whole rows

    @property
    def waiting(self) -> int:
        """Rows written and not taken yet."""
        return self._written - self._taken

    def take(self) -> list[float] | None:
        """Consumer: the oldest row's values, or None when the ring is empty."""
        if self._taken >= self._written:
            return None
        row = self.rows[self._taken % len(self.rows)].tolist()  # copied before it is freed
        self._taken += 1
        return row


class Doorbell:
    """Wakes a consumer thread from a real-time callback without a lock.

    ``threading.Event.set`` takes the event's lock, which the waiting thread holds while it
    wakes: the callback could wait for it. :meth:`ring` is one non-blocking ``send`` of a byte
    on a socket pair (a system call, no Python lock; a full socket buffer means it has rung
    already); :meth:`wait` is ``select`` on the other end, then reads whatever rang. A socket
    pair rather than a pipe: ``select`` takes sockets on every platform. It holds its sockets
    from :meth:`open` to :meth:`close`; closed, it never rings.
    """

    def __init__(self) -> None:
        self._ends: tuple[socket.socket, socket.socket] | None = None

    def open(self) -> Doorbell:
        """Make the socket pair (a doorbell that was open is closed first)."""
        self.close()
        receiver, sender = socket.socketpair()
        receiver.setblocking(False)
        sender.setblocking(False)
        self._ends = (receiver, sender)
        return self

    def ring(self) -> None:
        """Wake the waiting thread (real-time safe: no lock, one system call)."""
        ends = self._ends
        if ends is None:
            return
        try:
            ends[1].send(b"\0")
        except OSError:  # rung already (the buffer is full: BlockingIOError), or closed
            pass

    def wait(self, timeout_s: float) -> bool:
        """Wait until rung or ``timeout_s``; True when it rang (every ring is then cleared)."""
        ends = self._ends
        if ends is None:
            return False
        readable: list[socket.socket] = []
        try:
            readable, _, _ = select.select([ends[0]], [], [], timeout_s)
            while readable and ends[0].recv(4096):
                pass
        except (OSError, ValueError):  # nothing more to read (BlockingIOError), or closed
            pass
        return bool(readable)

    def close(self) -> None:
        """Release both sockets."""
        ends, self._ends = self._ends, None
        if ends is not None:
            for end in ends:
                end.close()
