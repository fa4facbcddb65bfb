"""Connections that carry no paired device's token yet: few, and never for long.

Anyone on the clinic's Wi-Fi can open connections to the remote: the page and pairing need no
token. The web server (uvicorn) keeps a connection that never sends a request open for ever,
and counts no limit of its own that would not refuse the paired devices too. So every new
connection is *unproven* (:class:`Doorkeeper`) until a request on it carries a paired device's
token (:func:`proven`, called by the application); unproven connections are at most
:data:`MAX_UNPAIRED_CONNECTIONS` (a newer one turns the oldest away, so a flood never keeps a
device out, and a paired device's connection counts only until its first request), each is
closed after :data:`UNPAIRED_IDLE_S` without a byte from it while no request of it is being
answered, and after :data:`UNPAIRED_LONGEST_S` in all (a request trickled a byte at a time).
A connection proven is left to the server's own keep-alive. A socket's handshake needs the
token (the application refuses it with 401), so an unpaired device holds no socket open.

Over HTTPS (``--remote-tls``) asyncio makes the connection's protocol known only once its TLS
handshake is done: a connection that never finishes one is not counted here, and waits for
asyncio's own handshake timeout (60 s; uvicorn offers no setting for it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)
MAX_UNPAIRED_CONNECTIONS = 32  # a tablet loading the page opens about 6
UNPAIRED_IDLE_S = 10.0  # a browser sends its request at once; a page waits for a code in 5 s
UNPAIRED_LONGEST_S = 20.0  # pairing, an engine slow to answer (10 s at most) included, takes less
SWEEP_S = 1.0  # how often idle connections are looked for

#: A connection's client address, as the ASGI scope's ``client`` gives it.
Client = tuple[str, int]


class Doorkeeper:
    """The unproven connections, oldest first, each with when it opened and last sent."""

    def __init__(
        self,
        limit: int = MAX_UNPAIRED_CONNECTIONS,
        idle_s: float = UNPAIRED_IDLE_S,
        longest_s: float = UNPAIRED_LONGEST_S,
    ) -> None:
        self.limit = limit
        self.idle_s = idle_s
        self.longest_s = longest_s
        self.unproven: dict[Client, GuardedH11Protocol] = {}  # insertion order: oldest first
        self.turned_away = 0  # connections closed over the limit, since the last log line
        self._sweeping: asyncio.TimerHandle | None = None

    def opened(self, connection: GuardedH11Protocol) -> None:
        """A new connection: unproven; over the limit one is turned away (:meth:`_to_turn_away`)."""
        self.unproven[connection.client_key] = connection
        while len(self.unproven) > self.limit:
            turned = self._to_turn_away(connection)
            self.forget(turned.client_key)
            turned.close()
            self.turned_away += 1
            if self.turned_away in (1, 100) or self.turned_away % 1000 == 0:
                log.warning(
                    "more than %d connections carry no paired device's token: the oldest "
                    "are closed (%d so far)", self.limit, self.turned_away,
                )  # fmt: skip
        if self._sweeping is None:
            self._sweeping = connection.loop.call_later(SWEEP_S, self.sweep, connection.loop)

    def _to_turn_away(self, newest: GuardedH11Protocol) -> GuardedH11Protocol:
        """The unproven connection to close: never one whose request is being answered (a
        tablet's pairing waits on the engine); of the others, the oldest from the address
        holding the most (a device flooding the remote loses its own first); the newest when
        every other is being answered."""
        idle = [c for c in self.unproven.values() if c is not newest and not c.answering()]
        if not idle:
            return newest
        held: dict[str, int] = {}
        for unproven in self.unproven.values():
            held[unproven.client_key[0]] = held.get(unproven.client_key[0], 0) + 1
        most = max(held[c.client_key[0]] for c in idle)
        return next(c for c in idle if held[c.client_key[0]] == most)

    def proven(self, client: Any) -> None:
        """The connection from ``client`` carried a paired device's token: no limit holds it."""
        if isinstance(client, tuple | list) and len(client) == 2:
            self.forget((str(client[0]), int(client[1])))

    def forget(self, client: Client) -> None:
        """The connection from ``client`` is no longer unproven (proven, or closed)."""
        self.unproven.pop(client, None)

    def sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close the unproven connections idle or open too long; look again in a while."""
        now_s = time.monotonic()
        for client, connection in list(self.unproven.items()):
            if connection.closing():
                self.forget(client)
            elif now_s - connection.opened_s > self.longest_s or (
                now_s - connection.heard_s > self.idle_s and not connection.answering()
            ):
                self.forget(client)
                connection.close()
        self._sweeping = loop.call_later(SWEEP_S, self.sweep, loop) if self.unproven else None


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 connection, known to a :class:`Doorkeeper` until it is proven."""

    doorkeeper: Doorkeeper  # set by :func:`guarded_protocol`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = self.client or ("", id(self))
        self.client_key: Client = (str(peer[0]), int(peer[1]))
        self.opened_s = self.heard_s = time.monotonic()
        self.doorkeeper.opened(self)

    def data_received(self, data: bytes) -> None:
        self.heard_s = time.monotonic()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.doorkeeper.forget(self.client_key)
        super().connection_lost(exc)

    def answering(self) -> bool:
        """A request of this connection is being answered (the engine may be slow)."""
        return self.cycle is not None and not self.cycle.response_complete

    def closing(self) -> bool:
        """The connection is closing or closed (a socket's refused handshake, say)."""
        return self.transport.is_closing()

    def close(self) -> None:
        """Close the connection, whatever its request."""
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(doorkeeper: Doorkeeper) -> type[GuardedH11Protocol]:
    """The connection class uvicorn makes each connection of, known to ``doorkeeper``."""
    return type("RemoteH11Protocol", (GuardedH11Protocol,), {"doorkeeper": doorkeeper})
