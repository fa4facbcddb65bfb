"""The clinic server's tables: created and migrated by the administrator, GRANTs for laptops.

Everything lives in the PostgreSQL schema ``soundness`` of the clinic's database, so it sits
beside whatever else that database holds. ``soundness-live clinic init`` runs once with the
administrator's role (which owns the tables): it creates the schema, migrates it to
:data:`SERVER_SCHEMA_VERSION` (``MIGRATIONS[i]`` takes version ``i`` to ``i + 1``, in one
transaction under an advisory lock, so two administrators cannot migrate at once), and grants
the laptops' role what a laptop needs and nothing more:

- SELECT and INSERT on the records (children, their profile settings, goal versions,
  sessions, trials, input events, notes), SELECT on the schema version and the clinic's
  settings: never UPDATE, DELETE, TRUNCATE, nor any right to create or drop;
- a finished session is never changed: its trials and events are accepted only in the
  transaction that brings the session itself (a trigger), so a laptop cannot add to a
  session already there, its own or another's;
- children by code; their name and date of birth reach the server only when the clinic
  turns name sharing on (``share_names``), and a trigger drops them otherwise, whatever a
  laptop sends.

Times are kept as the ISO 8601 text the laptop wrote (local time with its UTC offset), so a
session reads the same everywhere; ``received_at`` is the server's own clock.
"""

from __future__ import annotations

from typing import Any

from soundness_live.errors import ParameterError, StoreError

__all__ = ["SERVER_SCHEMA_VERSION", "MIGRATIONS", "schema_version", "migrate_server", "grant"]

SCHEMA = "soundness"
_LOCK_KEY = 0x50554E44  # the advisory lock migrations take

_V1 = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE {SCHEMA}.schema_version (
        version integer NOT NULL,
        migrated_at timestamptz NOT NULL DEFAULT now())""",
    f"""CREATE TABLE {SCHEMA}.clinic_settings (
        name text PRIMARY KEY,
        value text NOT NULL)""",
    f"INSERT INTO {SCHEMA}.clinic_settings VALUES ('share_names', 'false')",
    f"""CREATE TABLE {SCHEMA}.children (
        code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{{1,32}}$'),
        laptop_id uuid NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now())""",
    f"""CREATE TABLE {SCHEMA}.child_profiles (
        id bigserial PRIMARY KEY,
        child_code text NOT NULL REFERENCES {SCHEMA}.children(code),
        settings text NOT NULL,
        display_name text,
        date_of_birth text,
        laptop_id uuid NOT NULL,
        laptop text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now())""",
    f"CREATE INDEX child_profiles_child ON {SCHEMA}.child_profiles (child_code, id)",
    f"""CREATE FUNCTION {SCHEMA}.names_only_if_shared() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT value FROM {SCHEMA}.clinic_settings WHERE name = 'share_names')
           IS DISTINCT FROM 'true' THEN
            NEW.display_name := NULL;
            NEW.date_of_birth := NULL;
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER names_only_if_shared BEFORE INSERT ON {SCHEMA}.child_profiles
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.names_only_if_shared()""",
    f"""CREATE TABLE {SCHEMA}.goal_versions (
        uuid uuid PRIMARY KEY,
        child_code text NOT NULL REFERENCES {SCHEMA}.children(code),
        goals text NOT NULL,
        author text,
        laptop_id uuid NOT NULL,
        laptop text NOT NULL,
        created_at text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now())""",
    f"CREATE INDEX goal_versions_child ON {SCHEMA}.goal_versions (child_code)",
    f"""CREATE TABLE {SCHEMA}.sessions (
        id bigserial UNIQUE NOT NULL,
        uuid uuid PRIMARY KEY,
        child_code text NOT NULL REFERENCES {SCHEMA}.children(code),
        laptop_id uuid NOT NULL,
        laptop text NOT NULL,
        origin_id bigint NOT NULL,
        therapist text,
        started_at text NOT NULL,
        ended_at text,
        status text NOT NULL CHECK (status IN ('complete', 'interrupted')),
        input text CHECK (input IN ('live', 'virtual', 'file', 'mixed')),
        simulated boolean NOT NULL,
        params text NOT NULL,
        goals_version uuid,
        received_at timestamptz NOT NULL DEFAULT now())""",
    f"CREATE INDEX sessions_child ON {SCHEMA}.sessions (child_code)",
    f"""CREATE TABLE {SCHEMA}.trials (
        session_id bigint NOT NULL REFERENCES {SCHEMA}.sessions(id),
        idx integer NOT NULL,
        activity text NOT NULL,
        outcome text NOT NULL,
        prompt_level text,
        record text NOT NULL,
        created_at text NOT NULL,
        PRIMARY KEY (session_id, idx))""",
    f"""CREATE TABLE {SCHEMA}.events (
        session_id bigint NOT NULL REFERENCES {SCHEMA}.sessions(id),
        seq integer NOT NULL,
        onset_ms double precision NOT NULL,
        onset_frame bigint,
        kind text NOT NULL,
        note integer,
        velocity integer,
        device text,
        player text,
        clock text,
        channel integer,
        input text,
        PRIMARY KEY (session_id, seq))""",
    f"""CREATE FUNCTION {SCHEMA}.only_with_its_session() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM added JOIN {SCHEMA}.sessions AS s ON s.id = added.session_id
                   WHERE s.received_at IS DISTINCT FROM now()) THEN
            RAISE EXCEPTION 'a finished session is kept as it came: nothing can be added to it'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER only_with_its_session AFTER INSERT ON {SCHEMA}.trials
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.only_with_its_session()""",
    f"""CREATE TRIGGER only_with_its_session AFTER INSERT ON {SCHEMA}.events
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.only_with_its_session()""",
    f"""CREATE TABLE {SCHEMA}.notes (
        uuid uuid PRIMARY KEY,
        session_uuid uuid NOT NULL REFERENCES {SCHEMA}.sessions(uuid),
        created_at text NOT NULL,
        text text NOT NULL,
        laptop_id uuid NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now())""",
    f"CREATE INDEX notes_session ON {SCHEMA}.notes (session_uuid)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SERVER_SCHEMA_VERSION = len(MIGRATIONS)
#: What the laptops' role may only read; it may read and add to every other table.
READ_ONLY = ("schema_version", "clinic_settings")
RECORDS = ("children", "child_profiles", "goal_versions", "sessions", "trials", "events", "notes")


def schema_version(conn: Any) -> int:
    """The server's schema version (0: no Soundness Live schema there yet)."""
    (table,) = conn.execute(f"SELECT to_regclass('{SCHEMA}.schema_version')").fetchone()
    if table is None:
        return 0
    (version,) = conn.execute(f"SELECT max(version) FROM {SCHEMA}.schema_version").fetchone()
    return int(version or 0)


def check_version(conn: Any, named: str) -> int:
    """The server's schema version when this program can use it; else a StoreError saying
    who does what."""
    found = schema_version(conn)
    if found == 0:
        raise StoreError(
            f"the clinic server {named} has no Soundness Live tables yet: the clinic's "
            "administrator runs 'soundness-live clinic init ADMIN_URL --laptops ROLE' once"
        )
    if found != SERVER_SCHEMA_VERSION:
        what = "newer" if found > SERVER_SCHEMA_VERSION else "older"
        fix = (
            "update Soundness Live on this laptop"
            if found > SERVER_SCHEMA_VERSION
            else "the administrator runs 'soundness-live clinic init' with this version"
        )
        raise StoreError(
            f"the clinic server {named} has schema version {found}, {what} than this version "
            f"of Soundness Live uses ({SERVER_SCHEMA_VERSION}): {fix}"
        )
    return found


def migrate_server(conn: Any) -> tuple[int, int]:
    """Create or migrate the schema (the caller is the administrator); (before, after)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        found = schema_version(conn)
        if found > SERVER_SCHEMA_VERSION:
            raise StoreError(
                f"the clinic server has schema version {found}, newer than this version of "
                f"Soundness Live knows ({SERVER_SCHEMA_VERSION}): update Soundness Live"
            )
        for version in range(found, SERVER_SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                conn.execute(statement.encode())
            conn.execute(
                f"INSERT INTO {SCHEMA}.schema_version (version) VALUES (%s)", (version + 1,)
            )
    return found, SERVER_SCHEMA_VERSION


def grant(conn: Any, role: str) -> None:
    """Let ``role`` (the laptops') read and add records, read the settings, nothing more."""
    if not role or not all(ch.isalnum() or ch in "_-" for ch in role):
        raise ParameterError(f"the laptops' role must be a role name, got {role!r}")
    from psycopg import sql

    who = sql.Identifier(role)
    with conn.transaction():
        (exists,) = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        if not exists:
            raise StoreError(
                f"no role {role!r} on the clinic server: create it first "
                f"(CREATE ROLE {role} LOGIN PASSWORD '...'), then run init again"
            )
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), who))
        for table in READ_ONLY + RECORDS:
            name = sql.Identifier(SCHEMA, table)
            conn.execute(
                sql.SQL("REVOKE ALL ON {} FROM {}").format(name, who)
            )  # whatever was granted before by hand
            rights = "SELECT" if table in READ_ONLY else "SELECT, INSERT"
            conn.execute(sql.SQL(f"GRANT {rights} ON {{}} TO {{}}").format(name, who))
        conn.execute(
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                sql.Identifier(SCHEMA), who
            )
        )


def set_share_names(conn: Any, share: bool) -> None:
    """Turn the clinic's name sharing on or off (administrator)."""
    with conn.transaction():
        conn.execute(
            f"UPDATE {SCHEMA}.clinic_settings SET value = %s WHERE name = 'share_names'",
            ("true" if share else "false",),
        )
