"""What the engine needs of a MIDI input, and the watcher that keeps its threads running.

:class:`EngineMidiInput` is the input protocol the engine reads (``MidiInputs`` and
``JackMidiInputs`` follow it, and so must any stand-in: it is checked when the engine is given
one, see :func:`check_midi_input`). :class:`MidiWatcher` starts again, on a thread of its own,
any input thread that ended: not from the engine's snapshot, which runs under the engine's lock
and must not start threads (a ``Thread.start`` that raises would end every state broadcast).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)
WATCH_PERIOD_S = 0.5  # a dead input thread is started again within this
MAX_FAILURE_KINDS = 16  # kinds of the watch's own failure logged; later ones only counted


@runtime_checkable
class EngineMidiInput(Protocol):
    """A running MIDI input as the engine reads it."""

    @property
    def status(self) -> str:
        """``ok: ...``, ``failed: ...`` (a thread ended, a device failed) or why none runs."""
        ...

    @property
    def malformed(self) -> int:
        """Byte strings that were not one whole MIDI message, dropped."""
        ...

    @property
    def flood_dropped(self) -> int:
        """Messages over a device's flood limit or into a full queue, dropped."""
        ...

    @property
    def failures(self) -> int:
        """Failures reported in the status (callbacks that raised, threads started again)."""
        ...

    def revive(self) -> list[str]:
        """Start again every thread that ended although the input runs; their names."""
        ...

    def stop(self) -> None:
        """Stop every thread and release the devices."""
        ...


def check_midi_input(midi: object) -> EngineMidiInput:
    """``midi`` if it follows :class:`EngineMidiInput`; TypeError naming what it lacks."""
    if isinstance(midi, EngineMidiInput):
        return midi
    members = ("status", "malformed", "flood_dropped", "revive", "stop")
    missing = [name for name in members if not hasattr(midi, name)]
    raise TypeError(
        f"a MIDI input needs {', '.join(members)}; {type(midi).__name__} lacks {', '.join(missing)}"
    )


class MidiWatcher:
    """Every :data:`WATCH_PERIOD_S`, starts again the input's threads that ended
    (``midi.revive()``) and calls ``on_revived(names)`` when it did; a failure of its own is
    logged once a kind, counted (``failures``) and the watch goes on."""

    def __init__(
        self,
        midi: EngineMidiInput,
        on_revived: Callable[[list[str]], None],
        period_s: float = WATCH_PERIOD_S,
    ) -> None:
        self.midi = midi
        self.on_revived = on_revived
        self.period_s = period_s
        self.failures = 0
        self._said: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch from now on, on a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="midi-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (the input itself is stopped by its owner)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                revived = self.midi.revive()
                if revived:
                    self.on_revived(revived)
            except Exception as error:
                self.failures += 1
                kind = f"{type(error).__name__}: {error}"
                if kind not in self._said and len(self._said) < MAX_FAILURE_KINDS:
                    self._said.add(kind)
                    log.exception("watching the MIDI input's threads failed; the watch goes on")
