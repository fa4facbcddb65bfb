"""The JACK server vanishes under a running engine: the therapist is told the sound stopped, and
the engine still stops when asked (the session saved first, then a watchdog ends a shutdown
that PortAudio blocks)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from soundness_live.live.process import EXIT_STUCK, SHUTDOWN_S
from soundness_live.store.records import Store
from tests.conftest import require_program
from tests.jackserver import jack_server
from tests.live.test_engine_process import QUICK_WAIT, _attach, _stop, _wait_for

pytestmark = pytest.mark.jack


def test_an_engine_whose_jack_server_died_still_stops_and_keeps_the_session(
    engine_home: Path,
) -> None:
    require_program("jackd", "jackd2")
    from soundness_live.live.client import start_engine

    with jack_server(256, portaudio=False) as server:
        home = engine_home
        args = ["--audio", "sounddevice", "--midi", "none", "--block-size", "256"]
        process = start_engine(home, args)
        try:
            client = _attach(home, timeout_s=30.0)
            assert "JACK" in client.state["output"]
            client.request(
                "start_activity",
                activity="waiting",
                params=QUICK_WAIT,
                child="S-014",
                input="virtual",
            )
            _wait_for(lambda: client.state.get("session_id") is not None)
            assert client.state["output_stalled"] is False
            server.stop()  # the audio server goes away mid-session
            _wait_for(lambda: client.state.get("output_stalled"), 10.0)  # the therapist is told
            assert any(n.startswith("sound output stopped") for n in client.notices)
            client.close()
            assert process.poll() is None
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=SHUTDOWN_S + 10)
            took = time.monotonic() - began
        except subprocess.TimeoutExpired:
            pytest.fail("the engine hung after SIGTERM")
        finally:
            _stop(process)
    log = (home / "engine.log").read_text()
    if code == EXIT_STUCK:  # PortAudio blocked: the watchdog ended it
        assert "did not stop within" in log and took < SHUTDOWN_S + 3
    else:
        assert code == 0
    with Store.open(home / "soundness.db") as store:
        (session,) = store.sessions("S-014")
    assert session["status"] == "interrupted" and session["ended_at"]
    with sqlite3.connect(home / "soundness.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
