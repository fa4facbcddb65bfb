"""Where Soundness Live keeps its files, and the settings of that place (``config.toml``).

``data_dir()`` is ``$SOUNDNESS_LIVE_HOME`` when set, else the platform's user data directory
(``platformdirs.user_data_dir("soundness-live")``). It holds children's health data, so it is
created owner-only (0o700), and an existing one that others can read is tightened to 0o700:
the directory belongs to Soundness Live alone. Permission bits are skipped on Windows, where
the user profile's ACLs already keep other users out.

``config.toml`` in the data directory holds the settings of this machine's Soundness Live, one
key each (:data:`SETTINGS` documents them; an unknown key or a value of the wrong kind is a
one-line error naming the file, the key, what was expected and what came)::

    therapist = "Mia Berger"   # who runs the sessions; each session keeps it (initials shown)
    installation_id = "0b5c..."   # this laptop, for the clinic server (made once, never changed)
    laptop = "Room 2"          # this laptop as people name it (the clinic shows it)
    clinic_url = "postgresql://mia@clinic.example.org/therapy"   # the clinic server (no password)
    clinic_auto_sync = true    # send finished sessions when a session ends (default true)
    clinic_share_notes = false   # send therapists' notes to the clinic too (default false)

    [remote]                   # the browser remote (off unless asked for)
    bind = "127.0.0.1:8765"    # where it serves; a LAN address only when the therapist sets one
    tls = false                # serve HTTPS with this installation's own certificate

The program writes the clinic keys itself (``soundness-live clinic connect``) with
:func:`save_settings`, which changes only the lines of the keys it sets and keeps the rest of
the file (comments included) as it was.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soundness_live.errors import FileFormatError, ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "HOME_ENV",
    "DB_NAME",
    "CONFIG_NAME",
    "SETTINGS",
    "Settings",
    "data_dir",
    "db_path",
    "private_dir",
    "load_settings",
    "save_settings",
    "ensure_installation",
    "check_therapist",
    "check_laptop",
    "check_clinic_url",
    "parse_bind",
    "RemoteSettings",
    "initials",
    "TOML_NESTING_LIMIT",
    "parse_toml",
]

HOME_ENV = "SOUNDNESS_LIVE_HOME"
DB_NAME = "soundness.db"
CONFIG_NAME = "config.toml"
_POSIX = os.name == "posix"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it owner-only (0o700)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ParameterError(
            f"cannot create the data directory {path}: {error.strerror}"
        ) from error
    if not path.is_dir():
        raise ParameterError(f"data directory {path} exists but is not a directory")
    if _POSIX and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)  # group/other bits would expose health data
    return path


def data_dir() -> Path:
    """The data directory (created 0o700): $SOUNDNESS_LIVE_HOME, or the user data dir."""
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        return private_dir(Path(home).expanduser().absolute())
    import platformdirs  # imported here: only the shell needs it

    return private_dir(Path(platformdirs.user_data_dir("soundness-live", appauthor=False)))


def db_path() -> Path:
    """Path of the session store, ``soundness.db`` in :func:`data_dir`."""
    return data_dir() / DB_NAME


def check_therapist(value: Any, what: str = "therapist") -> str | None:
    """A therapist's name (or initials): None, or text of 1..64 characters, trimmed."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 64:
        raise ParameterError(f"{what} must be a name of 1..64 characters, got {value!r}")
    return value.strip()


def initials(name: str | None) -> str | None:
    """How a person is shown unless names are asked for: the first letter of each word and of
    each part of a joined or dotted word, capitalised: "Mia Berger" -> "MB", "Anne-Marie O'Neil"
    -> "AMO", "BERGER" -> "B", "李明" -> "李", "M.B." -> "MB". A code (a word holding a digit,
    such as "T-01") names no one and stays as it is."""
    if name is None or not name.strip():
        return None
    if _CODE.fullmatch(name.strip()):
        return name.strip()
    parts = [part for word in name.split() for part in re.split(r"[-.‐‑]", word)]
    letters = [next((ch for ch in part if ch.isalpha()), "") for part in parts]
    return "".join(letter.upper() for letter in letters) or None


#: A code rather than a name: one word of letters, digits, '-' and '_' holding a digit.
_CODE = re.compile(r"(?=\S*\d)[\w-]+")


def check_laptop(value: Any, what: str = "laptop") -> str | None:
    """A laptop's label as people name it ("Room 2", "Mia's laptop"): None, or 1..64
    characters on one line, trimmed."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 64 or "\n" in value:
        raise ParameterError(f"{what} must be a label of 1..64 characters, got {value!r}")
    return value.strip()


def check_installation_id(value: Any, what: str = "installation_id") -> str | None:
    """This installation's id: None, or a UUID (kept in its canonical form)."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value))) if isinstance(value, str) else _not_uuid(value, what)
    except ValueError:
        return _not_uuid(value, what)


def _not_uuid(value: Any, what: str) -> str:
    raise ParameterError(f"{what} must be a UUID such as {uuid.UUID(int=0)}, got {value!r}")


def check_clinic_url(value: Any, what: str = "clinic_url") -> str | None:
    """The clinic server's address: None, or a ``postgresql://`` URL without a password (the
    password is kept in the system keyring or a private file, never here)."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not re.match(r"postgres(ql)?://", value):
        raise ParameterError(f"{what} must be a postgresql:// URL, got {value!r}")
    try:
        password = urlsplit(value).password
    except ValueError as error:
        raise ParameterError(f"{what} must be a postgresql:// URL ({error})") from error
    if password is not None:
        raise ParameterError(
            f"{what} must not hold a password (it is kept in the keyring or a private file); "
            "connect again with 'soundness-live clinic connect URL'"
        )
    return value


def check_flag(value: Any, what: str) -> bool | None:
    """A yes/no setting: None, true or false."""
    if value is None or isinstance(value, bool):
        return value
    raise ParameterError(f"{what} must be true or false, got {value!r}")


DEFAULT_REMOTE_HOST = "127.0.0.1"  # loopback: nothing on the network unless asked for


def parse_bind(value: Any, what: str = "--remote") -> tuple[str, int]:
    """``[HOST:]PORT`` -> (host, port); the host is loopback when not given, port 0 is any
    free port. An IPv6 host is written in brackets (``[::1]:8765``)."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    host, _, port_text = text.rpartition(":")
    host = host.strip("[]") or DEFAULT_REMOTE_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535 or " " in host:
        raise ParameterError(
            f"{what} must be [HOST:]PORT with a port 0..65535 (e.g. 8765 or 192.168.1.20:8765), "
            f"got {value!r}"
        )
    return host, int(port_text)


@dataclass(frozen=True)
class RemoteSettings:
    """config.toml's ``[remote]``: where the browser remote serves (None: not set) and TLS."""

    bind: str | None = None
    tls: bool = False


def check_remote(value: Any, what: str) -> RemoteSettings:
    """The ``[remote]`` table: ``bind`` ([HOST:]PORT) and ``tls`` (true or false)."""
    if not isinstance(value, dict) or set(value) - {"bind", "tls"}:
        raise ParameterError(f"{what} must be a table of bind and tls, got {value!r}")
    bind = value.get("bind")
    if bind is not None:
        parse_bind(bind, f"{what[:-1]}.bind'")
    tls = check_flag(value.get("tls"), f"{what[:-1]}.tls'")
    return RemoteSettings(None if bind is None else str(bind), bool(tls))


@dataclass(frozen=True)
class Settings:
    """The settings in ``config.toml`` (absent keys: None)."""

    therapist: str | None = None
    installation_id: str | None = None
    laptop: str | None = None
    clinic_url: str | None = None
    clinic_auto_sync: bool | None = None
    clinic_share_notes: bool | None = None
    remote: RemoteSettings = RemoteSettings()


#: Every key config.toml may hold: name -> (check returning the value, what it means).
SETTINGS: dict[str, tuple[Callable[[Any, str], Any], str]] = {
    "therapist": (check_therapist, "who runs the sessions on this machine (name or initials)"),
    "installation_id": (check_installation_id, "this laptop's id for the clinic server"),
    "laptop": (check_laptop, "this laptop as people name it, shown with its sessions"),
    "clinic_url": (check_clinic_url, "the clinic's PostgreSQL server (postgresql://, no password)"),
    "clinic_auto_sync": (check_flag, "send finished sessions to the clinic when a session ends"),
    "clinic_share_notes": (check_flag, "send therapists' notes to the clinic (default false)"),
    "remote": (check_remote, "the browser remote: bind ([HOST:]PORT) and tls (true or false)"),
}


#: How deep arrays and tables may nest in a TOML file we read (ours need 3).
TOML_NESTING_LIMIT = 32


def parse_toml(text: str, source: str | os.PathLike[str]) -> dict[str, Any]:
    """The TOML document in ``text`` (read from ``source``); FileFormatError, one line naming
    ``source``, when it is not TOML or nests deeper than :data:`TOML_NESTING_LIMIT` levels (the
    TOML reader recurses once a level, so a file of 5000 ``[`` would exhaust Python's stack)."""
    too_deep = FileFormatError(
        f"{source}: expected TOML nested at most {TOML_NESTING_LIMIT} levels deep (arrays and "
        "tables), got more"
    )
    try:
        document = tomllib.loads(text)
    except RecursionError:
        raise too_deep from None
    except tomllib.TOMLDecodeError as error:
        reason = " ".join(str(error).split())
        raise FileFormatError(f"{source}: not valid TOML: {reason}") from None
    if _nesting(document) > TOML_NESTING_LIMIT:
        raise too_deep  # dotted keys (a.a.a.a = 1) nest without recursing in the reader
    return document


def _nesting(document: dict[str, Any]) -> int:
    """How many tables and arrays deep ``document`` goes (counted without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > TOML_NESTING_LIMIT:
            break
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items if isinstance(item, (dict, list)))
    return deepest


def load_settings(home: Path | None = None) -> Settings:
    """The settings of ``home`` (default :func:`data_dir`) from its config.toml; no file means
    no settings. FileFormatError (one line) for a file that is not TOML or holds an unknown key
    or a value of the wrong kind."""
    path = (home if home is not None else data_dir()) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        raise FileFormatError(f"{path}: cannot read the settings ({error})") from error
    document = parse_toml(text, path)
    values = {}
    for key, value in document.items():
        if key not in SETTINGS:
            known = ", ".join(SETTINGS)
            raise FileFormatError(f"{path}: unknown key {key!r}; known keys: {known}")
        check, _ = SETTINGS[key]
        try:
            values[key] = check(value, f"key {key!r}")
        except ParameterError as error:
            raise FileFormatError(f"{path}: {error}") from error
    return Settings(**values)


_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_TABLE_LINE = re.compile(r"^\s*\[")


def _toml_value(value: Any) -> str:
    """``value`` (text or a flag) as a TOML value; JSON's string escapes are TOML's too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(str(value), ensure_ascii=False)


def save_settings(home: Path | None = None, **changes: Any) -> Settings:
    """Set (or with None, remove) keys of ``home``'s config.toml; the new settings.

    Each value is checked as :func:`load_settings` checks it. Only the line of each key set
    changes; other keys, comments and tables stay as they were. The file is written
    owner-only, to a temporary file then renamed, so it is never half-written."""
    home = home if home is not None else data_dir()
    path = home / CONFIG_NAME
    load_settings(home)  # a damaged file is reported, never overwritten
    for key, value in changes.items():
        if key not in SETTINGS:
            raise ParameterError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
        changes[key] = SETTINGS[key][0](value, f"setting {key!r}")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    top = next((i for i, line in enumerate(lines) if _TABLE_LINE.match(line)), len(lines))
    for key, value in changes.items():
        found = next((i for i in range(top) if _key_of(lines[i]) == key), None)
        line = None if value is None else f"{key} = {_toml_value(value)}"
        if found is not None and line is None:
            del lines[found]
            top -= 1
        elif found is not None and line is not None:
            lines[found] = line
        elif line is not None:
            lines.insert(top, line)
            top += 1
    _write_private(path, "".join(f"{line}\n" for line in lines))
    return load_settings(home)


def _key_of(line: str) -> str | None:
    match = _KEY_LINE.match(line)
    return match.group(1) if match else None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` owner-only through a temporary file and a rename."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def ensure_installation(home: Path | None = None, laptop: str | None = None) -> Settings:
    """This laptop's identity for the clinic: an ``installation_id`` made once (a random UUID,
    never changed after) and a ``laptop`` label (``laptop`` when given, else the one kept,
    else the machine's name); the settings with both."""
    settings = load_settings(home)
    changes: dict[str, Any] = {}
    if settings.installation_id is None:
        changes["installation_id"] = str(uuid.uuid4())
    if laptop is not None or settings.laptop is None:
        import socket

        changes["laptop"] = laptop if laptop is not None else socket.gethostname()[:64] or "laptop"
    return save_settings(home, **changes) if changes else settings
