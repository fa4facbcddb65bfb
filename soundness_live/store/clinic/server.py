"""The clinic's server as a store: what sync writes and reads, and what the exports read.

:class:`ClinicStore` holds one psycopg connection as the laptops' role (or the
administrator's). Sending is idempotent by UUID: a record already there is left as it is
(``ON CONFLICT DO NOTHING``), and a session comes with its trials and events in one
transaction, so the server never holds part of one. Reading follows the laptop store's
interface (:class:`~soundness_live.store.bundle.BundleSource`: ``get_child``, ``goals_for``,
``sessions``, ``trials``, ``events``, ``notes``), so :func:`~soundness_live.store.bundle.
build_bundle` and every export and report read the server without knowing it is one. A
session's ``id`` there is the server's own number; ``from_clinic`` is true for all.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from soundness_live.errors import StoreError
from soundness_live.goals.goal import Goal, goal_from_dict
from soundness_live.players.profiles import ChildProfile, profile_from_dict
from soundness_live.store import bundle
from soundness_live.store.checks import EVENT_FIELDS
from soundness_live.store.clinic.connection import ClinicAddress, connect_server, first_line
from soundness_live.store.clinic.schema import SCHEMA, check_version
from soundness_live.store.goal_versions import instant, newest_first
from soundness_live.store.shared import SharedGoalVersion, SharedNote, SharedSession

__all__ = ["ClinicStore"]

_SESSION_FIELDS = (
    "uuid::text, child_code, laptop_id::text, laptop, origin_id, therapist, started_at, "
    "ended_at, status, input, simulated, params, goals_version::text"
)


class ClinicStore:
    """The clinic's PostgreSQL server, read and written through one connection."""

    def __init__(self, conn: Any, address: ClinicAddress) -> None:
        """Use :meth:`open`."""
        self.conn, self.address = conn, address

    @classmethod
    def open(
        cls, url: str, home: Path | None = None, *, password: str | None = None
    ) -> ClinicStore:
        """Connect to the server at ``url`` (its kept password in ``home``, or ``password``)
        and check its schema version."""
        address = ClinicAddress.parse(url)
        conn = connect_server(address, home, password, autocommit=True)
        store = cls(conn, address)
        try:
            store.run(lambda: check_version(conn, address.named))
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> ClinicStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, step: Any) -> Any:
        """``step()``, a lost connection or a refusal by the server becoming one StoreError
        naming the server."""
        from psycopg import Error

        try:
            return step()
        except Error as error:
            raise StoreError(
                f"the clinic server {self.address.named} failed: {first_line(error)}"
            ) from error

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.run(lambda: self.conn.execute(sql.encode(), args).fetchall())  # type: ignore[no-any-return]

    # --- clinic settings ------------------------------------------------------------------
    def share_names(self) -> bool:
        """Whether the clinic keeps children's names (else codes only)."""
        rows = self._rows(f"SELECT value FROM {SCHEMA}.clinic_settings WHERE name = 'share_names'")
        return bool(rows) and rows[0][0] == "true"

    # --- sending --------------------------------------------------------------------------
    def add_child(self, code: str, laptop_id: str) -> None:
        """The child's code, if the server does not know it yet."""
        self._rows(
            f"INSERT INTO {SCHEMA}.children (code, laptop_id) VALUES (%s, %s) "
            "ON CONFLICT (code) DO NOTHING RETURNING code",
            (code, laptop_id),
        )

    def add_profile(
        self, profile: ChildProfile, settings: str, laptop_id: str, laptop: str
    ) -> None:
        """A new version of the child's settings (their name and birth date only when the
        clinic shares names: the server drops them otherwise)."""
        named = self.share_names()
        self._rows(
            f"INSERT INTO {SCHEMA}.child_profiles (child_code, settings, display_name, "
            "date_of_birth, laptop_id, laptop) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (profile.code, settings, profile.display_name if named else None,
             profile.date_of_birth if named else None, laptop_id, laptop),
        )  # fmt: skip

    def add_goal_versions(self, versions: Sequence[SharedGoalVersion]) -> None:
        """Goal versions (in one transaction); those already there stay as they are."""

        def send() -> None:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SCHEMA}.goal_versions (uuid, child_code, goals, author, "
                    "laptop_id, laptop, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (uuid) DO NOTHING".encode(),
                    [(v.uuid, v.child_code, v.goals, v.author, v.laptop_id, v.laptop,
                      v.created_at) for v in versions],
                )  # fmt: skip

        self.run(send)

    def add_sessions(self, sessions: Sequence[SharedSession]) -> int:
        """Sessions with their trials and events, in one transaction; sessions already there
        are left whole as they are. How many were new."""

        def send() -> int:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                return _send_sessions(cursor, sessions)

        return int(self.run(send))

    def add_notes(self, notes: Sequence[SharedNote], laptop_id: str) -> None:
        """Notes on sessions the server holds (one transaction); known ones stay."""

        def send() -> None:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SCHEMA}.notes (uuid, session_uuid, created_at, text, "
                    "laptop_id) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (uuid) DO NOTHING".encode(),
                    [(n.uuid, n.session_uuid, n.created_at, n.text, laptop_id) for n in notes],
                )

        self.run(send)

    # --- fetching -------------------------------------------------------------------------
    def known_children(self, codes: Sequence[str]) -> list[str]:
        """Which of ``codes`` the server knows."""
        rows = self._rows(
            f"SELECT code FROM {SCHEMA}.children WHERE code = ANY(%s) ORDER BY code", (list(codes),)
        )
        return [row[0] for row in rows]

    def session_uuids(self, codes: Sequence[str], not_from: str) -> list[str]:
        """The UUIDs of the sessions of ``codes`` recorded elsewhere than laptop ``not_from``,
        in the order the server received them."""
        rows = self._rows(
            f"SELECT uuid::text FROM {SCHEMA}.sessions WHERE child_code = ANY(%s) "
            "AND laptop_id <> %s ORDER BY id",
            (list(codes), not_from),
        )
        return [row[0] for row in rows]

    def fetch_sessions(self, uuids: Sequence[str]) -> list[SharedSession]:
        """These sessions, whole."""
        rows = self._rows(
            f"SELECT id, {_SESSION_FIELDS} FROM {SCHEMA}.sessions WHERE uuid = ANY(%s::uuid[]) "
            "ORDER BY id",
            (list(uuids),),
        )
        ids = [row[0] for row in rows]
        trials = _grouped(self._rows(
            f"SELECT session_id, idx, activity, outcome, prompt_level, record, created_at FROM "
            f"{SCHEMA}.trials WHERE session_id = ANY(%s) ORDER BY session_id, idx", (ids,),
        ))  # fmt: skip
        events = _grouped(self._rows(
            f"SELECT session_id, seq, {', '.join(EVENT_FIELDS)} FROM {SCHEMA}.events "
            "WHERE session_id = ANY(%s) ORDER BY session_id, seq", (ids,),
        ))  # fmt: skip
        fields = [f.name for f in dataclasses.fields(SharedSession)][:-2]  # without trials, events
        return [
            SharedSession(
                **dict(zip(fields, row[1:], strict=True)),
                trials=tuple(trials.get(row[0], ())),
                events=tuple(events.get(row[0], ())),
            )
            for row in rows
        ]

    def fetch_notes(self, codes: Sequence[str], not_from: str) -> list[SharedNote]:
        """Notes written elsewhere than ``not_from`` on the sessions of ``codes``."""
        rows = self._rows(
            f"SELECT n.uuid::text, n.session_uuid::text, n.created_at, n.text FROM {SCHEMA}.notes "
            f"AS n JOIN {SCHEMA}.sessions AS s ON s.uuid = n.session_uuid "
            "WHERE s.child_code = ANY(%s) AND n.laptop_id <> %s ORDER BY n.received_at, n.uuid",
            (list(codes), not_from),
        )
        return [SharedNote(*row) for row in rows]

    def fetch_goal_versions(self, codes: Sequence[str]) -> list[SharedGoalVersion]:
        """Every goal version of ``codes``."""
        rows = self._rows(
            f"SELECT uuid::text, child_code, goals, author, laptop_id::text, laptop, created_at "
            f"FROM {SCHEMA}.goal_versions WHERE child_code = ANY(%s)",
            (list(codes),),
        )
        return [SharedGoalVersion(*row) for row in rows]

    # --- the store interface the exports read ---------------------------------------------
    def get_child(self, code: str) -> ChildProfile:
        """The child as the clinic knows them: the newest settings sent (a name only when
        names are shared), their newest goals' ids; StoreError when the server has no such
        child."""
        rows = self._rows(
            f"SELECT settings, display_name, date_of_birth FROM {SCHEMA}.child_profiles "
            "WHERE child_code = %s ORDER BY id DESC LIMIT 1",
            (code,),
        )
        if not rows and not self.known_children([code]):
            raise StoreError(f"no child with code {code!r} on the clinic server")
        settings = json.loads(rows[0][0]) if rows else {}
        name, born = (rows[0][1], rows[0][2]) if rows else (None, None)
        goals = [goal.id for goal in self.goals_for(code)]
        return profile_from_dict(
            settings | {"code": code, "display_name": name, "date_of_birth": born,
                        "goal_ids": goals}
        )  # fmt: skip

    def goals_for(self, code: str) -> list[Goal]:
        """The child's goals: their newest version, wherever it was set."""
        versions = [
            {"uuid": v.uuid, "created_at": v.created_at, "goals": v.goals}
            for v in self.fetch_goal_versions([code])
        ]
        if not versions:
            return []
        newest = newest_first(versions)[0]
        listed = json.loads(newest["goals"])
        return [goal_from_dict(data, f"clinic goals of {code}", i) for i, data in enumerate(listed)]

    def sessions(self, child_code: str | None = None) -> list[dict[str, Any]]:
        """Sessions (all, or one child's), oldest first by the instant they started, with the
        laptop each was recorded on; ``from_clinic`` is true for every one."""
        where, args = ("WHERE child_code = %s", (child_code,)) if child_code else ("", ())
        rows = self._rows(
            "SELECT id, child_code, therapist, started_at, ended_at, status, input, simulated, "
            f"params, uuid::text, laptop FROM {SCHEMA}.sessions {where}",
            args,
        )
        keys = ("id", "child_code", "therapist", "started_at", "ended_at", "status", "input",
                "simulated", "params", "uuid", "laptop")  # fmt: skip
        listed = [
            dict(zip(keys, row, strict=True)) | {"params": json.loads(row[8]), "from_clinic": True}
            for row in rows
        ]
        return sorted(listed, key=lambda s: (instant(s["started_at"]), s["id"]))

    def trials(self, session_id: int) -> list[dict[str, Any]]:
        """A session's trial records, by index."""
        rows = self._rows(
            f"SELECT record FROM {SCHEMA}.trials WHERE session_id = %s ORDER BY idx", (session_id,)
        )
        return [json.loads(row[0]) | {"session_id": session_id} for row in rows]

    def events(self, session_id: int) -> list[dict[str, Any]]:
        """A session's input events in time order."""
        rows = self._rows(
            f"SELECT session_id, {', '.join(EVENT_FIELDS)} FROM {SCHEMA}.events "
            "WHERE session_id = %s ORDER BY onset_ms, seq",
            (session_id,),
        )
        return [dict(zip(("session_id", *EVENT_FIELDS), row, strict=True)) for row in rows]

    def notes(self, session_id: int) -> list[dict[str, Any]]:
        """A session's notes, oldest first."""
        rows = self._rows(
            f"SELECT n.created_at, n.text FROM {SCHEMA}.notes AS n JOIN {SCHEMA}.sessions AS s "
            "ON s.uuid = n.session_uuid WHERE s.id = %s ORDER BY n.received_at, n.uuid",
            (session_id,),
        )
        return [{"created_at": row[0], "text": row[1]} for row in rows]

    def export_bundle(self, child_code: str, session_id: int | None = None) -> dict[str, Any]:
        """The export bundle of the child's sessions on the server (see
        :func:`soundness_live.store.bundle.build_bundle`), read in a few queries whatever
        the number of sessions."""
        return bundle.build_bundle(_ReadAhead(self, child_code), child_code, session_id)


class _ReadAhead:
    """One child's records read from the server at once, answering the store interface the
    bundle reads (three queries for every session, instead of three per session)."""

    def __init__(self, clinic: ClinicStore, code: str) -> None:
        self.clinic = clinic
        of_child = "s.child_code = %s"
        self._trials = _grouped(clinic._rows(
            f"SELECT t.session_id, t.record FROM {SCHEMA}.trials AS t JOIN {SCHEMA}.sessions "
            f"AS s ON s.id = t.session_id WHERE {of_child} ORDER BY t.session_id, t.idx", (code,),
        ))  # fmt: skip
        fields = ", ".join(f"e.{name}" for name in EVENT_FIELDS)
        self._events = _grouped(clinic._rows(
            f"SELECT e.session_id, {fields} FROM {SCHEMA}.events AS e JOIN {SCHEMA}.sessions "
            f"AS s ON s.id = e.session_id WHERE {of_child} "
            "ORDER BY e.session_id, e.onset_ms, e.seq", (code,),
        ))  # fmt: skip
        self._notes = _grouped(clinic._rows(
            f"SELECT s.id, n.created_at, n.text FROM {SCHEMA}.notes AS n JOIN {SCHEMA}.sessions "
            f"AS s ON s.uuid = n.session_uuid WHERE {of_child} "
            "ORDER BY s.id, n.received_at, n.uuid", (code,),
        ))  # fmt: skip

    def get_child(self, code: str) -> ChildProfile:
        """See :meth:`ClinicStore.get_child`."""
        return self.clinic.get_child(code)

    def goals_for(self, code: str) -> list[Goal]:
        """See :meth:`ClinicStore.goals_for`."""
        return self.clinic.goals_for(code)

    def sessions(self, child_code: str | None = None) -> list[dict[str, Any]]:
        """See :meth:`ClinicStore.sessions`."""
        return self.clinic.sessions(child_code)

    def trials(self, session_id: int) -> list[dict[str, Any]]:
        """See :meth:`ClinicStore.trials`."""
        return [
            json.loads(row[0]) | {"session_id": session_id}
            for row in self._trials.get(session_id, ())
        ]

    def events(self, session_id: int) -> list[dict[str, Any]]:
        """See :meth:`ClinicStore.events`."""
        return [
            dict(zip(("session_id", *EVENT_FIELDS), (session_id, *row), strict=True))
            for row in self._events.get(session_id, ())
        ]

    def notes(self, session_id: int) -> list[dict[str, Any]]:
        """See :meth:`ClinicStore.notes`."""
        return [{"created_at": row[0], "text": row[1]} for row in self._notes.get(session_id, ())]


def _send_sessions(cursor: Any, sessions: Sequence[SharedSession]) -> int:
    """Insert sessions with their trials and events (COPY), leaving those already there;
    how many were new."""
    new: list[tuple[int, SharedSession]] = []
    for s in sessions:
        cursor.execute(
            f"INSERT INTO {SCHEMA}.sessions (uuid, child_code, laptop_id, laptop, origin_id, "
            "therapist, started_at, ended_at, status, input, simulated, params, goals_version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (uuid) DO NOTHING RETURNING id".encode(),
            (s.uuid, s.child_code, s.laptop_id, s.laptop, s.origin_id, s.therapist,
             s.started_at, s.ended_at, s.status, s.input, s.simulated, s.params,
             s.goals_version),
        )  # fmt: skip
        row = cursor.fetchone()
        if row is not None:  # else there already, whole: it came in one transaction
            new.append((row[0], s))
    trial_columns = "session_id, idx, activity, outcome, prompt_level, record, created_at"
    with cursor.copy(f"COPY {SCHEMA}.trials ({trial_columns}) FROM STDIN".encode()) as copy:
        for server_id, s in new:
            for trial in s.trials:
                copy.write_row((server_id, *trial))
    event_columns = f"session_id, seq, {', '.join(EVENT_FIELDS)}"
    with cursor.copy(f"COPY {SCHEMA}.events ({event_columns}) FROM STDIN".encode()) as copy:
        for server_id, s in new:
            for event in s.events:
                copy.write_row((server_id, *event))
    return len(new)


def _grouped(rows: list[tuple[Any, ...]]) -> dict[Any, list[tuple[Any, ...]]]:
    """Rows keyed by their first column (the rest kept, in order)."""
    grouped: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(tuple(row[1:]))
    return grouped
