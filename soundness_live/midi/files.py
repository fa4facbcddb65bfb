"""Standard MIDI File (type 0 and 1) -> engine events at output frames, through the tempo map.

Every note on/off, program change and control change of every track becomes an engine event
(:mod:`soundness_live.core.events`) placed at ``round(seconds * sample_rate)``, seconds coming from
the file's tempo map (set_tempo meta events of any track, as type 1 files put them on the
conductor track). A note-on with velocity 0 is a note-off. Each event keeps the index and name
of its track, because group sessions name a track after the player who played it.

A file longer than :data:`MAX_LENGTH_S` (2 hours) is refused: its length comes from delta times
and tempos, so a 40-byte file can say "a note in 1.25 million hours" and make ``render`` write
a WAV without end. Anything unreadable is a :class:`~soundness_live.errors.FileFormatError`
that names the file and what was wrong (one line for the CLI), never another exception.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from pathlib import Path

import mido

from ..core.clock import check_sample_rate
from ..core.events import (
    ChannelPressure,
    ControlChange,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
    SynthEvent,
)
from ..errors import FileFormatError, MissingFileError

__all__ = ["MidiPerformance", "TrackedEvent", "read_midi_events", "MAX_LENGTH_S"]

DEFAULT_TEMPO_US = 500_000  # 120 BPM until the file says otherwise
MAX_LENGTH_S = 2 * 3600.0  # longer than any session; a file past it is refused


@dataclass(frozen=True, slots=True)
class TrackedEvent:
    """An engine event and the track it came from."""

    event: SynthEvent
    track: int
    track_name: str


@dataclass(frozen=True)
class MidiPerformance:
    """The playable content of a MIDI file, on the engine's frame axis."""

    path: str
    sample_rate: int
    ticks_per_beat: int
    events: tuple[TrackedEvent, ...]  # in time order; ties keep track, then file, order
    track_names: tuple[str, ...]
    end_frame: int  # frame of the file's last message (end of track included)

    @property
    def duration_s(self) -> float:
        """Length of the file in seconds."""
        return self.end_frame / self.sample_rate

    def synth_events(self) -> list[SynthEvent]:
        """The events alone, in time order."""
        return [tracked.event for tracked in self.events]


class _TempoMap:
    """Ticks -> seconds through the file's set_tempo changes."""

    def __init__(self, changes: list[tuple[int, int]], ticks_per_beat: int) -> None:
        self.ticks = [0]
        self.tempos = [DEFAULT_TEMPO_US]
        self.seconds = [0.0]
        for tick, tempo in sorted(changes, key=lambda change: change[0]):
            elapsed = (tick - self.ticks[-1]) * self.tempos[-1] / (1e6 * ticks_per_beat)
            if tick == self.ticks[-1]:
                self.tempos[-1] = tempo
                continue
            self.ticks.append(tick)
            self.tempos.append(tempo)
            self.seconds.append(self.seconds[-1] + elapsed)
        self.ticks_per_beat = ticks_per_beat

    def seconds_at(self, tick: int) -> float:
        """Seconds from the start of the file to ``tick``."""
        i = bisect.bisect_right(self.ticks, tick) - 1
        return self.seconds[i] + (tick - self.ticks[i]) * self.tempos[i] / (
            1e6 * self.ticks_per_beat
        )


def _open(path: Path) -> mido.MidiFile:
    try:
        midi = mido.MidiFile(str(path), clip=False)
    except FileNotFoundError as exc:
        message = f"{path}: expected a Standard MIDI File, found no such file"
        raise MissingFileError(message) from exc
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FileFormatError(f"{path}: not a readable Standard MIDI File ({_why(exc)})") from exc
    if midi.type == 2:
        raise FileFormatError(f"{path}: MIDI file type 2 (independent sequences) is not supported")
    if not midi.ticks_per_beat or midi.ticks_per_beat <= 0:
        raise FileFormatError(f"{path}: expected ticks per beat > 0 (SMPTE time is not supported)")
    return midi


def _why(exc: Exception) -> str:
    """mido's reason in plain words (its EOFError says nothing; its IndexError is a cut)."""
    if isinstance(exc, EOFError):
        return "the file ends in the middle of its data: cut short"
    if isinstance(exc, IndexError):
        return f"a message in a track is cut short: {exc}"
    text = str(exc)
    if text == "running status without last_status":
        return "data bytes where a status byte was expected (running status with none before)"
    return text or type(exc).__name__


def _convert(message: mido.Message, frame: int, bank: dict[int, int]) -> SynthEvent | None:
    kind = message.type
    if kind == "note_on" and message.velocity > 0:
        return NoteOn(frame, message.channel, message.note, message.velocity)
    if kind in ("note_on", "note_off"):
        return NoteOff(frame, message.channel, message.note)
    if kind == "control_change":
        if message.control == 0:
            bank[message.channel] = message.value
        return ControlChange(frame, message.channel, message.control, message.value)
    if kind == "program_change":
        return ProgramChange(frame, message.channel, message.program, bank.get(message.channel, 0))
    if kind == "pitchwheel":  # mido: -8192..8191 around the centre
        return PitchBend(frame, message.channel, message.pitch + 8192)
    if kind == "aftertouch":
        return ChannelPressure(frame, message.channel, message.value)
    return None


def read_midi_events(path: str | os.PathLike[str], sample_rate: int = 48_000) -> MidiPerformance:
    """Read a type 0/1 Standard MIDI File into engine events at frames of ``sample_rate``."""
    source = Path(path)
    check_sample_rate(sample_rate)
    midi = _open(source)
    absolute: list[list[tuple[int, mido.Message]]] = []
    tempo_changes: list[tuple[int, int]] = []
    names: list[str] = []
    for track in midi.tracks:
        tick, timeline, name = 0, [], ""
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tempo_changes.append((tick, message.tempo))
            elif message.type == "track_name" and not name:
                name = message.name
            timeline.append((tick, message))
        absolute.append(timeline)
        names.append(name)
    tempo = _TempoMap(tempo_changes, midi.ticks_per_beat)
    merged = sorted(
        (tick, number, order, message)
        for number, timeline in enumerate(absolute)
        for order, (tick, message) in enumerate(timeline)
    )
    events: list[TrackedEvent] = []
    bank: dict[int, int] = {}
    end_frame = 0
    for tick, number, _, message in merged:
        frame = int(round(tempo.seconds_at(tick) * sample_rate))
        end_frame = max(end_frame, frame)
        event = _convert(message, frame, bank)
        if event is not None:
            events.append(TrackedEvent(event, number, names[number]))
    _check_length(source, end_frame / sample_rate)
    return MidiPerformance(
        str(source), sample_rate, midi.ticks_per_beat, tuple(events), tuple(names), end_frame
    )


def _check_length(path: Path, length_s: float) -> None:
    if length_s > MAX_LENGTH_S:
        raise FileFormatError(
            f"{path}: expected a MIDI file of at most {MAX_LENGTH_S / 3600:g} hours, got one "
            f"that lasts {_seconds(length_s)} (its delta times and tempos add up to that)"
        )


def _seconds(seconds: float) -> str:
    """``7,200.001 s (2.0 hours)``: exact enough to show how far past the limit."""
    return f"{seconds:,.3f}".rstrip("0").rstrip(".") + f" s ({seconds / 3600:,.1f} hours)"
