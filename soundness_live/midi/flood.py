"""How much of one device's playing the engine takes in a second; a flood's excess is dropped.

A stuck controller, a bouncing pedal contact or a faulty firmware can send thousands of
messages a second. Each message that reaches the note path costs Python time on the MIDI
thread and a command for the audio callback; past some tens of thousands a second the audio
thread waits for the GIL and under-runs (measured through a JACK loopback: 60,000 control
changes a second gave 338 under-runs in 3 s and lost 6 of 11 notes). So every input device has
a :class:`FloodGuard` that admits at most a rate of messages, the excess dropped at the cost
of a few comparisons and counted where the engine's snapshot reports it.

Two budgets, so a flood of one kind never silences the other (the child's notes keep sounding
while a mod wheel is stuck):

- notes: note-ons (and changes of a switch pedal, 64-69: sustain, portamento, sostenuto,
  soft, legato, hold 2 — gestures like a key), :data:`NOTES_PER_S` a second with bursts of
  :data:`NOTES_BURST`: far above any playing (ten fingers at once, a fast roll of ~30 notes/s);
- controls: every other control change, program change, pitch bend and channel pressure,
  :data:`CONTROLS_PER_S` with bursts of :data:`CONTROLS_BURST` (a whole mod-wheel sweep is
  128 values).

A note-off for a note the guard let sound is never dropped, so the guard itself can never
leave a note stuck; a note-off for a note it did not let through costs the notes budget.
A dropped control change leaves that controller at its previous value until its next message
(a stuck controller is a fault the therapist sees counted). Costs O(1) per message, no
allocation beyond Python's floats: it runs on the input's own thread.
"""

from __future__ import annotations

__all__ = ["FloodGuard", "NOTES_PER_S", "NOTES_BURST", "CONTROLS_PER_S", "CONTROLS_BURST"]

NOTES_PER_S = 1000.0
NOTES_BURST = 500.0
CONTROLS_PER_S = 500.0
CONTROLS_BURST = 500.0
SWITCH_CONTROLLERS = range(64, 70)  # on at >= 64: sustain, portamento, sostenuto, soft, legato


class _Bucket:
    """A token bucket: ``rate_per_s`` tokens a second, at most ``capacity`` saved up."""

    __slots__ = ("rate_per_s", "capacity", "tokens", "last_s", "refused")

    def __init__(self, rate_per_s: float, capacity: float) -> None:
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self.tokens = capacity
        self.last_s: float | None = None
        self.refused = 0

    def take(self, now_s: float) -> bool:
        """Spend one token at ``now_s`` (monotonic s); False when none is left."""
        last_s = self.last_s
        if last_s is not None and now_s > last_s:
            self.tokens = min(self.capacity, self.tokens + (now_s - last_s) * self.rate_per_s)
        if last_s is None or now_s > last_s:
            self.last_s = now_s
        if self.tokens < 1.0:
            self.refused += 1
            return False
        self.tokens -= 1.0
        return True


class FloodGuard:
    """The flood limit of one input device (one instance per port: its thread alone uses it).

    :meth:`admit` says whether a note-path message is taken; :attr:`dropped` counts the
    others, :attr:`dropped_notes` those of them refused by the notes budget.
    """

    def __init__(
        self,
        notes_per_s: float = NOTES_PER_S,
        notes_burst: float = NOTES_BURST,
        controls_per_s: float = CONTROLS_PER_S,
        controls_burst: float = CONTROLS_BURST,
    ) -> None:
        self._notes = _Bucket(notes_per_s, notes_burst)
        self._controls = _Bucket(controls_per_s, controls_burst)
        self._sounding = bytearray(16 * 128)  # note-ons let through, not yet released
        self._switches = bytearray(16 * len(SWITCH_CONTROLLERS))  # pedal states let through

    def admit(self, kind: str, channel: int, number: int, value: int, now_s: float) -> bool:
        """True when the message is taken; False (and counted) when a flood limit drops it.

        ``kind`` is an :class:`~soundness_live.midi.input.InputEvent` kind (``note_on`` with
        a velocity of 0 already turned into ``note_off``), ``number`` the key, controller or
        program, ``value`` the velocity or controller value.
        """
        return self._admitted(kind, channel, number, value, now_s)

    @property
    def dropped(self) -> int:
        """Messages dropped, from either budget."""
        return self._notes.refused + self._controls.refused

    @property
    def dropped_notes(self) -> int:
        """Notes, stray note-offs and pedal changes dropped (the notes budget was spent)."""
        return self._notes.refused

    def _admitted(self, kind: str, channel: int, number: int, value: int, now_s: float) -> bool:
        if kind == "note_off":
            key = channel * 128 + number
            if self._sounding[key]:
                self._sounding[key] = 0
                return True
            return self._notes.take(now_s)
        if kind == "note_on":
            if not self._notes.take(now_s):
                return False
            self._sounding[channel * 128 + number] = 1
            return True
        if kind == "cc" and number in SWITCH_CONTROLLERS:
            return self._switch(channel, number, value, now_s)
        return self._controls.take(now_s)

    def _switch(self, channel: int, controller: int, value: int, now_s: float) -> bool:
        slot = channel * len(SWITCH_CONTROLLERS) + controller - SWITCH_CONTROLLERS.start
        state = 1 if value >= 64 else 0
        if state == self._switches[slot]:  # a repeat changes nothing: a control
            return self._controls.take(now_s)
        if not self._notes.take(now_s):
            return False
        self._switches[slot] = state
        return True
