"""De-identification: what leaves the machine by default is codes and measurements only.

By default an exported bundle carries the child's pseudonymous code, never the display name or
date of birth; therapist notes are dropped (they may name people); free text in the child's
profile is dropped; the therapist who ran a session is shown by initials ("MB" for Mia Berger;
a code such as "T-01" stays); and any remaining text (goal wording, parameters, notes when asked
for) has the child's name replaced by the code and their date of birth by "[removed]". The
caller opts in to names (``include_names``) and notes (``include_notes``) separately.

Text is matched with case and accents folded (``Zoé``, ``ZOE`` and ``Zoe`` are one name;
``Sam's`` is Sam, ``Samantha`` is not), and a date of birth of 2016-03-04 is found however it
is written: ``2016-03-04``, ``04/03/2016`` or ``03/04/2016`` (day or month first, also with
dots, dashes or a two-digit year), ``4 March 2016``, ``4th of March 2016``, ``March 4, 2016``,
``Mar. 4th 2016``, and the birthday without a year (``4 March``, ``March 4``). Month names are
English; the date of another year is left alone.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from soundness_live.config import initials

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
        out = _scrub(out, scrubber)
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


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` with case and accents folded, and for each folded character the index of the
    character of ``text`` it came from (folding may drop characters or add some: ß -> ss)."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue  # the accent of a letter, or a combining mark after one
            for piece in part.casefold():
                folded.append(piece)
                origin.append(index)
    return "".join(folded), origin


def _name_terms(display_name: Any) -> list[str]:
    """The folded full name, its parts between spaces ("smith-allen") and each of its words
    ("smith", "allen"), of 2 letters or more."""
    if not isinstance(display_name, str) or not display_name.strip():
        return []
    full = fold(display_name.strip())[0]
    parts = [*full.split(), *re.split(r"\W+", full)]
    return [full, *(part for part in parts if len(part) >= 2)]


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
        rf"0?{d}{sep}0?{m}{sep}{year}",  # 04/03/2016: day first
        rf"0?{m}{sep}0?{d}{sep}{year}",  # 03/04/2016: month first
        rf"{day}\s+(?:of\s+)?{month},?\s+{y}",  # 4 March 2016, 4th of March, 2016
        rf"{month}\s+{day},?\s+{y}",  # March 4, 2016
        rf"{day}\s+(?:of\s+)?{month}{no_year}",  # 4 March
        rf"{month}\s+{day}{no_year}",  # March 4
    ]


class _Scrubber:
    """Replaces the child's name (any case or accents) by their code, and their date of birth
    (any common way of writing it) by "[removed]", in a text."""

    def __init__(self, code: str, names: list[str], dates: list[str]) -> None:
        self.code = code
        alternatives = [*dates, *(re.escape(n) for n in sorted(set(names), key=len, reverse=True))]
        # names longest first, so "sam jones" is replaced whole, not word by word
        self.pattern = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")
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


def _scrub(value: Any, scrub: _Scrubber) -> Any:
    """Copy of ``value`` with the child's name and birth date replaced in strings (and keys)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {_scrub(k, scrub): _scrub(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, scrub) for item in value]
    return value
