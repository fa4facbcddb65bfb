"""How long the clinic takes: a sync of 1,000 sessions, the report over 10,000 from PostgreSQL.

Starts a private PostgreSQL server (Debian's ``postgresql``: ``initdb`` and ``pg_ctl`` in a
temporary folder, as the ``postgres`` user when run as root; see ``tests/pgserver.py``),
sets it up as ``clinic init`` does, and times, on its Unix socket:

1. ``sync`` sending 1,000 finished sessions of one laptop (60 trials each, about 60,000
   trials, and 4 input events per trial) in transactions of 50 sessions;
2. ``sync`` on a second laptop fetching those 1,000 sessions for the same child;
3. a second sync of the first laptop, with nothing new to send or fetch;
4. the export bundle of those 1,000 sessions read from laptop B's SQLite store and from
   PostgreSQL, side by side (the bundle parses every trial record and computes the progress
   toward each goal: the same work for either backend);
5. the export bundle and the HTML report of one child over 10,000 sessions (the 1,000 sent,
   copied nine times on the server under new UUIDs: 600,000 trials) read from PostgreSQL.

The sessions on the first laptop are written straight into its SQLite store in one
transaction (recording 60,000 trials one fsync each would time the disk, not the sync).
Prints each figure in seconds: wall time, and the CPU time of this process (the laptop's
side). Run: ``python bench/bench_clinic.py [--sessions N] [--trials N] [--report-sessions N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soundness_live.config import save_settings  # noqa: E402
from soundness_live.export.report import render_report  # noqa: E402
from soundness_live.store.clinic.connection import (  # noqa: E402
    ClinicAddress,
    connect_server,
    save_password,  # noqa: E402
)
from soundness_live.store.clinic.schema import grant, migrate_server  # noqa: E402
from soundness_live.store.clinic.server import ClinicStore  # noqa: E402
from soundness_live.store.clinic.sync import sync  # noqa: E402
from soundness_live.store.records import Store  # noqa: E402
from tests.pgserver import pg_server  # noqa: E402

CODE = "S-014"
GOALS = [
    {"id": "wait", "domain": "behaviour", "text": "Waits for the end of the call",
     "activity": "call-and-response", "success": "waited_for_turn"},
    {"id": "echo", "domain": "cognition", "text": "Echoes the call",
     "activity": "call-and-response", "success": "notes_correct_pct >= 75"},
]  # fmt: skip
ZONE = timezone(timedelta(hours=1))


def _trial(index: int, session: int) -> dict[str, Any]:
    """A call-and-response trial record as the activity stores one (four notes answered)."""
    onset = 2000.0 + 6000.0 * index
    notes = [{"onset_ms": onset + 300.0 * n, "onset_frame": int((onset + 300.0 * n) * 48),
              "note": 36 + 2 * n, "velocity": 96} for n in range(4)]  # fmt: skip
    return {
        "index": index, "activity": "call-and-response", "variant": "drums",
        "params": {"seed": session, "lead_in_ms": 2000.0}, "prompt": notes,
        "responses": [dict(note, onset_ms=note["onset_ms"] + 2500.0, clock="rtmidi-delta")
                      for note in notes],
        "metrics": {"waited_for_turn": index % 3 != 0, "notes_correct_pct": 50.0 + index % 50,
                    "hits": 4},
        "outcome": "correct" if index % 3 else "partial", "prompt_level": "independent",
        "difficulty": 2, "goals": ["wait", "echo"], "start_ms": onset, "end_ms": onset + 5000.0,
        "input": "live", "simulated": False,
    }  # fmt: skip


def fill_laptop(store: Store, sessions: int, trials: int) -> None:
    """``sessions`` finished live sessions of :data:`CODE`, written in one transaction."""
    store.add_child({"code": CODE}, GOALS, author="Mia Berger")
    version = store.current_goal_version(CODE)
    start = datetime(2024, 1, 8, 9, 0, tzinfo=ZONE)
    with store._writing() as conn:
        for number in range(sessions):
            began = start + timedelta(hours=number)
            cursor = conn.execute(
                "INSERT INTO sessions (child_code, therapist, started_at, ended_at, status, "
                "params, input, simulated, uuid, goals_version) VALUES (?, 'Mia Berger', ?, ?, "
                "'complete', '{}', 'live', 0, ?, ?)",
                (CODE, began.isoformat(), (began + timedelta(minutes=40)).isoformat(),
                 str(uuid.uuid4()), version),
            )  # fmt: skip
            sid = cursor.lastrowid
            records = [_trial(i, number) for i in range(trials)]
            conn.executemany(
                "INSERT INTO trials (session_id, idx, activity, outcome, prompt_level, record, "
                "created_at) VALUES (?, ?, 'call-and-response', ?, 'independent', ?, ?)",
                [(sid, r["index"], r["outcome"], json.dumps(r), began.isoformat())
                 for r in records],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO events (session_id, onset_ms, onset_frame, kind, note, velocity, "
                "device, player, clock, channel, input) VALUES (?, ?, ?, ?, ?, ?, 'pad', 'S-014', "
                "'rtmidi-delta', 9, 'live')",
                [(sid, response["onset_ms"], response["onset_frame"], kind, response["note"],
                  response["velocity"] if kind == "note_on" else 0)
                 for r in records for response in r["responses"][:2]
                 for kind in ("note_on", "note_off")],
            )  # fmt: skip


def _connect_laptop(home: Path, url: str, password: str, label: str) -> None:
    save_settings(home, laptop=label, clinic_url=url)
    save_password(home, ClinicAddress.parse(url), password)


def _timed(what: str, step: Any) -> Any:
    """Run ``step``; print its wall time and this process's CPU time (the server's is not in
    it; on a shared machine the CPU time is the steadier figure)."""
    began, cpu = time.perf_counter(), time.process_time()
    result = step()
    wall, used = time.perf_counter() - began, time.process_time() - cpu
    print(f"{what}: {wall:.2f} s (CPU here {used:.2f} s)", flush=True)
    return result


def _copy_sessions(server: Any, database: str, times: int) -> None:
    """Copy every session on the server ``times`` times under new UUIDs (as another laptop's)."""
    for _ in range(times):
        server.sql(
            "WITH copied AS (INSERT INTO soundness.sessions (uuid, child_code, laptop_id, "
            "laptop, origin_id, therapist, started_at, ended_at, status, input, simulated, "
            "params, goals_version) SELECT gen_random_uuid(), child_code, gen_random_uuid(), "
            "'copy', origin_id, therapist, started_at, ended_at, status, input, simulated, "
            "params, goals_version FROM soundness.sessions WHERE laptop <> 'copy' "
            "RETURNING id, origin_id) "
            "INSERT INTO soundness.trials SELECT c.id, t.idx, t.activity, t.outcome, "
            "t.prompt_level, t.record, t.created_at FROM copied AS c JOIN soundness.sessions "
            "AS s ON s.origin_id = c.origin_id AND s.laptop <> 'copy' JOIN soundness.trials AS t "
            "ON t.session_id = s.id",
            database,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000, help="sessions synced")
    parser.add_argument("--trials", type=int, default=60, help="trials per session")
    parser.add_argument("--report-sessions", type=int, default=10_000)
    args = parser.parse_args(argv)
    with pg_server() as server, tempfile.TemporaryDirectory() as folder:
        server.sql("CREATE ROLE clinic_admin LOGIN PASSWORD 'admin'")
        server.sql("CREATE ROLE laptops LOGIN PASSWORD 'laptops'")
        server.sql("CREATE DATABASE clinic OWNER clinic_admin")
        admin = connect_server(
            ClinicAddress.parse(server.url("clinic_admin", "clinic")), None, "admin",
            autocommit=True,
        )  # fmt: skip
        with admin:
            migrate_server(admin)
            grant(admin, "laptops")
        url = server.url("laptops", "clinic")
        a, b = Path(folder) / "a", Path(folder) / "b"
        for home, label in ((a, "Room 2"), (b, "Room 5")):
            home.mkdir(mode=0o700)
            _connect_laptop(home, url, "laptops", label)
        with Store.open(a / "soundness.db") as store:
            fill_laptop(store, args.sessions, args.trials)
        print(f"{args.sessions} sessions, {args.sessions * args.trials} trials, "
              f"{args.sessions * args.trials * 4} input events on laptop A")  # fmt: skip
        with Store.open(a / "soundness.db") as store, ClinicStore.open(url, a) as clinic:
            _timed(f"sync, laptop A sends {args.sessions} sessions", lambda: sync(store, clinic))
        with Store.open(b / "soundness.db") as store, ClinicStore.open(url, b) as clinic:
            _timed(f"sync, laptop B fetches {args.sessions} sessions",
                   lambda: sync(store, clinic, children=[CODE]))  # fmt: skip
        with Store.open(a / "soundness.db") as store, ClinicStore.open(url, a) as clinic:
            _timed("sync, laptop A again (nothing new)", lambda: sync(store, clinic))
        with Store.open(b / "soundness.db") as store:  # the reference: the same from SQLite
            _timed(f"bundle of {args.sessions} sessions read from laptop B's SQLite",
                   lambda: store.export_bundle(CODE))  # fmt: skip
        with ClinicStore.open(url, a) as clinic:
            _timed(f"bundle of {args.sessions} sessions read from PostgreSQL",
                   lambda: clinic.export_bundle(CODE))  # fmt: skip
        copies = max(0, args.report_sessions // max(args.sessions, 1) - 1)
        _copy_sessions(server, "clinic", copies)
        with ClinicStore.open(url, a) as clinic:
            total = len(clinic.sessions(CODE))
            bundle = _timed(f"bundle for the report, {total} sessions read from PostgreSQL",
                            lambda: clinic.export_bundle(CODE))  # fmt: skip
        trials = sum(len(s["trials"]) for s in bundle["sessions"])
        html = _timed(f"HTML report over {total} sessions ({trials} trials)",
                      lambda: render_report(bundle))  # fmt: skip
        print(f"report: {len(html) / 1e6:.1f} MB of HTML")
    return 0


if __name__ == "__main__":
    sys.exit(main())
