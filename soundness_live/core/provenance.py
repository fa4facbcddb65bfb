"""Where a record's playing came from: the child, live, or a stand-in (simulated).

Every input source and voice source says what it is (``input_kind``):

- ``live``: a MIDI device or the microphone, the child playing now;
- ``virtual``: the virtual child, a virtual singer or scripted notes;
- ``file``: a MIDI file or WAV file standing in for the child.

``virtual`` and ``file`` are *simulated*: nobody played them in this session, so they are
stored, exported and reported as simulated and never count toward a child's goals.

The rule, per trial and per session:

- a trial's ``input`` is the kind of the sources that could answer in it (``mixed`` when they
  differ); it is ``simulated`` when any of them is not live;
- a session's ``input`` is the kind every activity in it was played with, ``mixed`` when it
  holds activities played live and simulated (possible on the therapist's screen), null while
  no activity has started;
- a session's ``simulated`` mark has three values (:func:`session_simulated`): ``false`` when
  none of its trials was simulated, ``true`` when all were, ``"partly"`` when some were and some
  were played live (then the live ones count). A reviewer who keeps the sessions that are not
  ``true`` keeps every trial that counted. A session with no trials yet takes its mark from its
  input (``mixed``: partly). Progress and mastery count the live trials and none of the
  simulated ones, whatever the session's mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "LIVE", "VIRTUAL", "FILE", "MIXED", "KINDS", "PARTLY", "SOURCE_WORDS", "run_input",
    "merge_input", "simulated", "session_simulated", "session_words",
]  # fmt: skip

LIVE, VIRTUAL, FILE, MIXED = "live", "virtual", "file", "mixed"
KINDS = (LIVE, VIRTUAL, FILE, MIXED)
#: A session's simulated mark when some of its trials were simulated and some live.
PARTLY = "partly"
#: What played, in a reviewer's words.
SOURCE_WORDS = {LIVE: "live", VIRTUAL: "the virtual child", FILE: "a recorded file"}


def run_input(kinds: Iterable[str]) -> str | None:
    """The input of a run from its sources' kinds: the one they share, ``mixed`` when they
    differ, None when there is no source at all."""
    found = set(kinds)
    if not found:
        return None
    return found.pop() if len(found) == 1 else MIXED


def merge_input(before: str | None, added: str | None) -> str | None:
    """A session's input once an activity played with ``added`` joins it."""
    if before is None or before == added:
        return added if before is None else before
    return before if added is None else MIXED


def simulated(kind: str | None) -> bool:
    """True for input that is not the child playing live (virtual, file or mixed)."""
    return kind in (VIRTUAL, FILE, MIXED)


def session_simulated(session_input: str | None, trials: Sequence[Mapping[str, Any]]) -> bool | str:
    """A session's simulated mark: False (no trial simulated), True (every trial), or
    :data:`PARTLY` (some of each); with no trials (or trials whose mark is not known), from
    ``session_input`` (``mixed``: partly; none yet: False, nothing was played)."""
    marks = [trial.get("simulated") for trial in trials]
    if marks and all(isinstance(mark, bool) for mark in marks):
        fake = sum(mark is True for mark in marks)
        return fake == len(marks) or (PARTLY if fake else False)
    if session_input == MIXED:  # no trials, or some whose mark is not known
        return PARTLY
    return simulated(session_input)


def session_words(session_input: str | None, trials: Sequence[Mapping[str, Any]]) -> str:
    """One phrase a reviewer reads beside a session: "live", "SIMULATED (the virtual child)",
    "PART SIMULATED: 3 of 8 trials (the virtual child)", or "input not known"."""
    marked = [t for t in trials if t.get("simulated") is True]
    kinds = sorted({str(t.get("input")) for t in marked if t.get("input") in SOURCE_WORDS})
    mark = session_simulated(session_input, trials)
    if mark == PARTLY:
        by = " and ".join(SOURCE_WORDS[k] for k in kinds) or "a simulated source"
        if not trials:
            return f"PART SIMULATED ({by})"
        return f"PART SIMULATED: {len(marked)} of {len(trials)} trials ({by})"
    if mark is True:
        by = " and ".join(SOURCE_WORDS[k] for k in kinds) or SOURCE_WORDS.get(
            str(session_input), "a simulated source"
        )
        return f"SIMULATED ({by})"
    return "live" if session_input in (LIVE, MIXED) else "input not known"
