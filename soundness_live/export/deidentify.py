"""De-identification: what leaves the machine by default is codes and measurements only.

By default an exported bundle carries the child's pseudonymous code, never the display name or
date of birth; therapist notes are dropped (they may name people); free text in the child's
profile is dropped; the therapist who ran a session is shown by initials ("MB" for Mia Berger;
a code such as "T-01" stays); and the free text that remains (notes when asked for, a goal's
wording a therapist wrote, parameters and device names) has the child's name replaced by the
code and their date of birth by "[removed]". Keys and the program's own words (activities,
variants, outcomes, metrics, the built-in goals' wording: :data:`PROGRAM_WORDS`) are never
rewritten, so a child named Jo, May or Go leaves "go-no-go" as it is. The caller opts in to
names (``include_names``) and notes (``include_notes``) separately.

Text is matched with case and accents folded (``Zoé``, ``ZOE`` and ``Zoe`` are one name;
``Sam's`` is Sam, ``Samantha`` is not), letters NFKD leaves whole folded too (``Yılmaz`` is
Yilmaz; ø, ł, đ, æ, œ, ß, þ likewise), curly apostrophes as straight ones, and a name's words
or parts however they are joined (``O'Brien``, ``O’Brien``, ``OBrien``; ``Mary-Kate``, ``Mary
Kate``, ``MaryKate``). A name in a script written without spaces (Chinese, Japanese) is found
inside a sentence. A date of birth of 2016-03-04 is found however it is written:
``2016-03-04``, ``20160304``, ``04/03/2016`` or ``03/04/2016`` (day or month first, also with
dots, dashes or a two-digit year), ``4 March 2016``, ``4-Mar-2016``, ``4th of March 2016``,
``March 4, 2016``, ``Mar. 4th 2016``, and the birthday without a year (``4 March``, ``March
4``). Month names are English; the date of another year is left alone.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from soundness_live.config import initials
from soundness_live.goals.goal import builtin_goals

#: A code such as "S-014", "T-01", "pad-1": letters, digits, "_", ".", "+", "-"; no spaces.
_CODE_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,31}$")
_DROP = object()  # marks profile values left out


def deidentify(
    bundle: Mapping[str, Any], include_names: bool = False, include_notes: bool = False
) -> dict[str, Any]:
    """Return a copy of ``bundle`` fit to export; the input is never changed.

    The copy gains ``"privacy": {"names_included": bool, "notes_included": bool}`` so every
    export says what it holds.
    """
    out: dict[str, Any] = copy.deepcopy(dict(bundle))
    child = out.get("child") or {}
    scrubber = _Scrubber.build(str(child.get("code", "")), child)
    if not include_names:
        child["display_name"] = None
        child["date_of_birth"] = None
        child["profile"] = _settings_only(child.get("profile") or {})
    for session in out.get("sessions", []):
        if not include_notes:
            session["notes"] = []
        if not include_names:
            session["therapist"] = initials(session.get("therapist"))
    if not include_names and scrubber is not None:
        out = _scrub(out, scrubber, _builtin_wording())
    out["privacy"] = {"names_included": include_names, "notes_included": include_notes}
    return out


def _is_code(value: Any) -> bool:
    """True for None or a short code without spaces (not free text)."""
    return value is None or (isinstance(value, str) and bool(_CODE_LIKE.match(value)))


def _settings_only(value: Any) -> Any:
    """Numbers, booleans and code-like words of a profile; free text is dropped."""
    if isinstance(value, Mapping):
        kept = {key: _settings_only(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not _DROP}
    if isinstance(value, list):
        return [item for item in map(_settings_only, value) if item is not _DROP]
    if isinstance(value, str):
        return value if _is_code(value) else _DROP
    return value


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
REMOVED = "[removed]"


#: Letters NFKD keeps whole, folded as people type them without the mark; and the curly
#: apostrophes, folded to the straight one.
_LETTER_FOLDS = {
    "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe",
    "þ": "th", "ß": "ss", "ŀ": "l", "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
}  # fmt: skip


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` with case and accents folded, and for each folded character the index of the
    character of ``text`` it came from (folding may drop characters or add some: ß -> ss)."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        lower = char.lower()
        for part in _LETTER_FOLDS.get(lower) or unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue  # the accent of a letter, or a combining mark after one
            for piece in part.casefold():
                folded.append(piece)
                origin.append(index)
    return "".join(folded), origin


def _name_terms(display_name: Any) -> list[str]:
    """Patterns (over folded text) for the full name, two of its words in a row ("mary kate" of
    "Mary Kate Lee"), its parts between spaces ("smith-allen") and each of its words ("smith",
    "allen") of 2 letters or more; words of a name or a part
    match however they are joined: "mary kate", "mary-kate", "marykate", "o'brien", "obrien"."""
    if not isinstance(display_name, str) or not display_name.strip():
        return []
    full = fold(display_name.strip())[0]
    words = full.split()
    pairs = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)] if len(words) > 2 else []
    parts = [*words, *re.split(r"\W+", full)]
    terms = [full, *pairs, *(part for part in parts if len(part) >= 2)]
    return [_joined_pattern(term) for term in sorted(set(terms), key=len, reverse=True)]


def _joined_pattern(term: str) -> str:
    """``term``'s words matched with any spaces, hyphens or apostrophes between them (or none);
    bounded by non-letters unless it is written in a script without spaces between words."""
    words = [re.escape(word) for word in re.split(r"[\W_]+", term) if word] or [re.escape(term)]
    body = r"[\s'\-]*".join(words)
    if any(_unspaced(char) for char in term):
        return body
    return rf"(?<!\w){body}(?!\w)"


def _unspaced(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese)."""
    return unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA"))


def _date_patterns(date_of_birth: Any) -> list[str]:
    """Regular expressions (over folded text) for the date of birth as people write it."""
    try:
        born = date.fromisoformat(str(date_of_birth).strip())
    except ValueError:
        return [re.escape(fold(str(date_of_birth).strip())[0])] if date_of_birth else []
    d, m, y = born.day, born.month, born.year
    sep, year = r"[/.\-]", rf"(?:{y}|{y % 100:02d})"
    day = rf"0?{d}(?:st|nd|rd|th)?"
    name = MONTHS[m - 1]
    month = rf"(?:{name}|{name[:3]}\.?" + (r"|sept\.?" if m == 9 else "") + ")"
    no_year = r"(?!\.?,?\s*(?:1[89]|20)\d\d(?!\d))"  # the same day of another year: another date
    return [
        rf"{y}{sep}0?{m}{sep}0?{d}",  # 2016-03-04
        rf"{y}{m:02d}{d:02d}",  # 20160304
        rf"0?{d}{sep}0?{m}{sep}{year}",  # 04/03/2016: day first
        rf"0?{m}{sep}0?{d}{sep}{year}",  # 03/04/2016: month first
        rf"{day}\s+(?:of\s+)?{month},?\s+{y}",  # 4 March 2016, 4th of March, 2016
        rf"{day}{sep}{month}{sep}{year}",  # 4-Mar-2016, 04.Mar.16
        rf"{month}\s+{day},?\s+{y}",  # March 4, 2016
        rf"{day}\s+(?:of\s+)?{month}{no_year}",  # 4 March
        rf"{month}\s+{day}{no_year}",  # March 4
    ]


class _Scrubber:
    """Replaces the child's name (any case or accents) by their code, and their date of birth
    (any common way of writing it) by "[removed]", in a text."""

    def __init__(self, code: str, names: list[str], dates: list[str]) -> None:
        self.code = code
        bounded = [rf"(?<!\w)(?:{d})(?!\w)" for d in dates]
        # names longest first, so "sam jones" is replaced whole, not word by word
        self.pattern = re.compile("|".join([*bounded, *names]))
        self.dates = [re.compile(rf"(?:{d})\Z") for d in dates]

    @classmethod
    def build(cls, code: str, child: Mapping[str, Any]) -> _Scrubber | None:
        """The scrubber for ``child`` (None when they have no name or birth date to hide)."""
        names = _name_terms(child.get("display_name"))
        dates = _date_patterns(child.get("date_of_birth"))
        return cls(code, names, dates) if names or dates else None

    def __call__(self, text: str) -> str:
        folded, origin = fold(text)
        spans = []
        for match in self.pattern.finditer(folded):
            if match.end() == match.start():
                continue
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1  # a combining accent written after the last letter
            is_date = any(d.match(match.group(0)) for d in self.dates)
            spans.append((start, end, REMOVED if is_date else self.code))
        for start, end, replacement in reversed(spans):
            text = text[:start] + replacement + text[end:]
        return text


#: Keys whose values are the program's own words (never a name someone typed): left as they are.
#: A goal's id is not among them: a therapist names goals, and the id is scrubbed alike in the
#: goal, its progress and every trial that lists it.
PROGRAM_WORDS = frozenset({
    "schema_version", "export", "privacy", "code", "child_code", "activity",
    "variant", "outcome", "prompt_level", "prompt_level_recorded", "max_prompt_level", "input",
    "simulated", "status",
    "success", "measure", "domain", "mastery", "metrics", "kind", "clock", "event", "trend",
    "started_at", "ended_at", "created_at", "engine_version", "sha256", "player",
})  # fmt: skip


def _builtin_wording() -> frozenset[str]:
    """The built-in goals' wording (the program's text, not a therapist's)."""
    return frozenset(goal.text for goal in builtin_goals())


def _scrub(value: Any, scrub: _Scrubber, program_text: frozenset[str]) -> Any:
    """Copy of ``value`` with the child's name and birth date replaced in its free text: every
    string but keys, the values of :data:`PROGRAM_WORDS` and ``program_text``."""
    if isinstance(value, str):
        return value if value in program_text else scrub(value)
    if isinstance(value, Mapping):
        return {
            key: item if key in PROGRAM_WORDS else _scrub(item, scrub, program_text)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, scrub, program_text) for item in value]
    return value
