"""Engine events: what the renderer plays at a frame, and what reaches the engine from players.

Synth events are placed at absolute output frames (the one time base of the engine): frames
count output samples from the start of the run (frame 0). An :class:`InputEvent` is one
note-path message a player sent, stamped where it arrived and placed on the frame axis once a
:class:`~soundness_live.core.clock.ClockMapping` is known; a :class:`DeviceChange` says that an
input appeared or vanished. The MIDI inputs (:mod:`soundness_live.midi`) make them from the
wire; everything above reads them from here, so the child's side never loads a MIDI library.
Events are frozen dataclasses so they can cross threads and processes safely.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

# the General MIDI drum channel, defined where the activities (below the core) reach it
from ..activities.base import DRUM_CHANNEL as DRUM_CHANNEL
from ..errors import ParameterError
from .clock import ClockMapping


@dataclass(frozen=True, slots=True)
class NoteOn:
    """Start a note at ``frame`` (velocity 1..127)."""

    frame: int
    channel: int
    note: int
    velocity: int


@dataclass(frozen=True, slots=True)
class NoteOff:
    """Release a note at ``frame``."""

    frame: int
    channel: int
    note: int


@dataclass(frozen=True, slots=True)
class ProgramChange:
    """Select ``program`` (0..127) in ``bank`` on ``channel`` from ``frame`` on."""

    frame: int
    channel: int
    program: int
    bank: int = 0


@dataclass(frozen=True, slots=True)
class ControlChange:
    """A MIDI controller change (volume 7, pan 10, expression 11, sustain 64, ...)."""

    frame: int
    channel: int
    control: int
    value: int


@dataclass(frozen=True, slots=True)
class PitchBend:
    """The pitch wheel of ``channel`` at ``value`` (0..16383, 8192 the centre) from ``frame``:
    every note of the channel bends by its sensitivity (RPN 0, 2 semitones after a reset)."""

    frame: int
    channel: int
    value: int


@dataclass(frozen=True, slots=True)
class ChannelPressure:
    """The channel pressure (aftertouch) of ``channel`` at ``value`` (0..127) from ``frame``:
    it deepens the notes' vibrato (SoundFont's default: 50 cents at full pressure)."""

    frame: int
    channel: int
    value: int


@dataclass(frozen=True, slots=True)
class AllNotesOff:
    """Release every note on ``channel`` (None = every channel) with a short fade.

    ``fade_ms`` is the fade length; voices never stop abruptly (no clicks).
    """

    frame: int
    channel: int | None = None
    fade_ms: float = 20.0


@dataclass(frozen=True, slots=True, eq=False)
class PlaySound:
    """Play a prepared sound whole from ``frame``: a spoken or recorded prompt.

    ``samples`` is mono float32 at the output rate, already at its playing level (see
    :func:`prompt_sound`); the renderer mixes it in before the
    output stage, so the volume cap holds for it as for every note. A panic fades it out.
    """

    frame: int
    samples: Any
    name: str = ""


PROMPT_LEVEL_DBFS = -18.0  # a prompt's peak before the output stage: about a sung note's


def prompt_sound(
    frame: int, samples: np.ndarray, name: str = "", level_dbfs: float = PROMPT_LEVEL_DBFS
) -> PlaySound:
    """A sound event for ``samples`` (mono), scaled so its peak is ``level_dbfs``.

    The copy is made here, on the caller's thread, never in the audio callback.
    """
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ParameterError(f"a prompt sound must be mono (1-D), got shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise ParameterError(f"prompt sound {name!r} has samples that are not finite numbers")
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    gain = 10.0 ** (level_dbfs / 20.0) / peak if peak > 0 else 0.0
    return PlaySound(frame, np.ascontiguousarray(audio * np.float32(gain)), name)


SynthEvent = (
    NoteOn
    | NoteOff
    | ProgramChange
    | ControlChange
    | PitchBend
    | ChannelPressure
    | AllNotesOff
    | PlaySound
)
"""What the renderer plays at a frame: the synth's MIDI-like events and prepared sounds."""


EVENT_KINDS = ("note_on", "note_off", "cc", "program", "bend", "pressure")
CLOCKS = ("rtmidi-delta", "arrival", "jack-frame", "virtual", "file")


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One MIDI message from a player that the engine takes, stamped on the monotonic clock.

    ``note`` is the key (note events), the controller number (``cc``), the program (``program``),
    the low 7 bits of the pitch wheel (``bend``) or 0 (``pressure``); ``velocity`` is the velocity
    (note events), the controller value (``cc``), 0 (``program``), the wheel's high 7 bits
    (``bend``: :attr:`bend_value` is the whole 14-bit value) or the channel pressure (``pressure``).
    Only notes are played notes: a bend or a pressure changes how the notes sound and is never
    scored. ``time_s`` is the best timestamp in monotonic seconds and ``clock`` names the clock that
    gave it; ``arrival_s`` is when the message reached Python (kept so stamping methods can be
    compared). ``frame`` is the position on the engine's frame axis,
    filled once a :class:`~soundness_live.core.clock.ClockMapping` is known.
    """

    kind: str
    channel: int
    note: int
    velocity: int
    device: str
    time_s: float
    clock: str
    frame: float | None = None
    raw: bytes | None = None
    arrival_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ParameterError(f"kind must be one of {EVENT_KINDS}, got {self.kind!r}")
        if self.clock not in CLOCKS:
            raise ParameterError(f"clock must be one of {CLOCKS}, got {self.clock!r}")
        if not 0 <= self.channel <= 15:
            raise ParameterError(f"channel must be in range 0..15, got {self.channel}")
        if not (0 <= self.note <= 127 and 0 <= self.velocity <= 127):
            raise ParameterError(
                f"note and velocity must be in range 0..127, got {self.note}, {self.velocity}"
            )

    @property
    def bend_value(self) -> int:
        """A ``bend`` event's pitch wheel position, 0..16383 (8192: the centre)."""
        return self.velocity << 7 | self.note

    def mapped(self, mapping: ClockMapping) -> InputEvent:
        """A copy with ``frame`` placed on the engine's axis through ``mapping``."""
        return dataclasses.replace(self, frame=mapping.frame_at(self.time_s))

    def replace(self, **changes: object) -> InputEvent:
        """A copy with the given fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class DeviceChange:
    """A MIDI input appeared (``connected=True``) or vanished, at monotonic ``time_s``."""

    device: str
    connected: bool
    time_s: float
    reason: str = ""
