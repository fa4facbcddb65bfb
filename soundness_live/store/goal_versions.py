"""A child's goals over time: every change is a version (the goals, who set them, where, when).

Goals change on more than one laptop when therapists share a child through the clinic, so the
store keeps each set of goals a child was given as a *version*: the goals in order, the
therapist who set them (``author``; not known for the goals a store had before versions were
kept, its version 1), the laptop (null: this one) and the time, local ISO 8601 with its UTC
offset. The *newest* version, by that instant (ties: by id, the same choice on every laptop),
is the child's goals: the ``goals`` table holds its goals, so whatever reads a child's goals
reads the newest. An older version, set on one laptop while a newer one came from another,
stays in the history (:meth:`GoalVersionsMixin.goal_history`) and wins nothing.

Only a change makes a version: saving a child's profile with the goals they already have adds
none. Each session keeps the version that was in force when it started (``goals_version``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from soundness_live.goals.goal import Goal, goal_from_dict
from soundness_live.store.checks import to_json
from soundness_live.store.db import stored_json

__all__ = ["GoalVersionsMixin", "instant", "newest_first"]


def instant(stamp: str | None) -> datetime:
    """The moment an ISO 8601 stamp names (a stamp without an offset is taken as UTC; none
    sorts first)."""
    if not stamp:
        return datetime.min.replace(tzinfo=timezone.utc)
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def newest_first(versions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Goal versions, newest first: by the instant they were set, then by id (so two laptops
    holding the same versions agree on which is newest)."""
    return sorted(versions, key=lambda v: (instant(v["created_at"]), v["uuid"]), reverse=True)


class GoalVersionsMixin:
    """Goal versions; mixed into :class:`~soundness_live.store.records.Store`."""

    # Provided by Store (declared here for type checkers).
    path: Any
    conn: Any

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _stamp(self) -> str:
        raise NotImplementedError

    def goal_history(self, code: str) -> list[dict[str, Any]]:
        """Every version of the child's goals, newest first: ``{"version": n (1 = the
        first), "uuid", "goals": [Goal], "author", "laptop", "laptop_id", "created_at",
        "current": bool, "from_clinic": bool, "pushed_at"}``."""
        rows = self._rows(
            "SELECT uuid, goals, author, laptop, laptop_id, created_at, pushed_at, pulled_at "
            "FROM goal_versions WHERE child_code = ?",
            (code,),
        )
        ordered = newest_first([dict(row) for row in rows])
        return [
            dict(row)
            | {
                "version": len(ordered) - number,
                "goals": self._version_goals(code, row["goals"]),
                "current": number == 0,
                "from_clinic": row["pulled_at"] is not None,
            }
            for number, row in enumerate(ordered)
        ]

    def _version_goals(self, code: str, text: str) -> list[Goal]:
        listed = stored_json(self.path, f'{{"goals": {text}}}', "goal version")["goals"]
        return [goal_from_dict(data, f"stored goals of {code}", i) for i, data in enumerate(listed)]

    def current_goal_version(self, code: str) -> str | None:
        """The id of the child's newest goal version (None: no goals were ever set)."""
        rows = self._rows(
            "SELECT uuid, created_at FROM goal_versions WHERE child_code = ?", (code,)
        )
        ordered = newest_first([dict(row) for row in rows])
        return str(ordered[0]["uuid"]) if ordered else None

    def _add_goal_version(self, code: str, goals: Sequence[Goal], author: str | None) -> None:
        """Inside the caller's transaction: a new version when ``goals`` differ from the
        child's current goals (a child without versions gets one for any goals)."""
        current = self.conn.execute(
            "SELECT goal FROM goals WHERE child_code = ? ORDER BY position", (code,)
        ).fetchall()
        had_version = self.conn.execute(
            "SELECT 1 FROM goal_versions WHERE child_code = ? LIMIT 1", (code,)
        ).fetchone()
        before = [json.loads(row[0]) for row in current]
        after = [goal.to_dict() for goal in goals]
        if before == after and (had_version or not after):
            return
        self.conn.execute(
            "INSERT INTO goal_versions (uuid, child_code, goals, author, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), code, to_json(after, "goals"), author, self._fine_stamp()),
        )

    def _fine_stamp(self) -> str:
        """Now, to the microsecond: two changes in one second are still told apart."""
        raise NotImplementedError
