"""The export bundle: everything about one child in the shape the exports read.

Shape (schema_version 4)::

    {"schema_version": 4,
     "child": {"code", "display_name", "date_of_birth", "consent", "profile"},
     "goals": [Goal.to_dict()],
     "sessions": [{"id", "child_code", "therapist", "started_at", "ended_at", "status",
                   "input", "simulated", "uuid", "laptop", "from_clinic",
                   "trials": [record + {"session_id"}], "events": [...], "notes": [...]}],
     "progress": [goal_progress(goal, every session of the child)]}

Version 2 added where the playing came from: a session's ``input`` (live, virtual, file, mixed;
null before any activity) and ``simulated``, a trial's ``input`` and ``simulated``, an event's
``input`` (rule: :mod:`soundness_live.core.provenance`), and a goal's ``variant``. Version 3
made a session's ``simulated`` three-valued: false, ``"partly"`` or true
(:func:`soundness_live.core.provenance.session_simulated`), where true once marked a session of
which only some trials were simulated.
Version 4 added where a session was recorded, for sessions shared through a clinic: its
``uuid`` (the same on every laptop and on the clinic server), the ``laptop`` it was recorded on
(its label; null when not known) and ``from_clinic`` (a copy received from the clinic, recorded
on another laptop). A bundle read from the clinic server has ``from_clinic`` true throughout.

``child.profile`` holds the session settings only (volume cap, tempo, devices, goal ids): the
name, date of birth and consent appear once, at the top of ``child``, where de-identification
removes them. ``progress`` always covers ALL the child's sessions, also when the bundle is for
one session: baseline, trend and mastery need the history, and it holds numbers only.
The bundle carries the display name, date of birth and notes as stored: exports de-identify.
"""

from __future__ import annotations

from typing import Any, Protocol

from soundness_live.core.provenance import session_simulated
from soundness_live.errors import StoreError
from soundness_live.goals.goal import Goal
from soundness_live.goals.progress import goal_progress
from soundness_live.players.profiles import ChildProfile

__all__ = ["BUNDLE_SCHEMA_VERSION", "build_bundle"]

BUNDLE_SCHEMA_VERSION = 4
_SESSION_KEYS = (
    "id", "child_code", "therapist", "started_at", "ended_at", "status", "input", "simulated",
    "uuid", "laptop", "from_clinic",
)  # fmt: skip


class BundleSource(Protocol):
    """What the bundle reads: a store of either backend (the laptop's SQLite store,
    :class:`soundness_live.store.records.Store`, or the clinic's PostgreSQL server,
    :class:`soundness_live.store.clinic.server.ClinicStore`), which build their bundles here."""

    def get_child(self, code: str) -> ChildProfile:
        """The child's profile."""
        ...

    def goals_for(self, code: str) -> list[Goal]:
        """The child's goals."""
        ...

    def sessions(self, child_code: str | None = None) -> list[dict[str, Any]]:
        """The child's sessions, oldest first, without their trials."""
        ...

    def trials(self, session_id: int) -> list[dict[str, Any]]:
        """A session's trial records."""
        ...

    def events(self, session_id: int) -> list[dict[str, Any]]:
        """A session's input events."""
        ...

    def notes(self, session_id: int) -> list[dict[str, Any]]:
        """A session's notes."""
        ...


def build_bundle(
    store: BundleSource, child_code: str, session_id: int | None = None
) -> dict[str, Any]:
    """The export bundle for ``child_code`` (all sessions, or only ``session_id``)."""
    profile = store.get_child(child_code)
    history = [dict(s, trials=store.trials(s["id"])) for s in store.sessions(child_code)]
    chosen = [s for s in history if session_id is None or s["id"] == session_id]
    if session_id is not None and not chosen:
        raise StoreError(f"child {child_code!r} has no session with id {session_id!r}")
    goals = store.goals_for(child_code)
    return {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "child": {
            "code": profile.code,
            "display_name": profile.display_name,
            "date_of_birth": profile.date_of_birth,
            "consent": {"voice_recording": profile.consent.voice_recording},
            "profile": profile.settings(),
        },
        "goals": [goal.to_dict() for goal in goals],
        "sessions": [
            {key: session[key] for key in _SESSION_KEYS}
            | {
                "simulated": session_simulated(session["input"], session["trials"]),
                "trials": session["trials"],
                "events": store.events(session["id"]),
                "notes": store.notes(session["id"]),
            }
            for session in chosen
        ],
        "progress": [goal_progress(goal, history) for goal in goals],
    }
