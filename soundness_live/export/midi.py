"""A Standard MIDI File (type 1) of one session: what the engine played and what each player played.

Tracks: a conductor track (the session title: child code and session id only; a text event
saying what played the session and who ran it, "input: live; therapist MB"; the tempo; a
``marker`` at each trial's start, "Trial 3 call-and-response"), the prompts on "Prompts
(engine)", and each player's responses on their own track, "Responses S-014 (pad-1)", with what
the player played while no activity listened (the session's input events no trial holds).
Whatever the virtual child or a file played is marked SIMULATED: in the title, on its trials'
markers and on a track of its own ("Responses child (virtual-1) SIMULATED").
Onsets in ms become ticks at the file's own tempo: at the defaults (480 ticks per beat, 120 BPM =
500000 us per beat) one tick is 1.04 ms, so every onset lands within 0.53 ms of its recorded
time. Drum notes go on MIDI channel 10 (channel index 9).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from soundness_live.audio.private_file import write_private_bytes
from soundness_live.core.events import DRUM_CHANNEL
from soundness_live.core.provenance import PARTLY, session_simulated, session_words, simulated
from soundness_live.errors import ParameterError

PROMPT_TRACK_NAME = "Prompts (engine)"
DEFAULT_DURATION_MS = 200.0  # for notes recorded without a duration (e.g. a pad hit)
_DRUM_WORDS = ("drum", "pad", "perc")


@dataclass(frozen=True)
class _Note:
    """One note to write, in ticks."""

    start_tick: int
    end_tick: int
    channel: int
    note: int
    velocity: int


def write_session_midi(
    session: Mapping[str, Any],
    out_path: str | os.PathLike[str],
    ticks_per_beat: int = 480,
    tempo_bpm: float = 120,
) -> Path:
    """Write ``session`` (a bundle session) as a type-1 MIDI file at ``out_path``; return it."""
    midi = session_midi(session, ticks_per_beat=ticks_per_beat, tempo_bpm=tempo_bpm)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return write_private_bytes(out_path, buffer.getvalue(), make_folder=True)


def session_midi(
    session: Mapping[str, Any], ticks_per_beat: int = 480, tempo_bpm: float = 120
) -> mido.MidiFile:
    """The :class:`mido.MidiFile` that :func:`write_session_midi` saves."""
    if not 1 <= ticks_per_beat <= 0x7FFF:
        raise ParameterError(f"ticks_per_beat must be in 1..32767, got {ticks_per_beat}")
    if not 3.6 <= tempo_bpm <= 60_000_000:
        raise ParameterError(f"tempo_bpm must be in 3.6..60000000 (a MIDI tempo), got {tempo_bpm}")
    tempo_us = mido.bpm2tempo(tempo_bpm)
    to_tick = _TickConverter(ticks_per_beat, tempo_us)
    trials = list(session.get("trials") or [])
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(_conductor(session, trials, tempo_us, to_tick))
    prompts = [_prompt_note(p, t, to_tick) for t in trials for p in t.get("prompt") or []]
    midi.tracks.append(_note_track(PROMPT_TRACK_NAME, [n for n in prompts if n is not None]))
    between = _played_outside_trials(session.get("events") or [], trials)
    for (player, device, sim), notes in _responses_by_player([*trials, between], to_tick).items():
        name = f"Responses {player} ({device})" + (" SIMULATED" if sim else "")
        midi.tracks.append(_note_track(name, notes))
    return midi


class _TickConverter:
    """ms on the engine axis -> ticks at the file's tempo, rounded to the nearest tick."""

    def __init__(self, ticks_per_beat: int, tempo_us: int) -> None:
        self.ticks_per_ms = ticks_per_beat * 1000.0 / tempo_us

    def __call__(self, time_ms: Any, what: str) -> int:
        if not isinstance(time_ms, (int, float)) or isinstance(time_ms, bool) or time_ms < 0:
            raise ParameterError(f"{what}: expected a time in ms >= 0, got {time_ms!r}")
        return round(time_ms * self.ticks_per_ms)


def _conductor(
    session: Mapping[str, Any], trials: list[Mapping[str, Any]], tempo_us: int, to_tick: Any
) -> mido.MidiTrack:
    """Title (code + session id), what played it and who ran it, tempo, 4/4, and one marker
    per trial start."""
    title = f"{session.get('child_code', '')} session {session.get('id', '')}".strip()
    mark = session_simulated(session.get("input"), trials)
    title += " SIMULATED" if mark is True else " PART SIMULATED" if mark == PARTLY else ""
    played = f"input: {session_words(session.get('input'), trials)}"
    if session.get("therapist"):
        played += f"; therapist {session['therapist']}"
    timed: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=_latin1(title))),
        (0, 0, mido.MetaMessage("text", text=_latin1(played))),
        (0, 0, mido.MetaMessage("set_tempo", tempo=tempo_us)),
        (0, 0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    for trial in trials:
        start_ms = _trial_start_ms(trial)
        if start_ms is not None:
            text = f"Trial {trial.get('index')} {trial.get('activity', '')}".strip()
            text += " SIMULATED" if trial.get("simulated") is True else ""
            tick = to_tick(start_ms, f"trial {trial.get('index')} start_ms")
            timed.append((tick, 1, mido.MetaMessage("marker", text=_latin1(text))))
    return _track(timed)


def _latin1(text: str) -> str:
    """``text`` with characters a MIDI text event cannot carry (mido writes Latin-1) as "?"."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _trial_start_ms(trial: Mapping[str, Any]) -> float | None:
    """The trial's start_ms, else its first prompt or response onset, else None."""
    if trial.get("start_ms") is not None:
        return float(trial["start_ms"])
    onsets = [n["onset_ms"] for n in [*trial.get("prompt", []), *trial.get("responses", [])]]
    return min(onsets) if onsets else None


def _is_drum_trial(trial: Mapping[str, Any]) -> bool:
    """A trial whose prompts are all drums, or whose variant names drums."""
    channels = [p.get("channel") for p in trial.get("prompt") or [] if "note" in p]
    if channels and all(channel == DRUM_CHANNEL for channel in channels):
        return True
    return any(word in str(trial.get("variant", "")).lower() for word in _DRUM_WORDS)


def _make_note(
    entry: Mapping[str, Any], pitch: Any, default_channel: int, to_tick: Any, what: str
) -> _Note:
    """A note in ticks from a prompt or response entry; checks pitch, velocity and channel
    (``default_channel`` where the entry names none, or null)."""
    if not isinstance(pitch, int) or isinstance(pitch, bool) or not 0 <= pitch <= 127:
        raise ParameterError(f"{what}: expected a MIDI note 0..127, got {pitch!r}")
    channel = entry.get("channel")
    channel = default_channel if channel is None else channel
    if not isinstance(channel, int) or isinstance(channel, bool) or not 0 <= channel <= 15:
        raise ParameterError(f"{what}: expected a MIDI channel 0..15, got {channel!r}")
    start = to_tick(entry.get("onset_ms"), f"{what} onset_ms")
    duration_ms = entry.get("duration_ms")
    length = to_tick(DEFAULT_DURATION_MS if duration_ms is None else duration_ms, what)
    velocity = min(127, max(1, int(entry.get("velocity") or 100)))
    return _Note(start, start + max(1, length), channel, pitch, velocity)


def _prompt_note(prompt: Mapping[str, Any], trial: Mapping[str, Any], to_tick: Any) -> _Note | None:
    """The note of one prompt entry, or None for an entry without a note (e.g. "stop")."""
    if prompt.get("note") is None:
        return None
    default_channel = DRUM_CHANNEL if _is_drum_trial(trial) else 0
    what = f"trial {trial.get('index')} prompt"
    return _make_note(prompt, prompt["note"], default_channel, to_tick, what)


def _responses_by_player(
    trials: Iterable[Mapping[str, Any]], to_tick: Any
) -> dict[tuple[str, str, bool], list[_Note]]:
    """Response notes grouped by (player, device, simulated), in order of first appearance."""
    groups: dict[tuple[str, str, bool], list[_Note]] = {}
    for trial in trials:
        drum_trial = _is_drum_trial(trial)
        for response in trial.get("responses") or []:
            device = str(response.get("device") or "unknown device")
            drum = drum_trial or any(word in device.lower() for word in _DRUM_WORDS)
            channel = DRUM_CHANNEL if drum else 0  # where the response names none
            pitch = response.get("sounded_note")
            pitch = response.get("note") if pitch is None else pitch
            note = _make_note(response, pitch, channel, to_tick, f"trial {trial.get('index')}")
            sim = bool(response.get("simulated", trial.get("simulated")) is True)
            key = (str(response.get("player") or "player"), device, sim)
            groups.setdefault(key, []).append(note)
    return groups


def _played_outside_trials(
    events: Iterable[Mapping[str, Any]], trials: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The notes of the session's input events that no trial holds (played while no activity
    listened), as the responses of one pseudo-trial; a note's length comes from its note-off."""
    in_trials = {
        (r.get("device"), r.get("note"), round(float(r["onset_ms"]), 3))
        for trial in trials
        for r in trial.get("responses") or []
    }
    played: list[dict[str, Any]] = []
    sounding: dict[tuple[Any, Any], dict[str, Any] | None] = {}  # None: a trial's own note
    for event in sorted(events, key=lambda e: float(e["onset_ms"])):
        key, onset = (event.get("device"), event.get("note")), float(event["onset_ms"])
        if event.get("kind") == "note_on" and (*key, round(onset, 3)) in in_trials:
            sounding[key] = None  # its note-off ends the trial's note, not one played before
        elif event.get("kind") == "note_on":
            note = {name: event.get(name) for name in ("note", "velocity", "device", "player")}
            note.update(onset_ms=onset, duration_ms=None, simulated=simulated(event.get("input")))
            if event.get("channel") is not None:
                note["channel"] = event["channel"]
            played.append(note)
            sounding[key] = note
        elif event.get("kind") == "note_off" and key in sounding:
            held = sounding.pop(key)
            if held is not None:
                held["duration_ms"] = onset - held["onset_ms"]
    return {"index": "between activities", "responses": played}


def _note_track(name: str, notes: list[_Note]) -> mido.MidiTrack:
    """A named track of ``notes``; a note ends no later than the next onset of the same key."""
    notes = sorted(notes, key=lambda n: (n.start_tick, n.channel, n.note))
    timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=_latin1(name)))
    ]
    next_start: dict[tuple[int, int], int] = {}
    for note in reversed(notes):
        key = (note.channel, note.note)
        if next_start.get(key) == note.start_tick:
            continue  # the same key struck twice in one tick sounds once
        end = min(note.end_tick, next_start.get(key, note.end_tick))
        next_start[key] = note.start_tick
        on = mido.Message("note_on", channel=note.channel, note=note.note, velocity=note.velocity)
        off = mido.Message("note_off", channel=note.channel, note=note.note, velocity=0)
        # At equal ticks note-offs (order 1) go before note-ons (order 2): a repeat is not cut.
        timed += [(note.start_tick, 2, on), (max(end, note.start_tick), 1, off)]
    return _track(timed)


def _track(timed: list[tuple[int, int, Any]]) -> mido.MidiTrack:
    """A track from (absolute tick, order, message) triples, with delta times and end of track."""
    track = mido.MidiTrack()
    now = 0
    for tick, _, message in sorted(timed, key=lambda item: (item[0], item[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
