"""The session check that no test leaves a process behind: it sees children, and fails CI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.processes import PROC, child_processes

ROOT = Path(__file__).resolve().parents[1]

LEAKY_TEST = """
import subprocess
from pathlib import Path


def test_starts_a_process_and_forgets_it():
    sleeper = subprocess.Popen(["sleep", "60"])
    Path("sleeper.pid").write_text(str(sleeper.pid))
"""


def test_a_running_child_is_listed_and_an_ended_one_is_not() -> None:
    require(PROC.is_dir(), "no /proc: the check runs on Linux")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:  # while the child execs, /proc may show its name with an empty command line
        deadline = time.monotonic() + 5.0
        while (sleeper.pid, "sleep 30") not in (listed := child_processes()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert (sleeper.pid, "sleep 30") in listed
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sleeper.pid not in [pid for pid, _ in child_processes()]


def test_a_test_that_leaves_a_process_running_fails_the_run_under_ci(tmp_path: Path) -> None:
    require(PROC.is_dir(), "no /proc: the check runs on Linux")
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    env = dict(os.environ, CI="true", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "tests.processes", "test_leaky.py"]
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    pid = int((tmp_path / "sleeper.pid").read_text())
    try:
        assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
        assert "1 passed" in run.stdout
        assert f"the tests left 1 child process(es) running:\n  pid {pid}: sleep 60" in run.stdout
    finally:
        os.kill(pid, signal.SIGKILL)  # orphaned by the inner run: ours to end
        _wait_gone(pid)


def _wait_gone(pid: int, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (PROC / str(pid)).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
