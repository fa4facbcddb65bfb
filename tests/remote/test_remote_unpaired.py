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
