"""What every MIDI input shares: handing events to the engine, and device changes to the UI.

Both inputs (python-rtmidi's :class:`~soundness_live.midi.ports.MidiInputs` and the JACK-native
:class:`~soundness_live.midi.jack_input.JackMidiInputs`) deliver the same way: ``on_event``
first (the engine's thru path), then a bounded queue (overflow counted, never unbounded);
``on_device_change`` when a device comes or goes. A listener's bug never stops the input.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .input import DeviceChange, InputEvent

log = logging.getLogger(__name__)

EventCallback = Callable[[InputEvent], None]
ChangeCallback = Callable[[DeviceChange], None]


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
        self.overflow = 0  # queue full: events lost
        self.callback_errors = 0
        self.status = "not started"
        self._queue: deque[InputEvent] = deque()
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._stop = threading.Event()

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
            except Exception:  # a listener bug must not kill the driver's thread
                self.callback_errors += 1
        if len(self._queue) >= self._queue_size:
            self.overflow += 1
        else:
            self._queue.append(event)

    def _notify(self, change: DeviceChange) -> None:
        if self.on_device_change is None:
            return
        try:
            self.on_device_change(change)
        except Exception:
            log.exception("device-change listener failed for %s", change.device)
