"""The engine's commands for the end of a session: its summary, the places an export can go,
and the export itself, carried out against the engine's store (the screen never opens it).

An export goes only to a place the engine lists itself (:func:`export_places`: the data
directory's exports folder or a removable drive mounted now), never to a path a client makes
up. It is de-identified (codes only: no name, birth date or notes) unless the therapist asks
for names and notes (``identified``), on a drive as in the exports folder. Files are written
owner-only, whole or not at all, by :func:`soundness_live.export.export`, the one the command
line's ``export`` and ``report`` use; on a drive they go into its ``soundness-live`` folder.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from ..export import export
from ..export.places import Place, export_places
from ..export.summary import session_summary as summary_of

if TYPE_CHECKING:
    from .engine import Engine

Fields = dict[str, Any]
EXPORT_FORMATS = ("csv", "midi", "html")  # what the screen offers: tables, MIDI, the report
DRIVE_FOLDER = "soundness-live"  # on a removable drive, the exports go into this folder


def _child(engine: Engine, fields: Fields) -> str:
    code = fields["child"] or engine.child
    if code is None:
        raise ParameterError("no child is chosen and field 'child' is not given")
    return str(code)


def _session_of(engine: Engine, code: str, wanted: int | None) -> int:
    """The session asked for, else the one open for ``code``, else their latest."""
    if wanted is not None:
        return wanted
    if engine.stored is not None and engine.child == code:
        return engine.stored.session_id
    sessions = engine.store.sessions(code)
    if not sessions:
        raise ParameterError(
            f"{code} has no stored session yet: start one, or choose another child"
        )
    return int(sessions[-1]["id"])


def session_summary(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Per goal, the session against the child's earlier ones (words and plot points); the
    store is read without the engine's lock (the store keeps its own)."""
    with engine.lock:
        code = _child(engine, fields)
        session_id = _session_of(engine, code, fields["session"])
    return summary_of(engine.store.export_bundle(code), session_id)


def _places(engine: Engine) -> list[Place]:
    return export_places(engine.store.path.parent)


def export_places_command(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The exports folder and the removable drives mounted now, with their free space."""
    return {"places": [_place_entry(place) for place in _places(engine)]}


def _place_entry(place: Place) -> dict[str, Any]:
    probe = place.path if place.path.exists() else place.path.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        free = None
    return {"key": place.key, "name": place.name, "path": str(place.path),
            "removable": place.removable, "free_bytes": free}  # fmt: skip


def export_session(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Write the session's (or every session's) exports to a listed place; the files."""
    with engine.lock:  # the files are written after it: cues and snapshots go on meanwhile
        code = _child(engine, fields)
        session_id = (
            None if fields["all_sessions"] else _session_of(engine, code, fields["session"])
        )
    places = {place.key: place for place in _places(engine)}
    place = places.get(fields["place"])
    if place is None:
        listed = ", ".join(repr(key) for key in places)
        raise ParameterError(
            f"export_session: field 'place' must be one of the places listed now ({listed}), "
            f"got {fields['place']!r}"
        )
    folder = place.path / DRIVE_FOLDER if place.removable else place.path
    bundle = engine.store.export_bundle(code, session_id)
    identified = fields["identified"]
    written = []
    for fmt in fields["formats"]:
        written += export(bundle, fmt, folder, include_names=identified, include_notes=identified)
    return {
        "files": [str(path) for path in written],
        "place": place.name,
        "folder": str(folder),
        "session_id": session_id,
        "deidentified": not identified,
    }
