"""What every MIDI input shares: handing events on, counting what is dropped, staying alive.

Both inputs (python-rtmidi's :class:`~soundness_live.midi.ports.MidiInputs` and the JACK-native
:class:`~soundness_live.midi.jack_input.JackMidiInputs`) deliver the same way: ``on_event``
first (the engine's thru path), then a bounded queue (overflow counted, never unbounded; size
0 for no queue when a listener takes every event); ``on_device_change`` when a device comes
or goes.

Nothing a device sends or a listener does may stop an input silently:

- bytes that are not a MIDI message are dropped and counted (``malformed``); a flood beyond
  a device's :class:`~.flood.FloodGuard` limits is dropped and counted (``flood_dropped``);
- an exception in a listener or a driver callback is counted, and :attr:`~EventDelivery.status`
  says ``"failed: ..."`` with the reason for :data:`FAILURE_SHOWN_S` (the watcher thread logs
  it, with its traceback: the callbacks themselves never log);
- every thread runs its loop under :meth:`~EventDelivery._supervised`: a loop that raises (or
  returns before :meth:`stop`) is logged, reported in the status and run again after
  :data:`RESTART_DELAY_S`; a thread that ends anyway (``SystemExit`` in a listener...) makes
  the status say so until :meth:`~EventDelivery.revive` (called by the watcher thread and by
  the engine with each snapshot) starts it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ..core.events import DeviceChange, InputEvent
from .flood import FloodGuard
from .input import InputCounts

log = logging.getLogger(__name__)

EventCallback = Callable[[InputEvent], None]
ChangeCallback = Callable[[DeviceChange], None]

RESTART_DELAY_S = 0.1  # a loop that failed runs again after this (a failure every message
#                        would otherwise spin); the driver's own queue holds what comes meanwhile
FAILURE_SHOWN_S = 30.0  # the status says "failed: ..." this long after the last failure


class EventDelivery:
    """The delivery half of a MIDI input; subclasses provide ``start``, ``stop`` and ports."""

    def __init__(
        self,
        on_event: EventCallback | None,
        on_device_change: ChangeCallback | None,
        queue_size: int,
    ) -> None:
        self.on_event = on_event
        self.on_device_change = on_device_change
        self.received = 0  # messages the driver handed over (each taken, dropped or counted)
        self.overflow = 0  # queue full: events lost
        self.callback_errors = 0  # a listener or a driver callback raised
        self.failures = 0  # failures reported in the status (callback errors, loop restarts)
        self._status = "not started"
        self._failure: tuple[str, float] | None = None  # (status text, monotonic s)
        self._failure_error: BaseException | None = None  # the newest, for the log
        self._logged_failures = 0
        self._queue: deque[InputEvent] = deque()
        self._queue_size = queue_size
        self._counts: dict[str, InputCounts] = {}  # device -> counts, kept across replugs
        self._guards: dict[str, FloodGuard] = {}  # device -> flood limit, kept across replugs
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._loops: dict[str, Callable[[], None]] = {}  # thread name -> its loop
        self._revive_lock = threading.Lock()  # the watcher and the engine may both revive

    def start(self) -> Any:
        """Open the inputs and start the threads (subclasses)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Close everything (subclasses)."""
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- status and counters -------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``"ok: ..."``, why there is no input, ``"stopped"``; ``"failed: <reason>"`` while a
        thread is down or for :data:`FAILURE_SHOWN_S` after a failure."""
        if not self._stop.is_set():
            dead = [thread.name for thread in self._threads if not thread.is_alive()]
            if dead:
                return f"failed: the MIDI input thread {', '.join(dead)} stopped"
        failure = self._failure
        if failure is not None and time.monotonic() - failure[1] < FAILURE_SHOWN_S:
            return failure[0]
        return self._status

    @status.setter
    def status(self, text: str) -> None:
        self._status = text

    @property
    def filtered(self) -> int:
        """Whole messages dropped as off the note path (clock, sysex, sensing, key pressure...)."""
        return sum(sum(counts.filtered.values()) for counts in list(self._counts.values()))

    @property
    def malformed(self) -> int:
        """Byte strings dropped because they were not one whole MIDI message."""
        return sum(counts.malformed for counts in list(self._counts.values()))

    @property
    def flood_dropped(self) -> int:
        """Messages dropped because they came faster than the input takes them: over a
        device's flood limit, or into a full queue (subclasses add their own queues)."""
        return self.overflow + sum(guard.dropped for guard in list(self._guards.values()))

    @property
    def flood_dropped_notes(self) -> int:
        """Of :attr:`flood_dropped`, the notes and pedal changes a flood limit dropped."""
        return sum(guard.dropped_notes for guard in list(self._guards.values()))

    def counts_for(self, device: str) -> InputCounts:
        """The drop counts of ``device`` (made on first use; only its reading thread writes)."""
        counts = self._counts.get(device)
        if counts is None:
            counts = self._counts.setdefault(device, InputCounts())
        return counts

    def guard_for(self, device: str) -> FloodGuard:
        """The flood limit of ``device`` (made on first use; only its reading thread uses it)."""
        guard = self._guards.get(device)
        if guard is None:
            guard = self._guards.setdefault(device, FloodGuard())
        return guard

    # -- delivery (the input's thread) ------------------------------------------------------------
    def drain(self, max_events: int | None = None) -> list[InputEvent]:
        """Take queued events, oldest first (thread-safe; deque pops are atomic)."""
        events: list[InputEvent] = []
        queue = self._queue
        while queue and (max_events is None or len(events) < max_events):
            events.append(queue.popleft())
        return events

    def deliver(self, event: InputEvent) -> None:
        """Hand one event on: ``on_event`` then the bounded queue (the input's thread)."""
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception as error:  # a listener bug must not kill the driver's thread
                self.callback_errors += 1
                self.report_failure(f"handling a {event.kind} from {event.device}", error)
        if self._queue_size <= 0:
            return
        if len(self._queue) >= self._queue_size:
            self.overflow += 1
        else:
            self._queue.append(event)

    def report_failure(
        self, where: str, error: BaseException | None, restarted: bool = False
    ) -> None:
        """Say in the status that ``where`` failed with ``error`` (None: it ended without one).

        Safe in a callback: no I/O, no lock.
        """
        self.failures += 1
        why = f": {type(error).__name__}: {error}" if error is not None else " ended"
        restart = "; restarted" if restarted else ""
        self._failure = (f"failed: {where}{why}{restart}", time.monotonic())
        self._failure_error = error

    # -- threads ---------------------------------------------------------------------------------
    def revive(self) -> list[str]:
        """Start again every thread that ended although the input runs; their names."""
        with self._revive_lock:
            if self._stop.is_set():
                return []
            dead = [thread.name for thread in self._threads if not thread.is_alive()]
            for name in dead:
                log.error("MIDI input thread %s had ended; it starts again", name)
                self._logged_failures += 1
                self.report_failure(f"the MIDI input thread {name}", None, restarted=True)
                self._start_thread(name, self._loops[name])
            return dead

    def _start_thread(self, name: str, loop: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._supervised, args=(name, loop), name=name)
        thread.daemon = True
        self._threads = [t for t in self._threads if t.name != name] + [thread]
        self._loops[name] = loop
        thread.start()

    def _supervised(self, name: str, loop: Callable[[], None]) -> None:
        """Run ``loop`` until the input stops; run it again whenever it raises or returns."""
        while not self._stop.is_set():
            try:
                loop()
            except Exception as error:
                log.exception("MIDI input thread %s failed; it starts again", name)
                self._logged_failures += 1
                self.report_failure(f"the MIDI input thread {name}", error, restarted=True)
            else:
                if self._stop.is_set():
                    return
                log.error("MIDI input thread %s ended on its own; it starts again", name)
                self._logged_failures += 1
                self.report_failure(f"the MIDI input thread {name}", None, restarted=True)
            self._stop.wait(RESTART_DELAY_S)

    def _join_threads(self, timeout_s: float = 5.0) -> None:
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=timeout_s)
        self._threads = []

    def _log_failures(self) -> None:
        """Log failures the callbacks reported since the last call (the watcher's step)."""
        new = self.failures - self._logged_failures
        if new <= 0:
            return
        self._logged_failures = self.failures
        error, failure = self._failure_error, self._failure
        log.error(
            "MIDI input: %d failure(s); the last: %s", new, failure[0] if failure else "?",
            exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        )  # fmt: skip

    def _watch_step(self) -> None:
        """What the watcher thread does besides its own work: log, start dead threads again."""
        self._log_failures()
        self.revive()

    def _notify(self, change: DeviceChange) -> None:
        if self.on_device_change is None:
            return
        try:
            self.on_device_change(change)
        except Exception:
            log.exception("device-change listener failed for %s", change.device)
