"""Starting the remote's process beside a running engine (``engine --remote``, ``run --remote``).

The remote is a process of its own (never a thread of the engine: it would share the engine's
GIL with the audio), started detached with its output in ``remote.log`` of the data directory
(owner-only). :func:`start_remote` returns once the engine has heard where it serves, with that
status (address, pairing code, fingerprint); the remote stops by itself when the engine does.
"""

from __future__ import annotations

import importlib.util
import subprocess
import time
from pathlib import Path
from typing import Any

from ..errors import DeviceError
from ..live.client import EngineClient
from ..live.processes import STOP_S, end_process
from ..live.remote_process import LOG_NAME, last_log_line, spawn_remote
from .server import INSTALL_HINT

NEEDED = ("starlette", "uvicorn", "segno")
START_S = 20.0


def missing_packages() -> list[str]:
    """The packages the remote needs that are not installed."""
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def check_packages(tls: bool = False) -> None:
    """DeviceError, one line naming what is missing and how to get it."""
    missing = missing_packages() + (
        ["cryptography"] if tls and importlib.util.find_spec("cryptography") is None else []
    )
    if missing:
        raise DeviceError(f"the browser remote needs {', '.join(missing)}: {INSTALL_HINT}")


def start_remote(
    data_dir: Path, bind: str, tls: bool = False, timeout_s: float = START_S
) -> tuple[subprocess.Popen, dict[str, Any]]:
    """Start the remote for the engine of ``data_dir``; (its process, its status).

    DeviceError naming the log's last line when it exits or says nothing within ``timeout_s``.
    """
    check_packages(tls)
    _check_not_served(data_dir)
    process = spawn_remote(data_dir, bind, tls)
    try:
        return process, _wait_for_status(data_dir, process, timeout_s)
    except BaseException:
        stop_remote(process)
        raise


def _check_not_served(data_dir: Path) -> None:
    """DeviceError when a remote already serves this engine (one remote an engine)."""
    with EngineClient.connect(data_dir) as client:
        served = (client.state.get("remote") or {}).get("served")
    if served:
        raise DeviceError(
            f"the browser remote already serves this engine at {served['url']}; it stops "
            "with the engine"
        )


def _wait_for_status(data_dir: Path, process: subprocess.Popen, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    with EngineClient.connect(data_dir) as client:
        while time.monotonic() < deadline:
            served = (client.state.get("remote") or {}).get("served")
            if served and served.get("pid") == process.pid:
                return dict(served)
            if process.poll() is not None:
                break
            time.sleep(0.05)
    log_path = data_dir / LOG_NAME
    raise DeviceError(
        f"the browser remote did not start: {last_log_line(data_dir)} (see {log_path})"
    )


def stop_remote(process: subprocess.Popen, timeout_s: float = STOP_S) -> None:
    """Stop the remote's process (it tells the engine it stopped)."""
    end_process(process, timeout_s)
