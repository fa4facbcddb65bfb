"""How a screen finds the engine again after losing it: :class:`EngineLink`.

The therapist's screen and the child's view each hold one link. While its client is connected
the link does nothing. Once the client is closed (the engine stopped, crashed, or the
connection broke while the laptop slept) it tries to connect again by itself, one attempt at
a time on a thread of its own (a frame is never held up by a handshake), after a gentle
back-off: :data:`FIRST_WAIT_S` after the loss, then twice as long after each failed attempt,
never longer than :data:`LONGEST_WAIT_S` (0.5, 1, 2, 4, 5, 5 ... s). :meth:`EngineLink.try_now`
tries at once. When the screen started the engine itself (``soundness-live run``),
:meth:`EngineLink.start_engine` starts it again once that process has ended.

A link made for a client with no data directory (a test's stand-in engine) cannot reconnect:
it says so, and the screen tells the therapist how to start again by hand.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FIRST_WAIT_S = 0.5  # before the first attempt after the engine was lost
LONGEST_WAIT_S = 5.0  # the back-off doubles up to this
TRY_S = 3.0  # how long one attempt may take (the engine's handshake included)

Connect = Callable[[], Any]  # makes a connected client, or raises
Start = Callable[[], Any]  # starts the engine process; returns its process


def wait_before_s(attempts: int) -> float:
    """How long to wait before the next attempt, after ``attempts`` failed ones since the
    engine was lost: :data:`FIRST_WAIT_S` doubling up to :data:`LONGEST_WAIT_S`."""
    return min(LONGEST_WAIT_S, FIRST_WAIT_S * 2.0 ** min(attempts, 16))


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def data_dir_connect(data_dir: Path, on_message: Callable[[dict[str, Any]], None] | None = None):
    """A :data:`Connect` for the engine of ``data_dir`` (one attempt of at most :data:`TRY_S`)."""
    from ..live.client import EngineClient

    def connect() -> Any:
        return EngineClient.connect(data_dir, timeout_s=TRY_S, on_message=on_message)

    return connect


class EngineLink:
    """A screen's client of the engine, made again by itself when it is lost.

    ``connect`` makes a new connected client (None: this link cannot reconnect); ``start``
    starts the engine process again (None: this screen did not start the engine, so it does
    not start another); ``process`` is the engine process this screen started, if any.
    ``clock`` is injectable (monotonic seconds).
    """

    def __init__(
        self,
        client: Any,
        connect: Connect | None = None,
        start: Start | None = None,
        process: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.connect = connect
        self.start = start
        self.process = process
        self.clock = clock
        self.attempts = 0  # attempts since the engine was lost
        self.tried = 0  # attempts in all (tests and the log read it)
        self.lost_s: float | None = None  # when the loss was seen
        self.last_error = ""  # why the latest attempt failed
        self._next_s = 0.0
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._made: Any = None  # a client an attempt made, until poll() hands it over
        self._closed = False

    @property
    def connected(self) -> bool:
        """True while the client is connected (commands can be sent)."""
        return not self.client.closed

    @property
    def can_reconnect(self) -> bool:
        """True when this link knows how to connect again."""
        return self.connect is not None

    @property
    def trying(self) -> bool:
        """True while an attempt is under way."""
        return self._worker is not None and self._worker.is_alive()

    @property
    def can_start(self) -> bool:
        """True when this screen started the engine and that process has ended: it may
        start it again (never a second engine beside one still running)."""
        if self.start is None or self.connected:
            return False
        return self.process is None or self.process.poll() is not None

    def poll(self) -> Any:
        """Called every frame: notice a loss, start an attempt when its time has come, and
        hand over a client an attempt made (once; None otherwise)."""
        with self._lock:
            made, self._made = self._made, None
        if made is not None:
            self._reconnected(made)
            return made
        if self.connected or not self.can_reconnect:
            return None
        now_s = self.clock()
        if self.lost_s is None:
            self.lost_s, self.attempts = now_s, 0
            self._next_s = now_s + wait_before_s(0)
            log.warning("the engine connection was lost; trying again")
        if not self.trying and now_s >= self._next_s:
            self._attempt()
        return None

    def try_now(self) -> None:
        """Try at once (unless an attempt is already under way)."""
        if not self.connected and self.can_reconnect and not self.trying:
            self._attempt()

    def start_engine(self) -> str:
        """Start the engine again (when :attr:`can_start`) and try to connect at once; what
        happened, in words for the screen."""
        if not self.can_start or self.start is None:
            return "the engine can only be started again from here when this screen started it"
        try:
            self.process = self.start()
        except Exception as error:  # the screen goes on and says why
            log.exception("the engine could not be started again")
            return f"the engine could not be started: {error}"
        self.attempts = 0
        self._next_s = self.clock()  # its first answer is awaited with the usual back-off
        return "starting the sound engine again"

    def words(self) -> str:
        """What the link is doing, in a therapist's words (changing words, never blinking)."""
        if self.connected:
            return ""
        if not self.can_reconnect:
            return "close this window and run soundness-live run again"
        if self.trying or self.attempts == 0:
            return f"Trying again... ({ordinal(self.attempts + 1)} try)"
        wait_s = max(0.0, self._next_s - self.clock())
        tries = f"{self.attempts} tries" if self.attempts > 1 else "1 try"
        return f"Trying again in {math.ceil(wait_s)} s... ({tries} so far)"

    def close(self) -> None:
        """Stop trying; a client an attempt still makes is closed as it comes."""
        with self._lock:
            self._closed = True
            made, self._made = self._made, None
        if made is not None:
            made.close()

    # -- one attempt --------------------------------------------------------------------------
    def _attempt(self) -> None:
        self.attempts += 1
        self.tried += 1
        worker = threading.Thread(target=self._connect_once, name="engine-link", daemon=True)
        self._worker = worker
        worker.start()

    def _connect_once(self) -> None:
        assert self.connect is not None
        try:
            client = self.connect()
        except Exception as error:  # no engine yet: the next attempt after the back-off
            self.last_error = str(error)
            self._next_s = self.clock() + wait_before_s(self.attempts)
            return
        with self._lock:
            if not self._closed:
                self._made = client
                return
        client.close()  # the screen closed meanwhile

    def _reconnected(self, client: Any) -> None:
        old, self.client = self.client, client
        if old is not client:
            old.close()
        log.warning("connected to the engine again after %d attempt(s)", self.attempts)
        self.lost_s, self.attempts, self.last_error = None, 0, ""
