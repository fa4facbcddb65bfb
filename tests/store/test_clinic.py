"""Two laptops share a child through a private PostgreSQL server (one server for the module).

Each test gets a new database owned by the clinic's administrator role, set up with
``clinic init``; laptops are data folders, connected with ``clinic connect`` as the laptops'
role. The keyring is switched off, so passwords go to the private file.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from soundness_live.cli import main
from soundness_live.config import HOME_ENV, load_settings
from soundness_live.errors import StoreError
from soundness_live.export.report import render_report
from soundness_live.live.commands import handle
from soundness_live.store.clinic.server import ClinicStore
from soundness_live.store.clinic.sync import sync, sync_after_session
from soundness_live.store.records import Store
from tests.pgserver import PgServer, module_pg_server
from tests.store.test_store import trial

server = module_pg_server()
ADMIN, ADMIN_PASSWORD = "clinic_admin", "admin-password"
LAPTOPS, LAPTOPS_PASSWORD = "laptops", "laptops-password"
ROOT = Path(__file__).resolve().parents[2]
_databases = itertools.count()
GOALS = [
    {"id": "wait", "domain": "behaviour", "text": "Waits for the end of the call",
     "activity": "call-and-response", "success": "waited_for_turn"},
]  # fmt: skip


class Clock:
    """Each call one minute later than the last, from ``start``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@dataclass
class Clinic:
    """A clinic database on the module's server."""

    server: PgServer
    database: str

    def url(self, user: str = LAPTOPS) -> str:
        """The URL a laptop (or the administrator) connects with."""
        return self.server.url(user, self.database)

    def count(self, table: str, where: str = "TRUE") -> int:
        """Rows of ``soundness.table``."""
        rows = self.server.sql(
            f"SELECT count(*) FROM soundness.{table} WHERE {where}", self.database
        )
        return int(rows[0][0])

    def as_laptops(self) -> dict[str, Any]:
        """psycopg connection arguments for the laptops' role."""
        return self.server.superuser(self.database) | {
            "user": LAPTOPS,
            "password": LAPTOPS_PASSWORD,
        }


@dataclass
class Laptop:
    """A laptop: a data folder, run through the command line."""

    home: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str, stdin: str = "") -> str:
        """Run a command as on this laptop; what it printed (SystemExit on an error)."""
        self.monkeypatch.setenv(HOME_ENV, str(self.home))
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        if code:
            raise SystemExit(f"{argv} exited {code}: {captured.err}")
        return captured.out

    def store(self, start: datetime | None = None) -> Store:
        """This laptop's store (its clock from ``start``)."""
        clock = Clock(start or datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=1))))
        return Store.open(self.home / "soundness.db", now=clock)

    def connect(self, clinic: Clinic, label: str) -> str:
        """``clinic connect`` as the laptops' role."""
        return self.run("clinic", "connect", clinic.url(), "--laptop", label, "--password-stdin",
                        stdin=LAPTOPS_PASSWORD + "\n")  # fmt: skip

    def sessions(self, store: Store | None = None) -> list[dict[str, Any]]:
        """The sessions this laptop holds."""
        if store is not None:
            return store.sessions()
        with self.store() as opened:
            return opened.sessions()


@pytest.fixture
def clinic(server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clinic]:
    """A new clinic database, set up by its administrator with ``clinic init``."""
    if not server.sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ADMIN}'"):
        server.sql(f"CREATE ROLE {ADMIN} LOGIN PASSWORD '{ADMIN_PASSWORD}'")
        server.sql(f"CREATE ROLE {LAPTOPS} LOGIN PASSWORD '{LAPTOPS_PASSWORD}'")
    name = f"clinic{next(_databases)}"
    server.sql(f"CREATE DATABASE {name} OWNER {ADMIN}")
    server.sql(f"REVOKE CREATE, TEMPORARY ON DATABASE {name} FROM PUBLIC")
    server.sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", name)
    monkeypatch.setattr(sys, "stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    url = server.url(ADMIN, name)
    assert main(["clinic", "init", url, "--laptops", LAPTOPS, "--password-stdin"]) == 0
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # no keyring: the private file
    yield Clinic(server, name)
    keyring.set_keyring(before)


@pytest.fixture
def laptops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Laptop, Laptop]:
    return Laptop(tmp_path / "a", monkeypatch, capsys), Laptop(tmp_path / "b", monkeypatch, capsys)


def record(store: Store, sessions: int, *, trials: int = 3, simulated: bool = False,
           therapist: str = "Mia Berger") -> list[int]:  # fmt: skip
    """``sessions`` finished sessions of S-014 with ``trials`` trials each."""
    made = []
    for _ in range(sessions):
        sid = store.start_session("S-014", therapist=therapist)
        store.mark_input(sid, "virtual" if simulated else "live")
        for index in range(trials):
            store.record_trial(sid, trial(index, 60.0 + index))
        store.record_events(
            sid, [{"onset_ms": 100.0 * i, "kind": "note_on", "note": 36, "input": "live"}
                  for i in range(4)],
        )  # fmt: skip
        store.end_session(sid)
        made.append(sid)
    return made


def test_two_laptops_share_a_child_and_each_report_shows_every_session(
    clinic: Clinic, laptops: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014", "display_name": "Sam"}, GOALS, author="Mia Berger")
        record(store, 3)
        record(store, 1, simulated=True)
        store.add_note(1, "settled quickly")
    assert "stay on laptops" in a.connect(clinic, "Room 2")
    out = a.run("clinic", "sync")
    assert "sent: 1 goal versions, 3 sessions" in out
    assert "not sent: 1 simulated sessions" in out and "not sent: 1 notes" in out
    b.connect(clinic, "Room 5")
    b.run("child", "add", "S-099")
    assert "to fetch: 0 sessions" in b.run("clinic", "status")  # S-014 is not on B yet
    assert "received: 1 children, 1 goal versions, 3 sessions" in b.run(
        "clinic", "sync", "--child", "S-014"
    )
    later = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    with b.store(later) as store:
        assert store.get_child("S-014").display_name is None  # the clinic keeps codes only
        assert store.goals_for("S-014")[0].id == "wait"
        record(store, 2, therapist="Jo Park")
    status = b.run("clinic", "status")
    assert "to send: 2 sessions, 0 goal versions" in status
    assert "kept here: 0 simulated sessions" in status and "never sent: voice" in status
    assert "sent: 2 sessions" in b.run("clinic", "sync")
    assert "to fetch: 2 sessions" in a.run("clinic", "status")
    assert "received: 2 sessions" in a.run("clinic", "sync")
    for laptop in (a, b):  # again: nothing new either way
        out = laptop.run("clinic", "sync")
        assert "sent: nothing new" in out and "received: nothing new" in out
    assert clinic.count("sessions") == 5 and clinic.count("trials") == 15
    assert clinic.count("events") == 20 and clinic.count("notes") == 0
    for laptop, own in ((a, "Room 2"), (b, "Room 5")):
        sessions = laptop.sessions()
        real = [s for s in sessions if not s["simulated"]]
        assert len(real) == 5
        assert [s["laptop"] for s in real] == ["Room 2"] * 3 + ["Room 5"] * 2
        assert [s["from_clinic"] for s in real] == [s["laptop"] != own for s in real]
        out = laptop.run("report", "--child", "S-014", "--out", str(tmp_path / own))
        html = (tmp_path / own / "S-014-report.html").read_text()
        assert f"{len(sessions)} sessions" in html
        assert html.count("Room 2") >= 3 and html.count("Room 5") >= 2
    listing = b.run("sessions", "--child", "S-014")
    assert listing.count("from Room 2") == 3 and "Room 5" not in listing
    assert "sent: 1 sessions" in a.run("clinic", "sync", "--include-simulated")
    assert clinic.count("sessions", "simulated") == 1


def test_the_laptops_role_can_add_and_read_but_never_change_or_remove(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    import psycopg

    a, _ = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
        record(store, 1)
    a.connect(clinic, "Room 2")
    a.run("clinic", "sync")
    args = clinic.as_laptops()
    attempts = [
        "UPDATE soundness.sessions SET status = 'interrupted'",
        "UPDATE soundness.trials SET outcome = 'correct'",
        "DELETE FROM soundness.sessions",
        "DELETE FROM soundness.trials",
        "DELETE FROM soundness.goal_versions",
        "TRUNCATE soundness.events",
        "DROP TABLE soundness.sessions",
        "ALTER TABLE soundness.sessions DISABLE TRIGGER ALL",
        "UPDATE soundness.clinic_settings SET value = 'true'",
        "INSERT INTO soundness.trials SELECT id, 99, 'x', 'correct', NULL, '{}', '' "
        "FROM soundness.sessions",  # a finished session takes no new trial
        "CREATE TABLE soundness.mine (x int)",
        "CREATE TABLE public.mine (x int)",
    ]
    with psycopg.connect(**args) as conn:
        for statement in attempts:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement.encode())
        assert conn.execute("SELECT count(*) FROM soundness.sessions").fetchone() == (1,)
    assert clinic.count("trials") == 3 and clinic.count("sessions", "status = 'complete'") == 1


def test_names_reach_the_server_only_when_the_clinic_shares_them(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    import psycopg

    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014", "display_name": "Sam", "date_of_birth": "2019-04-02"})
    a.connect(clinic, "Room 2")
    a.run("clinic", "sync")
    assert clinic.server.sql("SELECT display_name, date_of_birth FROM soundness.child_profiles",
                             clinic.database) == [(None, None)]  # fmt: skip
    args = clinic.as_laptops()
    with psycopg.connect(**args) as conn:  # a laptop sending a name anyway: the server drops it
        conn.execute(
            "INSERT INTO soundness.child_profiles (child_code, settings, display_name, laptop_id, "
            "laptop) VALUES ('S-014', '{}', 'Sam', gen_random_uuid(), 'x')"
        )
    assert clinic.count("child_profiles", "display_name IS NOT NULL") == 0
    b.monkeypatch.setattr(sys, "stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    assert "are now shared" in b.run("clinic", "init", clinic.url(ADMIN), "--laptops", LAPTOPS,
                                     "--share-names", "--password-stdin",
                                     stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    with a.store() as store:
        store.update_profile({"code": "S-014", "display_name": "Sam", "preferred_tempo_bpm": 90.0})
    a.run("clinic", "sync")
    b.connect(clinic, "Room 5")
    b.run("clinic", "sync", "--child", "S-014")
    with b.store() as store:
        child = store.get_child("S-014")
    assert (child.display_name, child.preferred_tempo_bpm) == ("Sam", 90.0)
    assert not child.consent.voice_recording


def test_the_report_reads_the_server_as_it_reads_a_laptop(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, _ = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS, author="Mia Berger")
        record(store, 4, trials=5)
    a.connect(clinic, "Room 2")
    a.run("clinic", "sync")
    with a.store() as store, ClinicStore.open(clinic.url(), a.home) as server_store:
        here, there = store.export_bundle("S-014"), server_store.export_bundle("S-014")
    assert there["progress"] == here["progress"] and there["goals"] == here["goals"]
    assert there["child"] == here["child"]
    for mine, theirs in zip(here["sessions"], there["sessions"], strict=True):
        assert theirs["uuid"] == mine["uuid"] and theirs["laptop"] == "Room 2"
        assert [t | {"session_id": 0} for t in theirs["trials"]] == [
            t | {"session_id": 0} for t in mine["trials"]
        ]
        assert theirs["events"] == [e | {"session_id": theirs["id"]} for e in mine["events"]]
        assert theirs["from_clinic"] and not mine["from_clinic"]
    html = render_report(there)
    assert "4 sessions" in html and html.count("Room 2") >= 4


def test_a_sync_stopped_by_the_server_going_away_resumes_and_loses_nothing(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
        record(store, 120, trials=2)  # three batches of 50
    a.connect(clinic, "Room 2")
    steps: list[str] = []

    def lose_the_server(step: str) -> None:
        steps.append(step)
        if steps.count("sessions sent") == 1 and step == "sessions sent":
            clinic.server.stop("immediate")  # after the first batch of sessions

    with a.store() as store, ClinicStore.open(clinic.url(), a.home) as server_store:
        with pytest.raises(StoreError, match="clinic server .* failed"):
            sync(store, server_store, after_batch=lose_the_server)
        assert len(store.sessions_to_send()) == 70
    clinic.server.start()
    assert "sent: 70 sessions" in a.run("clinic", "sync")
    assert clinic.count("sessions") == 120 and clinic.count("trials") == 240
    b.connect(clinic, "Room 5")
    b.run("clinic", "sync", "--child", "S-014")
    clinic.server.stop("immediate")
    out = a.run("clinic", "status")
    assert "to send: 0 sessions" in out and "the server does not answer now" in out
    assert "kept here: 0 notes (clinic_share_notes is off)" in out
    with a.store() as store:  # a laptop without its server runs sessions as before
        record(store, 1)
        assert len(store.sessions_to_send()) == 1
    clinic.server.start()
    assert len(b.sessions()) == 120


KILLER = """
import os, random, signal, sys
import psycopg
from soundness_live.cli import main
from soundness_live.store.clinic import server
from soundness_live.store import exchange

point, seed = sys.argv[1], int(sys.argv[2])
calls = {"n": 0}
nth = random.Random(seed).randint(1, 2)  # a batch that is there to send or fetch

def killing(original):
    def step(*args, **kwargs):
        calls["n"] += 1
        if point == "mid-transaction" and calls["n"] == nth * 317:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if point != "mid-transaction" and calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return step

if point == "mid-transaction":  # the server rolls the half-sent batch back
    psycopg.Copy.write_row = killing(psycopg.Copy.write_row)
elif point == "after-server-commit":  # the server has the batch, the laptop does not know
    server.ClinicStore.add_sessions = killing(server.ClinicStore.add_sessions)
elif point == "mid-fetch":  # a batch kept here, the next not yet
    exchange.ExchangeMixin.keep_sessions = killing(exchange.ExchangeMixin.keep_sessions)
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("seed", [3])
def test_a_sync_killed_at_any_point_and_run_again_loses_and_duplicates_nothing(
    clinic: Clinic, laptops: tuple[Laptop, Laptop], seed: int
) -> None:
    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
        record(store, 180, trials=2)
        uuids = {s["uuid"] for s in store.sessions()}
    a.connect(clinic, "Room 2")
    b.connect(clinic, "Room 5")
    rng = random.Random(seed)
    env = os.environ | {"PYTHONPATH": str(ROOT)}

    def killed(laptop: Laptop, point: str, *argv: str) -> None:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(KILLER), point, str(rng.randrange(1000)),
             "clinic", "sync", *argv],
            env=env | {HOME_ENV: str(laptop.home)}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == -signal.SIGKILL, done.stderr

    killed(a, "mid-transaction")
    sent = clinic.count("sessions")
    assert sent % 50 == 0 and sent < 180  # whole batches only
    killed(a, "after-server-commit")
    assert clinic.count("sessions") > sent
    a.run("clinic", "sync")
    assert clinic.count("sessions") == 180 and clinic.count("trials") == 360
    assert clinic.count("events") == 720
    killed(b, "mid-fetch", "--child", "S-014")
    assert 0 < len(b.sessions()) < 180
    b.run("clinic", "sync")
    b.run("clinic", "sync")
    fetched = b.sessions()
    assert len(fetched) == 180 and {s["uuid"] for s in fetched} == uuids
    with b.store() as store:
        assert sum(len(store.trials(s["id"])) for s in fetched) == 360
    with a.store() as store:
        assert store.sessions_to_send() == []


def test_goals_changed_on_two_laptops_newest_wins_and_both_stay_in_history(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, b = laptops
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    with a.store(monday) as store:
        store.add_child({"code": "S-014"}, GOALS, author="Mia Berger")
    a.connect(clinic, "Room 2")
    a.run("clinic", "sync")
    b.connect(clinic, "Room 5")
    b.run("clinic", "sync", "--child", "S-014")
    echo = dict(GOALS[0], id="echo", success="notes_correct_pct >= 75")
    with a.store(monday + timedelta(days=1)) as store:  # Tuesday, on A
        store.set_goals("S-014", [*GOALS, echo], author="Mia Berger")
    with b.store(monday + timedelta(days=2)) as store:  # Wednesday, on B, before A synced
        store.set_goals("S-014", [echo], author="Jo Park")
    for laptop in (a, b, a):
        laptop.run("clinic", "sync")
    for laptop in (a, b):
        with laptop.store() as store:
            assert [g.id for g in store.goals_for("S-014")] == ["echo"]
            history = store.goal_history("S-014")
            assert [v["author"] for v in history] == ["Jo Park", "Mia Berger", "Mia Berger"]
        out = laptop.run("goals", "history", "S-014")
        assert out.index("JP") < out.index("MB") and "Room 5" in out


def test_a_session_that_ends_sends_itself_in_the_background(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    from soundness_live.store.session import StoredSession

    a, _ = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
    told: list[str] = []
    with a.store() as store:  # not connected: nothing is tried
        session = StoredSession.start(store, "S-014", sample_rate=48000, therapist="Mia Berger")
        session.tell, session.wait_for_sync = told.append, True
        session.close()
    assert told == []
    a.connect(clinic, "Room 2")
    with a.store() as store:
        session = StoredSession.start(store, "S-014", sample_rate=48000)
        session.tell, session.wait_for_sync = told.append, True
        session.close()
        assert told == ["clinic sync: sent: 1 goal versions, 2 sessions; received: nothing new"]
        clinic.server.stop("immediate")
        try:
            session = StoredSession.start(store, "S-014", sample_rate=48000)
            session.tell, session.wait_for_sync = told.append, True
            session.close()
        finally:
            clinic.server.start()
        assert store.sessions()[-1]["status"] == "complete"
        assert told[1].startswith("clinic sync did not finish, the sessions stay here")
        assert len(told) == 2
        thread = sync_after_session(store.path, told.append)
        assert thread is not None
        thread.join(timeout=60)
    assert told[2] == "clinic sync: sent: 1 sessions; received: nothing new"
    assert clinic.count("sessions") == 3
    config = a.home / "config.toml"
    kept = config.read_text()
    config.write_text(kept + "clinic_auto_sync = false\n")
    with a.store() as store:  # turned off: nothing is tried
        StoredSession.start(store, "S-014", sample_rate=48000).close()
    config.write_text(kept + "clinic_auto_sync = [\n")  # damaged: the session ends all the same
    with a.store() as store:
        session = StoredSession.start(store, "S-014", sample_rate=48000)
        session.tell = told.append
        session.close()
        config.write_text(kept)
        assert [s["status"] for s in store.sessions()[-2:]] == ["complete", "complete"]
    assert told[3].startswith("clinic sync not started: ") and "not valid TOML" in told[3]
    assert len(told) == 4 and clinic.count("sessions") == 3
    a.run("clinic", "connect", clinic.url(), "--password-stdin", stdin=LAPTOPS_PASSWORD + "\n")
    assert load_settings(a.home).laptop == "Room 2"  # kept when not given again
    json.dumps(told)


def test_notes_travel_only_when_the_laptop_shares_them(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    from soundness_live.config import save_settings

    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
        (sid,) = record(store, 1)
        store.add_note(sid, "Waited for his turn after the break.")
    a.connect(clinic, "Room 2")
    assert "not sent: 1 notes (clinic_share_notes is off" in a.run("clinic", "sync")
    assert clinic.count("notes") == 0
    save_settings(a.home, clinic_share_notes=True)
    assert "sent: 1 notes" in a.run("clinic", "sync")
    b.connect(clinic, "Room 5")
    assert "1 notes" in b.run("clinic", "sync", "--child", "S-014")
    with b.store() as store:
        (copy,) = store.sessions()
        assert store.notes(copy["id"])[0]["text"] == "Waited for his turn after the break."
    with a.store() as store:
        store.add_note(sid, "A second thought.")
    a.run("clinic", "sync")
    b.run("clinic", "sync")
    with b.store() as store:
        assert len(store.notes(copy["id"])) == 2
    assert clinic.count("notes") == 2


def test_the_password_is_kept_privately_never_in_the_config(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, _ = laptops
    out = a.connect(clinic, "Room 2")
    passfile = a.home / "clinic.pgpass"
    assert f"password kept in {passfile}" in out
    assert LAPTOPS_PASSWORD in passfile.read_text()
    assert LAPTOPS_PASSWORD not in (a.home / "config.toml").read_text()
    if os.name == "posix":
        assert passfile.stat().st_mode & 0o777 == 0o600
    with pytest.raises(SystemExit, match="must not hold a password"):
        a.run("clinic", "connect", clinic.url().replace("laptops@", "laptops:secret@"))
    with pytest.raises(SystemExit, match="password authentication failed"):
        a.run("clinic", "connect", clinic.url(), "--password-stdin", stdin="wrong\n")
    assert load_settings(a.home).clinic_url == clinic.url()  # the good one stays


def test_a_child_deleted_on_a_laptop_is_never_sent_again_and_it_says_what_stays(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, b = laptops
    with a.store() as store:
        store.add_child({"code": "S-014"}, GOALS)
        record(store, 2)
    a.connect(clinic, "Room 2")
    a.run("clinic", "sync")
    b.connect(clinic, "Room 5")
    b.run("clinic", "sync", "--child", "S-014")
    out = a.run("child", "delete", "S-014", "--yes")
    assert "the clinic server keeps what this laptop sent of S-014 (2 sessions sent" in out
    assert "received: nothing new" in a.run("clinic", "sync")  # not fetched back either
    assert a.sessions() == [] and clinic.count("sessions") == 2 and len(b.sessions()) == 2


def test_without_the_driver_the_clinic_says_what_to_install(
    laptops: tuple[Laptop, Laptop], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = laptops
    with pytest.raises(SystemExit, match="not connected to a clinic server: run .*clinic connect"):
        a.run("clinic", "sync")
    assert "not connected to a clinic server" in a.run("clinic", "status")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg fails
    a.run("child", "add", "S-014")
    with pytest.raises(SystemExit, match=r"pip install 'soundness-live\[clinic\]'"):
        a.run("clinic", "connect", "postgresql://laptops@localhost/therapy", "--password-stdin")
    with a.store() as store:  # and sessions run as before
        record(store, 1)


def test_with_a_working_keyring_the_password_goes_there(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        """A keyring in memory."""

        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.kept: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.kept.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.kept[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.kept.pop((service, username), None)

    a, _ = laptops
    before = keyring.get_keyring()
    memory = Memory()
    keyring.set_keyring(memory)
    try:
        assert "password kept in the system keyring" in a.connect(clinic, "Room 2")
        assert list(memory.kept.values()) == [LAPTOPS_PASSWORD]
        assert not (a.home / "clinic.pgpass").exists()
        assert "sent: nothing new" in a.run("clinic", "sync")  # connects with the kept one
    finally:
        keyring.set_keyring(before)


def test_the_engine_sends_a_session_when_it_ends_and_tells_the_therapist(
    clinic: Clinic, engine_here: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import time

    laptop = Laptop(engine_here.store.path.parent, monkeypatch, capsys)
    laptop.connect(clinic, "Room 2")
    said: list[dict[str, Any]] = []
    engine_here.broadcast = said.append
    engine_here.store.add_child({"code": "S-030"}, GOALS)
    quick = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
             "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip
    start = {"type": "start_activity", "activity": "waiting", "params": quick, "child": "S-030"}
    assert handle(engine_here, start)["ok"]
    deadline = time.monotonic() + 20
    while engine_here.snapshot()["activity"] is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handle(engine_here, {"type": "end_session"})["ok"]  # returns at once
    while not [m for m in said if m["type"] == "notice"] and time.monotonic() < deadline:
        time.sleep(0.05)
    notices = [m["text"] for m in said if m["type"] == "notice"]
    assert notices == ["clinic sync: sent: 1 goal versions, 1 sessions; received: nothing new"]
    assert clinic.count("sessions", "child_code = 'S-030' AND NOT simulated") == 1


def test_the_schema_version_is_checked_on_connecting(
    clinic: Clinic, laptops: tuple[Laptop, Laptop]
) -> None:
    a, b = laptops
    again = b.run("clinic", "init", clinic.url(ADMIN), "--laptops", LAPTOPS, "--password-stdin",
                  stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    assert "schema already at version 1" in again
    a.connect(clinic, "Room 2")
    clinic.server.sql("INSERT INTO soundness.schema_version (version) VALUES (2)", clinic.database)
    with pytest.raises(SystemExit, match="schema version 2, newer .* update Soundness Live"):
        a.run("clinic", "sync")
    clinic.server.sql("CREATE DATABASE empty OWNER clinic_admin")
    try:
        empty = clinic.server.url(LAPTOPS, "empty")
        with pytest.raises(SystemExit, match="no Soundness Live tables yet: .* clinic init"):
            b.run("clinic", "connect", empty, "--password-stdin", stdin=LAPTOPS_PASSWORD + "\n")
        assert load_settings(b.home).clinic_url is None  # nothing kept from a failed connect
    finally:
        clinic.server.sql("DROP DATABASE empty")
