"""The tests' private JACK server stops even when it ignores SIGTERM, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
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
