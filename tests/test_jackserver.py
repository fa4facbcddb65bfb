"""The tests' private JACK server stops even when it ignores SIGTERM, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import require_program
from tests.jackserver import SHM_DIR, STOP_GRACE_S, jack_server, registry_pids

pytestmark = pytest.mark.jack


def test_a_jackd_that_ignores_sigterm_is_killed_and_its_registry_slot_freed() -> None:
    require_program("jackd", "jackd2")
    with jack_server(256, portaudio=False) as server:
        assert server.process.pid in registry_pids()
        os.kill(server.process.pid, signal.SIGSTOP)  # from now on SIGTERM waits in vain
        began = time.monotonic()
    took_s = time.monotonic() - began
    assert server.process.returncode == -signal.SIGKILL
    assert STOP_GRACE_S <= took_s < STOP_GRACE_S + 2.0
    # a killed jackd would keep one of the machine's eight server slots for good
    assert server.process.pid not in registry_pids()
    assert list(SHM_DIR.glob(f"jack_sem.*_{server.name}_*")) == []
    assert list(SHM_DIR.glob(f"jack_{server.name}_*")) == []  # its socket


def test_a_jackd_that_listens_stops_on_sigterm() -> None:
    require_program("jackd", "jackd2")
    with jack_server(256, portaudio=False) as server:
        pass
    assert server.process.returncode == 0
    assert server.process.pid not in registry_pids()


def _may_run_realtime() -> bool:
    """Whether this user may schedule a thread SCHED_FIFO (root, CAP_SYS_NICE or an rtprio
    limit), tried in a child process so this one keeps its own scheduling."""
    code = "import os; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))"
    tried = subprocess.run([sys.executable, "-c", code], capture_output=True)
    return tried.returncode == 0


def _fifo_priorities(pid: int) -> list[int]:
    """The SCHED_FIFO priorities of process ``pid``'s threads."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        if os.sched_getscheduler(int(task)) == os.SCHED_FIFO:
            found.append(os.sched_getparam(int(task)).sched_priority)
    return found


def test_jackd_runs_without_realtime_threads_unless_asked() -> None:
    require_program("jackd", "jackd2")
    with jack_server(256, portaudio=False) as server:
        assert _fifo_priorities(server.process.pid) == []


def test_a_realtime_jackd_runs_its_cycle_thread_at_the_priority_asked() -> None:
    require_program("jackd", "jackd2")
    if not _may_run_realtime():  # a privilege, not a package: CI runs unprivileged
        pytest.skip("this user may not use real-time scheduling (root or CAP_SYS_NICE needed)")
    with jack_server(256, portaudio=False, realtime_priority=61) as server:
        assert 61 in _fifo_priorities(server.process.pid)
    assert server.process.returncode == 0


def test_the_server_log_reads_from_a_given_byte() -> None:
    require_program("jackd", "jackd2")
    with jack_server(256, portaudio=False) as server:
        whole = server.log_text()
        assert "server starting in non-realtime mode" in whole  # as jackd starts
        size = server.log_size()
        assert size == len(whole.encode())
        assert server.log_text(size) == ""
        assert server.log_text(0, 5) == whole[:5]
