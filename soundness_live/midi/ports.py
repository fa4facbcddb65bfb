"""Live MIDI inputs through python-rtmidi: every input port open at once, hot-plug, timestamps.

python-rtmidi is used directly because mido's rtmidi backend drops the per-message delta
times, which are the best timestamp a plain MIDI API gives (see :class:`DeltaStamper`).

Threads: each open port has its own rtmidi callback thread (the real-time MIDI ring: it
stamps, converts, calls ``on_event`` and appends to a bounded queue — no logging, no I/O);
one watcher thread polls the port list every ``poll_interval_s`` to open new ports and close
vanished ones (it may log). The engine reads events with :meth:`MidiInputs.drain`. Whatever a
device sends, the callback never raises: malformed bytes, a flood beyond the device's
:class:`~.flood.FloodGuard` and a failing listener are counted (:mod:`.delivery`).

JACK is the exception: rtmidi calls the callback inside JACK's process thread, so Python
there (waiting for the GIL) stalls the whole JACK graph; measured, the xruns that follow make
JACK hand over stale buffers and notes arrive twice. With the JACK API, rtmidi's own queue is
read instead by one reader thread every ``jack_read_interval_s`` (0.5 ms); the delta times
are unchanged, only the arrival time is coarser. It takes at most :data:`READ_BATCH` messages
a pass, so a flood cannot hold the GIL from the audio callback; rtmidi's queue
(:data:`RTMIDI_QUEUE_SIZE` messages) holds the rest meanwhile.

A limit of rtmidi's JACK API (measured, python-rtmidi 1.5.8 on jackd2 1.9.21): after an event
that starts with ``F0`` and does not end with ``F7`` (a truncated system exclusive message),
it joins every later event to it and hands over nothing until an event ends with ``F7``; the
joined bytes then arrive as one malformed message, dropped and counted. Feeding the port a
second source of ``F7`` every few ms would end it, but JACK then mixes two sources into the
port and, measured on a loaded machine, loses notes (2 of 15 runs of a 20-note loopback, none
without it): losing a child's notes is worse than a stall that the device's next ``F7`` ends.
On JACK, ``--midi jack`` (:mod:`.jack_input`) reads JACK's events raw and has no such limit.

API choice: ``api=`` or the environment variable ``SOUNDNESS_LIVE_MIDI_API`` (``jack``,
``alsa``, ``coremidi``, ``winmm``; unset = rtmidi's default). Without a MIDI system (no ALSA
sequencer, no JACK server) rtmidi raises ``rtmidi.SystemError``: :attr:`MidiInputs.status`
says so and no port is opened; nothing crashes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import rtmidi

from ..core.clock import ClockMapping
from ..core.events import DeviceChange
from ..errors import ParameterError
from .delivery import ChangeCallback, EventCallback, EventDelivery
from .input import DeltaStamper, convert_message

log = logging.getLogger(__name__)

API_ENV = "SOUNDNESS_LIVE_MIDI_API"
API_NAMES = {
    "jack": rtmidi.API_UNIX_JACK,
    "alsa": rtmidi.API_LINUX_ALSA,
    "coremidi": rtmidi.API_MACOSX_CORE,
    "winmm": rtmidi.API_WINDOWS_MM,
}
SKIP_PORT_PREFIXES = ("Midi Through",)  # ALSA's loopback port is never a player's device
RTMIDI_QUEUE_SIZE = 4096  # rtmidi's own queue of a port read by polling (JACK)
READ_BATCH = 256  # messages read from it per pass: ~1 ms of Python at most, then the GIL is free
_ALSA_NUMBERS = re.compile(r"\s+\d+:\d+$")


def midi_api(name: str | None = None, env: Mapping[str, str] = os.environ) -> int:
    """rtmidi API constant for ``name`` (or ``$SOUNDNESS_LIVE_MIDI_API``; unset = default)."""
    if name is None:
        name = env.get(API_ENV, "")
    name = name.strip().lower()
    if not name:
        return rtmidi.API_UNSPECIFIED
    if name not in API_NAMES:
        raise ParameterError(f"{API_ENV} must be one of {sorted(API_NAMES)} or unset, got {name!r}")
    return API_NAMES[name]


def device_id(port_name: str) -> str:
    """A device's stable name: the port name without ALSA's client:port numbers.

    ALSA may give a replugged device new numbers ("nanoPAD2 MIDI 1 24:0" then "... 28:0");
    the player's identity must not change with them.
    """
    return _ALSA_NUMBERS.sub("", port_name)


MappingSource = Callable[[], ClockMapping | None]


class _Port:
    """One open input port: its rtmidi object, timestamp state and counters."""

    def __init__(self, owner: MidiInputs, midi_in: Any, name: str) -> None:
        self.owner = owner
        self.midi_in = midi_in
        self.name = name
        self.device = device_id(name)
        self.stamper = DeltaStamper()
        self.counts = owner.counts_for(self.device)
        self.guard = owner.guard_for(self.device)

    def on_message(self, message: tuple[list[int], float], _data: object = None) -> None:
        """rtmidi callback (real-time ring): stamp, convert, hand on. No logging, no I/O.

        Never raises: an exception here would be lost inside rtmidi's thread (or stop the
        JACK reader), so it is counted and reported in the input's status instead.
        """
        try:
            self._handle(message)
        except Exception as error:
            self.owner.callback_errors += 1
            self.owner.report_failure(f"reading {self.device}", error)

    def _handle(self, message: tuple[list[int], float]) -> None:
        owner = self.owner
        arrival_s = owner.clock()
        data, delta_s = message
        time_s = self.stamper.stamp(delta_s, arrival_s)  # every message's delta counts
        owner.received += 1
        mapping = owner.mapping() if owner.mapping is not None else None
        frame = mapping.frame_at(time_s) if mapping is not None else None
        event = convert_message(
            data, self.device, time_s, "rtmidi-delta", self.counts, arrival_s=arrival_s,
            frame=frame, guard=self.guard,
        )  # fmt: skip
        if event is not None:
            owner.deliver(event)

    def read_queue(self, max_messages: int = READ_BATCH) -> int:
        """Hand on up to ``max_messages`` waiting in rtmidi's own queue (JACK reader thread);
        how many were read."""
        read = 0
        while read < max_messages and (message := self.midi_in.get_message()) is not None:
            self.on_message(message)
            read += 1
        return read

    def close(self) -> None:
        """Stop callbacks and release the port (safe when the device already vanished)."""
        try:
            self.midi_in.cancel_callback()
            self.midi_in.close_port()
            self.midi_in.delete()
        except rtmidi.RtMidiError as error:
            log.debug("closing MIDI input %r: %s", self.name, error)


class MidiInputs(EventDelivery):
    """Every MIDI input port, opened at once and kept open across unplug/replug.

    ``on_event(event)`` runs on the port's callback thread for each note-path event (the
    engine's "thru" path: keep it short and non-blocking); every event also goes to a
    bounded queue (``queue_size``, 0 for none; overflow is counted in ``overflow``, never
    unbounded).
    ``on_device_change(change)`` runs on the watcher thread when a port appears or vanishes.
    ``mapping()`` (e.g. ``lambda: output.mapping``) places each event on the frame axis.
    """

    def __init__(
        self,
        api: int | str | None = None,
        on_event: EventCallback | None = None,
        poll_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        *,
        on_device_change: ChangeCallback | None = None,
        mapping: MappingSource | None = None,
        client_name: str = "soundness-live",
        queue_size: int = 4096,
        jack_read_interval_s: float = 0.0005,
    ) -> None:
        super().__init__(on_event, on_device_change, queue_size)
        self.api = midi_api(api) if api is None or isinstance(api, str) else api
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.mapping = mapping
        self.client_name = client_name
        self._ports: dict[str, _Port] = {}  # guarded by _lock between the watcher and readers
        self._lister: Any = None
        self._opened = 0
        self._jack_read_interval_s = jack_read_interval_s

    @property
    def available(self) -> bool:
        """True when a MIDI system answered (ports may still be zero)."""
        return self._lister is not None

    @property
    def ports(self) -> list[str]:
        """Names of the ports open now."""
        with self._lock:
            return sorted(self._ports)

    def start(self) -> MidiInputs:
        """Open every input port and start the hot-plug watcher; never raises for "no MIDI"."""
        try:
            self._lister = rtmidi.MidiIn(self.api, f"{self.client_name}-list")
        except rtmidi.SystemError as error:
            self.status = f"no MIDI system ({rtmidi.get_api_name(self.api)}): {error}"
            log.warning("MIDI input unavailable: %s", self.status)
            return self
        self.scan()
        self._stop.clear()
        self._start_thread("midi-hotplug", self._watch)
        if self.api == rtmidi.API_UNIX_JACK:
            self._start_thread("midi-jack", self._read_jack)
        return self

    def stop(self) -> None:
        """Stop the watcher and close every port."""
        self._stop.set()
        self._join_threads()
        with self._lock:
            ports, self._ports = list(self._ports.values()), {}
        for port in ports:
            port.close()
        if self._lister is not None:
            self._lister.delete()
            self._lister = None
        self.status = "stopped"

    def scan(self) -> None:
        """Open ports that appeared and close ports that vanished (the watcher's step)."""
        try:
            names = [n for n in self._lister.get_ports() if not self._skipped(n)]
        except rtmidi.RtMidiError as error:
            log.warning("listing MIDI inputs failed: %s", error)
            return
        with self._lock:
            vanished = [self._ports.pop(n) for n in list(self._ports) if n not in names]
            new = [n for n in names if n not in self._ports]
        for port in vanished:
            port.close()
            log.warning("MIDI input disconnected: %s", port.name)
            self._notify(DeviceChange(port.device, False, self.clock(), "port vanished"))
        for name in new:
            self._open(name)
        self.status = f"ok: {len(self.ports)} MIDI input(s) ({rtmidi.get_api_name(self.api)})"

    def _skipped(self, name: str) -> bool:
        return name.startswith(self.client_name) or name.startswith(SKIP_PORT_PREFIXES)

    def _open(self, name: str) -> None:
        midi_in = None
        try:
            midi_in = rtmidi.MidiIn(
                self.api, f"{self.client_name}-in{self._opened}", queue_size_limit=RTMIDI_QUEUE_SIZE
            )
            self._opened += 1
            index = midi_in.get_ports().index(name)
            # Everything is delivered so delta times stay consistent; filtering is ours.
            midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
            midi_in.open_port(index, "in")
        except (rtmidi.RtMidiError, ValueError) as error:
            log.warning("could not open MIDI input %r (will retry): %s", name, error)
            if midi_in is not None:
                midi_in.delete()
            return
        if self.api == rtmidi.API_UNIX_JACK:  # read by _read_jack (see the module doc)
            port = _Port(self, midi_in, name)
        else:
            port = _Port(self, midi_in, name)
            midi_in.set_callback(port.on_message)
        with self._lock:
            self._ports[name] = port
        log.info("MIDI input connected: %s", name)
        self._notify(DeviceChange(port.device, True, self.clock(), "port opened"))

    def _read_jack(self) -> None:
        while not self._stop.wait(self._jack_read_interval_s):
            with self._lock:
                ports = list(self._ports.values())
            for port in ports:
                port.read_queue()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            self.scan()
            self._watch_step()
