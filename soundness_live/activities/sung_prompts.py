"""Sung prompts: the syllables of a vocal prompt as notes the synth sings.

:func:`sung_prompt` turns syllables and pitches into prompt notes for the syllable instrument
(bank 1 of the bundled bank: one preset per syllable of :data:`SYLLABLES`, program = its place),
the choir "aah" (GM 52) or any GM program, with an optional drum tap per syllable. They play
through the engine's synth like every other note, live too. The bank's generator
(:mod:`soundness_live.synth.bank.syllables`) makes its presets from the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ParameterError
from .base import DRUM_CHANNEL, PromptNote

#: The syllables bank 1 sings, one preset each: program = place in this tuple.
SYLLABLES = ("ba", "ma", "da", "pa", "la", "a", "e", "i", "o", "u")
SYLLABLE_BANK = 1
SYLLABLE_PROGRAMS = {syllable: program for program, syllable in enumerate(SYLLABLES)}
TAP_NOTE = 60  # high bongo: a soft, clear tap per syllable
SYLLABLE_INSTRUMENT = -1  # ``instrument`` value meaning the syllable presets of bank 1


def voice_program(instrument: int, syllable: str) -> tuple[int, int]:
    """(program, bank) that sings ``syllable``: its syllable preset, or GM ``instrument``.

    A syllable the bank does not have ("hel", "lo") is sung on "la".
    """
    if instrument == SYLLABLE_INSTRUMENT:
        return SYLLABLE_PROGRAMS.get(syllable, SYLLABLE_PROGRAMS["la"]), SYLLABLE_BANK
    return instrument, 0


@dataclass(frozen=True)
class SungPrompt:
    """Prompt notes grouped by the program that sings them (one channel per program)."""

    groups: tuple[tuple[int, int, tuple[PromptNote, ...]], ...]  # (program, bank, notes)
    taps: tuple[PromptNote, ...]


def sung_prompt(
    syllables: Sequence[str],
    notes: Sequence[int],
    *,
    start_frame: int,
    ioi_frames: int,
    hold_frames: int,
    instrument: int = SYLLABLE_INSTRUMENT,
    velocity: int = 96,
    taps: bool = False,
) -> SungPrompt:
    """One note per syllable, ``ioi_frames`` apart, each held ``hold_frames``; taps optional."""
    if len(syllables) != len(notes):
        raise ParameterError(f"{len(syllables)} syllables need as many pitches, got {len(notes)}")
    by_program: dict[tuple[int, int], list[PromptNote]] = {}
    for i, (syllable, note) in enumerate(zip(syllables, notes, strict=True)):
        program = voice_program(instrument, syllable)
        channel = list(by_program).index(program) if program in by_program else len(by_program)
        entry = PromptNote(
            start_frame + i * ioi_frames,
            int(note),
            velocity,
            hold_frames,
            channel,
            flags=(("syllable", syllable),),
        )
        by_program.setdefault(program, []).append(entry)
    tap_notes = tuple(
        PromptNote(
            start_frame + i * ioi_frames,
            TAP_NOTE,
            80,
            hold_frames // 2,
            DRUM_CHANNEL,
            flags=(("tap", True),),
        )
        for i in range(len(syllables) if taps else 0)
    )
    groups = tuple((p, b, tuple(n)) for (p, b), n in by_program.items())
    return SungPrompt(groups, tap_notes)
