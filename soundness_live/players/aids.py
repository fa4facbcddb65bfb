"""Playing aids: what a key press sounds like, per device (pure core: no device, no clock).

A child's keyboard can be scale-locked, transposed, given a gentle velocity curve, and
given a minimum note length. :meth:`PlayingAids.apply` returns both what was *played* (the
original event, for scoring) and what *sounds* (for the synth), so the record keeps the two.

Scale lock, two documented mappings (both monotonic: a higher key never sounds lower):

- ``"snap_down"`` (default): a key outside the scale sounds the nearest scale note below it.
  Keys keep their place on the keyboard (a C on the keyboard is a C), neighbours may share a
  note (C and C# both play C in C major).
- ``"degree"``: key index -> scale degree. Counting keys from the tonic at or below middle C,
  the n-th key plays the n-th scale note, so every key sounds a different scale note and
  adjacent keys (white or black) are adjacent scale degrees; the scale spreads wider than
  the keyboard (five keys span a pentatonic octave).

Order of aids: scale lock, then transpose (clamped to 0..127), then velocity curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.events import InputEvent
from ..errors import ParameterError

SCALES: dict[str, tuple[int, ...]] = {
    "chromatic": tuple(range(12)),
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}
SCALE_MODES = ("snap_down", "degree")
MIDDLE_C = 60


@dataclass(frozen=True, slots=True)
class AidSettings:
    """The aids for one device. ``scale=None`` turns the scale lock off.

    ``key`` is the tonic pitch class (0 = C .. 11 = B). The velocity curve maps played
    velocity v (1..127) to ``floor + (ceiling - floor) * (v / 127) ** gamma``: gamma < 1
    lifts soft playing (weak hands still sound), the ceiling keeps heavy hitters from
    blasting. ``min_note_ms`` delays a note-off that comes sooner than that after its note-on.
    """

    scale: str | None = None
    key: int = 0
    scale_mode: str = "snap_down"
    transpose_semitones: int = 0
    velocity_floor: int = 1
    velocity_ceiling: int = 127
    velocity_gamma: float = 1.0
    min_note_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.scale is not None and self.scale not in SCALES:
            raise ParameterError(
                f"scale must be one of {sorted(SCALES)} or None, got {self.scale!r}"
            )
        if self.scale_mode not in SCALE_MODES:
            raise ParameterError(
                f"scale_mode must be one of {SCALE_MODES}, got {self.scale_mode!r}"
            )
        if not 0 <= self.key <= 11:
            raise ParameterError(f"key must be a pitch class 0..11, got {self.key}")
        if not -48 <= self.transpose_semitones <= 48:
            raise ParameterError(
                f"transpose_semitones must be in -48..48, got {self.transpose_semitones}"
            )
        if not 1 <= self.velocity_floor <= self.velocity_ceiling <= 127:
            raise ParameterError(
                "velocity_floor and velocity_ceiling must satisfy 1 <= floor <= ceiling <= 127, "
                f"got {self.velocity_floor}, {self.velocity_ceiling}"
            )
        if not 0.1 <= self.velocity_gamma <= 10.0:
            raise ParameterError(f"velocity_gamma must be in 0.1..10, got {self.velocity_gamma}")
        if not 0.0 <= self.min_note_ms <= 5000.0:
            raise ParameterError(f"min_note_ms must be in 0..5000 ms, got {self.min_note_ms}")


def scale_note(note: int, scale: str, key: int, mode: str = "snap_down") -> int:
    """The note a key sounds under a scale lock (unclamped; see the module doc for the modes)."""
    steps = SCALES[scale]
    if mode == "degree":
        tonic = MIDDLE_C - (MIDDLE_C - key) % 12
        octave, degree = divmod(note - tonic, len(steps))
        return tonic + 12 * octave + steps[degree]
    octave, pitch_class = divmod(note - key, 12)
    below = max(step for step in steps if step <= pitch_class)
    return key + 12 * octave + below


def curve_velocity(velocity: int, floor: int, ceiling: int, gamma: float) -> int:
    """Velocity through the floor/ceiling gamma curve (1..127 in, floor..ceiling out)."""
    shaped = floor + (ceiling - floor) * (velocity / 127.0) ** gamma
    return max(floor, min(ceiling, int(round(shaped))))


@dataclass(frozen=True, slots=True)
class AidResult:
    """What was played (for scoring) and what sounds (zero or more events for the synth).

    A note-off delayed by ``min_note_ms`` sounds later: its ``time_s`` and ``frame`` are moved
    to the end of the minimum length, so the engine schedules it at that frame.
    """

    played: InputEvent
    sounding: tuple[InputEvent, ...]


@dataclass(slots=True)
class _Held:
    sounding_note: int
    on_time_s: float
    on_frame: float | None


@dataclass
class PlayingAids:
    """The aids of one device, with the notes it holds (so note-offs match their note-ons)."""

    settings: AidSettings = field(default_factory=AidSettings)
    sample_rate: int = 48_000
    _held: dict[tuple[int, int], _Held] = field(default_factory=dict)
    _sounding_count: dict[tuple[int, int], int] = field(default_factory=dict)

    def apply(self, event: InputEvent) -> AidResult:
        """Apply the aids to one input event."""
        if event.kind == "note_on":
            return AidResult(event, (self._note_on(event),))
        if event.kind == "note_off":
            return AidResult(event, self._note_off(event))
        return AidResult(event, (event,))

    def sounding_note(self, note: int) -> int:
        """The note key ``note`` sounds with the current settings (scale, transpose, clamp)."""
        s = self.settings
        if s.scale is not None:
            note = scale_note(note, s.scale, s.key, s.scale_mode)
        return max(0, min(127, note + s.transpose_semitones))

    def _note_on(self, event: InputEvent) -> InputEvent:
        s = self.settings
        note = self.sounding_note(event.note)
        self._held[(event.channel, event.note)] = _Held(note, event.time_s, event.frame)
        key = (event.channel, note)
        self._sounding_count[key] = self._sounding_count.get(key, 0) + 1
        velocity = curve_velocity(
            event.velocity, s.velocity_floor, s.velocity_ceiling, s.velocity_gamma
        )
        return event.replace(note=note, velocity=velocity)

    def _note_off(self, event: InputEvent) -> tuple[InputEvent, ...]:
        held = self._held.pop((event.channel, event.note), None)
        if held is None:  # its note-on came before these aids: release what it sounds now
            return (event.replace(note=self.sounding_note(event.note)),)
        key = (event.channel, held.sounding_note)
        remaining = self._sounding_count.get(key, 1) - 1
        if remaining > 0:  # another held key sounds the same note: keep it sounding
            self._sounding_count[key] = remaining
            return ()
        self._sounding_count.pop(key, None)
        off = event.replace(note=held.sounding_note)
        min_s = self.settings.min_note_ms / 1000.0
        if event.time_s - held.on_time_s >= min_s:
            return (off,)
        frame = None if held.on_frame is None else held.on_frame + min_s * self.sample_rate
        return (off.replace(time_s=held.on_time_s + min_s, frame=frame),)
