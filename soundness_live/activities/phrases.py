"""Call phrases for call-and-response: built-in banks by difficulty, and import from MIDI files.

A phrase is a tuple of :class:`PhraseNote` in beats. Difficulty level = how many notes and how
varied the rhythm is. Drum phrases use General MIDI drum notes (kick 36, snare 38, hi-hat 42,
toms 45/48, clap 39); melodic phrases use C major pentatonic around middle C.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError

KICK, SNARE, CLAP, HAT, LOW_TOM, HIGH_TOM = 36, 38, 39, 42, 45, 48

#: The longest call the activity plays or takes from the therapist (the built-in bank goes to
#: 8). Echoing more is beyond a turn-taking game, and it bounds the echo alignment's work: for
#: a 10-note call and a 24-note echo the worst case measured 24 ms CPU per trial on a busy
#: 2-core machine, for 12 notes 38 ms (``soundness-live bench scoring``; target 50 ms).
MAX_CALL_NOTES = 10


@dataclass(frozen=True, slots=True)
class PhraseNote:
    """One note of a phrase: onset and length in beats, MIDI note, velocity."""

    beat: float
    note: int
    length_beats: float = 0.5
    velocity: int = 100


Phrase = tuple[PhraseNote, ...]


def _drums(*pairs: tuple[float, int]) -> Phrase:
    return tuple(
        PhraseNote(beat, note, 0.5, 110 if i == 0 else 96) for i, (beat, note) in enumerate(pairs)
    )


def _melody(*pairs: tuple[float, int]) -> Phrase:
    return tuple(PhraseNote(beat, note, 0.9, 96) for beat, note in pairs)


DRUM_BANK: dict[int, tuple[Phrase, ...]] = {
    1: (_drums((0, KICK)), _drums((0, SNARE))),
    2: (
        _drums((0, KICK), (1, SNARE)),
        _drums((0, SNARE), (1, SNARE)),
        _drums((0, KICK), (1, KICK)),
    ),
    3: (
        _drums((0, KICK), (1, SNARE), (2, SNARE)),  # boom-tap-tap
        _drums((0, KICK), (1, KICK), (2, SNARE)),
        _drums((0, SNARE), (0.5, SNARE), (1, KICK)),
    ),
    4: (
        _drums((0, KICK), (1, SNARE), (2, KICK), (3, SNARE)),
        _drums((0, KICK), (0.5, KICK), (1, SNARE), (2, SNARE)),
        _drums((0, HIGH_TOM), (1, LOW_TOM), (2, KICK), (3, CLAP)),
    ),
    5: (
        _drums((0, KICK), (1, SNARE), (1.5, SNARE), (2, KICK), (3, SNARE)),
        _drums((0, KICK), (0.5, HAT), (1, SNARE), (2, KICK), (2.5, KICK)),
    ),
    6: (
        _drums((0, KICK), (0.5, KICK), (1, SNARE), (2, HIGH_TOM), (2.5, LOW_TOM), (3, KICK)),
        _drums((0, SNARE), (0.5, SNARE), (1, KICK), (1.5, SNARE), (2, KICK), (3, CLAP)),
    ),
    7: (
        _drums(
            (0, KICK), (0.5, SNARE), (1, SNARE), (1.5, KICK), (2, KICK), (2.5, SNARE), (3, CLAP)
        ),
    ),
    8: (
        _drums(
            (0, KICK),
            (0.5, HAT),
            (1, SNARE),
            (1.5, HAT),
            (2, KICK),
            (2.5, KICK),
            (3, SNARE),
            (3.5, CLAP),
        ),
    ),
}

C, D, E, G, A = 60, 62, 64, 67, 69
MELODY_BANK: dict[int, tuple[Phrase, ...]] = {
    1: (_melody((0, G)), _melody((0, C))),
    2: (_melody((0, G), (1, E)), _melody((0, C), (1, G))),  # the "cuckoo" falling third first
    3: (_melody((0, G), (1, E), (2, G)), _melody((0, C), (1, D), (2, E))),
    4: (_melody((0, C), (1, D), (2, E), (3, G)), _melody((0, G), (1, A), (2, G), (3, E))),
    5: (
        _melody((0, C), (1, E), (2, G), (3, E), (4, C)),
        _melody((0, G), (0.5, G), (1, A), (2, G), (3, E)),
    ),
    6: (_melody((0, C), (0.5, D), (1, E), (2, G), (3, A), (4, G)),),
    7: (_melody((0, E), (0.5, D), (1, C), (2, D), (3, E), (3.5, E), (4, E)),),
    8: (_melody((0, G), (0.5, E), (1, A), (2, G), (2.5, E), (3, D), (3.5, E), (4, C)),),
}


def bank_for(variant: str) -> dict[int, tuple[Phrase, ...]]:
    """The built-in bank for a call-and-response variant."""
    return MELODY_BANK if variant == "melodic" else DRUM_BANK


def pick(bank: dict[int, tuple[Phrase, ...]], level: int, rng: random.Random) -> Phrase:
    """A phrase of difficulty ``level`` (clamped to the bank's levels), chosen by ``rng``."""
    levels = sorted(bank)
    level = min(max(level, levels[0]), levels[-1])
    return rng.choice(bank[level])


def phrases_from_midi(path: Path, *, rest_beats: float = 1.5) -> dict[int, tuple[Phrase, ...]]:
    """Split a MIDI file's notes into phrases at rests of ``rest_beats`` or more.

    Each phrase's level is its number of notes (capped at 8). Returns a bank like the built-ins.
    A phrase longer than ``MAX_CALL_NOTES`` is a FileFormatError that says where it starts.
    """
    import mido  # a file reader, not a device: allowed in the core

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise FileFormatError(f"{path}: cannot read as a MIDI file: {exc}") from None
    onsets: list[tuple[float, int, int]] = []
    for track in midi.tracks:
        ticks = 0
        for msg in track:
            ticks += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                onsets.append((ticks / midi.ticks_per_beat, msg.note, msg.velocity))
    if not onsets:
        raise FileFormatError(f"{path}: has no notes to make phrases from")
    return _split_phrases(sorted(onsets), rest_beats, path)


def _split_phrases(
    onsets: list[tuple[float, int, int]], rest_beats: float, path: Path
) -> dict[int, tuple[Phrase, ...]]:
    groups: list[list[tuple[float, int, int]]] = [[onsets[0]]]
    for item in onsets[1:]:
        if item[0] - groups[-1][-1][0] >= rest_beats:
            groups.append([])
        groups[-1].append(item)
    bank: dict[int, list[Phrase]] = {}
    for group in groups:
        start = group[0][0]
        if len(group) > MAX_CALL_NOTES:
            raise FileFormatError(
                f"{path}: expected phrases of at most {MAX_CALL_NOTES} notes, got {len(group)} "
                f"from beat {start:g} on (a rest of {rest_beats:g} beats or more ends a phrase)"
            )
        phrase = tuple(PhraseNote(b - start, n, 0.5, v) for b, n, v in group)
        bank.setdefault(min(len(phrase), 8), []).append(phrase)
    return {level: tuple(items) for level, items in bank.items()}
