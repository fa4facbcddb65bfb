"""Engine events placed at absolute output frames (the one time base of the engine).

Frames count output samples from the start of the run (frame 0). Events are frozen
dataclasses so they can cross threads and processes safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DRUM_CHANNEL = 9  # MIDI channel 10, zero-based: General MIDI drums (bank 128)


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
    :func:`soundness_live.synth.sounds.prompt_sound`); the renderer mixes it in before the
    output stage, so the volume cap holds for it as for every note. A panic fades it out.
    """

    frame: int
    samples: Any
    name: str = ""


SynthEvent = NoteOn | NoteOff | ProgramChange | ControlChange | AllNotesOff | PlaySound
"""What the renderer plays at a frame: the synth's MIDI-like events and prepared sounds."""


def check_event(event: SynthEvent) -> SynthEvent:
    """Return ``event`` unchanged, or raise ParameterError naming the bad field."""
    from ..errors import ParameterError

    if event.frame < 0:
        raise ParameterError(f"frame must be >= 0, got {event.frame}")
    channel = getattr(event, "channel", 0)
    if channel is not None and not 0 <= channel <= 15:
        raise ParameterError(f"channel must be in range 0..15, got {channel}")
    for name in ("note", "velocity", "program", "control", "value"):
        value = getattr(event, name, None)
        if value is not None and not 0 <= value <= 127:
            raise ParameterError(f"{name} must be in range 0..127, got {value}")
    if isinstance(event, PlaySound):
        shape, dtype = getattr(event.samples, "shape", None), getattr(event.samples, "dtype", None)
        if shape is None or len(shape) != 1 or str(dtype) != "float32":
            raise ParameterError(
                f"a sound's samples must be a mono float32 array, got shape {shape} of {dtype}"
            )
    return event
