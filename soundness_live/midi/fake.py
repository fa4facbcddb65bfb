"""Scripted MIDI input, replayed as if a player were at the keys (tests, demo, no hardware).

:class:`ScriptedInput` has the surface of :class:`~soundness_live.midi.ports.MidiInputs`
(``start``/``stop``/``drain``/``status``/``ports``/``on_event``) and runs in two ways:

- simulated clock: the caller advances time and takes what is due with :meth:`due` — exactly
  repeatable, used with the offline renderer;
- live: :meth:`start` replays on a thread against the monotonic clock; each event is stamped
  with its intended time (``clock="virtual"``), and ``arrival_s`` keeps when it was delivered.
  As with a real input, a listener that raises is counted (``callback_errors``) and named in
  ``status`` (``"failed: ..."``); the replay goes on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core.clock import ClockMapping
from ..core.events import InputEvent
from ..errors import ParameterError

VIRTUAL_DEVICE = "virtual keyboard"


@dataclass(frozen=True, slots=True)
class ScriptedNote:
    """One note of a script: onset ``at_s`` seconds after the script starts, held ``duration_s``."""

    at_s: float
    note: int
    velocity: int = 96
    duration_s: float = 0.2
    channel: int = 0
    device: str = VIRTUAL_DEVICE

    def __post_init__(self) -> None:
        if self.at_s < 0 or self.duration_s < 0:
            raise ParameterError(
                f"at_s and duration_s must be >= 0 s, got {self.at_s}, {self.duration_s}"
            )
        if not 1 <= self.velocity <= 127:
            raise ParameterError(f"velocity must be in range 1..127, got {self.velocity}")


def script_events(notes: Iterable[ScriptedNote]) -> list[InputEvent]:
    """Note-on/note-off events of ``notes`` in time order (script time, ``clock="virtual"``).

    At equal times a note-off comes before a note-on, so a repeated note re-strikes cleanly.
    """
    events: list[tuple[float, int, InputEvent]] = []
    for n in notes:
        on = InputEvent("note_on", n.channel, n.note, n.velocity, n.device, n.at_s, "virtual")
        off_s = n.at_s + n.duration_s
        off = InputEvent("note_off", n.channel, n.note, 0, n.device, off_s, "virtual")
        events += [(n.at_s, 1, on), (off_s, 0, off)]
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in events]


class ScriptedInput:
    """Replays ``events`` (times in seconds from the script's start) as live input."""

    def __init__(
        self,
        events: Iterable[InputEvent],
        on_event: Callable[[InputEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        mapping: Callable[[], ClockMapping | None] | None = None,
    ) -> None:
        self.on_event = on_event
        self.clock = clock
        self.mapping = mapping
        self.status = "ok: scripted input"
        self.callback_errors = 0
        self._script = sorted(events, key=lambda e: e.time_s)
        self._next = 0
        self._queue: deque[InputEvent] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        """Always True: a script needs no MIDI system."""
        return True

    @property
    def ports(self) -> list[str]:
        """The devices named in the script."""
        return sorted({event.device for event in self._script})

    @property
    def finished(self) -> bool:
        """True once every scripted event was delivered."""
        return self._next >= len(self._script)

    def due(self, until_s: float, start_s: float = 0.0) -> list[InputEvent]:
        """Deliver (and return) every event up to script time ``until_s`` (simulated clock).

        Events are stamped ``start_s + script time``; ``mapping()``, when given, fills frames.
        """
        delivered = []
        while not self.finished and self._script[self._next].time_s <= until_s:
            event = self._stamped(self._script[self._next], start_s, None)
            self._next += 1
            self._deliver(event)
            delivered.append(event)
        return delivered

    def start(self) -> ScriptedInput:
        """Replay the script on a thread, in real time from now."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._replay, name="scripted-midi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop a live replay."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> ScriptedInput:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def drain(self, max_events: int | None = None) -> list[InputEvent]:
        """Take delivered events, oldest first."""
        events: list[InputEvent] = []
        while self._queue and (max_events is None or len(events) < max_events):
            events.append(self._queue.popleft())
        return events

    def _stamped(self, event: InputEvent, start_s: float, arrival_s: float | None) -> InputEvent:
        time_s = start_s + event.time_s
        mapping = self.mapping() if self.mapping is not None else None
        frame = mapping.frame_at(time_s) if mapping is not None else None
        arrival_s = time_s if arrival_s is None else arrival_s
        return event.replace(time_s=time_s, frame=frame, arrival_s=arrival_s)

    def _deliver(self, event: InputEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)
        self._queue.append(event)

    def _replay(self) -> None:
        start_s = self.clock()
        while not self.finished:
            event = self._script[self._next]
            wait_s = start_s + event.time_s - self.clock()
            if wait_s > 0 and self._stop.wait(wait_s):
                return
            if self._stop.is_set():
                return
            self._next += 1
            stamped = self._stamped(event, start_s, self.clock())
            try:
                self._deliver(stamped)
            except Exception as error:  # the listener's: the replay thread goes on
                self.callback_errors += 1
                self.status = (
                    f"failed: handling a {stamped.kind} from {stamped.device}: "
                    f"{type(error).__name__}: {error}"
                )
                self._queue.append(stamped)
