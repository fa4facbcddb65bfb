"""A session process killed mid-session loses nothing it reported as recorded."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from soundness_live.store.records import Store

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys, time
from soundness_live.store.records import Store

store = Store.open(sys.argv[1])
store.add_child({"code": "S-014"})
session = store.start_session("S-014", therapist="T-01")
print("session", session, flush=True)
index = 0
while True:
    store.record_trial(session, {
        "index": index, "activity": "call-and-response", "outcome": "correct",
        "prompt_level": "independent", "goals": [],
        "metrics": {"notes_correct_pct": 100.0, "waited_for_turn": True},
        "prompt": [], "responses": [],
    })
    print(index, flush=True)  # only after the commit returned
    index += 1
    time.sleep(0.005)
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def test_sigkill_mid_session_loses_no_reported_trial(tmp_path: Path) -> None:
    path = tmp_path / "store" / "soundness.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert writer.stdout is not None
        header = writer.stdout.readline().split()
        assert header[0] == "session", header
        session = int(header[1])
        reported = [int(writer.stdout.readline()) for _ in range(25)]
        # the writer is alive: opening the store now must not interrupt its session
        with Store.open(path) as store:
            assert store.sessions()[0]["status"] == "running"
        more = [int(writer.stdout.readline()) for _ in range(5)]
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
        reported += more
        reported += [int(line) for line in writer.stdout.read().split()]  # read before the kill
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    for suffix in ("", "-wal", "-shm"):
        sidecar = Path(f"{path}{suffix}")
        if sidecar.exists():
            assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
    with Store.open(path) as store:
        stored = [trial["index"] for trial in store.trials(session)]
        assert set(reported) <= set(stored)
        assert stored == list(range(len(stored)))  # nothing half-written, no gaps
        (row,) = store.sessions("S-014")
        assert row["status"] == "interrupted" and row["ended_at"] is None
        assert store.integrity_check() == "ok"
    print(f"reported {len(reported)} trials, stored {len(stored)}")
