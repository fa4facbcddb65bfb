"""Who may use the remote: the pairing code, the lock after wrong codes, and device tokens.

The 6-digit code (:class:`PairingLock`) is made anew at each start of the remote, again each
time a device paired with it (a code pairs one device: read over a shoulder, it pairs nothing
more) and when the therapist asks for one on the laptop, and is shown only on the laptop (its
terminal and the therapist's screen). A device that gives it gets a random token, sent back as
an HttpOnly, SameSite=Strict cookie named for this remote (:func:`cookie_name`); the engine
keeps only the token's SHA-256 (:mod:`soundness_live.live.paired_devices`). Wrong codes are
counted across every device: after :data:`WRONG_CODES_LIMIT` of them pairing is locked for
:data:`LOCK_S`, for everyone, and each lock that follows while the code holds is twice as long
as the one before, up to :data:`LONGEST_LOCK_S`: with a lock of a minute for ever, a machine
on the clinic's network guessing round the clock tries 7,200 codes a day (0.7 % of them, an
even chance of a day's code within about 100 days); doubling leaves it 5 an hour, about 150
a day. The laptop's screen is told how many wrong codes came and since when; a new code asked
for there ends a lock at once.
:class:`TokenCheck` reads the paired devices' file again whenever it changed, so a device the
therapist revoked is refused from the engine's answer on.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FileFormatError
from ..live.paired_devices import PairedDevice, devices_path, file_signature, load_devices

WRONG_CODES_LIMIT = 5
LOCK_S = 60.0
LONGEST_LOCK_S = 3600.0
TOKEN_BYTES = 32
COOKIE_PREFIX = "sl_remote"


def cookie_name(data_dir: Path, port: int) -> str:
    """The token's cookie for the remote of ``data_dir`` serving on ``port``. Browsers keep
    cookies by host, not by port: two remotes on one laptop (two installations, or two
    ports) would otherwise overwrite each other's token, and each be sent the other's."""
    installation = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:8]
    return f"{COOKIE_PREFIX}_{port}_{installation}"


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
    """The pairing code, and the wrong codes counted across all devices; after the limit,
    pairing waits ``lock_s``, and twice as long at each lock after (up to ``longest_lock_s``).

    A code pairs one device: :meth:`renew` makes the next once a device paired with it, so a
    code read over a shoulder pairs nothing more. The therapist asking for a new code (on the
    laptop, never from a page) renews it too, which also ends a lock: anyone on the network
    can lock pairing by sending wrong codes, and only the laptop can open it again at once.
    """

    def __init__(
        self,
        code: str,
        limit: int = WRONG_CODES_LIMIT,
        lock_s: float = LOCK_S,
        clock_s: Callable[[], float] = time.monotonic,
        longest_lock_s: float = LONGEST_LOCK_S,
        wall_clock_s: Callable[[], float] = time.time,
    ) -> None:
        self.code = code
        self.limit = limit
        self.lock_s = lock_s
        self.longest_lock_s = longest_lock_s
        self.clock_s = clock_s
        self.wall_clock_s = wall_clock_s  # what the laptop's screen says "since" in
        self._lock = threading.Lock()
        self.locks = 0  # locks so far: the next one lasts lock_s * 2**locks
        self._clear()

    def _clear(self) -> None:
        """A new code: no wrong codes and no lock. The count of locks stays for the remote's
        life: a new code (or a pairing) must not reset the doubling, or whoever keeps pairing
        locked would be back at one-minute locks each time the therapist opens it."""
        self.wrong = 0  # wrong codes towards the next lock
        self.wrong_codes = 0  # wrong codes since this code was made
        self.first_wrong_at_s = 0.0  # wall-clock
        self.locked_until_s = 0.0
        self.locked_at_s = 0.0  # wall-clock: when the last lock began
        self.locked_until_wall_s = 0.0

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
            self.wrong_codes += 1
            if self.wrong_codes == 1:
                self.first_wrong_at_s = self.wall_clock_s()
            if self.wrong >= self.limit:
                self.wrong = 0
                lasts_s = min(self.lock_s * 2.0 ** min(self.locks, 32), self.longest_lock_s)
                self.locks += 1
                self.locked_until_s = self.clock_s() + lasts_s
                self.locked_at_s = self.wall_clock_s()
                self.locked_until_wall_s = self.locked_at_s + lasts_s
            return False

    def renew(self, code: str) -> None:
        """Take ``code`` as the pairing code from now on, the lock and the wrong codes
        cleared (the next lock still lasts twice the last one)."""
        with self._lock:
            self.code = code
            self._clear()

    def state(self) -> dict[str, Any] | None:
        """What the laptop's screen shows of the wrong codes since this code was made (None:
        none came): how many and since when (wall-clock seconds), and whether pairing is
        locked, since when and until when (0 when it is open)."""
        with self._lock:
            if not self.wrong_codes:
                return None
            locked = self.locked_for_s() > 0
            return {
                "wrong_codes": self.wrong_codes,
                "first_wrong_at_s": round(self.first_wrong_at_s),
                "locks": self.locks,
                "locked_at_s": round(self.locked_at_s) if locked else 0,
                "locked_until_s": round(self.locked_until_wall_s) if locked else 0,
            }


class TokenCheck:
    """A token -> its paired device, from the engine's file read again whenever it changed.

    Each read of a changed file is a new :attr:`generation`: a socket keeps the verdict on its
    token (:class:`Verdict`) and looks again (a SHA-256 and a scan of the devices) only when
    the generation moved or its pairing's end came, so the check it makes before each
    message it sends or takes costs a comparison, and one look at the file's signature shared
    by every socket within :data:`SHARED_LOOK_S`.
    """

    def __init__(self, data_dir: Path, clock_s: Callable[[], float] = time.time) -> None:
        self.path = devices_path(data_dir)
        self.clock_s = clock_s
        self._seen: tuple[int, int, int] | None = None
        self._devices: list[PairedDevice] = []
        self._lock = threading.Lock()
        self.generation = 0  # moves at each read of a changed (or vanished) file
        self._looked_s = -1e9  # time.monotonic() of the last look at the file's signature

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

    def still(self, verdict: Verdict) -> PairedDevice | None:
        """The device of ``verdict``'s token while it is still paired (``verdict`` made
        again only when the devices' file changed since, or the pairing ended): revoked,
        replaced or expired, None. The file's signature is looked at no more often than
        every :data:`SHARED_LOOK_S` for all sockets together."""
        self.refresh(SHARED_LOOK_S)
        if verdict.generation != self.generation or verdict.until_s <= self.clock_s():
            verdict.device = self.device(verdict.token)
            verdict.generation = self.generation
            verdict.until_s = verdict.device.expires_at_s if verdict.device else math.inf
        return verdict.device

    def refresh(self, at_most_every_s: float = 0.0) -> int:
        """Read the file again when it changed (looked at no more than every
        ``at_most_every_s``); the generation."""
        with self._lock:
            now_s = time.monotonic()
            if now_s - self._looked_s < at_most_every_s:
                return self.generation
            self._looked_s = now_s
            seen = file_signature(self.path)
            if seen != self._seen or seen is None:
                try:
                    devices = load_devices(self.path, self.clock_s())
                except FileFormatError:
                    devices = []
                if seen != self._seen or devices != self._devices:
                    self.generation += 1
                self._devices, self._seen = devices, seen
            return self.generation

    def devices(self) -> list[PairedDevice]:
        """Every paired device, as the file says now (a damaged file lets nobody in)."""
        self.refresh()
        with self._lock:
            return list(self._devices)


#: A revocation reaches every open socket within this long (a socket checks its token before
#: each message; the file's signature is looked at once in this time for all of them).
SHARED_LOOK_S = 0.05


@dataclass
class Verdict:
    """A socket's token and what :meth:`TokenCheck.still` last found of it."""

    token: str | None
    device: PairedDevice | None
    generation: int = -1
    until_s: float = 0.0
