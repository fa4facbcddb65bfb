"""The browser remote started and stopped by the engine, as the therapist's screen asks.

``start_remote {host, port, tls}`` starts the remote's process as ``engine --remote`` does: a
process of its own (never a thread of the engine, which would share its GIL with the audio),
``python -m soundness_live.remote.server --data-dir DIR --bind HOST:PORT [--tls]``, its own
session, its output in ``remote.log`` of the data directory (owner-only). It binds only to
loopback or to one of this laptop's own network addresses (``remote_addresses`` lists them
for the therapist to pick): nothing goes on the network unless the therapist picks that.
``stop_remote`` stops it, or the remote started beside the engine from the command line.
Stopping the engine stops the remote it started.

The command answers at once: the remote says where it serves with ``remote_status``, a
command of the engine, so a command waiting for that would hold up the therapist's next tap
(QUIET among them). A thread waits instead; the snapshot's ``remote`` says ``starting`` until
the remote serves, and ``start_error`` (the last line of its log) when it exited or stayed
silent. The remote's own pages cannot send these commands (``remote/bridge.py``'s
``PAGE_COMMANDS``): a page may not start or move the server it is served by.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from ..config import load_settings, parse_bind
from ..errors import ParameterError
from .client import open_private_log
from .processes import end_process
from .remote_link import RemoteLink

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765
LOG_NAME = "remote.log"
START_S = 20.0  # the remote imports its web server and makes its certificate once (TLS)
POLL_S = 0.05


def laptop_addresses() -> list[str]:
    """This laptop's IPv4 addresses on a network (not loopback): where a tablet on the same
    Wi-Fi can reach it. Found without sending anything."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: only a route is chosen
        found.add(str(probe.getsockname()[0]))
    except OSError:
        pass  # no network at all: loopback only
    finally:
        probe.close()
    return sorted(address for address in found if _on_a_network(address))


def _on_a_network(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast)


def check_host(value: Any) -> str:
    """Loopback or one of this laptop's own addresses (never every address, 0.0.0.0)."""
    allowed = [LOOPBACK, *laptop_addresses()]
    if value not in allowed:
        raise ParameterError(f"must be one of this laptop's addresses ({', '.join(allowed)})")
    return str(value)


def remote_command(data_dir: Path, bind: str, tls: bool) -> list[str]:
    """The command line of the remote's process."""
    command = [sys.executable, "-m", "soundness_live.remote.server", "--data-dir", str(data_dir)]
    return [*command, "--bind", bind, *(["--tls"] if tls else [])]


def spawn_remote(data_dir: Path, bind: str, tls: bool) -> subprocess.Popen:
    """Start the remote's process for the engine of ``data_dir``, serving at ``bind``: a
    session of its own, its output in ``remote.log`` of ``data_dir`` (owner-only), this
    checkout first on its path. Used by the engine (``start_remote``) and by ``--remote``
    beside a running engine (:mod:`soundness_live.remote.launch`)."""
    log = open_private_log(data_dir / LOG_NAME)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        return subprocess.Popen(
            remote_command(data_dir, bind, tls), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=os.name == "posix",
        )  # fmt: skip
    finally:
        log.close()


def last_log_line(data_dir: Path) -> str:
    """The last line the remote wrote in its log (why it did not start)."""
    try:
        text = (data_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "no log"
    lines = text.strip().splitlines()
    return lines[-1] if lines else "it said nothing"


class RemoteProcess:
    """The remote's process the engine started: starting, serving or stopped."""

    def __init__(self, data_dir: Path, link: RemoteLink) -> None:
        self.data_dir = data_dir
        self.link = link
        self._lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.starting: str | None = None  # the address asked for, until the remote serves
        self.error = ""
        self.closing = False

    def state(self) -> dict[str, Any]:
        """What the snapshot's ``remote`` adds: ``starting``, ``start_error``, and whether the
        remote serving is the one this engine started (``started_here``)."""
        served, process = self.link.status, self.process
        here = served is not None and process is not None and served.get("pid") == process.pid
        starting = None if here else self.starting  # serving, before the waiting thread looks
        return {"starting": starting, "start_error": self.error, "started_here": here}

    def start(self, host: str, port: int, tls: bool) -> str:
        """Start the remote at ``host:port``; the address asked for. Refused while one
        starts or serves."""
        bind = f"{host}:{port}"
        with self._lock:
            if self.closing:
                raise ParameterError("start_remote: the engine is stopping")
            if self.starting is not None:
                raise ParameterError(f"start_remote: the remote is starting at {self.starting}")
            served = self.link.status
            if served is not None:
                raise ParameterError(f"start_remote: the remote already serves at {served['url']}")
            self.process = spawn_remote(self.data_dir, bind, tls)
            self.starting, self.error = bind, ""
            process = self.process
        threading.Thread(
            target=self._wait_for_status, args=(process,), name="remote-start", daemon=True
        ).start()
        return bind

    def _wait_for_status(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and process.poll() is None and not self.closing:
            served = self.link.status
            if served is not None and served.get("pid") == process.pid:
                with self._lock:
                    self.starting = None
                return
            time.sleep(POLL_S)
        failed = process.poll() is not None
        end_process(process)
        with self._lock:
            self.starting = None
            if self.process is not process:  # stopped by the therapist meanwhile: no failure
                return
            self.process = None
            if not self.closing:
                how = "it stopped" if failed else f"it said nothing in {START_S:g} s"
                line = last_log_line(self.data_dir)
                self.error = f"the browser remote did not start ({how}): {line}"

    def stop(self) -> int:
        """Stop the remote serving (this engine's, or one started beside it from the command
        line); the process id stopped. Refused when none serves."""
        with self._lock:
            served, process = self.link.status, self.process
            self.process, self.error = None, ""
        if process is not None and process.poll() is None:
            pid = process.pid
            process.terminate()
            threading.Thread(
                target=end_process, args=(process,), name="remote-stop", daemon=True
            ).start()
        elif served is not None:
            pid = int(served["pid"])
            os.kill(pid, signal.SIGTERM)  # its own handler stops it and tells the engine
        else:
            raise ParameterError("stop_remote: the browser remote is not running")
        self.link.forget(pid)
        return pid

    def close(self) -> None:
        """The engine stops: the remote it started stops too (waited for)."""
        with self._lock:
            self.closing = True
            process, self.process = self.process, None
        if process is not None:
            end_process(process)


class RemoteProcessEngine(Protocol):
    """What the commands need of the engine."""

    remote: RemoteLink
    remote_process: RemoteProcess
    store: Any


def default_port(data_dir: Path) -> int:
    """config.toml's ``[remote] bind`` port, else :data:`DEFAULT_PORT`."""
    bind = load_settings(data_dir).remote.bind
    return parse_bind(bind)[1] if bind is not None else DEFAULT_PORT


def remote_addresses(engine: RemoteProcessEngine, fields: dict[str, Any]) -> dict[str, Any]:
    """Where the remote may serve: loopback and this laptop's network addresses, the port and
    whether config.toml asks for TLS."""
    data_dir = engine.remote_process.data_dir
    return {
        "loopback": LOOPBACK,
        "lan": laptop_addresses(),
        "port": default_port(data_dir),
        "tls": load_settings(data_dir).remote.tls,
    }


def start_remote(engine: RemoteProcessEngine, fields: dict[str, Any]) -> dict[str, Any]:
    """Start the browser remote where the therapist picked (answers before it serves)."""
    data_dir = engine.remote_process.data_dir
    port = fields["port"] if fields["port"] is not None else default_port(data_dir)
    tls = fields["tls"] if fields["tls"] is not None else load_settings(data_dir).remote.tls
    return {"starting": engine.remote_process.start(fields["host"], port, tls), "tls": tls}


def stop_remote(engine: RemoteProcessEngine, fields: dict[str, Any]) -> dict[str, Any]:
    """Stop the browser remote: every page it serves goes."""
    return {"stopped": engine.remote_process.stop()}
