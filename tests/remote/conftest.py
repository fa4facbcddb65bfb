"""An engine process with the browser remote beside it, for the remote's tests.

The engine plays no sound and hears no MIDI (the virtual child plays); the remote is started
as ``engine --remote`` starts it (:func:`soundness_live.remote.launch.start_remote`) on a free
loopback port. Both are stopped after the module's tests.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.live.test_engine_process import ENGINE_ARGS, _attach, _home, _stop


def remote_packages_present() -> bool:
    from soundness_live.remote.launch import missing_packages

    return not missing_packages()


@dataclass
class Served:
    """A running engine and remote: the data directory, both processes, the remote's status."""

    home: Path
    engine: subprocess.Popen
    remote: subprocess.Popen
    status: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.status["url"])

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    @property
    def cookie(self) -> str:
        """The name of this remote's token cookie (its own: by installation and port)."""
        from urllib.parse import urlsplit

        from soundness_live.remote.pairing import cookie_name

        return cookie_name(self.home, int(urlsplit(self.url).port or 0))

    def code(self) -> str:
        """The pairing code the laptop shows now (each code pairs one device)."""
        return current_code(self.home)


def current_code(home: Path) -> str:
    """The pairing code the engine of ``home`` shows now."""
    from soundness_live.live.client import EngineClient

    with EngineClient.connect(home) as laptop:
        served = laptop.request("snapshot")["state"]["remote"]["served"]
    return str(served["pairing_code"])


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    require(remote_packages_present(), "pip install 'soundness-live[remote]'")
    from soundness_live.live.client import start_engine
    from soundness_live.remote.launch import start_remote, stop_remote

    home = _home()
    with_name(home)
    engine = start_engine(home, ENGINE_ARGS)
    running: Served | None = None
    try:
        _attach(home).close()
        remote, status = start_remote(home, "127.0.0.1:0")
        running = Served(home, engine, remote, status)
        yield running
    finally:
        if running is not None:  # a test may have started it again
            stop_remote(running.remote)
        _stop(engine)
        shutil.rmtree(home, ignore_errors=True)


NAMED = ("S-021", "Ada Example")


def with_name(home: Path) -> None:
    """A second child, with a name that must never reach a page unless turned on for it."""
    from soundness_live.store.records import Store

    with Store.open(home / "soundness.db") as store:
        store.add_child({"code": NAMED[0], "display_name": NAMED[1], "volume_cap_dbfs": -20.0})
