"""The devices paired with the browser remote, kept in the data directory.

A tablet or phone that gave the remote's pairing code holds a random token (a cookie); only
the token's SHA-256 is kept here, in ``remote/paired-devices.json`` of the data directory
(folder 0o700, file 0o600), so the file read by someone else opens nothing. A pairing lasts
:data:`PAIRING_S` (12 hours) from the moment it was made, through restarts of the engine and
of the remote; an expired one is dropped the next time the file is read or written.

The engine is the one writer (its commands ``pair_device``, ``revoke_device`` and
``show_device_names``: the therapist's screen revokes, the remote pairs); the remote process
reads the file again whenever it changed, before every request it serves, so a revocation
holds from the moment the engine answered it. Each write goes to a temporary file then a
rename: a reader never sees half a file.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..audio.private_file import write_private_text
from ..config import private_dir
from ..errors import FileFormatError, ParameterError

PAIRING_S = 12 * 3600.0
#: The most devices paired at once: a therapist's tablet and phone and a few colleagues'. Each
#: paired device may hold sockets the remote sends every engine message to.
MAX_PAIRED_DEVICES = 8
FOLDER = "remote"
FILE_NAME = "paired-devices.json"
DEVICE_NAME_CHARS = 40
TOKEN_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class PairedDevice:
    """One paired device: its id (shown and revoked by), the name its user gave it, when it
    was paired and when the pairing ends (wall-clock seconds), whether children's names may
    be shown on it, and the SHA-256 of its token (hex)."""

    device_id: str
    name: str
    paired_at_s: float
    expires_at_s: float
    show_names: bool
    token_sha256: str

    def public(self) -> dict[str, Any]:
        """What clients may see of it (never the token's hash). Built field by field: the
        engine lists every paired device in each snapshot it sends, several times a second,
        and ``asdict``'s deep copy cost ten times as much."""
        return {
            "device_id": self.device_id,
            "name": self.name,
            "paired_at_s": self.paired_at_s,
            "expires_at_s": self.expires_at_s,
            "show_names": self.show_names,
        }


def too_many_devices(paired: int) -> str:
    """The refusal of one more device when ``paired`` are paired."""
    return (
        f"expected at most {MAX_PAIRED_DEVICES} paired devices, {paired} are paired: revoke "
        "one on the laptop's remote page (Browser remote, revoke), then pair again"
    )


def devices_path(data_dir: Path) -> Path:
    """Where the paired devices of ``data_dir`` are kept."""
    return data_dir / FOLDER / FILE_NAME


def load_devices(path: Path, now_s: float) -> list[PairedDevice]:
    """The devices still paired at ``now_s``; none when there is no file. FileFormatError
    (one line naming the file) when it is not the list this module writes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise FileFormatError(f"{path}: cannot read the paired devices ({error})") from None
    try:
        rows = json.loads(text)["devices"]
        devices = [_device(row) for row in rows]
    except (ValueError, KeyError, TypeError) as error:
        raise FileFormatError(
            f"{path}: expected {{'devices': [...]}} as the engine writes it, got a file that "
            f"is not ({type(error).__name__}: {error}); delete it to pair the devices again"
        ) from None
    return [device for device in devices if device.expires_at_s > now_s]


def _device(row: Any) -> PairedDevice:
    device = PairedDevice(
        device_id=str(row["device_id"]),
        name=str(row["name"]),
        paired_at_s=float(row["paired_at_s"]),
        expires_at_s=float(row["expires_at_s"]),
        show_names=bool(row["show_names"]),
        token_sha256=str(row["token_sha256"]),
    )
    if not TOKEN_HASH.match(device.token_sha256):
        raise ValueError(f"token_sha256 of {device.device_id!r} is not 64 hex digits")
    return device


def save_devices(path: Path, devices: list[PairedDevice]) -> None:
    """Write ``devices`` owner-only, all or nothing."""
    private_dir(path.parent)
    text = json.dumps({"devices": [asdict(d) for d in devices]}, indent=1)
    write_private_text(path, text)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes whenever ``path`` is written again (each write is a new file renamed into
    place: a new inode), or None when there is no file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class PairedDevices:
    """The engine's side: pair, revoke, turn names on or off (each written at once).

    The devices are read from the file again only when it changed since this object last
    read or wrote it: the engine lists them in every snapshot, several times a second, and
    reading, checking and listing the file each time took 0.25 ms of the 0.27 ms a snapshot
    cost with eleven paired devices, all of it holding the engine's GIL.
    """

    def __init__(self, data_dir: Path, clock_s: Callable[[], float] = time.time) -> None:
        self.path = devices_path(data_dir)
        self.clock_s = clock_s
        self._seen: tuple[int, int, int] | None = None  # the file's signature when last read
        self._devices: list[PairedDevice] = []  # as last read or written, expired ones kept

    def _save(self, devices: list[PairedDevice]) -> None:
        save_devices(self.path, devices)
        self._devices, self._seen = list(devices), file_signature(self.path)

    def list(self) -> list[PairedDevice]:
        """The devices paired now (FileFormatError, read again each time, for a bad file)."""
        seen = file_signature(self.path)
        if seen is None or seen != self._seen:
            self._devices = load_devices(self.path, self.clock_s())
            self._seen = seen
        now_s = self.clock_s()
        return [device for device in self._devices if device.expires_at_s > now_s]

    def pair(self, token_sha256: str, name: str, replaces: str | None = None) -> PairedDevice:
        """Keep a new device by its token's hash; the device. ``replaces``: the id of the
        device pairing again (its browser still held a token): it keeps its id and whether
        names show on it, and its old token opens nothing from now on. ParameterError when
        :data:`MAX_PAIRED_DEVICES` are paired already."""
        now_s = self.clock_s()
        devices = self.list()
        old = next((d for d in devices if d.device_id == replaces), None)
        kept = [d for d in devices if d is not old]
        if len(kept) >= MAX_PAIRED_DEVICES:
            raise ParameterError(too_many_devices(len(kept)))
        device = PairedDevice(
            device_id=old.device_id if old else secrets.token_hex(4),
            name=name.strip()[:DEVICE_NAME_CHARS] or (old.name if old else "a device"),
            paired_at_s=now_s,
            expires_at_s=now_s + PAIRING_S,
            show_names=old.show_names if old else False,
            token_sha256=token_sha256,
        )
        self._save([*kept, device])
        return device

    def revoke(self, device_id: str) -> bool:
        """Forget a device (its token opens nothing from now on); False when it was not paired."""
        devices = self.list()
        kept = [d for d in devices if d.device_id != device_id]
        self._save(kept)
        return len(kept) < len(devices)

    def show_names(self, device_id: str, on: bool) -> bool:
        """Let children's names show on a device (or not); False when it is not paired."""
        devices = self.list()
        changed = [replace(d, show_names=on) if d.device_id == device_id else d for d in devices]
        self._save(changed)
        return any(d.device_id == device_id for d in devices)
