"""De-identification: what leaves the machine by default is codes and measurements only.

By default an exported bundle carries the child's pseudonymous code, never the display name or
date of birth; therapist notes are dropped (they may name people); free text in the child's
profile is dropped; a therapist field that is not a code is dropped; and any remaining text
(goal wording, parameters) has the child's name replaced by the code. The caller opts in to
names (``include_names``) and notes (``include_notes``) separately.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

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
    date_of_birth = child.get("date_of_birth")
    name_pattern = _name_pattern(child.get("display_name"), date_of_birth)
    if not include_names:
        child["display_name"] = None
        child["date_of_birth"] = None
        child["profile"] = _settings_only(child.get("profile") or {})
    for session in out.get("sessions", []):
        if not include_notes:
            session["notes"] = []
        if not include_names and not _is_code(session.get("therapist")):
            session["therapist"] = None
    if not include_names and name_pattern is not None:
        out = _scrub(out, name_pattern, _Replacer(str(child.get("code", "")), date_of_birth))
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


def _name_pattern(display_name: Any, date_of_birth: Any) -> re.Pattern[str] | None:
    """A pattern for the full name, each of its words (>= 2 letters) and the date of birth."""
    parts: list[str] = []
    if isinstance(display_name, str) and display_name.strip():
        parts.append(display_name.strip())
        parts.extend(word for word in re.split(r"\W+", display_name) if len(word) >= 2)
    if isinstance(date_of_birth, str) and date_of_birth.strip():
        parts.append(date_of_birth.strip())
    if not parts:
        return None
    # Longest first so "Sam Jones" is replaced whole, not word by word.
    alternatives = "|".join(re.escape(part) for part in sorted(set(parts), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


class _Replacer:
    """Replacement for a match: the child's code for a name, "[removed]" for the birth date."""

    def __init__(self, code: str, date_of_birth: Any) -> None:
        self.code = code
        self.date_of_birth = str(date_of_birth or "").strip().lower()

    def __call__(self, match: re.Match[str]) -> str:
        return "[removed]" if match.group(0).lower() == self.date_of_birth else self.code


def _scrub(value: Any, pattern: re.Pattern[str], replace: _Replacer) -> Any:
    """Copy of ``value`` with every match of ``pattern`` in strings (and keys) replaced."""
    if isinstance(value, str):
        return pattern.sub(replace, value)
    if isinstance(value, Mapping):
        return {_scrub(k, pattern, replace): _scrub(v, pattern, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, pattern, replace) for item in value]
    return value
