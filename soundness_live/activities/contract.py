"""The words of the activity contract: cues, outcomes, what a metric is and how it reads.

Everything an activity tells the rest of the program about itself, besides its parameters
(:mod:`soundness_live.activities.params`) and its trial records
(:mod:`soundness_live.activities.record`): the cues it shows (:class:`Cue`, whose values are
the strings the engine's protocol sends), the outcomes a trial can have (:class:`Outcome`), what
the child answers with (:class:`Answer`) and on which instrument (:class:`ChildInstrument`), and
each metric it measures (:class:`MetricSpec`, with :class:`MetricWords`: how a therapist reads
it). Goals, exports, the report, the live panel, the virtual child and the command line read
these from the registry; no other module keeps a copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "Answer",
    "ChildInstrument",
    "Cue",
    "CueMood",
    "DRUM_PAD",
    "KINDS",
    "MetricSpec",
    "MetricWords",
    "Outcome",
    "keyboard",
]


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


class Outcome(_Word):
    """A trial's outcome (METRICS.md §5); ``void``: it cannot count (cut short, nothing to
    score, or never scored, like free play)."""

    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    NO_RESPONSE = "no_response"
    PREMATURE = "premature"
    VOID = "void"


class Answer(_Word):
    """What the child answers an activity with: notes (a keyboard or a drum pad) or voice."""

    NOTES = "notes"
    VOICE = "voice"


@dataclass(frozen=True)
class ChildInstrument:
    """How the child's notes sound while an activity runs: a General MIDI program and bank,
    a drum kit or a melodic instrument, and the note a virtual child plays on it."""

    program: int
    bank: int
    drums: bool
    note: int


DRUM_PAD = ChildInstrument(program=0, bank=128, drums=True, note=38)  # GM kit, snare


def keyboard(program: int) -> ChildInstrument:
    """A melodic instrument (GM ``program``) played from a keyboard around middle C."""
    return ChildInstrument(program=program, bank=0, drums=False, note=60)


#: The kinds of value a metric holds, as the success rules check them: ``any`` is a value of
#: more than one kind (a flag for one stimulus, a count for several).
KINDS = ("number", "bool", "text", "list", "any")
_WORDLESS_UNITS = ("count", "ratio", "0-1", "log2 units", "p", "rad", "bool", "text", "as named")


@dataclass(frozen=True)
class MetricWords:
    """How a therapist reads a metric: on the live panel, in the report's tables and in the
    success rules read aloud.

    ``label`` names it ("notes correct"); ``rule`` reads a comparison with a number ("gets
    {bound} of the notes", ``{bound}`` being "at least 75 %"), ``size_rule`` a comparison of its
    size (``abs(...)``: "taps on average {bound} of the beat (early or late)"); ``yes``/``no``
    read a flag ("waits for the turn" / "plays during the call"); ``below``/``above`` read a
    signed figure on the live panel by its side of zero ("early by {value} on average");
    ``within``: "at most" reads "within" (a time after an event); ``percent``: a ratio read as
    a percentage (a hit rate of 0.8 reads "80 %"); ``values``: a text metric's values in words;
    ``versus``: a comparison with another metric of the activity, by that metric's name
    ("says {how} syllables as the prompt has", ``{how}`` being "as many", "at least as many"
    or "at most as many").
    """

    label: str
    rule: str = ""
    size_rule: str = ""
    yes: str = ""
    no: str = ""
    below: str = ""
    above: str = ""
    within: bool = False
    percent: bool = False
    values: tuple[tuple[str, str], ...] = ()
    versus: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MetricSpec:
    """One metric an activity measures (names and units as in METRICS.md).

    ``unit``: ``ms``, ``%``, ``count``, ``bool``, ``text``, ``ratio``, ``ms (list)``...;
    ``headline``: the activity's headline measure, the one plotted per trial when no goal
    covers the activity (a tuple: of those variants; True: of every variant no metric names);
    ``live``: shown on the therapist's screen after each trial and on every trial's line
    (``play``, the report); ``words``: how a therapist reads it; ``meaning``: one line on what
    it measures (the CSV columns' documentation); ``kind``: what value it holds
    (:data:`KINDS`; by default from the unit); ``plot``: a plot of the report this list
    metric feeds (``asynchrony``: per tap around the beat; ``tempo_curve``: the music's tempo
    per beat).
    """

    name: str
    unit: str
    headline: bool | tuple[str, ...] = False
    live: bool = False
    words: MetricWords | None = None
    meaning: str = ""
    kind: str = ""
    plot: str = ""

    @property
    def value_kind(self) -> str:
        """The kind of value (:data:`KINDS`): given, or read from the unit."""
        if self.kind:
            return self.kind
        if self.unit in ("bool", "text"):
            return self.unit
        return "list" if self.unit.endswith("(list)") else "number"

    @property
    def reads(self) -> MetricWords:
        """Its words (a label made from its name when none were given)."""
        return self.words or MetricWords(label_from_name(self.name))

    def unit_words(self) -> str:
        """The unit after a number in words: " ms", " %", "" for a count or a ratio."""
        if self.reads.percent:
            return " %"
        base = self.unit.removesuffix(" (list)")
        return "" if base in _WORDLESS_UNITS else f" {base}"

    def shown(self, number: float) -> float:
        """A number as read (a ratio read as a percentage is scaled to it)."""
        return number * 100.0 if self.reads.percent else number

    def reading(self, value: Any) -> str:
        """The live panel's line for ``value``: "notes correct: 75 %", "waits for the turn",
        "early by 23 ms on average"."""
        words = self.reads
        if isinstance(value, bool) or self.value_kind == "bool":
            said = words.yes if value else words.no
            return said or f"{words.label}: {'yes' if value else 'no'}"
        if isinstance(value, str):
            return f"{words.label}: {dict(words.values).get(value, value)}"
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{words.label}: –"
        number = self.shown(float(value))
        side = words.below if number < 0 else words.above if number > 0 else ""
        if side:
            return side.format(value=_figure(abs(number)) + self.unit_words())
        return f"{words.label}: {_figure(number)}{self.unit_words()}"


def _figure(number: float) -> str:
    """A figure read at a glance: whole numbers from 10 on, two significant digits below."""
    return f"{number:.0f}" if abs(number) >= 10 else f"{number:.2g}"


def label_from_name(name: str) -> str:
    """A metric's name as words without its unit suffix: "wait_s" -> "wait"."""
    for suffix in ("_ms", "_s", "_pct", "_bpm", "_hz", "_db", "_cents"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ")
