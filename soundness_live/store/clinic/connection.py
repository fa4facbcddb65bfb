"""Reaching the clinic's server: its address, TLS, its password, the driver.

- The address is a ``postgresql://user@host:port/database`` URL, kept in config.toml
  (``clinic_url``) without a password. Query parameters are libpq's (``sslmode``,
  ``sslrootcert``, ``hostaddr``, ``host`` for a socket folder...).
- A server on this machine (no host, a socket folder, ``localhost``, a loopback address) needs
  no TLS. Any other host needs TLS that checks the server: ``sslmode=verify-full`` unless the
  URL asks for ``verify-ca``; a URL asking for less (``disable``, ``allow``, ``prefer``,
  ``require``) is refused before anything is sent, since a password and children's records
  must not cross a network to a server nobody checked.
- The password lives in the system keyring (``keyring``, an optional package) when one works,
  else in ``clinic.pgpass`` in the data folder, owner-only (0600), in libpq's ``.pgpass``
  format, which libpq itself reads; never in config.toml.
- psycopg is an optional extra: without it, :func:`driver` says in one line what to install.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from soundness_live.config import check_clinic_url
from soundness_live.errors import ParameterError, StoreError

__all__ = [
    "PASSFILE_NAME",
    "ClinicAddress",
    "driver",
    "save_password",
    "forget_password",
    "connect_server",
]

PASSFILE_NAME = "clinic.pgpass"
KEYRING_SERVICE = "soundness-live clinic"
CONNECT_TIMEOUT_S = 10
_CHECKED_TLS = ("verify-full", "verify-ca")
_INSTALL = "pip install 'soundness-live[clinic]'"


def driver() -> ModuleType:
    """psycopg, PostgreSQL's driver; a StoreError saying what to install without it."""
    try:
        import psycopg
    except ImportError as error:
        raise StoreError(
            f"the clinic server needs the PostgreSQL driver psycopg, not installed ({error}); "
            f"install it with: {_INSTALL}"
        ) from error
    return psycopg


@dataclass(frozen=True)
class ClinicAddress:
    """A clinic server's address, parsed from its URL."""

    url: str
    user: str
    host: str  # a host name or address, a socket folder, or "" (libpq's default socket)
    port: int
    database: str
    query: dict[str, str]

    @classmethod
    def parse(cls, url: str) -> ClinicAddress:
        """Parse and check ``url`` (a ``postgresql://`` URL without a password)."""
        checked = check_clinic_url(url, "clinic URL")
        assert checked is not None
        parts = urlsplit(checked)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        user = unquote(parts.username or "") or query.get("user", "")
        if not user:
            raise ParameterError(
                f"clinic URL must name the role to connect as (postgresql://ROLE@HOST/DATABASE), "
                f"got {url!r}"
            )
        try:
            port = int(query.get("port") or parts.port or 5432)
        except ValueError as error:
            raise ParameterError(f"clinic URL has a bad port ({error}), got {url!r}") from error
        host = unquote(parts.hostname or "") or query.get("host", "")
        database = unquote(parts.path.lstrip("/")) or query.get("dbname", "") or user
        address = cls(checked, user, host, port, database, query)
        address.check_tls()
        return address

    @property
    def local(self) -> bool:
        """Whether the server is on this machine (no network between)."""
        if not self.host or self.host.startswith("/") or self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

    @property
    def sslmode(self) -> str | None:
        """The TLS mode to connect with: the URL's, else verify-full for a remote host."""
        asked = self.query.get("sslmode")
        return asked or (None if self.local else "verify-full")

    def check_tls(self) -> None:
        """Refuse a remote server without TLS that checks the server's certificate."""
        if self.local or self.sslmode in _CHECKED_TLS:
            return
        raise ParameterError(
            f"the clinic server {self.host} is not on this machine, so the connection must use "
            f"TLS that checks the server (sslmode=verify-full, the default, or verify-ca), got "
            f"sslmode={self.sslmode}; remove sslmode from the URL, and give the clinic's CA "
            "certificate with sslrootcert=PATH if the server's is not signed by a known one"
        )

    @property
    def named(self) -> str:
        """The address as people read it (no password ever: none is in it)."""
        where = self.host or "the local socket"
        return f"{self.user}@{where}:{self.port}/{self.database}"

    @property
    def keyring_user(self) -> str:
        """The name the password is kept under in the keyring."""
        return self.named

    def passfile_line(self, password: str) -> str:
        """This server's line in a .pgpass file."""
        fields = (self.host or "localhost", str(self.port), self.database, self.user, password)
        return ":".join(_pgpass_escape(field) for field in fields)


def _pgpass_escape(field: str) -> str:
    if "\n" in field:
        raise ParameterError("a clinic password must be on one line")
    return field.replace("\\", "\\\\").replace(":", "\\:")


def _keyring() -> Any | None:
    """The keyring package when it has a working backend, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        if isinstance(keyring.get_keyring(), fail.Keyring):
            return None
    except Exception:  # a broken backend configuration: the private file then
        return None
    return keyring


def passfile(home: Path) -> Path:
    """The private password file in the data folder."""
    return home / PASSFILE_NAME


def save_password(home: Path, address: ClinicAddress, password: str) -> str:
    """Keep the password for ``address``: in the keyring, else the private file; where."""
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, address.keyring_user, password)
            _remove_passfile_line(home, address)
            return "the system keyring"
        except Exception:  # a locked or refusing keyring: the private file instead
            pass
    _remove_passfile_line(home, address)
    path = passfile(home)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    _write_owner_only(path, [*lines, address.passfile_line(password)])
    return str(path)


def forget_password(home: Path, address: ClinicAddress) -> None:
    """Remove the kept password of ``address`` (keyring and file)."""
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.delete_password(KEYRING_SERVICE, address.keyring_user)
        except Exception:  # nothing kept there
            pass
    _remove_passfile_line(home, address)


def _remove_passfile_line(home: Path, address: ClinicAddress) -> None:
    path = passfile(home)
    if not path.exists():
        return
    prefix = address.passfile_line("")
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(prefix)]  # fmt: skip
    _write_owner_only(path, kept)


def _write_owner_only(path: Path, lines: list[str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in lines))
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) != 0o600:
        path.chmod(0o600)  # libpq ignores a password file others can read


def _kept_password(home: Path, address: ClinicAddress) -> dict[str, str]:
    """Connection arguments carrying the kept password (keyring), or the private file."""
    keyring = _keyring()
    if keyring is not None:
        try:
            password = keyring.get_password(KEYRING_SERVICE, address.keyring_user)
        except Exception:
            password = None
        if password is not None:
            return {"password": password}
    path = passfile(home)
    return {"passfile": str(path)} if path.exists() else {}


def connect_server(
    address: ClinicAddress, home: Path | None, password: str | None = None, **options: Any
) -> Any:
    """A psycopg connection to the server (the kept password, or ``password``); a
    StoreError in one line naming the server when it cannot be reached or refuses."""
    psycopg = driver()
    arguments: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S, "application_name": "soundness-live",
    }  # fmt: skip
    if address.sslmode:
        arguments["sslmode"] = address.sslmode
    if password is not None:
        arguments["password"] = password
    elif home is not None:
        arguments |= _kept_password(home, address)
    try:
        return psycopg.connect(address.url, **arguments, **options)
    except psycopg.Error as error:
        raise StoreError(
            f"cannot connect to the clinic server {address.named}: {first_line(error)}"
        ) from error


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
