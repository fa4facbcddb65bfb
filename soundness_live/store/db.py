"""The SQLite file: owner-only creation, connection settings, schema and migrations.

- The file is created with ``os.open(..., 0o600)`` before SQLite opens it; SQLite gives its
  ``-wal`` and ``-shm`` files the database file's permissions, and :func:`secure_files`
  chmods them again anyway (a file left by an older version or another umask).
- WAL journal, ``synchronous=FULL`` (a committed trial survives a power cut too, not only a
  crash of the program; one fsync per trial is cheap at trial rates), foreign keys on.
- Schema versioning with ``PRAGMA user_version``: ``MIGRATIONS[i]`` takes version ``i`` to
  ``i + 1``, each in one transaction together with the new version number. A file whose version
  is newer than this code knows is refused (never "downgraded" by guessing).
- A file is checked to be a Soundness Live store before anything is written to it: an SQLite
  database of another program (tables at version 0, or our version without our tables) is
  refused untouched, never switched to WAL or given our tables.
- ``secure_delete`` is on: a deleted row's bytes are overwritten with zeros, not left in a
  free page; :func:`erase_freed` also empties the WAL and rebuilds the file, so that deleted
  data (a child, withdrawn voice recordings) leaves no bytes in any of the store's files.
- Every SQLite error that means the file cannot be used (damaged, not a database, another
  schema, busy, read-only, disk full) becomes one :class:`StoreError` that names the file and
  says what to do (:func:`store_problem`); other errors are bugs and keep their traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from soundness_live.config import HOME_ENV
from soundness_live.errors import StoreError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "connect",
    "damaged_store",
    "erase_freed",
    "migrate",
    "secure_files",
    "store_problem",
    "stored_json",
    "transaction",
]

_V1 = (
    """CREATE TABLE children (
        code TEXT PRIMARY KEY,
        display_name TEXT,
        date_of_birth TEXT,
        consent TEXT NOT NULL,
        profile TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE goals (
        child_code TEXT NOT NULL REFERENCES children(code) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        goal_id TEXT NOT NULL,
        goal TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (child_code, goal_id))""",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        child_code TEXT NOT NULL REFERENCES children(code),
        therapist TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
        owner_pid INTEGER,
        owner_start TEXT,
        owner_host TEXT,
        params TEXT NOT NULL DEFAULT '{}')""",
    "CREATE INDEX sessions_child ON sessions (child_code, started_at)",
    """CREATE TABLE trials (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        activity TEXT NOT NULL,
        outcome TEXT NOT NULL,
        prompt_level TEXT,
        record TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (session_id, idx))""",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        onset_ms REAL NOT NULL,
        onset_frame INTEGER,
        kind TEXT NOT NULL,
        note INTEGER,
        velocity INTEGER,
        device TEXT,
        player TEXT,
        clock TEXT,
        channel INTEGER)""",
    "CREATE INDEX events_session ON events (session_id, onset_ms)",
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        text TEXT NOT NULL)""",
    """CREATE TABLE prompt_assets (
        name TEXT PRIMARY KEY,
        wav BLOB,
        path TEXT,
        analysis TEXT,
        created_at TEXT NOT NULL,
        CHECK (wav IS NOT NULL OR path IS NOT NULL))""",
    """CREATE TABLE voice_recordings (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        trial_idx INTEGER NOT NULL,
        wav BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (session_id, trial_idx))""",
)

# Version 2: where the playing came from (soundness_live.core.provenance). A session's and an
# event's ``input`` (live, virtual, file; a session also mixed), a session's ``simulated``, and
# a trial record's ``input`` and ``simulated`` keys. What was stored before is marked from the
# evidence it holds, so no simulated session goes on passing for a child's: a trial by the
# clock that stamped its responses (virtual child, MIDI file, else live), else by how its session
# was started (``play --input``, the demo); a session by its trials; an event by its clock.
# A trial with neither stays without a known input (null, not simulated).
_TRIAL_INPUT = """COALESCE(
    (SELECT CASE WHEN json_extract(value, '$.clock') IN ('virtual', 'file')
                 THEN json_extract(value, '$.clock') ELSE 'live' END
       FROM json_each(trials.record, '$.responses')
      WHERE json_extract(value, '$.clock') IS NOT NULL LIMIT 1),
    (SELECT CASE WHEN json_extract(params, '$.input') = 'virtual' THEN 'virtual'
                 WHEN json_extract(params, '$.demo') THEN 'virtual'
                 WHEN json_extract(params, '$.input') <> 'live' THEN 'file' END
       FROM sessions WHERE sessions.id = trials.session_id))"""
_V2 = (
    "ALTER TABLE sessions ADD COLUMN input TEXT "
    "CHECK (input IN ('live', 'virtual', 'file', 'mixed'))",
    "ALTER TABLE sessions ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 "
    "CHECK (simulated IN (0, 1))",
    "ALTER TABLE events ADD COLUMN input TEXT CHECK (input IN ('live', 'virtual', 'file'))",
    f"CREATE TEMP TABLE v2_trial_input AS SELECT session_id, idx, {_TRIAL_INPUT} AS input "
    "FROM trials",
    """UPDATE trials SET record = (
        SELECT json_set(trials.record, '$.input', t.input,
                        '$.simulated', json(CASE WHEN t.input IN ('virtual', 'file')
                                                 THEN 'true' ELSE 'false' END))
          FROM v2_trial_input AS t
         WHERE t.session_id = trials.session_id AND t.idx = trials.idx)""",
    """UPDATE sessions SET input = (
        SELECT CASE COUNT(DISTINCT input) WHEN 0 THEN NULL WHEN 1 THEN MAX(input)
                    ELSE 'mixed' END
          FROM v2_trial_input WHERE session_id = sessions.id AND input IS NOT NULL)""",
    "UPDATE sessions SET simulated = input IN ('virtual', 'file', 'mixed') WHERE input IS NOT NULL",
    "DROP TABLE v2_trial_input",
    """UPDATE events SET input = CASE WHEN clock IN ('virtual', 'file') THEN clock
                                      WHEN clock IS NOT NULL THEN 'live' END""",
)


def _name_rows(conn: sqlite3.Connection, table: str) -> None:
    """Give every row of ``table`` a random UUID of its own (migration 3)."""
    rows = conn.execute(f"SELECT id FROM {table} WHERE uuid IS NULL").fetchall()
    conn.executemany(
        f"UPDATE {table} SET uuid = ? WHERE id = ?", [(str(uuid4()), row[0]) for row in rows]
    )


def _first_goal_versions(conn: sqlite3.Connection) -> None:
    """Each child's goals as they are today become their version 1 (migration 3)."""
    children = conn.execute(
        "SELECT child_code, MAX(updated_at) FROM goals GROUP BY child_code"
    ).fetchall()
    for code, updated_at in children:
        goals = conn.execute(
            "SELECT goal FROM goals WHERE child_code = ? ORDER BY position", (code,)
        ).fetchall()
        listed = "[" + ", ".join(row[0] for row in goals) + "]"  # each is a JSON object already
        conn.execute(
            "INSERT INTO goal_versions (uuid, child_code, goals, created_at) VALUES (?, ?, ?, ?)",
            (str(uuid4()), code, listed, updated_at),
        )


# Version 3: the clinic (soundness_live.store.clinic). A session gets a UUID (its name on every
# laptop and on the clinic server), the goal version it was scored against, when it was sent
# to the clinic, and, for a copy received from another laptop, where it came from (that
# laptop's installation id and label, its id there) and when it was received: such a copy is
# read-only here. Notes get a UUID and when they were sent or received. Goals are versioned:
# each change of a child's goals is a version (the goals, who set them, on which laptop,
# when); the newest version is the child's goals (the goals table). What each child has
# today becomes their version 1 (who set it is not known), and each session so far gets a
# UUID of its own; the goal version of a session recorded before versions were kept is not
# known (null).
_V3 = (
    "ALTER TABLE sessions ADD COLUMN uuid TEXT",
    "ALTER TABLE sessions ADD COLUMN goals_version TEXT",
    "ALTER TABLE sessions ADD COLUMN pushed_at TEXT",
    "ALTER TABLE sessions ADD COLUMN laptop_id TEXT",
    "ALTER TABLE sessions ADD COLUMN laptop TEXT",
    "ALTER TABLE sessions ADD COLUMN origin_id INTEGER",
    "ALTER TABLE sessions ADD COLUMN pulled_at TEXT",
    "ALTER TABLE notes ADD COLUMN uuid TEXT",
    "ALTER TABLE notes ADD COLUMN pushed_at TEXT",
    "ALTER TABLE notes ADD COLUMN pulled_at TEXT",
    "ALTER TABLE children ADD COLUMN profile_pushed TEXT",
    """CREATE TABLE goal_versions (
        uuid TEXT PRIMARY KEY,
        child_code TEXT NOT NULL REFERENCES children(code) ON DELETE CASCADE,
        goals TEXT NOT NULL,
        author TEXT,
        laptop_id TEXT,
        laptop TEXT,
        created_at TEXT NOT NULL,
        pushed_at TEXT,
        pulled_at TEXT)""",
    "CREATE INDEX goal_versions_child ON goal_versions (child_code)",
    partial(_name_rows, table="sessions"),
    partial(_name_rows, table="notes"),
    "CREATE UNIQUE INDEX sessions_uuid ON sessions (uuid)",
    "CREATE UNIQUE INDEX notes_uuid ON notes (uuid)",
    _first_goal_versions,
)


#: A step of a migration: an SQL statement, or a function for what SQL alone cannot do
#: (random UUIDs, lists kept in order).
Step = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[tuple[Step, ...], ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)
_POSIX = os.name == "posix"


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # a damaged file may refuse this too: the
            conn.execute("ROLLBACK")  # first error is the one to report
        raise
    conn.execute("COMMIT")


_DAMAGED = (
    "move it aside (keep it: it may be recoverable) and restore a backup copy, "
    "or remove it to start a new, empty store"
)
# SQLite result codes (and message words for Python < 3.11, which has no code) -> what to say
_PROBLEMS = (
    (("SQLITE_CORRUPT", "SQLITE_NOTADB"),
     ("malformed", "not a database", "could not decode", "unsupported file format"),
     "expected a Soundness Live store, found a damaged file or no database ({error}); "
     + _DAMAGED),
    (("SQLITE_ERROR",), ("no such table", "no such column", "has no column"),
     "expected a Soundness Live store, found tables of another kind ({error}); " + _DAMAGED),
    (("SQLITE_BUSY", "SQLITE_LOCKED"), ("locked", "busy"),
     "the store is busy: another Soundness Live program is writing to it ({error}); "
     "try again when it has finished"),
    (("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN"), ("readonly", "unable to open"),
     "cannot write the store ({error}); check the permissions of the file and its folder"),
    (("SQLITE_FULL",), ("disk is full",), "the disk is full ({error}); free some space"),
    (("SQLITE_IOERR",), ("disk i/o error",),
     "the disk reported an error ({error}); check the disk, then try again"),
)  # fmt: skip


def store_problem(path: Path | str, error: sqlite3.Error) -> StoreError | None:
    """The one-line StoreError for an SQLite error that means the store file cannot be used,
    naming ``path`` and what to do; None for other errors (constraint failures, bugs)."""
    if isinstance(error, sqlite3.IntegrityError):
        return None
    name = str(getattr(error, "sqlite_errorname", "") or "")
    code = "_".join(name.split("_")[:2])  # SQLITE_IOERR_SHORT_READ -> SQLITE_IOERR
    text = str(error)
    for codes, words, message in _PROBLEMS:
        said = any(word in text.lower() for word in words)
        # SQLITE_ERROR is also a mistake in our own SQL: only the words above count for it
        if said or (code in codes and code != "SQLITE_ERROR"):
            return StoreError(f"{path}: " + message.format(error=text))
    return None


def damaged_store(path: Path | str, what: str) -> StoreError:
    """The one-line StoreError for damage inside the store at ``path``: ``what`` is damaged
    (and why), and what to do."""
    return StoreError(
        f"{path}: expected a Soundness Live store, found a damaged {what}; " + _DAMAGED
    )


def stored_json(path: Path | str, text: Any, what: str) -> dict[str, Any]:
    """A JSON object kept in a column; a StoreError naming the file when it is damaged."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
        value = error
    if not isinstance(value, dict):
        raise damaged_store(path, f"{what} ({value})")
    return value


def _tables_at(version: int) -> set[str]:
    """The tables a store of schema ``version`` has (from the migrations that made it)."""
    tables: set[str] = set()
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            if not isinstance(statement, str):
                continue
            if created := re.match(r"\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+)", statement):
                tables.add(created.group(1))
            if dropped := re.match(r"\s*DROP TABLE (?:IF EXISTS )?(\w+)", statement):
                tables.discard(dropped.group(1))
    return tables


def check_identity(conn: sqlite3.Connection, path: Path | str) -> None:
    """Refuse, before writing anything, a database that is not a Soundness Live store."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    found = {row[0] for row in rows if not str(row[0]).startswith("sqlite_")}
    missing = _tables_at(min(version, SCHEMA_VERSION)) - found
    if (version == 0 and found) or missing:
        listed = ", ".join(sorted(found)) or "none"
        raise StoreError(
            f"{path}: expected a Soundness Live store, found an SQLite database of another kind "
            f"(schema version {version}, tables: {listed}); it is left as it is: choose another "
            f"data folder ({HOME_ENV}) or move the file aside"
        )


def migrate(conn: sqlite3.Connection, path: Path | str = "database") -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before migrating."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {found} is newer than this version of Soundness Live "
            f"understands (up to {SCHEMA_VERSION}); update Soundness Live to open it"
        )
    for version in range(found, SCHEMA_VERSION):
        with transaction(conn):
            for statement in MIGRATIONS[version]:
                if isinstance(statement, str):
                    conn.execute(statement)
                else:
                    statement(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
    return int(found)


def secure_files(path: Path) -> None:
    """chmod 0o600 the database and its -wal/-shm/-journal files (POSIX only)."""
    if not _POSIX:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        sidecar = Path(f"{path}{suffix}")
        try:
            if stat.S_IMODE(sidecar.stat().st_mode) != 0o600:
                sidecar.chmod(0o600)
        except FileNotFoundError:
            continue


def erase_freed(conn: sqlite3.Connection, path: Path | str) -> None:
    """Leave no bytes of deleted rows in the store's files: copy the WAL into the database
    file and empty it, rebuild the file without free pages (VACUUM, which writes through the
    WAL), and empty the WAL again. A checkpoint waits (busy timeout) for other programs still
    reading older pages; if one still is at the end, a StoreError says so (the deletion
    itself stands, and secure_delete has already zeroed the rows in the database file)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise StoreError(
            f"{path}: deleted, but another Soundness Live program is reading the store, so "
            f"older copies of the deleted data stay in {path}-wal until that program closes "
            "the store (SQLite then removes that file): stop the engine to be sure"
        )


def _create_private(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise StoreError(f"{path}: cannot open or create the store ({error.strerror})") from error
    os.close(fd)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    check_identity(conn, path)
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"{path}: could not switch the store to WAL (journal mode {mode})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    migrate(conn, path)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating owner-only if needed) and migrate the store at ``path``."""
    _create_private(path)
    secure_files(path)
    try:
        conn = sqlite3.connect(
            str(path), timeout=10.0, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise StoreError(f"{path}: cannot open the store ({error})") from error
    try:
        _configure(conn, path)
    except BaseException as error:
        conn.close()
        problem = store_problem(path, error) if isinstance(error, sqlite3.Error) else None
        if problem is not None:
            raise problem from error
        raise
    secure_files(path)
    return conn
