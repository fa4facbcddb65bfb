"""The engine's new connections while they prove the key: a bounded number at a time.

Each new connection proves the key on a thread of its own (a silent peer never holds up the
others), so without a bound a flood of connections that say nothing would take a thread, a
timer and a descriptor each for the whole handshake time: thousands of threads, or no
descriptor left for the therapist's screen. :class:`PendingHandshakes` holds at most
:data:`MAX_PENDING` of them. When a new connection finds every slot taken, the oldest pending
one is pushed out (its socket shut down, so its thread ends at once) and the newcomer takes its
slot: a client that proves the key within milliseconds, as every real one does, always gets in,
however many silent connections are waiting. During a storm of new connections on a busy
machine a real client can be pushed out before it proved the key: it connects again
(:meth:`~.client.EngineClient.connect`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from multiprocessing.connection import Connection

from .protocol import wake_reader

MAX_PENDING = 16  # handshakes at once: a client proves the key in about a millisecond
FREE_SLOT_S = 1.0  # how long a newcomer waits for a pushed-out handshake's thread to end


class PendingHandshakes:
    """At most ``limit`` connections proving the key at once; the oldest makes way."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self.limit = limit
        self.pushed_out = 0  # connections pushed out so far (the engine log says how many)
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._pending: OrderedDict[int, Connection] = OrderedDict()

    def take(self, number: int, conn: Connection) -> bool:
        """Give connection ``number`` a slot, pushing the oldest pending one out when none is
        free; False when no slot came free within :data:`FREE_SLOT_S` (drop the newcomer).

        The slot is the handshake thread's until it calls :meth:`release`, so threads waiting
        on a handshake never number more than ``limit``.
        """
        if not self._slots.acquire(blocking=False):
            self._push_out_oldest()
            if not self._slots.acquire(timeout=FREE_SLOT_S):
                return False
        with self._lock:
            self._pending[number] = conn
        return True

    def settle(self, number: int) -> bool:
        """The handshake of ``number`` ended; False when it had been pushed out meanwhile."""
        with self._lock:
            return self._pending.pop(number, None) is not None

    def release(self) -> None:
        """A handshake thread is done: its slot is free."""
        self._slots.release()

    def _push_out_oldest(self) -> None:
        with self._lock:
            if not self._pending:
                return  # every slot's handshake has just ended: one is about to come free
            _, oldest = self._pending.popitem(last=False)
            self.pushed_out += 1
        if not wake_reader(oldest):  # its read fails now; its own thread closes it
            oldest.close()  # Windows pipes: closing ends the pending read
