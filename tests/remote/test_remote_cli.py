"""``engine --remote`` and config.toml's ``[remote]``: the remote starts beside the engine
(also one already running), binds to loopback unless told otherwise, and stops with it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soundness_live.live.client import EngineClient, start_engine
from tests.conftest import require
from tests.live.test_engine_process import ENGINE_ARGS, _attach, _stop
from tests.remote.conftest import remote_packages_present

CLI = [sys.executable, "-m", "soundness_live.cli"]


@pytest.fixture(autouse=True)
def _packages() -> None:
    require(remote_packages_present(), "pip install 'soundness-live[remote]'")


def served_status(home: Path) -> dict:
    with EngineClient.connect(home) as client:
        return (client.state.get("remote") or {}).get("served") or {}


def gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        stat = (
            Path(f"/proc/{pid}/stat").read_text(errors="replace")
            if os.path.exists(f"/proc/{pid}/stat")
            else ""
        )
        if stat.rpartition(")")[2].split()[:1] == ["Z"]:
            return True
        time.sleep(0.05)
    return not os.path.exists(f"/proc/{pid}")


def test_remote_beside_a_running_engine_binds_loopback_and_stops_with_it(engine_home) -> None:
    engine = start_engine(engine_home, ENGINE_ARGS)
    try:
        _attach(engine_home).close()
        started = subprocess.run(
            [*CLI, "engine", "--data-dir", str(engine_home), "--remote", "0"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert started.returncode == 0, started.stdout + started.stderr
        status = served_status(engine_home)
        assert status["url"].startswith("http://127.0.0.1:")  # the default host: loopback
        assert f"remote: open {status['url']}" in started.stdout
        assert f"pairing code {status['pairing_code']}" in started.stdout
        assert "█" in started.stdout  # the QR code, which holds the address only
        assert os.stat(engine_home / "remote.log").st_mode & 0o777 == 0o600
        # the remote runs below the engine's priority, as the screens do: sound comes first
        engine_nice = os.getpriority(os.PRIO_PROCESS, engine.pid)
        assert os.getpriority(os.PRIO_PROCESS, status["pid"]) == engine_nice + 5
        again = subprocess.run(
            [*CLI, "engine", "--data-dir", str(engine_home), "--remote", "0"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert again.returncode == 2 and "already serves this engine" in again.stderr
        stopped = subprocess.run(
            [*CLI, "engine", "--data-dir", str(engine_home), "--stop"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "engine stopped" in stopped.stdout
        assert gone(status["pid"])
    finally:
        _stop(engine)


def test_config_toml_remote_starts_it_with_the_engine(engine_home) -> None:
    (engine_home / "config.toml").write_text('[remote]\nbind = "127.0.0.1:0"\n')
    engine = subprocess.Popen(
        [*CLI, "engine", "--data-dir", str(engine_home), *ENGINE_ARGS],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        for line in engine.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "pairing code" in line or "error" in line:
                break
        assert any("pairing code" in line for line in lines), "".join(lines)
        status = served_status(engine_home)
        assert status["url"].startswith("http://127.0.0.1:") and not status["tls"]
        engine.terminate()
        engine.wait(20)
        assert gone(status["pid"])
    finally:
        _stop(engine)
        engine.stdout.close()  # type: ignore[union-attr]


def test_a_bad_remote_address_is_one_line_before_anything_starts(engine_home) -> None:
    result = subprocess.run(
        [*CLI, "engine", "--data-dir", str(engine_home), *ENGINE_ARGS, "--remote", "tablet"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--remote must be [HOST:]PORT" in result.stdout + result.stderr
    assert not (engine_home / "engine.sock").exists()
