"""A private PostgreSQL server for tests and benches, from Debian's ``postgresql`` package.

:func:`pg_server` runs ``initdb`` and ``pg_ctl`` in a new temporary directory: the cluster
listens on a Unix socket in that directory only (no TCP) unless ``tls`` is given, when it also
listens on 127.0.0.1 at a free port with the certificate and key given. ``initdb`` refuses to
run as root, and CI runs as root: then every server command runs as the ``postgres`` user the
package creates (``runuser -u postgres``), and the directory belongs to that user. The
superuser is ``postgres`` with password :data:`SUPERUSER_PASSWORD`; every connection, also
over the socket, authenticates with SCRAM, so the roles the tests make are checked as a
clinic's server would check them. The server is stopped (``pg_ctl stop -m immediate`` after
a fast stop that did not end) and the directory removed when the block ends.

:func:`module_pg_server` makes a module-scoped pytest fixture of it; a machine without the
package skips (fails under ``CI=true``) with the line saying what to install.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SUPERUSER_PASSWORD = "private-test-superuser"
START_TIMEOUT_S = 60


def pg_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (the newest version), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
    return found[-1].parent if found else None


def _version(path: Path) -> float:
    try:
        return float(path.parent.parent.name)
    except ValueError:
        return 0.0


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` as the postgres user when this process is root (initdb refuses root)."""
    if os.name == "posix" and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _give_to_server_user(path: Path) -> None:
    if os.name == "posix" and os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running private PostgreSQL cluster."""

    folder: Path
    bin: Path
    port: int
    tls: bool

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        """The folder of the server's Unix socket."""
        return self.folder / "socket"

    def url(self, user: str = "postgres", database: str = "postgres", **query: str) -> str:
        """A ``postgresql://`` URL to this server over its Unix socket (no password)."""
        extra = "".join(f"&{key}={quote(value)}" for key, value in query.items())
        return (
            f"postgresql://{quote(user)}@/{database}?host={quote(str(self.socket_dir))}"
            f"&port={self.port}{extra}"
        )

    def superuser(self, database: str = "postgres") -> dict[str, Any]:
        """psycopg connection arguments for the superuser over the socket."""
        return {
            "host": str(self.socket_dir), "port": self.port, "user": "postgres",
            "password": SUPERUSER_PASSWORD, "dbname": database, "autocommit": True,
        }  # fmt: skip

    def sql(self, statement: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement as the superuser; its rows (none for a command)."""
        import psycopg

        with psycopg.connect(**self.superuser(database)) as conn:
            cursor = conn.execute(statement.encode())
            return cursor.fetchall() if cursor.description else []

    def start(self) -> None:
        """Start the cluster (again, after :meth:`stop`)."""
        self._ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-l", str(self.folder / "log"))

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (``immediate``: as if the machine lost it)."""
        try:
            self._ctl("stop", "-w", "-t", "20", "-m", mode)
        except subprocess.CalledProcessError:
            if mode == "immediate":
                raise
            self._ctl("stop", "-w", "-t", "20", "-m", "immediate")

    def running(self) -> bool:
        """Whether the cluster's postmaster is up."""
        result = subprocess.run(
            _as_server_user([str(self.bin / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_server_user([str(self.bin / "pg_ctl"), *args[:1], "-D", str(self.data), *args[1:]]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=START_TIMEOUT_S + 10,
        )


def _options(port: int, socket_dir: Path, tls: tuple[Path, Path] | None) -> str:
    lines = [
        f"port = {port}",
        f"unix_socket_directories = '{socket_dir}'",
        "listen_addresses = '127.0.0.1'" if tls else "listen_addresses = ''",
        "fsync = off",  # a test cluster: a crash of the machine may lose it
        "max_connections = 40",
        "shared_buffers = 16MB",
    ]
    if tls:
        lines += ["ssl = on", f"ssl_cert_file = '{tls[0]}'", f"ssl_key_file = '{tls[1]}'"]
    return "".join(f"{line}\n" for line in lines)


@contextmanager
def pg_server(tls: tuple[Path, Path] | None = None) -> Iterator[PgServer]:
    """A private PostgreSQL cluster for the block (see the module's docstring); ``tls``:
    (certificate, key) PEM files for TLS on 127.0.0.1 (the key is copied, owner-only)."""
    binaries = pg_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL server programs not found (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="soundness-pg-"))
    server = PgServer(folder, binaries, free_port(), tls is not None)
    try:
        _lay_out(server, tls)
        server.start()
        yield server
    finally:
        try:
            if server.running():
                server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _lay_out(server: PgServer, tls: tuple[Path, Path] | None) -> None:
    folder = server.folder
    server.socket_dir.mkdir()
    password_file = folder / "superuser-password"
    password_file.write_text(SUPERUSER_PASSWORD + "\n")
    if tls:
        shutil.copy(tls[0], folder / "server.crt")
        shutil.copy(tls[1], folder / "server.key")
        (folder / "server.key").chmod(0o600)
        tls = (folder / "server.crt", folder / "server.key")
    for path in (folder, server.socket_dir, *folder.iterdir()):
        _give_to_server_user(path)
    subprocess.run(
        _as_server_user(
            [
                str(server.bin / "initdb"),
                "-D",
                str(server.data),
                "-U",
                "postgres",
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),  # fmt: skip
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    password_file.unlink()
    with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(_options(server.port, server.socket_dir, tls))
    if tls:  # TCP connections only with TLS
        (server.data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )


def module_pg_server(tls: Callable[[Path], tuple[Path, Path]] | None = None) -> Any:
    """A module-scoped pytest fixture giving a running :class:`PgServer` (skips, or under
    ``CI=true`` fails, without PostgreSQL or psycopg). ``tls``: makes (certificate, key) in
    the folder it is given."""
    import pytest

    @pytest.fixture(scope="module")
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
        from tests.conftest import require

        require(pg_bin() is not None, "PostgreSQL not found (apt-get install postgresql)")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            require(False, "psycopg not installed (pip install 'soundness-live[clinic]')")
        files = tls(tmp_path_factory.mktemp("tls")) if tls else None
        with pg_server(files) as server:
            yield server

    return fixture
