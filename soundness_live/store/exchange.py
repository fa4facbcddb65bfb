"""The laptop's side of sharing with a clinic: what is still to send, and keeping what came.

What this laptop sends (its own records only, never a copy it received):

- sessions that are finished (:data:`~soundness_live.store.shared.FINISHED`) and not yet
  sent, simulated ones only when asked (a session played partly live goes: its live trials
  count, and every trial keeps its mark); a running session waits until it ends;
- notes on its sessions once the session itself has been sent;
- the versions of its children's goals it made, and a child's profile settings when they
  changed since last sent (never the name, birth date or consent: those stay here).

What it keeps from the clinic: other laptops' sessions (with their notes), marked with the
laptop they came from and read-only here; goal versions, the newest of which becomes the
child's goals; a child new to this laptop, created from the settings the clinic holds.

Everything is idempotent by UUID: keeping a record twice keeps it once, and marking something
sent that was already marked changes nothing. Each batch is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from soundness_live.errors import StoreError
from soundness_live.players.profiles import ChildProfile, Consent
from soundness_live.store.checks import EVENT_FIELDS, to_json
from soundness_live.store.goal_versions import newest_first
from soundness_live.store.shared import (
    FINISHED,
    SharedGoalVersion,
    SharedNote,
    SharedSession,
)

__all__ = ["ExchangeMixin"]

_FINISHED_SQL = "status IN ({})".format(", ".join(f"'{status}'" for status in FINISHED))
_LOCAL_UNSENT = f"pulled_at IS NULL AND pushed_at IS NULL AND {_FINISHED_SQL}"
# A session played partly live and partly by a simulated source (input 'mixed') goes like a
# live one: its live trials are the child's and count; each trial keeps its own mark.
_NOT_SIMULATED = "(simulated = 0 OR input = 'mixed')"


class ExchangeMixin:
    """Sending to and keeping from the clinic; mixed into
    :class:`~soundness_live.store.records.Store`."""

    # Provided by Store (declared here for type checkers).
    path: Any
    conn: Any

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _writing(self) -> Any:
        raise NotImplementedError

    def _stamp(self) -> str:
        raise NotImplementedError

    def get_child(self, code: str) -> ChildProfile:
        """The child's profile (see Store.get_child)."""
        raise NotImplementedError

    def _save_child(self, profile: ChildProfile, goals: list[Any], *, new: bool) -> None:
        raise NotImplementedError

    # --- what is still to send ---------------------------------------------------------------
    def sessions_to_send(self, include_simulated: bool = False) -> list[int]:
        """Ids of this laptop's finished sessions not yet sent, oldest first."""
        simulated = "" if include_simulated else f" AND {_NOT_SIMULATED}"
        rows = self._rows(f"SELECT id FROM sessions WHERE {_LOCAL_UNSENT}{simulated} ORDER BY id")
        return [int(row[0]) for row in rows]

    def unsent_counts(self) -> dict[str, int]:
        """What this laptop holds that the clinic does not have yet, by kind: ``sessions``
        (finished, not simulated), ``simulated sessions`` (kept back unless asked), ``running
        sessions`` (sent once they end), ``notes``, ``goal versions``."""
        queries = {
            "sessions": f"SELECT COUNT(*) FROM sessions WHERE {_LOCAL_UNSENT} AND {_NOT_SIMULATED}",
            "simulated sessions": (
                f"SELECT COUNT(*) FROM sessions WHERE {_LOCAL_UNSENT} AND NOT {_NOT_SIMULATED}"
            ),
            "running sessions": "SELECT COUNT(*) FROM sessions WHERE status = 'running'",
            "notes": "SELECT COUNT(*) FROM notes WHERE pushed_at IS NULL AND pulled_at IS NULL",
            "goal versions": (
                "SELECT COUNT(*) FROM goal_versions WHERE pushed_at IS NULL AND pulled_at IS NULL"
            ),
        }
        return {kind: int(self._rows(sql)[0][0]) for kind, sql in queries.items()}

    def shared_session(self, session_id: int, laptop_id: str, laptop: str) -> SharedSession:
        """One of this laptop's finished sessions, whole, as the clinic keeps it."""
        rows = self._rows(
            "SELECT uuid, child_code, therapist, started_at, ended_at, status, input, "
            f"simulated, params, goals_version FROM sessions WHERE id = ? AND {_FINISHED_SQL} "
            "AND pulled_at IS NULL",
            (session_id,),
        )
        if not rows:
            raise StoreError(f"session {session_id} is not a finished session of this laptop")
        row = rows[0]
        trials = self._rows(
            "SELECT idx, activity, outcome, prompt_level, record, created_at FROM trials "
            "WHERE session_id = ? ORDER BY idx",
            (session_id,),
        )
        events = self._rows(
            f"SELECT {', '.join(EVENT_FIELDS)} FROM events WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return SharedSession(
            uuid=row["uuid"], child_code=row["child_code"], laptop_id=laptop_id, laptop=laptop,
            origin_id=session_id, therapist=row["therapist"], started_at=row["started_at"],
            ended_at=row["ended_at"], status=row["status"], input=row["input"],
            simulated=bool(row["simulated"]), params=row["params"],
            goals_version=row["goals_version"],
            trials=tuple(tuple(trial) for trial in trials),  # type: ignore[misc]
            events=tuple((seq, *event) for seq, event in enumerate(events)),
        )  # fmt: skip

    def mark_sessions_sent(self, uuids: Sequence[str]) -> None:
        """The clinic holds these sessions now (already marked ones stay as they were)."""
        self._mark("sessions", uuids)

    def notes_to_send(self) -> list[SharedNote]:
        """Notes on this laptop's sessions already sent, not yet sent themselves."""
        rows = self._rows(
            "SELECT n.uuid, s.uuid AS session_uuid, n.created_at, n.text FROM notes AS n "
            "JOIN sessions AS s ON s.id = n.session_id WHERE n.pushed_at IS NULL "
            "AND n.pulled_at IS NULL AND s.pushed_at IS NOT NULL ORDER BY n.id"
        )
        return [SharedNote(*tuple(row)) for row in rows]

    def mark_notes_sent(self, uuids: Sequence[str]) -> None:
        """The clinic holds these notes now."""
        self._mark("notes", uuids)

    def goal_versions_to_send(self, laptop_id: str, laptop: str) -> list[SharedGoalVersion]:
        """The goal versions made on this laptop and not yet sent, oldest first."""
        rows = self._rows(
            "SELECT uuid, child_code, goals, author, created_at FROM goal_versions "
            "WHERE pushed_at IS NULL AND pulled_at IS NULL"
        )
        ordered = reversed(newest_first([dict(row) for row in rows]))
        return [
            SharedGoalVersion(
                v["uuid"], v["child_code"], v["goals"], v["author"], laptop_id, laptop,
                v["created_at"],
            )
            for v in ordered
        ]  # fmt: skip

    def mark_goal_versions_sent(self, uuids: Sequence[str]) -> None:
        """The clinic holds these goal versions now."""
        self._mark("goal_versions", uuids)

    def profile_to_send(self, code: str) -> str | None:
        """The child's profile settings (their goals travel as versions, so without goal ids)
        as JSON text, when they changed since last sent; else None."""
        rows = self._rows("SELECT profile, profile_pushed FROM children WHERE code = ?", (code,))
        if not rows:
            return None
        settings = json.loads(rows[0]["profile"])
        settings.pop("goal_ids", None)
        text = to_json(settings, "profile")
        return None if text == rows[0]["profile_pushed"] else text

    def mark_profile_sent(self, code: str, settings: str) -> None:
        """The clinic holds these settings of the child now."""
        with self._writing() as conn:
            conn.execute("UPDATE children SET profile_pushed = ? WHERE code = ?", (settings, code))

    def _mark(self, table: str, uuids: Sequence[str]) -> None:
        stamp = self._stamp()
        with self._writing() as conn:
            conn.executemany(
                f"UPDATE {table} SET pushed_at = ? WHERE uuid = ? AND pushed_at IS NULL",
                [(stamp, uuid) for uuid in uuids],
            )

    def shared_with_clinic(self, code: str) -> dict[str, int]:
        """How many of the child's sessions this laptop has ``sent`` to the clinic and
        ``received`` from it (what a deletion here does not delete there)."""
        rows = self._rows(
            "SELECT COUNT(pushed_at), COUNT(pulled_at) FROM sessions WHERE child_code = ?", (code,)
        )
        return {"sent": int(rows[0][0]), "received": int(rows[0][1])}

    # --- what came from the clinic -----------------------------------------------------------
    def known_uuids(self, table: str, codes: Sequence[str]) -> set[str]:
        """UUIDs this store holds of ``table`` (sessions, notes, goal_versions) for ``codes``."""
        child = {
            "sessions": "child_code",
            "goal_versions": "child_code",
            "notes": "(SELECT child_code FROM sessions WHERE sessions.id = notes.session_id)",
        }[table]
        marks = ", ".join("?" * len(codes))
        rows = self._rows(f"SELECT uuid FROM {table} WHERE {child} IN ({marks})", codes)
        return {str(row[0]) for row in rows}

    def add_clinic_child(self, profile: ChildProfile) -> None:
        """A child new to this laptop, from the clinic: their settings (and their name only
        when the clinic shares names); never consent to keep voice, which is given on each
        laptop; their goals follow from their versions (:meth:`keep_goal_versions`)."""
        self._save_child(replace(profile, goal_ids=(), consent=Consent()), [], new=True)

    def keep_goal_versions(self, versions: Sequence[SharedGoalVersion]) -> int:
        """Keep goal versions from the clinic (one transaction); the newest version of each
        child concerned becomes their goals. How many were new."""
        stamp = self._stamp()
        with self._writing() as conn:
            added = sum(
                conn.execute(
                    "INSERT OR IGNORE INTO goal_versions (uuid, child_code, goals, author, "
                    "laptop_id, laptop, created_at, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (v.uuid, v.child_code, v.goals, v.author, v.laptop_id, v.laptop,
                     v.created_at, stamp),
                ).rowcount
                for v in versions
            )  # fmt: skip
            for code in sorted({v.child_code for v in versions}):
                self._follow_newest_goals(conn, code)
        return int(added)

    def _follow_newest_goals(self, conn: Any, code: str) -> None:
        """The child's goals (and profile goal ids) become their newest version's."""
        rows = conn.execute(
            "SELECT uuid, goals, created_at FROM goal_versions WHERE child_code = ?", (code,)
        ).fetchall()
        if not rows:
            return
        newest = newest_first([dict(row) for row in rows])[0]
        goals = json.loads(newest["goals"])
        conn.execute("DELETE FROM goals WHERE child_code = ?", (code,))
        conn.executemany(
            "INSERT INTO goals (child_code, position, goal_id, goal, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (code, i, goal["id"], to_json(goal, "goal"), newest["created_at"])
                for i, goal in enumerate(goals)
            ],
        )
        (text,) = conn.execute("SELECT profile FROM children WHERE code = ?", (code,)).fetchone()
        profile = json.loads(text) | {"goal_ids": [goal["id"] for goal in goals]}
        conn.execute(
            "UPDATE children SET profile = ? WHERE code = ?", (to_json(profile, "profile"), code)
        )

    def keep_sessions(self, sessions: Sequence[SharedSession]) -> int:
        """Keep sessions from the clinic, read-only, in one transaction; how many were new."""
        stamp = self._stamp()
        added = 0
        with self._writing() as conn:
            for session in sessions:
                added += self._keep_session(conn, session, stamp)
        return added

    def _keep_session(self, conn: Any, s: SharedSession, stamp: str) -> int:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO sessions (child_code, therapist, started_at, ended_at, "
            "status, params, input, simulated, uuid, goals_version, laptop_id, laptop, "
            "origin_id, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.child_code, s.therapist, s.started_at, s.ended_at, s.status, s.params, s.input,
             int(s.simulated), s.uuid, s.goals_version, s.laptop_id, s.laptop, s.origin_id,
             stamp),
        )  # fmt: skip
        if cursor.rowcount == 0:
            return 0  # kept already, whole: it came in one transaction
        session_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO trials (session_id, idx, activity, outcome, prompt_level, record, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(session_id, *trial) for trial in s.trials],
        )
        columns = ", ".join(EVENT_FIELDS)
        conn.executemany(
            f"INSERT INTO events (session_id, {columns}) VALUES (?{', ?' * len(EVENT_FIELDS)})",
            [(session_id, *event[1:]) for event in s.events],
        )
        return 1

    def keep_notes(self, notes: Sequence[SharedNote]) -> int:
        """Keep notes from the clinic on sessions this store holds; how many were new."""
        stamp = self._stamp()
        with self._writing() as conn:
            return int(
                sum(
                    conn.execute(
                        "INSERT OR IGNORE INTO notes (session_id, created_at, text, uuid, "
                        "pulled_at) SELECT id, ?, ?, ?, ? FROM sessions WHERE uuid = ?",
                        (note.created_at, note.text, note.uuid, stamp, note.session_uuid),
                    ).rowcount
                    for note in notes
                )
            )


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
