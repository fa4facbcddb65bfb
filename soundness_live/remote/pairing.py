"""Who may use the remote: the pairing code, the lock after wrong codes, and device tokens.

The 6-digit code (:class:`PairingCode`) is made anew at each start of the remote and shown only
on the laptop (its terminal and the therapist's screen). A device that gives it gets a random
token, sent back as an HttpOnly, SameSite=Strict cookie; the engine keeps only the token's
SHA-256 (:mod:`soundness_live.live.paired_devices`). Wrong codes are counted across every
device (:class:`PairingLock`): after :data:`WRONG_CODES_LIMIT` of them pairing is locked for
:data:`LOCK_S`, for everyone, and each lock that follows while the remote runs is twice as long
as the one before, up to :data:`LONGEST_LOCK_S`: with a lock of a minute for ever, a machine
on the clinic's network guessing round the clock tries 7,200 codes a day (0.7 % of them, an
even chance of a day's code within about 100 days); doubling leaves it 5 an hour, about 150
a day.
:class:`TokenCheck` reads the paired devices' file again whenever it changed, so a device the
therapist revoked is refused from the engine's answer on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import FileFormatError
from ..live.paired_devices import PairedDevice, devices_path, load_devices

WRONG_CODES_LIMIT = 5
LOCK_S = 60.0
LONGEST_LOCK_S = 3600.0
TOKEN_BYTES = 32
COOKIE = "sl_remote"


def new_pairing_code() -> str:
    """Six random digits (leading zeros kept)."""
    return f"{secrets.randbelow(1_000_000):06d}"


def new_token() -> str:
    """A device's token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_sha256(token: str) -> str:
    """What the engine keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PairingLock:
    """Counts wrong codes across all devices; after the limit, pairing waits ``lock_s``, and
    twice as long at each lock after (up to ``longest_lock_s``)."""

    def __init__(
        self,
        code: str,
        limit: int = WRONG_CODES_LIMIT,
        lock_s: float = LOCK_S,
        clock_s: Callable[[], float] = time.monotonic,
        longest_lock_s: float = LONGEST_LOCK_S,
    ) -> None:
        self.code = code
        self.limit = limit
        self.lock_s = lock_s
        self.longest_lock_s = longest_lock_s
        self.locks = 0  # locks so far: the next one lasts lock_s * 2**locks
        self.clock_s = clock_s
        self.wrong = 0
        self.locked_until_s = 0.0
        self._lock = threading.Lock()

    def locked_for_s(self) -> float:
        """Seconds until pairing opens again (0: open now)."""
        return max(0.0, self.locked_until_s - self.clock_s())

    def try_code(self, given: str) -> bool | None:
        """True for the right code, False for a wrong one, None while locked (not counted)."""
        with self._lock:
            if self.locked_for_s() > 0:
                return None
            if hmac.compare_digest(given.encode(), self.code.encode()):
                self.wrong = 0
                return True
            self.wrong += 1
            if self.wrong >= self.limit:
                self.wrong = 0
                lasts_s = min(self.lock_s * 2.0 ** min(self.locks, 32), self.longest_lock_s)
                self.locks += 1
                self.locked_until_s = self.clock_s() + lasts_s
            return False


class TokenCheck:
    """A token -> its paired device, from the engine's file read again whenever it changed."""

    def __init__(self, data_dir: Path, clock_s: Callable[[], float] = time.time) -> None:
        self.path = devices_path(data_dir)
        self.clock_s = clock_s
        self._seen: tuple[int, int, int] | None = None
        self._devices: list[PairedDevice] = []
        self._lock = threading.Lock()

    def device(self, token: str | None) -> PairedDevice | None:
        """The device ``token`` belongs to, while paired; None otherwise."""
        if not token:
            return None
        wanted = token_sha256(token)
        now_s = self.clock_s()
        for device in self.devices():
            if hmac.compare_digest(device.token_sha256, wanted) and device.expires_at_s > now_s:
                return device
        return None

    def devices(self) -> list[PairedDevice]:
        """Every paired device, as the file says now (a damaged file lets nobody in)."""
        with self._lock:
            try:
                info = self.path.stat()
                seen = (info.st_mtime_ns, info.st_size, info.st_ino)
            except FileNotFoundError:
                seen = None
            if seen != self._seen or seen is None:
                try:
                    self._devices = load_devices(self.path, self.clock_s())
                except FileFormatError:
                    self._devices = []
                self._seen = seen
            return list(self._devices)
