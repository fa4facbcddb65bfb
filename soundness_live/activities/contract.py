"""The words of the activity contract: the cues an activity shows.

A :class:`Cue` is what an activity shows the child (and the therapist); its value is the string
the engine's protocol sends, its :attr:`Cue.words` what the child's view shows and its
:attr:`Cue.mood` what it asks of the child (which sets its calm colour). The child's view, the
virtual child, the voices that answer a turn and the engine read cues from here; no other
module keeps a copy of their strings.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["Cue", "CueMood"]


class _Word(str, Enum):
    """An enum whose members are their own protocol and record strings."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class CueMood(_Word):
    """What a cue asks of the child, which sets its calm colour on the child's view."""

    LISTEN = "listen"  # hear the prompt
    ACT = "act"  # your turn: play or sing now
    HOLD = "hold"  # wait, do not play yet
    STOP = "stop"  # stop playing
    BEAT = "beat"  # play along with a beat
    DONE = "done"  # the trial is over


class Cue(_Word):
    """A cue an activity shows the child (and the therapist): its protocol string, the word
    the child's view shows (:attr:`words`) and what it asks (:attr:`mood`)."""

    words: str
    mood: CueMood

    def __new__(cls, value: str, words: str, mood: CueMood) -> Cue:
        member = str.__new__(cls, value)
        member._value_ = value
        member.words = words
        member.mood = mood
        return member

    LISTEN = ("listen", "listen", CueMood.LISTEN)
    THERAPIST_CALL = ("therapist_call", "listen", CueMood.LISTEN)
    YOUR_TURN = ("your_turn", "your turn", CueMood.ACT)
    WAIT = ("wait", "wait", CueMood.HOLD)
    GO = ("go", "go", CueMood.ACT)
    NO_GO = ("no_go", "wait", CueMood.HOLD)
    PLAY = ("play", "play", CueMood.ACT)
    STOP = ("stop", "stop", CueMood.STOP)
    BEAT = ("beat", "play with the beat", CueMood.BEAT)
    TAP = ("tap", "your own beat", CueMood.BEAT)
    LEAD = ("lead", "you lead", CueMood.BEAT)
    TURN = ("turn", "your turn", CueMood.ACT)
    DONE = ("done", "well done", CueMood.DONE)  # the words follow a success only

    @classmethod
    def named(cls, value: Any) -> Cue | None:
        """The cue a protocol string names, or None for a string that names none."""
        return next((cue for cue in cls if cue.value == value), None)
