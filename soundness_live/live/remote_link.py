"""The engine's side of the browser remote: where it is served and which devices are paired.

The remote (:mod:`soundness_live.remote`) is a process of its own and a client of the engine.
It tells the engine where it serves and its pairing code (``remote_status``, again every few
seconds while it runs, and ``null`` as it stops), so the therapist's screen can show the
address, the QR code and the code (each code pairs one device: the remote makes the next
and says it at once), and the wrong codes that came and whether they locked pairing; it asks
the engine to keep a device that paired (``pair_device``, at most
:data:`~.paired_devices.MAX_PAIRED_DEVICES`). The therapist asks for a new code
(``new_pairing_code``, which also ends a lock): the snapshot's ``new_codes_asked`` moves and
the remote, which reads every snapshot, makes one. The therapist's screen lists the paired
devices from the snapshot's ``remote`` and revokes one (``revoke_device``) or lets children's
names show on it (``show_device_names``). The engine writes every change to the paired
devices' file (:mod:`.paired_devices`) before it answers, and the remote reads that file
before each request.

A status not said again within :data:`STATUS_STALE_S` is taken as a remote that stopped
without saying so (killed): the screen stops showing its address and code.

The snapshot lists each paired device as the screen shows it (:func:`listed`): its id, name,
whether names show, and when its pairing ends in whole seconds (the screen shows the minute).
The rows are made again only when the devices changed: with eleven devices they were two
thirds of a snapshot's bytes, and building and encoding them every snapshot (their times as
floats most of it) held the engine's GIL, which its audio callback waits for, three times as
long as the rest of the snapshot.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import FileFormatError, ParameterError
from .paired_devices import TOKEN_HASH, PairedDevice, PairedDevices

STATUS_STALE_S = 10.0
STATUS_KEYS = {
    "url": str, "pairing_code": str, "fingerprint": str, "tls": bool, "pid": int,
    "pairing_lock": dict,  # or null: no wrong code since the code was made
}  # fmt: skip
#: The remote's wrong pairing codes, as the therapist's screen shows them (wall-clock seconds;
#: locked_at_s and locked_until_s 0 while pairing is open).
LOCK_KEYS = ("wrong_codes", "first_wrong_at_s", "locks", "locked_at_s", "locked_until_s")
PAIRING_CODE = re.compile(r"^[0-9]{6}$")


class RemoteLink:
    """What the engine knows of the remote: its last status and the paired devices."""

    def __init__(self, data_dir: Path, clock_s: Callable[[], float] = time.monotonic) -> None:
        self.devices = PairedDevices(data_dir)
        self.clock_s = clock_s
        self.status: dict[str, Any] | None = None
        self.status_at_s = 0.0
        self.stopped_pids: set[int] = set()  # remotes told to stop: a late status is not news
        self.new_codes_asked = 0  # the remote makes a new code when this moves
        self._listed: tuple[list[PairedDevice], list[dict[str, Any]]] = ([], [])

    def forget(self, pid: int) -> None:
        """The remote of process ``pid`` was told to stop: it serves no more, whatever it
        says on its way out."""
        self.stopped_pids.add(pid)
        if self.status is not None and self.status.get("pid") == pid:
            self.status = None

    def state(self) -> dict[str, Any]:
        """The snapshot's ``remote``: ``served`` (its status, or None when no remote runs)
        and ``devices`` (each paired device as :func:`listed` shows it)."""
        served = self.status
        if served is not None and self.clock_s() - self.status_at_s > STATUS_STALE_S:
            served = self.status = None
        try:
            devices, error = self._rows(self.devices.list()), None
        except FileFormatError as failure:  # said on the screen; no device is let in meanwhile
            devices, error = [], str(failure)
        return {
            "served": served,
            "devices": devices,
            "devices_error": error,
            "new_codes_asked": self.new_codes_asked,
        }

    def _rows(self, devices: list[PairedDevice]) -> list[dict[str, Any]]:
        """The rows of ``devices``, made again only when they are not the devices of the
        last rows (the same objects until the file is written or read again, or one expires)."""
        made_of, rows = self._listed
        if devices != made_of:
            rows = [listed(device) for device in devices]
            self._listed = (devices, rows)
        return list(rows)


def listed(device: PairedDevice) -> dict[str, Any]:
    """A paired device as the therapist's screen lists it: id, name, when its pairing ends
    (wall-clock seconds, whole) and whether children's names show on it."""
    return {
        "device_id": device.device_id,
        "name": device.name,
        "expires_at_s": round(device.expires_at_s),
        "show_names": device.show_names,
    }


class RemoteEngine(Protocol):
    """What the remote's commands need of the engine (so this module imports no engine)."""

    remote: RemoteLink
    changed: threading.Event  # set: the snapshot broadcast wakes


def check_status(value: Any) -> dict[str, Any] | None:
    """A remote's status: null, or an object of exactly :data:`STATUS_KEYS`."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(STATUS_KEYS):
        raise ParameterError(f"must be null or an object of {', '.join(sorted(STATUS_KEYS))}")
    for key, kind in STATUS_KEYS.items():
        if key == "pairing_lock" and value[key] is None:
            continue
        if not isinstance(value[key], kind) or (kind is int and isinstance(value[key], bool)):
            raise ParameterError(f"must have {key} of type {kind.__name__}")
    lock = value["pairing_lock"]
    if lock is not None and (
        set(lock) != set(LOCK_KEYS)
        or not all(type(lock[key]) is int and lock[key] >= 0 for key in LOCK_KEYS)
    ):
        raise ParameterError(
            f"must have a pairing_lock of null or {', '.join(LOCK_KEYS)} (whole numbers >= 0)"
        )
    if not PAIRING_CODE.match(value["pairing_code"]):
        raise ParameterError("must have a pairing_code of 6 digits")
    return dict(value)


def token_sha256(value: Any) -> str:
    """A token's SHA-256 in hex (64 digits)."""
    if not isinstance(value, str) or not TOKEN_HASH.match(value):
        raise ParameterError("must be 64 lowercase hex digits (a token's SHA-256)")
    return value


def remote_status(engine: RemoteEngine, fields: dict[str, Any]) -> None:
    """Where the remote serves and its pairing code (null: it stopped). The snapshot
    broadcast wakes only when that changed: the remote says it again every few seconds."""
    link, status = engine.remote, fields["status"]
    if status is not None and status["pid"] in link.stopped_pids:
        return  # said again by a remote on its way out
    if status != link.status:
        engine.changed.set()
    link.status, link.status_at_s = status, link.clock_s()


def pair_device(engine: RemoteEngine, fields: dict[str, Any]) -> dict[str, Any]:
    """Keep a device that gave the pairing code (``replaces``: the id of the device pairing
    again, whose old token opens nothing from now on); its id and when its pairing ends.
    Refused when :data:`~.paired_devices.MAX_PAIRED_DEVICES` are paired."""
    device = engine.remote.devices.pair(fields["token_sha256"], fields["name"], fields["replaces"])
    return {"device": device.public()}


def new_pairing_code(engine: RemoteEngine, fields: dict[str, Any]) -> dict[str, Any]:
    """Ask the remote for a new pairing code, which also ends a lock of pairing after wrong
    codes (the therapist's screen only: the remote's pages cannot send it). The remote sees
    the count move in the next snapshot and says its new code with its status."""
    served = engine.remote.state()["served"]  # a remote killed without a word serves not
    if served is None:
        raise ParameterError("new_pairing_code: the browser remote is not running")
    engine.remote.new_codes_asked += 1
    return {"was": served["pairing_code"]}


def revoke_device(engine: RemoteEngine, fields: dict[str, Any]) -> None:
    """Forget a paired device: its token opens nothing from now on."""
    if not engine.remote.devices.revoke(fields["device"]):
        raise ParameterError(f"revoke_device: no paired device {fields['device']!r}")


def show_device_names(engine: RemoteEngine, fields: dict[str, Any]) -> None:
    """Let children's names show on one paired device (``on``), or not."""
    if not engine.remote.devices.show_names(fields["device"], fields["on"]):
        raise ParameterError(f"show_device_names: no paired device {fields['device']!r}")
