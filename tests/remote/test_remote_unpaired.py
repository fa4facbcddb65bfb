"""Connections that carry no paired device's token are few and short-lived, and never keep a
paired device out.

A module of its own: it fills its remote with idle connections (``conftest.served``).
"""

from __future__ import annotations

import contextlib
import socket as sockets
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from soundness_live.remote.doorkeeper import (
    MAX_UNPAIRED_CONNECTIONS,
    UNPAIRED_IDLE_S,
    UNPAIRED_LONGEST_S,
    Doorkeeper,
)
from tests.remote.conftest import Served
from tests.remote.test_remote_security import pair, socket

HUNDREDS = 300


@contextlib.contextmanager
def idle_connections(served: Served, count: int, hello: bytes = b"") -> Iterator[list]:
    """``count`` connections to the remote, each sending ``hello`` and then nothing."""
    where = urlsplit(served.url)
    opened = []
    try:
        for _ in range(count):
            connection = sockets.create_connection((where.hostname, where.port), timeout=5)
            if hello:
                connection.sendall(hello)
            opened.append(connection)
        yield opened
    finally:
        for connection in opened:
            connection.close()


def still_open(connections: list) -> int:
    """How many of ``connections`` the remote has not closed."""
    count = 0
    for connection in connections:
        connection.settimeout(0.0)
        try:
            count += connection.recv(1) != b""
        except BlockingIOError:
            count += 1  # nothing to read, not closed
        except OSError:
            pass
    return count


def _until(condition, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_hundreds_of_unpaired_connections_leave_a_few_open_and_a_paired_device_served(
    served: Served,
) -> None:
    with pair(served) as client:
        cookie = client.cookies.get(served.cookie)
        with idle_connections(served, HUNDREDS) as idle:
            _until(lambda: still_open(idle) == MAX_UNPAIRED_CONNECTIONS, "the oldest closed", 10)
            assert MAX_UNPAIRED_CONNECTIONS == 32
            # a paired device's new connections and socket are served: never starved
            with httpx.Client(base_url=served.url, headers={"Origin": served.origin}) as fresh:
                fresh.cookies.set(served.cookie, cookie)
                assert fresh.get("api/state").status_code == 200
                reply = fresh.post("api/command", json={"command": "snapshot"})
                assert reply.status_code == 200 and reply.json()["ok"] is True
            with socket(served, cookie) as live:
                assert '"hello"' in live.recv(5)
            # the newest of the idle ones are those still open
            assert still_open(idle[-MAX_UNPAIRED_CONNECTIONS + 3 :]) == MAX_UNPAIRED_CONNECTIONS - 3
            # an unpaired one is still served: a new device can load the page and pair
            assert httpx.get(served.url, timeout=5).status_code == 200


def test_an_unpaired_connection_idle_or_trickling_is_closed_a_paired_one_is_not(
    served: Served,
) -> None:
    where = urlsplit(served.url).netloc
    trickle = (
        f"POST /api/pair HTTP/1.1\r\nHost: {where}\r\nOrigin: {served.origin}\r\n"
        "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"
    ).encode()
    with pair(served) as client, idle_connections(served, 4) as idle:
        with idle_connections(served, 1, trickle) as (trickling,):
            started = time.monotonic()
            assert client.get("api/state").status_code == 200  # its connection: proven
            _until(lambda: still_open(idle) == 0, "the idle ones closed", UNPAIRED_IDLE_S + 3)
            assert time.monotonic() - started >= UNPAIRED_IDLE_S - 1.5
            while still_open([trickling]):  # a byte now and then is no request
                assert time.monotonic() - started < UNPAIRED_LONGEST_S + 3, "trickled for ever"
                with contextlib.suppress(OSError):  # closed meanwhile
                    trickling.sendall(b" ")
                time.sleep(1.0)
            assert time.monotonic() - started >= UNPAIRED_LONGEST_S - 1.5  # not answered
        # the paired device's connection was idle as long: it stays for the server's keep-alive
        assert client.get("api/state").status_code == 200


class StandInConnection:
    """An unproven connection as the doorkeeper sees it: its peer, whether a request of it is
    being answered, whether it was closed."""

    def __init__(self, address: str, port: int, answering: bool = False) -> None:
        self.client_key = (address, port)
        self._answering = answering
        self.closed = False
        self.loop = self  # the doorkeeper schedules its sweep on the connection's loop

    def call_later(self, *_args: object) -> None:
        return None

    def answering(self) -> bool:
        return self._answering

    def close(self) -> None:
        self.closed = True


def test_a_flood_of_connections_never_closes_one_being_answered_and_loses_its_own_first() -> None:
    keeper = Doorkeeper(limit=4)
    tablet = StandInConnection("192.168.1.20", 50000, answering=True)  # pairing, engine slow
    phone = StandInConnection("192.168.1.21", 50001)  # loading the page
    keeper.opened(tablet)  # type: ignore[arg-type]
    keeper.opened(phone)  # type: ignore[arg-type]
    flood = [StandInConnection("192.168.1.66", 40000 + n) for n in range(50)]
    for connection in flood:
        keeper.opened(connection)  # type: ignore[arg-type]
    assert not tablet.closed and not phone.closed  # the flooding address lost its own
    assert sum(not c.closed for c in flood) == 2 and len(keeper.unproven) == 4
    # every other connection being answered: the newest is the one turned away
    busy = Doorkeeper(limit=2)
    answered = [StandInConnection("10.0.0.1", n, answering=True) for n in range(2)]
    for connection in answered:
        busy.opened(connection)  # type: ignore[arg-type]
    newest = StandInConnection("10.0.0.2", 9)
    busy.opened(newest)  # type: ignore[arg-type]
    assert newest.closed and not any(c.closed for c in answered)
