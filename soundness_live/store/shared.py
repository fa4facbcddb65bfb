"""What a laptop and the clinic's server exchange: sessions, notes and goal versions, whole.

These are the records in transit between the two backends (the laptop's SQLite store and the
clinic's PostgreSQL server), in the form both keep them: a trial record as the JSON text the
laptop stored (never re-encoded on the way), times as the ISO 8601 text with the UTC offset the
laptop wrote. Each is named by a UUID made where it was first recorded, so sending one twice
finds it already there and changes nothing.

A session is exchanged only once it is finished (``complete`` or ``interrupted``): from then
on nothing changes it, on any laptop or on the server. Notes added to a session later travel
on their own. A child's voice recordings are never exchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FINISHED", "TrialRow", "EventRow", "SharedGoalVersion", "SharedNote", "SharedSession"]

#: The statuses of a session that may leave its laptop.
FINISHED = ("complete", "interrupted")

#: A trial as stored: (index, activity, outcome, prompt level, record JSON text, created_at).
TrialRow = tuple[int, str, str, "str | None", str, str]
#: An input event as stored, in time order: (seq, onset_ms, onset_frame, kind, note, velocity,
#: device, player, clock, channel, input).
EventRow = tuple[object, ...]


@dataclass(frozen=True)
class SharedNote:
    """A therapist's note on a session."""

    uuid: str
    session_uuid: str
    created_at: str
    text: str


@dataclass(frozen=True)
class SharedGoalVersion:
    """One version of a child's goals: the goals (a JSON list, in order), who set them, on
    which laptop, when."""

    uuid: str
    child_code: str
    goals: str
    author: str | None
    laptop_id: str
    laptop: str
    created_at: str


@dataclass(frozen=True)
class SharedSession:
    """A finished session with everything recorded in it (its notes travel on their own)."""

    uuid: str
    child_code: str
    laptop_id: str  # the installation that recorded it
    laptop: str  # that laptop's label
    origin_id: int  # its id on that laptop
    therapist: str | None
    started_at: str
    ended_at: str | None
    status: str
    input: str | None
    simulated: bool
    params: str  # JSON text
    goals_version: str | None
    trials: tuple[TrialRow, ...]
    events: tuple[EventRow, ...]
