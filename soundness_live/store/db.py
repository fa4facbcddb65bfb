"""The SQLite file: owner-only creation, connection settings, schema and migrations.

- The file is created with ``os.open(..., 0o600)`` before SQLite opens it; SQLite gives its
  ``-wal`` and ``-shm`` files the database file's permissions, and :func:`secure_files`
  chmods them again anyway (a file left by an older version or another umask).
- WAL journal, ``synchronous=FULL`` (a committed trial survives a power cut too, not only a
  crash of the program; one fsync per trial is cheap at trial rates), foreign keys on.
- Schema versioning with ``PRAGMA user_version``: ``MIGRATIONS[i]`` takes version ``i`` to
  ``i + 1``, each in one transaction together with the new version number. A file whose version
  is newer than this code knows is refused (never "downgraded" by guessing).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from soundness_live.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "connect", "migrate", "secure_files", "transaction"]

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

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)
_POSIX = os.name == "posix"


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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
                conn.execute(statement)
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
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"{path}: could not switch the store to WAL (journal mode {mode})")
    conn.execute("PRAGMA synchronous = FULL")
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
        if isinstance(error, sqlite3.DatabaseError):
            raise StoreError(f"{path}: not a readable Soundness Live store ({error})") from error
        raise
    secure_files(path)
    return conn
