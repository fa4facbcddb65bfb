"""Typed MIDI input events, conversion from raw MIDI bytes, and the per-port timestamp rule.

Everything a player does reaches the engine as an
:class:`~soundness_live.core.events.InputEvent`: the note path (note on/off, control change,
program change) and the two channel messages that shape how a note sounds, the pitch wheel
(``bend``) and channel pressure (``pressure``): a child's keyboard bends and swells its notes
as it would through any synth. Only note-ons and note-offs are played notes the activities
score (:mod:`soundness_live.live.input`); a bend or a pressure only sounds. Raw bytes are read
at the edge by :func:`~soundness_live.midi.wire.message_type` and turned into our own frozen
records; system messages (sysex, clock 0xF8, active sensing 0xFE, start/stop, song
position...) and polyphonic key pressure (no default SoundFont route) are dropped and counted
in :class:`InputCounts`, and so are bytes that are not one whole MIDI message (``malformed``):
whatever a device sends, conversion never raises. A :class:`~.flood.FloodGuard` given to
:func:`convert_message` drops (and counts) what a flood sends beyond its limits.

The record says which clock stamped it (``clock``):

- ``"rtmidi-delta"``: python-rtmidi's per-message delta times, accumulated by
  :class:`DeltaStamper` (about twice as precise as arrival time through JACK);
- ``"arrival"``: the monotonic clock read when the message reached Python;
- ``"jack-frame"``: a JACK frame time read inside a JACK process callback (exact);
- ``"virtual"``: a scripted player on a simulated or replayed clock (:mod:`.fake`);
- ``"file"``: read from a Standard MIDI File.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.events import InputEvent
from .flood import FloodGuard
from .wire import message_type

_NOTE_PATH = {  # message type -> InputEvent kind
    "note_on": "note_on",
    "note_off": "note_off",
    "control_change": "cc",
    "program_change": "program",
    "pitchwheel": "bend",  # note: the low 7 bits, velocity: the high 7 (as on the wire)
    "aftertouch": "pressure",  # note: 0, velocity: the pressure
}


@dataclass
class InputCounts:
    """Messages dropped from the note path: by type (``clock``, ``sysex``...) in ``filtered``,
    and bytes that were not one whole MIDI message in ``malformed``.

    One instance per device: only the thread reading that device writes it.
    """

    filtered: dict[str, int] = field(default_factory=dict)
    malformed: int = 0

    def count(self, kind: str) -> None:
        """Count one dropped message of type ``kind``."""
        self.filtered[kind] = self.filtered.get(kind, 0) + 1

    @property
    def total(self) -> int:
        """Every message dropped, malformed ones included."""
        return sum(self.filtered.values()) + self.malformed


def convert_message(
    data: Sequence[int],
    device: str,
    time_s: float,
    clock: str,
    counts: InputCounts | None = None,
    *,
    arrival_s: float | None = None,
    frame: float | None = None,
    keep_raw: bool = False,
    guard: FloodGuard | None = None,
) -> InputEvent | None:
    """Convert raw MIDI bytes into an :class:`InputEvent`, or None when the engine does not
    take that message (see the module's docstring).

    A note-on with velocity 0 becomes a note-off (running-status keyboards send those).
    Dropped and malformed messages are counted in ``counts`` when given; a ``guard`` drops
    (and counts) what comes beyond its flood limits. Never raises for any bytes.
    """
    message = read_message(data, counts, guard, time_s)
    if message is None:
        return None
    kind, channel, number, value = message
    raw = bytes(data) if keep_raw else None
    return InputEvent(
        kind, channel, number, value, device, time_s, clock, frame=frame, raw=raw,
        arrival_s=arrival_s,
    )  # fmt: skip


NoteMessage = tuple[str, int, int, int]  # kind, channel, number, value: InputEvent's fields


def read_message(
    data: Sequence[int],
    counts: InputCounts | None = None,
    guard: FloodGuard | None = None,
    now_s: float = 0.0,
) -> NoteMessage | None:
    """The fields of an :class:`InputEvent` from raw MIDI bytes, or None (counted) when
    dropped.

    The cheap half of :func:`convert_message`, so an input can drop a flood's excess before
    it does any further work for a message (``now_s``: the guard's clock).
    """
    name = message_type(data)
    if name is None:
        if counts is not None:
            counts.malformed += 1
        return None
    kind = _NOTE_PATH.get(name)
    if kind is None:
        if counts is not None:
            counts.count(name)
        return None
    channel, number = data[0] & 0x0F, data[1]
    value = data[2] if len(data) > 2 else 0  # a program change has no second data byte
    if kind == "pressure":
        number, value = 0, number
    if kind == "note_on" and value == 0:
        kind = "note_off"
    if guard is not None and not guard.admit(kind, channel, number, value, now_s):
        return None
    return kind, channel, number, value


class DeltaStamper:
    """Turns python-rtmidi's per-message delta times into monotonic timestamps for one port.

    The rule: ``stamp = previous stamp + delta``, anchored at the first message to its
    arrival time. Arrival is always later than the true time (delivery takes between zero
    and about one driver period), so:

    - a stamp *ahead* of its arrival time is impossible: the anchor was a late delivery, so
      re-anchor to this arrival (stamps only ever move earlier this way, towards the fastest
      delivery seen);
    - a stamp *behind* its arrival by more than ``drift_tolerance_s`` on every message of the
      last ``window_s`` (at least ``min_messages`` of them, and a full window since the last
      anchor) means the delta clock runs slow against the monotonic clock or deltas were lost
      (a driver queue overflowed): shift the anchor forward by the smallest lag in the window.
      One late delivery after a pause never moves the anchor.

    Any re-anchor is counted in ``reanchors``. Cost per message is O(1) amortised (a sliding
    window minimum), so a MIDI flood stays cheap.
    """

    def __init__(
        self, drift_tolerance_s: float = 0.005, window_s: float = 2.0, min_messages: int = 8
    ) -> None:
        self.drift_tolerance_s = drift_tolerance_s
        self.window_s = window_s
        self.min_messages = min_messages
        self.reanchors = 0
        self._stamp_s: float | None = None
        self._anchor_s = 0.0
        self._minima: deque[tuple[float, float]] = deque()  # (arrival_s, lag_s), lags rising
        self._arrivals: deque[float] = deque()

    def stamp(self, delta_s: float, arrival_s: float) -> float:
        """Timestamp (monotonic s) of a message that arrived at ``arrival_s``."""
        if self._stamp_s is None:
            return self._reanchor(arrival_s, first=True)
        stamp_s = self._stamp_s + delta_s
        if stamp_s > arrival_s:
            return self._reanchor(arrival_s)
        stamp_s += self._drift_correction(arrival_s, arrival_s - stamp_s)
        self._stamp_s = stamp_s
        return stamp_s

    def _reanchor(self, arrival_s: float, first: bool = False) -> float:
        self.reanchors += 0 if first else 1
        self._anchor_s = arrival_s
        self._minima.clear()
        self._arrivals.clear()
        self._stamp_s = arrival_s
        return arrival_s

    def _drift_correction(self, arrival_s: float, lag_s: float) -> float:
        minima, arrivals = self._minima, self._arrivals
        while minima and minima[-1][1] >= lag_s:
            minima.pop()
        minima.append((arrival_s, lag_s))
        arrivals.append(arrival_s)
        while arrival_s - minima[0][0] > self.window_s:
            minima.popleft()
        while arrival_s - arrivals[0] > self.window_s:
            arrivals.popleft()
        full_window = arrival_s - self._anchor_s >= self.window_s
        smallest_s = minima[0][1]
        if not full_window or len(arrivals) < self.min_messages:
            return 0.0
        if smallest_s <= self.drift_tolerance_s:
            return 0.0
        self.reanchors += 1
        self._anchor_s = arrival_s
        minima.clear()
        arrivals.clear()
        return smallest_s
