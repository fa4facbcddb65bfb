"""The session store: children, goals, sessions, trials, events, notes, voice recordings.

Every write is its own transaction and is committed before the call returns, so a crash loses
nothing that was recorded (one trial = one transaction). Times are local ISO 8601 with the UTC
offset, to the second (the date part is the local date a therapist would name).
Records are stored as JSON exactly as given (the shared trial-record shape; non-finite numbers
refused). Voice is recorded only when the child's consent says so.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from soundness_live.config import db_path, load_settings
from soundness_live.core import provenance
from soundness_live.errors import ParameterError, StoreError
from soundness_live.goals.goal import Goal, GoalError, builtin_goals, goal_from_dict
from soundness_live.players.profiles import ChildProfile, Consent, profile_from_dict, validate_code
from soundness_live.store import bundle
from soundness_live.store.checks import (
    EVENT_FIELDS,
    check_trial,
    event_row,
    stored_trial_problem,
    to_json,
)
from soundness_live.store.db import (
    connect,
    damaged_store,
    erase_freed,
    secure_files,
    store_problem,
    stored_json,
    transaction,
)
from soundness_live.store.exchange import ExchangeMixin
from soundness_live.store.goal_versions import GoalVersionsMixin, instant
from soundness_live.store.media import MediaMixin
from soundness_live.store.owner import current_owner, owner_alive

__all__ = ["Store"]

SESSION_COLUMNS = (
    "id, child_code, therapist, started_at, ended_at, status, input, simulated, params, uuid, "
    "laptop, pulled_at"
)


class Store(MediaMixin, GoalVersionsMixin, ExchangeMixin):
    """The SQLite session store; open with :meth:`Store.open`, close with :meth:`close`."""

    def __init__(self, conn: Any, path: Path, now: Callable[[], datetime]) -> None:
        """Use :meth:`Store.open`."""
        self.conn, self.path, self._now = conn, path, now
        self._lock = threading.RLock()  # one connection, possibly used from two threads

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        recover: bool = True,
    ) -> Store:
        """Open (creating) the store at ``path`` (default ``soundness.db`` in data_dir()) and
        mark orphaned running sessions interrupted (``recover``). ``now`` is injectable."""
        path = Path(path) if path is not None else db_path()
        store = cls(connect(path), path, now or (lambda: datetime.now().astimezone()))
        try:
            if recover:
                store.recover_interrupted()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (everything is already committed)."""
        with self._lock:
            self.conn.close()
        secure_files(self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="seconds")

    def _fine_stamp(self) -> str:
        return self._now().isoformat(timespec="microseconds")

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock; a file that cannot be used is a StoreError."""
        with self._lock, self._guarded(), transaction(self.conn) as conn:
            yield conn

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """SQLite errors meaning the file cannot be used become one StoreError naming it."""
        try:
            yield
        except sqlite3.Error as error:
            problem = store_problem(self.path, error)
            if problem is None:
                raise
            raise problem from error

    def _write(self, sql: str, args: Iterable[Any] = ()) -> Any:
        with self._writing() as conn:
            return conn.execute(sql, tuple(args))

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self._lock, self._guarded():
            return self.conn.execute(sql, tuple(args)).fetchall()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result ("ok" when sound)."""
        return str(self._rows("PRAGMA integrity_check")[0][0])

    # --- children and goals ------------------------------------------------------------
    def add_child(
        self,
        profile: ChildProfile | Mapping[str, Any],
        goals: Iterable[Goal | Mapping[str, Any]] | None = None,
        *,
        author: str | None = None,
    ) -> ChildProfile:
        """Add a child. ``goals`` (their goal file's) become the child's goals, with their own
        ids; without them, built-in goals named in ``goal_ids`` do. ``author``: the therapist
        who set the goals (kept with their version)."""
        profile, resolved = self._with_goals(_profile(profile), goals)
        self._save_child(profile, resolved, new=True, author=author)
        return profile

    def _with_goals(
        self, profile: ChildProfile, goals: Iterable[Goal | Mapping[str, Any]] | None
    ) -> tuple[ChildProfile, list[Goal]]:
        """The profile and the goals to store with it: ``goals`` as given (the profile's
        goal_ids follow them), else the goals ``goal_ids`` name."""
        if goals is None:
            return profile, self._resolve_goals(profile.code, profile.goal_ids)
        checked = _checked_goals(profile.code, goals)
        return replace(profile, goal_ids=tuple(goal.id for goal in checked)), checked

    def get_child(self, code: str) -> ChildProfile:
        """The child's profile; StoreError when there is no such child."""
        rows = self._rows(
            "SELECT code, display_name, date_of_birth, consent, profile FROM children "
            "WHERE code = ?",
            (validate_code(code),),
        )
        if not rows:
            raise StoreError(f"no child with code {code!r} in {self.path}")
        return _child_from_row(rows[0], self.path)

    def list_children(self) -> list[ChildProfile]:
        """All children, by code."""
        rows = self._rows(
            "SELECT code, display_name, date_of_birth, consent, profile FROM children ORDER BY code"
        )
        return [_child_from_row(row, self.path) for row in rows]

    def update_profile(
        self,
        profile: ChildProfile | Mapping[str, Any],
        goals: Iterable[Goal | Mapping[str, Any]] | None = None,
        *,
        author: str | None = None,
    ) -> ChildProfile:
        """Replace a child's profile (and with ``goals``, their goals: a new version by
        ``author`` when they change). Withdrawing voice consent deletes their recordings; goal
        ids not yet among the child's goals are taken from the built-in library."""
        profile, resolved = self._with_goals(_profile(profile), goals)
        self.get_child(profile.code)
        self._save_child(profile, resolved, new=False, author=author)
        return profile

    def set_goals(
        self, code: str, goals: Iterable[Goal | Mapping[str, Any]], *, author: str | None = None
    ) -> list[Goal]:
        """Replace the child's goals (validated; ids unique), a new version by ``author`` when
        they change; the profile's goal_ids follow."""
        profile, checked = self._with_goals(self.get_child(code), goals)
        self._save_child(profile, checked, new=False, author=author)
        return checked

    def set_voice_consent(self, code: str, allowed: bool) -> int:
        """Record whether the child's voice may be kept. Withdrawing it deletes the recordings
        already kept and erases them from the files (:meth:`erase_deleted`); their number."""
        kept = self.holdings(code)["voice recordings"]
        profile = replace(self.get_child(code), consent=Consent(voice_recording=allowed))
        self._save_child(profile, self.goals_for(code), new=False)
        if not allowed and kept:
            self.erase_deleted()
        return 0 if allowed else kept

    def holdings(self, code: str) -> dict[str, int]:
        """How much the store keeps of the child: counts by kind, in words."""
        self.get_child(code)
        of_sessions = "session_id IN (SELECT id FROM sessions WHERE child_code = ?)"
        counts = {
            "sessions": "SELECT COUNT(*) FROM sessions WHERE child_code = ?",
            "trials": f"SELECT COUNT(*) FROM trials WHERE {of_sessions}",
            "input events": f"SELECT COUNT(*) FROM events WHERE {of_sessions}",
            "notes": f"SELECT COUNT(*) FROM notes WHERE {of_sessions}",
            "voice recordings": f"SELECT COUNT(*) FROM voice_recordings WHERE {of_sessions}",
            "goals": "SELECT COUNT(*) FROM goals WHERE child_code = ?",
        }
        return {kind: int(self._rows(sql, (code,))[0][0]) for kind, sql in counts.items()}

    def delete_child(self, code: str) -> dict[str, int]:
        """Delete the child and everything of theirs (sessions with their trials, input events,
        notes and voice recordings; goals), then erase it from the files; what was deleted.

        Refused while one of the child's sessions is open in a running program (the engine,
        a ``play``): its next trial would have nowhere to go. A session whose program is gone
        is deleted like the others. The check and the deletion are one transaction, so no
        session can open in between.
        """
        with self._writing() as conn:
            holdings = self.holdings(code)
            self._refuse_open_sessions(code)
            conn.execute("DELETE FROM sessions WHERE child_code = ?", (code,))  # cascades
            conn.execute("DELETE FROM children WHERE code = ?", (code,))  # goals cascade
        self.erase_deleted()
        return holdings

    def _refuse_open_sessions(self, code: str) -> None:
        rows = self._rows(
            "SELECT id, owner_pid, owner_start, owner_host FROM sessions "
            "WHERE child_code = ? AND status = 'running'",
            (code,),
        )
        for row in rows:
            if owner_alive(*tuple(row)[1:]):
                raise StoreError(
                    f"session {row['id']} of {code} is still open in a running Soundness Live "
                    f"program (process {row['owner_pid']}); end that session on the therapist's "
                    "screen (or stop the program), then delete again"
                )

    def erase_deleted(self) -> None:
        """Overwrite what deletions freed, in the database file and its WAL (see
        :func:`soundness_live.store.db.erase_freed`)."""
        with self._lock, self._guarded():
            erase_freed(self.conn, self.path)

    def _save_child(
        self, profile: ChildProfile, goals: list[Goal], *, new: bool, author: str | None = None
    ) -> None:
        """Write the child's row and goals in one transaction. Identity and consent live in
        their own columns; the profile column holds the settings only (one source each).
        Goals that change become a new version (:mod:`soundness_live.store.goal_versions`)."""
        identity = (
            profile.display_name,
            profile.date_of_birth,
            to_json({"voice_recording": profile.consent.voice_recording}, "consent"),
            to_json(profile.settings(), "profile"),
        )
        insert = (
            "INSERT INTO children (display_name, date_of_birth, consent, profile, code, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)"
        )
        update = (
            "UPDATE children SET display_name = ?, date_of_birth = ?, consent = ?, profile = ? "
            "WHERE code = ?"
        )
        with self._writing():
            try:
                if new:
                    self.conn.execute(insert, (*identity, profile.code, self._stamp()))
                else:
                    self.conn.execute(update, (*identity, profile.code))
            except sqlite3.IntegrityError as error:
                raise StoreError(f"a child with code {profile.code!r} already exists") from error
            if not profile.consent.voice_recording:  # consent withdrawn: delete what was kept
                self.conn.execute(
                    "DELETE FROM voice_recordings WHERE session_id IN "
                    "(SELECT id FROM sessions WHERE child_code = ?)",
                    (profile.code,),
                )
            self._add_goal_version(profile.code, goals, author)
            self._replace_goals(profile.code, goals)

    def goals_for(self, code: str) -> list[Goal]:
        """The child's goals, in the order they were set."""
        rows = self._rows(
            "SELECT goal FROM goals WHERE child_code = ? ORDER BY position", (validate_code(code),)
        )
        return [
            goal_from_dict(stored_json(self.path, row[0], "goal"), f"stored goals of {code}")
            for row in rows
        ]

    def _resolve_goals(self, code: str, goal_ids: Iterable[str]) -> list[Goal]:
        mine = {goal.id: goal for goal in self.goals_for(code)}
        library = {goal.id: goal for goal in builtin_goals()}
        resolved = []
        for goal_id in goal_ids:
            goal = mine.get(goal_id) or library.get(goal_id)
            if goal is None:
                known = ", ".join(sorted(set(mine) | set(library)))
                raise ParameterError(
                    f"profile field 'goal_ids': unknown goal {goal_id!r}; "
                    f"set it with set_goals() or pick one of: {known}"
                )
            resolved.append(goal)
        return resolved

    def _replace_goals(self, code: str, goals: list[Goal]) -> None:
        self.conn.execute("DELETE FROM goals WHERE child_code = ?", (code,))
        self.conn.executemany(
            "INSERT INTO goals (child_code, position, goal_id, goal, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (code, i, g.id, to_json(g.to_dict(), "goal"), self._stamp())
                for i, g in enumerate(goals)
            ],
        )

    # --- sessions ------------------------------------------------------------------------
    def start_session(
        self, child_code: str, therapist: str | None = None, params: Mapping[str, Any] | None = None
    ) -> int:
        """Start a running session owned by this process; returns its id."""
        self.get_child(child_code)
        if therapist is not None and (
            not isinstance(therapist, str) or not 0 < len(therapist) <= 64
        ):
            raise ParameterError(f"therapist must be null or 1..64 characters, got {therapist!r}")
        pid, start, host = current_owner()
        cursor = self._write(
            "INSERT INTO sessions (child_code, therapist, started_at, status, owner_pid, "
            "owner_start, owner_host, params, uuid, goals_version) "
            "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
            (
                child_code,
                therapist,
                self._stamp(),
                pid,
                start,
                host,
                to_json(dict(params or {}), "session params"),
                str(uuid.uuid4()),
                self.current_goal_version(child_code),
            ),
        )
        return int(cursor.lastrowid)

    def _running(self, session_id: int) -> Any:
        rows = self._rows("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise StoreError(f"no session with id {session_id!r}")
        if rows[0]["status"] != "running":
            raise StoreError(f"session {session_id} is {rows[0]['status']}, not running")
        return rows[0]

    def end_session(self, session_id: int, status: str = "complete") -> None:
        """End a running session as "complete" or "interrupted"."""
        if status not in ("complete", "interrupted"):
            raise ParameterError(f"status must be 'complete' or 'interrupted', got {status!r}")
        self._running(session_id)
        self._write(
            "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ?",
            (status, self._stamp(), session_id),
        )

    def recover_interrupted(self) -> list[int]:
        """Mark running sessions whose owner process is gone as interrupted (see
        :mod:`soundness_live.store.owner`); returns their ids."""
        rows = self._rows(
            "SELECT id, owner_pid, owner_start, owner_host FROM sessions WHERE status = 'running'"
        )
        gone = [row["id"] for row in rows if not owner_alive(*tuple(row)[1:])]
        for session_id in gone:
            self._write(
                "UPDATE sessions SET status = 'interrupted' WHERE id = ? AND status = 'running'",
                (session_id,),
            )
        return gone

    def sessions(self, child_code: str | None = None) -> list[dict[str, Any]]:
        """Sessions (all, or one child's), oldest first (by when they started, wherever that
        was), without their trials. ``uuid`` names a session on every laptop; ``laptop`` is
        the laptop it was recorded on (this one's label for its own sessions, None when this
        laptop has none); ``from_clinic`` marks a read-only copy received from the clinic."""
        where, args = ("WHERE child_code = ?", (child_code,)) if child_code else ("", ())
        rows = self._rows(f"SELECT {SESSION_COLUMNS} FROM sessions {where} ORDER BY id", args)
        here = load_settings(self.path.parent).laptop if rows else None
        listed = [
            {key: row[key] for key in row.keys() if key != "pulled_at"}
            | {
                "simulated": bool(row["simulated"]),
                "params": stored_json(self.path, row["params"], "session"),
                "laptop": row["laptop"] if row["pulled_at"] else here,
                "from_clinic": row["pulled_at"] is not None,
            }
            for row in rows
        ]
        return sorted(listed, key=lambda s: (instant(s["started_at"]), s["id"]))

    def mark_input(self, session_id: int, kind: str | None) -> None:
        """An activity played with input ``kind`` (live, virtual, file or mixed; None: no
        source) starts in a running session: the session's input and simulated flag follow
        (rule: :mod:`soundness_live.core.provenance`)."""
        if kind is not None and kind not in provenance.KINDS:
            expected = ", ".join(provenance.KINDS)
            raise ParameterError(f"input must be one of {expected} or null, got {kind!r}")
        merged = provenance.merge_input(self._running(session_id)["input"], kind)
        self._write(
            "UPDATE sessions SET input = ?, simulated = ? WHERE id = ?",
            (merged, int(provenance.simulated(merged)), session_id),
        )

    # --- what happens in a session ----------------------------------------------------------
    def record_trial(
        self,
        session_id: int,
        record: Mapping[str, Any],
        events: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Store one trial record of a running session and the raw input events that came
        with it (:meth:`record_events`' rows), in one transaction committed before returning:
        a crash keeps both or neither."""
        self._running(session_id)
        index, activity, outcome, level, text = check_trial(record)
        rows = [event_row(session_id, event, i) for i, event in enumerate(events)]
        try:
            with self._writing() as conn:
                conn.execute(
                    "INSERT INTO trials (session_id, idx, activity, outcome, prompt_level, "
                    "record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (session_id, index, activity, outcome, level, text, self._stamp()),
                )
                self._insert_events(conn, rows)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error):
                raise StoreError(f"session {session_id} already has trial {index}") from error
            raise

    def mark_prompt_level(self, session_id: int, index: int, level: str) -> dict[str, Any]:
        """Change the prompt level of stored trial ``index`` of a running session, in one
        transaction: the therapist marks the help given once the child has answered. The
        record keeps that it was marked after its trial ended: ``prompt_level_marked_at``
        (when) and ``prompt_level_recorded`` (the level it was stored with, kept from the
        first mark on). Its outcome, metrics and input (a simulated trial stays simulated) are
        not touched. The record as now stored."""
        self._running(session_id)
        with self._writing() as conn:
            row = conn.execute(
                "SELECT record FROM trials WHERE session_id = ? AND idx = ?", (session_id, index)
            ).fetchone()
            if row is None:
                raise StoreError(f"session {session_id} has no trial {index} to mark")
            record = self._stored_trial(session_id, index, row[0])
            record.pop("session_id")
            record.setdefault("prompt_level_recorded", record.get("prompt_level"))
            record.update(prompt_level=level, prompt_level_marked_at=self._stamp())
            _, _, _, checked_level, text = check_trial(record)
            conn.execute(
                "UPDATE trials SET prompt_level = ?, record = ? WHERE session_id = ? AND idx = ?",
                (checked_level, text, session_id, index),
            )
        return record

    def trials(self, session_id: int) -> list[dict[str, Any]]:
        """A session's trial records (as recorded, plus ``session_id``), by index."""
        rows = self._rows(
            "SELECT idx, record FROM trials WHERE session_id = ? ORDER BY idx", (session_id,)
        )
        return [self._stored_trial(session_id, row[0], row[1]) for row in rows]

    def _stored_trial(self, session_id: int, index: int, text: Any) -> dict[str, Any]:
        """One stored trial record (plus ``session_id``); StoreError naming the file, the
        session and the trial when it is damaged (not JSON, or not a record's shape)."""
        where = f"trial record of session {session_id}, trial {index}"
        record = stored_json(self.path, text, where)
        problem = stored_trial_problem(record)
        if problem is not None:
            raise damaged_store(self.path, f"{where}: {problem}")
        return record | {"session_id": session_id}

    def record_events(self, session_id: int, events: Iterable[Mapping[str, Any]]) -> int:
        """Store raw input events (EVENT_FIELDS; ``kind`` note_on/note_off) in one transaction."""
        self._running(session_id)
        rows = [event_row(session_id, event, i) for i, event in enumerate(events)]
        with self._writing() as conn:
            self._insert_events(conn, rows)
        return len(rows)

    @staticmethod
    def _insert_events(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert :func:`event_row` rows inside the caller's transaction."""
        columns = ", ".join(EVENT_FIELDS)
        conn.executemany(
            f"INSERT INTO events (session_id, {columns}) VALUES (?{', ?' * len(EVENT_FIELDS)})",
            rows,
        )

    def events(self, session_id: int) -> list[dict[str, Any]]:
        """A session's input events in time order."""
        rows = self._rows(
            f"SELECT session_id, {', '.join(EVENT_FIELDS)} FROM events "
            "WHERE session_id = ? ORDER BY onset_ms, id",
            (session_id,),
        )
        return [dict(row) for row in rows]

    def add_note(self, session_id: int, text: str) -> None:
        """A therapist's note on a session (any status; notes are often written after it ends)."""
        if not isinstance(text, str) or not 0 < len(text.strip()) <= 10_000:
            raise ParameterError(f"note text must be 1..10000 characters, got {text!r:.40}")
        rows = self._rows("SELECT laptop, pulled_at FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise StoreError(f"no session with id {session_id!r}")
        if rows[0]["pulled_at"] is not None:
            raise StoreError(
                f"session {session_id} came from the laptop {rows[0]['laptop']!r} through the "
                "clinic and is read-only here: add the note on that laptop"
            )
        self._write(
            "INSERT INTO notes (session_id, created_at, text, uuid) VALUES (?, ?, ?, ?)",
            (session_id, self._stamp(), text, str(uuid.uuid4())),
        )

    def notes(self, session_id: int) -> list[dict[str, Any]]:
        """A session's notes, oldest first."""
        rows = self._rows(
            "SELECT created_at, text FROM notes WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [dict(row) for row in rows]

    def export_bundle(self, child_code: str, session_id: int | None = None) -> dict[str, Any]:
        """Everything about one child (or one of their sessions) in the export-bundle shape;
        see :func:`soundness_live.store.bundle.build_bundle`."""
        return bundle.build_bundle(self, child_code, session_id)


def _checked_goals(code: str, goals: Iterable[Goal | Mapping[str, Any]]) -> list[Goal]:
    """``goals`` validated, with unique ids."""
    checked: list[Goal] = []
    for index, goal in enumerate(goals):
        data = goal.to_dict() if isinstance(goal, Goal) else goal
        checked.append(goal_from_dict(data, f"goals for {code}", index))
        if [g.id for g in checked].count(checked[-1].id) > 1:
            raise GoalError(f"goals for {code}: goal {checked[-1].id!r} is given twice")
    return checked


def _profile(profile: ChildProfile | Mapping[str, Any]) -> ChildProfile:
    return profile if isinstance(profile, ChildProfile) else profile_from_dict(profile)


def _child_from_row(row: Any, path: Path) -> ChildProfile:
    return profile_from_dict(
        {
            "code": row["code"],
            "display_name": row["display_name"],
            "date_of_birth": row["date_of_birth"],
            "consent": stored_json(path, row["consent"], "child's consent"),
        }
        | stored_json(path, row["profile"], "child's profile")
    )
