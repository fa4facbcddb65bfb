"""JACK-native MIDI input: every note stamped with its exact JACK frame (clock ``"jack-frame"``).

One JACK client (``soundness-live``) with one MIDI input port per source: every MIDI output
port of the server (hardware or another client) is connected to a port of its own, so the
engine knows which pad or keyboard played; the device name is the source port's name
(``"nanoPAD2:midi_out"``; python-rtmidi's JACK ports are named alike). Hot-plug follows
JACK's port registration callback: a vanished source gives a ``DeviceChange(connected=False)``,
a new or returning one is connected at once (a slow poll backs the callback up).

Threads and the real-time contract:

- JACK's process callback (:meth:`JackMidiInputs._process`) reads every port's events and writes
  one row per event into a preallocated ring (cycle frame, offset, cycle start time, port slot,
  up to 3 bytes). No logging, no I/O, no locks (the consumer is woken by a
  :class:`~.jack_frames.Doorbell`, not a ``threading.Event``, whose ``set`` takes a lock the
  woken thread holds); what the ``jack`` module allocates per event is all. A full ring drops
  and counts (``ring_overflow``), never blocks; anything but a note on/off is refused once the
  ring is half full (:data:`NOTE_RESERVE_ROWS`), so a flood of controller messages never takes
  the room of the child's next note, and past :data:`CYCLE_SPARE_ROWS` of them from one source
  in one cycle the rest are only counted (the callback's time in JACK's thread stays bounded:
  60,000 a second made the server x-run until it lost notes). On a shared client (below) no
  more than :data:`CYCLE_DELIVER_ROWS` of them wait at once (the rest are counted): a note
  behind a flood waited 15-16 cycles (40 ms at 128 frames) for the backlog before it. An
  exception is counted and reported in the status (JACK would stop calling a callback that
  raises).
- A consumer thread, woken by the callback, turns rows into :class:`InputEvent` records
  (``time_s`` and ``frame`` on the engine's axis, see :mod:`.jack_frames`), through the
  device's :class:`~.flood.FloodGuard`, and delivers them exactly as
  :class:`~soundness_live.midi.ports.MidiInputs` does (``on_event``, then the bounded queue
  read by :meth:`drain`). Bytes that are not one MIDI message are dropped and counted.
- A watcher thread connects and disconnects ports (calls into the JACK server) and emits
  ``on_device_change``.

Sharing the output's client (``host``: the engine's JACK output, :mod:`soundness_live.audio.
jack_output`): the engine is then one JACK client, and one Python callback a cycle. The ports
are registered on the output's client, which calls :meth:`JackMidiInputs._read_cycle` first
in every cycle: the cycle's events are written into the ring as above and at most
:data:`CYCLE_DELIVER_ROWS` of them are delivered at once, in the same callback, so the live
thru path places a note at its own frame before the block that holds it is rendered. There
is then no consumer thread (nothing else takes from the ring, nothing waits for the GIL
between the note and its block); the rest of a flood waits in the ring for the next cycles.
Delivering in JACK's thread costs what the consumer's delivery costs (small event objects,
no lock, no I/O): the listener must keep the real-time contract (the engine's
:class:`~soundness_live.live.input.LiveInput` does).

Both threads run under :mod:`.delivery`'s supervision: a loop that raises starts again and
the status says so.

Python in JACK's process thread needs the GIL every cycle. So never close or deactivate a
JACK client from code that holds the GIL while it waits for the server (python-rtmidi's JACK
API does): the server waits for this callback, which waits for the GIL (measured: a deadlock).
Stop this input first when both run in one process.

The ``jack`` module (PyPI: JACK-Client) is imported when the input starts: without it, or
without libjack or a JACK server, :func:`~soundness_live.midi.open_input.open_midi_input`
says so in one line and falls back to python-rtmidi (:class:`~.ports.MidiInputs`).
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from ..core.events import DeviceChange, InputEvent
from ..errors import DeviceError
from .delivery import ChangeCallback, EventCallback, EventDelivery
from .input import read_message
from .jack_frames import FRAME_WRAP, Doorbell, EventRing, JackStamp, OutputFrameTap
from .ports import READ_BATCH, SKIP_PORT_PREFIXES, MappingSource
from .wire import SYSEX_END, SYSEX_START

log = logging.getLogger(__name__)

SETTLE_S = 0.05  # measured: a port vanishing is notified ~4 ms before get_ports() drops it
NOTE_RESERVE_ROWS = 0.5  # of the event ring, kept for note on/off (0x80-0x9F) in a flood
_NOTE_STATUS_FIRST, _NOTE_STATUS_END = b"\x80", b"\xa0"
_CONTROL_STATUS_FIRST, _CONTROL_STATUS_END = b"\xb0", b"\xc0"
# controller changes kept like notes in a flood: the switch pedals (64-69, as the flood guard
# counts them with the notes) and all sound off, reset all controllers, all notes off, so a
# pedal lifted or a stop sent during a controller flood is never the message dropped
_KEPT_CONTROLLERS = frozenset(bytes([number]) for number in (*range(64, 70), 120, 121, 123))
CYCLE_SPARE_ROWS = 64  # per source and cycle, besides notes: 24,000/s at 128 frames, 3,000 at 1024
CLOCK_BRACKET_S = 0.0002  # a cycle start read between clock reads further apart was interrupted
CLOCK_READS = 3  # tries at an uninterrupted read of the cycle start, each cycle with an event
FLOOD_PAUSE_S = 0.0005  # between two full batches of rows: the GIL is free for the audio thread
CYCLE_DELIVER_ROWS = 32  # delivered per cycle on a shared client; a flood's rest waits its turn


class JackHost(Protocol):
    """A JACK client the input can share (the engine's JACK output): its ports go on
    ``jack_client`` and its reader runs first in the host's process callback."""

    jack_client: Any

    def attach_midi(
        self,
        reader: Callable[[int], None],
        on_port: Callable[[Any, bool], None],
        on_xrun: Callable[[float], None],
        on_shutdown: Callable[[Any, str], None],
        quiet_ports: Callable[[], tuple[Any, ...] | None] | None = None,
    ) -> None:
        """Call ``reader(frames)`` first in each cycle; forward JACK's notifications;
        ``quiet_ports()``: the ports a cycle without events on them may skip the reader for."""
        ...

    def detach_midi(self) -> None:
        """Stop calling the reader."""
        ...

    def midi_changed(self) -> None:
        """The reader's ports changed: the next cycle calls it."""
        ...


def load_jack() -> tuple[Any, str]:
    """The ``jack`` module and "", or None and why it cannot be used (imported lazily)."""
    try:
        import jack
    except ImportError as error:
        return None, f"JACK-Client is not installed ({error}; pip install JACK-Client)"
    except OSError as error:  # the module is there, libjack is not
        return None, f"libjack not found ({error}; apt-get install libjack-jackd2-0)"
    return jack, ""


class JackMidiInputs(EventDelivery):
    """Every JACK MIDI output port, each connected to a port of its own, stamped per frame.

    The interface of :class:`~soundness_live.midi.ports.MidiInputs`: ``on_event`` /
    ``on_device_change`` listeners, ``mapping()`` for the engine's axis, :meth:`start`,
    :meth:`stop`, :meth:`drain`, ``status``, ``ports``, ``available``. ``frame_tap`` (an
    :class:`OutputFrameTap` in a JACK audio output) makes ``frame`` exact; without it frames
    come from the cycle start time through ``mapping``. ``stamps`` keeps the last stamps.
    ``host``: a started JACK output whose client the input shares (see the module).
    """

    def __init__(
        self,
        on_event: EventCallback | None = None,
        *,
        on_device_change: ChangeCallback | None = None,
        mapping: MappingSource | None = None,
        frame_tap: OutputFrameTap | None = None,
        host: JackHost | None = None,
        client_name: str = "soundness-live",
        queue_size: int = 4096,
        ring_size: int = 1024,
        poll_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(on_event, on_device_change, queue_size)
        self.mapping = mapping
        self.frame_tap = frame_tap
        self.host = host
        self.client_name = client_name
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.xruns = 0  # (a full ring, unlike a full queue, counts in ``ring_overflow``)
        self.stamps: deque[JackStamp] = deque(maxlen=4096)
        self._ring = EventRing(ring_size, reserve=int(ring_size * NOTE_RESERVE_ROWS))
        self._client: Any = None
        self._rate = 48_000
        self._table: tuple[tuple[int, Any], ...] = ()  # (slot, port): what the callback reads
        self._handles: tuple[Any, ...] | None = ()  # their libjack handles (None: hidden)
        self._sources: dict[str, tuple[int, Any]] = {}  # source port name -> (slot, our port)
        self._devices: dict[int, str] = {}  # slot -> device (a slot is never reused)
        self._free: list[Any] = []  # our ports whose source vanished, reused for new ones
        self._slots = itertools.count()
        # _lock (watcher vs stop()) is never taken in the callback
        self._wake = Doorbell()  # rung by the callback when rows were written (no lock)
        self._rescan = threading.Event()  # set by JACK's notification thread
        self._server_gone = ""
        self._libjack: Any = None  # JACK-Client's cffi library, when it exposes it

    @property
    def available(self) -> bool:
        """True when a JACK server accepted the client (ports may still be zero)."""
        return self._client is not None

    @property
    def ports(self) -> list[str]:
        """Names of the source ports connected now."""
        with self._lock:
            return sorted(self._sources)

    @property
    def ring_overflow(self) -> int:
        """Events lost because the consumer thread fell a whole ring behind."""
        return self._ring.overflow

    @property
    def flood_dropped(self) -> int:
        """As :attr:`EventDelivery.flood_dropped`, with the events the ring had no room for
        (full, or half full for anything but a note on/off)."""
        return super().flood_dropped + self._ring.overflow + self._ring.shed

    def start(self) -> JackMidiInputs:
        """Open the JACK client, connect every source, start the threads.

        Raises ``OSError`` when the ``jack`` module or libjack is missing and
        :class:`~soundness_live.errors.DeviceError` when no JACK server answers
        (:func:`~soundness_live.midi.open_input.open_midi_input` falls back on both).
        """
        if self.host is not None:
            return self._start_shared(self.host)
        jack, reason = load_jack()
        if jack is None:
            raise OSError(reason)
        try:
            client = jack.Client(self.client_name, no_start_server=True)
        except jack.JackError as error:
            raise DeviceError(f"no JACK server answered ({error})") from error
        self._rate = client.samplerate
        self._libjack = getattr(sys.modules.get("jack"), "_lib", None)
        self._wake.open()
        client.set_process_callback(self._process)
        client.set_port_registration_callback(self._registered, only_available=False)
        client.set_xrun_callback(self._xrun)
        client.set_shutdown_callback(self._shutdown)
        self._client = client
        client.activate()
        self._stop.clear()
        self.scan()
        if self.frame_tap is not None:
            self.frame_tap.attach(lambda: client.last_frame_time)
        self._start_thread("jack-midi-in", self._consume)
        self._start_thread("jack-midi-hotplug", self._watch)
        return self

    def _start_shared(self, host: JackHost) -> JackMidiInputs:
        """Ports on ``host``'s client, read in its process callback; no consumer thread."""
        client = host.jack_client
        self.client_name = client.name  # its own ports are never sources
        self._rate = client.samplerate
        self._libjack = getattr(sys.modules.get("jack"), "_lib", None)
        self._client = client
        self._stop.clear()
        self.scan()
        if self.frame_tap is not None:
            self.frame_tap.attach(lambda: client.last_frame_time)
        # one cycle's delivery of anything but notes may wait: a child's note put behind a
        # controller flood is delivered in the next cycle, not after the flood's backlog
        self._ring.spare_room = CYCLE_DELIVER_ROWS
        host.attach_midi(
            self._read_cycle, self._registered, self._xrun, self._shutdown, self._quiet_ports
        )
        self._start_thread("jack-midi-hotplug", self._watch)
        return self

    def stop(self) -> None:
        """Stop the threads, deliver what is left, close the client (idempotent); on a
        shared client, stop reading and unregister this input's ports."""
        self._stop.set()
        self._wake.ring()
        self._rescan.set()
        self._join_threads()
        host = self.host if self._client is not None else None  # None: not reading now
        if host is not None:
            host.detach_midi()
        if self.frame_tap is not None:
            self.frame_tap.detach()
        if host is not None or self.frame_tap is not None:
            time.sleep(0.05)  # a callback that read the hook (or the reader) may still call it
        client, self._client = self._client, None
        if client is not None and self.host is None:
            client.deactivate()
            self._deliver_rows()
            client.close()
        elif client is not None:
            self._deliver_rows()
            self._unregister_ports()
        self._wake.close()  # no callback runs any more
        with self._lock:
            self._sources, self._table, self._free = {}, (), []
        self.status = "stopped"

    def _unregister_ports(self) -> None:
        """This input's ports on a shared client (the output keeps playing)."""
        with self._lock:
            ports = [port for _slot, port in self._sources.values()] + self._free
        for port in ports:
            try:
                port.unregister()
            except Exception as error:  # the server may be gone with its ports
                log.warning("could not unregister JACK MIDI port %s: %s", port.name, error)

    # -- JACK's process thread (real-time: no logging, no I/O, no locks) ----------------------
    def _read_cycle(self, frames: int) -> None:
        """A shared client's cycle, before its block renders: note this cycle's JACK frame
        against the block's frame, read the events, deliver them (the thru path places them)."""
        tap = self.frame_tap
        if tap is not None:
            tap.mark()
        self._process(frames)
        try:
            self._deliver_rows(CYCLE_DELIVER_ROWS)
        except Exception as error:  # a row that fails is taken already: the next go on
            self.callback_errors += 1
            self.report_failure("the JACK process callback", error)

    def _process(self, frames: int) -> None:
        try:
            client, ring, cycle_s = self._client, self._ring, -1.0
            for slot, port in self._table:
                if not self._has_events(port, frames):
                    continue
                spare_left = CYCLE_SPARE_ROWS
                for offset, data in port.incoming_midi_events():
                    self.received += 1
                    if cycle_s < 0.0:  # once per cycle, only when there is an event
                        cycle_frame, cycle_s = self._cycle_start(client)
                    status = data[:1]
                    if _NOTE_STATUS_FIRST <= status < _NOTE_STATUS_END or (
                        _CONTROL_STATUS_FIRST <= status < _CONTROL_STATUS_END
                        and data[1:2] in _KEPT_CONTROLLERS
                    ):
                        ring.put(cycle_frame, offset, cycle_s, slot, data)
                    elif spare_left > 0:
                        spare_left -= 1
                        ring.put(cycle_frame, offset, cycle_s, slot, data, spare=True)
                    else:
                        ring.shed += 1  # the producer's own counter: no lock needed
            if cycle_s >= 0.0:
                self._wake.ring()
        except Exception as error:  # an exception would stop JACK calling us: count it instead
            self.callback_errors += 1
            self.report_failure("the JACK process callback", error)

    def _quiet_ports(self) -> tuple[Any, ...] | None:
        """A shared client's ports as libjack's handles: a cycle with no event on any of them
        may skip the reader (the host's compiled callback looks); None when the next cycle must
        run it (rows of a flood wait in the ring, or libjack is hidden). In JACK's thread."""
        if self._ring.waiting or self._libjack is None:
            return None
        return self._handles

    def _has_events(self, port: Any, frames: int) -> bool:
        """Whether ``port`` has events this cycle, in two calls into libjack where JACK-Client
        exposes it (its ``incoming_midi_events`` makes three, asking the server for the
        period again; each call lets the GIL go to another thread of the process)."""
        lib = self._libjack
        if lib is None:
            return True
        return bool(lib.jack_midi_get_event_count(lib.jack_port_get_buffer(port._ptr, frames)))

    def _cycle_start(self, client: Any) -> tuple[int, float]:
        """This cycle's first JACK frame and when it began on the engine's clock (JACK's frames
        since the cycle began, read between two clock reads).

        Both come from the server's cycle timer as it is when read, not as it was when this
        callback was called: a callback that runs late (its process waiting for the GIL) can
        see the timer move on to the next cycle between two reads, and a frame of one cycle with
        the start time of another misplaced notes by a period or two (measured: 10 ms at 256
        frames). So the frame is read before and after, and a read across a timer change is
        made again. A thread switch between a clock read and JACK's would misplace every note
        of the cycle by as long as it lasted, so a read bracketed wider than
        :data:`CLOCK_BRACKET_S` is made again too, at most :data:`CLOCK_READS` times, and the
        tightest read of one cycle is kept."""
        best_width_s, best_frame, best_s = float("inf"), -1, 0.0
        for _ in range(CLOCK_READS):
            frame = client.last_frame_time
            before_s = self.clock()
            since_frames = client.frames_since_cycle_start
            after_s = self.clock()
            if client.last_frame_time != frame:  # the timer moved on meanwhile
                continue
            width_s = after_s - before_s
            if width_s < best_width_s:
                best_width_s, best_frame = width_s, frame
                best_s = (before_s + after_s) * 0.5 - since_frames / self._rate
            if width_s <= CLOCK_BRACKET_S:
                break
        if best_frame < 0:  # the timer moved at every read: keep the last one's, as it is now
            frame = client.last_frame_time
            now_s = self.clock()
            best_frame, best_s = frame, now_s - client.frames_since_cycle_start / self._rate
        return best_frame, best_s

    def _xrun(self, _delay_usecs: float) -> None:
        self.xruns += 1

    def _registered(self, _port: Any, _register: bool) -> None:
        self._rescan.set()  # JACK's notification thread may not call the server: the watcher does

    def _shutdown(self, _status: Any, reason: str) -> None:
        self._server_gone = reason or "the JACK server shut down"
        self._rescan.set()

    # -- consumer thread ---------------------------------------------------------------------
    def _consume(self) -> None:
        while not self._stop.is_set():
            if self._deliver_rows(READ_BATCH) < READ_BATCH:
                self._wake.wait(0.05)
            else:  # a flood: the audio callback gets the GIL between batches
                self._stop.wait(FLOOD_PAUSE_S)

    def _deliver_rows(self, max_rows: int | None = None) -> int:
        """Deliver up to ``max_rows`` waiting rows (None: all); how many were taken. A row
        is taken before it is handled, so one that fails is never handled twice."""
        taken = 0
        while (max_rows is None or taken < max_rows) and (row := self._ring.take()) is not None:
            taken += 1
            self._deliver_row(row)
        return taken

    def _deliver_row(self, row: list[float]) -> None:
        slot, size = int(row[3]), int(row[4])
        device = self._devices.get(slot, f"slot {slot}")
        counts = self.counts_for(device)
        if size > 3:  # only system exclusive is longer; the ring kept its first and last bytes
            if (int(row[5]), int(row[6])) == (SYSEX_START, SYSEX_END):
                counts.count("sysex")
            else:
                counts.malformed += 1
            return
        jack_time_s = row[2] + row[1] / self._rate
        data = [int(value) for value in row[5 : 5 + size]]
        message = read_message(data, counts, self.guard_for(device), jack_time_s)
        if message is None:  # dropped and counted before any stamping work: floods stay cheap
            return
        jack_frame = (int(row[0]) + int(row[1])) % FRAME_WRAP
        stamp = self._stamp(device, jack_frame, jack_time_s)
        self.stamps.append(stamp)
        kind, channel, number, value = message
        self.deliver(
            InputEvent(
                kind, channel, number, value, device, stamp.time_s, "jack-frame",
                frame=stamp.frame, arrival_s=self.clock(),
            )
        )  # fmt: skip

    def _stamp(self, device: str, jack_frame: int, jack_time_s: float) -> JackStamp:
        """Engine frame and time of one event: the exact offset route when the output is tapped."""
        mapping = self.mapping() if self.mapping is not None else None
        tap = self.frame_tap
        exact = tap.engine_frame(jack_frame) if tap is not None else None
        if mapping is not None and exact is not None:
            time_s = mapping.time_of(exact)
            return JackStamp(device, jack_frame, float(exact), time_s, jack_time_s, "output-frame")
        frame = mapping.frame_at(jack_time_s) if mapping is not None else None
        return JackStamp(device, jack_frame, frame, jack_time_s, jack_time_s, "jack-time")

    # -- watcher thread: connections and hot-plug ----------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            if self._rescan.wait(self.poll_interval_s):
                self._stop.wait(SETTLE_S)  # JACK notifies before its port list has changed
                self._rescan.clear()
            if not self._stop.is_set():
                self.scan()
                self._watch_step()

    def scan(self) -> None:
        """Connect sources that appeared, forget those that vanished (the watcher's step)."""
        client = self._client
        if client is None:
            return
        names = [] if self._server_gone else self._source_names(client)
        with self._lock:
            vanished = [name for name in self._sources if name not in names]
            for name in vanished:
                _slot, port = self._sources.pop(name)
                self._free.append(port)  # kept, not unregistered: the callback may hold it
            self._publish()
        for name in vanished:
            log.warning("JACK MIDI input disconnected: %s", name)
            self._notify(DeviceChange(name, False, self.clock(), "port vanished"))
        for name in names:
            if name not in self._sources:
                self._connect(client, name)
        self.status = self._server_gone or f"ok: {len(self._sources)} JACK MIDI input(s)"

    def _source_names(self, client: Any) -> list[str]:
        try:
            ports = client.get_ports(is_midi=True, is_output=True)
        except Exception as error:  # the server may be going away
            log.warning("listing JACK MIDI ports failed: %s", error)
            return list(self._sources)
        own = self.client_name  # ours, and rtmidi's "<name>-in0-sysex-end" F7 sources
        return [p.name for p in ports if not p.name.startswith(own) and not _skipped(p.name)]

    def _connect(self, client: Any, name: str) -> None:
        port = self._free.pop() if self._free else None
        try:
            if port is None:
                port = client.midi_inports.register(f"in_{len(client.midi_inports)}")
            client.connect(name, port)
        except Exception as error:
            log.warning("could not connect JACK MIDI source %r (will retry): %s", name, error)
            if port is not None:
                self._free.append(port)
            return
        slot = next(self._slots)
        self._devices[slot] = name  # before the port is published: rows always find a name
        with self._lock:
            self._sources[name] = (slot, port)
            self._publish()
        log.info("JACK MIDI input connected: %s", name)
        self._notify(DeviceChange(name, True, self.clock(), "port connected"))

    def _publish(self) -> None:
        table = tuple(self._sources.values())
        self._handles = tuple(port._ptr for _slot, port in table) if self._libjack else None
        self._table = table  # one assignment: the callback sees whole
        if self.host is not None:
            self.host.midi_changed()  # after it: the next cycle reads the new table


def _skipped(name: str) -> bool:
    """ALSA's loopback ("Midi Through", bridged into JACK by a2jmidid) is never a player."""
    return any(prefix in name for prefix in SKIP_PORT_PREFIXES)
