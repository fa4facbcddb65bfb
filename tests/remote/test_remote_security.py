"""The remote keeps a shared network out: tokens, the pairing lock, revocation, origins, names.

Against a real engine process and the remote process beside it (``conftest.served``).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

import httpx
import pytest

from soundness_live.live.client import EngineClient
from soundness_live.remote.bridge import PAGE_COMMANDS
from tests.remote.conftest import NAMED, Served

API_ROUTES = [("GET", "api/state"), ("POST", "api/command")]


@contextlib.contextmanager
def pair(served: Served, name: str = "tablet") -> Iterator[httpx.Client]:
    """A client holding a fresh device token; the device is revoked after (a remote pairs
    at most MAX_PAIRED_DEVICES)."""
    with httpx.Client(base_url=served.url, headers={"Origin": served.origin}, timeout=10) as client:
        code = served.code()  # each code pairs one device
        reply = client.post("api/pair", json={"code": code, "name": name})
        assert reply.status_code == 200, reply.text
        assert client.cookies.get(served.cookie)
        try:
            yield client
        finally:
            unpair(served, reply.json()["device"]["device_id"])


def unpair(served: Served, device_id: str) -> None:
    """Revoke ``device_id`` if it is still paired."""
    with EngineClient.connect(served.home) as laptop:
        paired = {d["device_id"] for d in laptop.request("snapshot")["state"]["remote"]["devices"]}
        if device_id in paired:
            laptop.request("revoke_device", device=device_id)


def socket(served: Served, cookie: str | None, origin: str | None = None):
    from websockets.sync.client import connect

    headers = {"Origin": origin or served.origin}
    if cookie is not None:
        headers["Cookie"] = f"{served.cookie}={cookie}"
    url = served.url.replace("http://", "ws://") + "api/live"
    return connect(url, additional_headers=headers, open_timeout=10)


def denied_status(served: Served, cookie: str | None, origin: str | None = None) -> int:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused, socket(served, cookie, origin):
        pass
    return refused.value.response.status_code


def test_without_a_token_every_route_and_the_socket_answer_401(served: Served) -> None:
    with httpx.Client(base_url=served.url, headers={"Origin": served.origin}) as client:
        for method, route in API_ROUTES:
            reply = client.request(method, route, json={"command": "snapshot"})
            assert reply.status_code == 401, (route, reply.text)
            assert "not paired" in reply.json()["error"]
        client.cookies.set(served.cookie, "a-token-nobody-was-given")
        for method, route in API_ROUTES:
            assert client.request(method, route, json={"command": "panic"}).status_code == 401
    assert denied_status(served, None) == 401
    assert denied_status(served, "a-token-nobody-was-given") == 401


def test_the_page_itself_holds_nothing_and_carries_a_strict_policy(served: Served) -> None:
    page = httpx.get(served.url)
    assert page.status_code == 200 and "S-014" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "http" not in policy.replace("ws://", "")
    script = httpx.get(served.url + "static/remote.js")
    assert script.headers["content-security-policy"] == policy
    assert "http://" not in script.text and "https://" not in script.text  # nothing fetched


def test_a_request_from_another_origin_is_refused(served: Served) -> None:
    with pair(served) as client:
        for origin in ("http://evil.example", "http://127.0.0.1:1", None):
            headers = {"Origin": origin} if origin else {}
            client.headers.pop("Origin", None)
            reply = client.post("api/command", json={"command": "panic"}, headers=headers)
            assert reply.status_code == 403, origin
            assert "the remote's own page" in reply.json()["error"]
        cookie = client.cookies.get(served.cookie)
        assert denied_status(served, cookie, origin="http://evil.example") == 403
        rebound = httpx.get(served.url + "api/state", headers={"Host": "evil.example"})
        assert rebound.status_code == 421  # a DNS name that is not this machine's (rebinding)


def test_a_revoked_token_stops_working_at_once_over_http_and_the_open_socket(
    served: Served,
) -> None:
    with pair(served, "phone") as client:
        device = client.get("api/state").json()["device"]
        with socket(served, client.cookies.get(served.cookie)) as live:
            assert json.loads(live.recv(5))["type"] == "hello"
            with EngineClient.connect(served.home) as laptop:
                paired = [d["device_id"] for d in laptop.state["remote"]["devices"]]
                assert device["device_id"] in paired
                laptop.request("revoke_device", device=device["device_id"])
                assert client.get("api/state").status_code == 401  # the next request, no wait
                assert client.post("api/command", json={"command": "panic"}).status_code == 401
                assert _closed_code(live, timeout_s=5.0) == 4401
                state = laptop.request("snapshot")["state"]
                assert device["device_id"] not in {
                    d["device_id"] for d in state["remote"]["devices"]
                }


def _closed_code(live, timeout_s: float) -> int | None:
    from websockets.exceptions import ConnectionClosed

    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            live.recv(deadline - time.monotonic())
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None
    return None


def test_pages_may_not_shut_the_engine_down_nor_pair_or_revoke(served: Served) -> None:
    with pair(served) as client:
        for kind in ("shutdown", "revoke_device", "pair_device", "remote_status", "set_device",
                     "new_pairing_code"):  # fmt: skip
            reply = client.post("api/command", json={"command": kind}).json()
            assert reply["ok"] is False and f"cannot {kind!r}" in reply["error"]
        assert "shutdown" not in PAGE_COMMANDS
        assert served.engine.poll() is None


def test_names_stay_on_the_laptop_unless_turned_on_for_that_device(served: Served) -> None:
    code, name = NAMED
    with pair(served, "therapy tablet") as client, pair(served, "hallway phone") as other:
        children = client.post("api/command", json={"command": "catalog"}).json()["children"]
        assert {c["code"] for c in children} >= {code, "S-014"}
        assert all("display_name" not in c for c in children)
        assert name not in client.get("api/state").text
        device = client.get("api/state").json()["device"]["device_id"]
        with EngineClient.connect(served.home) as laptop:
            laptop.request("show_device_names", device=device, on=True)
            assert laptop.state["remote"]["served"]["pairing_code"] == served.code()
        children = client.post("api/command", json={"command": "catalog"}).json()["children"]
        assert {c["code"]: c.get("display_name") for c in children}[code] == name
        others = other.post("api/command", json={"command": "catalog"}).json()["children"]
        assert all("display_name" not in c for c in others)
        assert "remote" not in client.get("api/state").json()["state"]  # nor the pairing code


def test_louder_from_a_page_never_goes_above_the_childs_cap(served: Served) -> None:
    with pair(served) as client:
        client.post("api/command", json={"command": "select_child", "child": NAMED[0]})
        reply = client.post("api/command", json={"command": "set_volume_cap", "dbfs": -3.0}).json()
        assert reply["ok"] and reply["volume_cap_dbfs"] == -20.0 and reply["requested_dbfs"] == -3.0
        bad = client.post("api/command", json={"command": "set_volume_cap", "dbfs": "loud"}).json()
        assert bad["ok"] is False and "field 'dbfs'" in bad["error"]
        client.post("api/command", json={"command": "select_child", "child": None})


def test_a_page_field_named_like_the_clients_own_arguments_is_refused_in_one_line(
    served: Served,
) -> None:
    """A page's fields go to the engine as its command's fields, never as the remote's own
    arguments nor the message's own keys: a field called kind, timeout_s or version is the
    engine's to refuse (no such field); one called type or v never turns an allowed command
    into another (stop into shutdown); the remote and the engine keep serving."""
    with pair(served) as client:
        for field, value in (("type", "shutdown"), ("v", 0)):
            body = client.post("api/command", json={"command": "stop", field: value}).json()
            assert body["ok"] is False and repr(field) in body["error"], (field, body)
        assert served.engine.poll() is None
        for field in ("kind", "timeout_s", "version"):
            reply = client.post("api/command", json={"command": "stop", field: 0})
            assert reply.status_code == 200, (field, reply.text)
            body = reply.json()
            assert body["ok"] is False and repr(field) in body["error"], (field, body)
        assert client.post("api/command", json={"command": "stop"}).json()["ok"] is True


def _raw_request(served: Served, head: str, body: bytes, timeout_s: float = 5.0) -> bytes:
    """What the remote answers to a request written by hand (its status line and headers)."""
    import socket as sockets
    from urllib.parse import urlsplit

    where = urlsplit(served.url)
    with sockets.create_connection((where.hostname, where.port), timeout=timeout_s) as conn:
        conn.sendall(head.encode("latin-1") + body)
        return conn.recv(4096)


def test_a_body_over_the_limit_is_refused_before_it_is_read(served: Served) -> None:
    """Pairing needs no token: a body of gigabytes from anyone on the network is refused by
    what it says of its size, or once it passes the limit, never read whole into memory."""
    from soundness_live.remote.app import MAX_BODY_BYTES

    host = served.origin.removeprefix("http://")
    head = (
        f"POST /api/pair HTTP/1.1\r\nHost: {host}\r\nOrigin: {served.origin}\r\n"
        "Content-Type: application/json\r\nContent-Length: 4000000000\r\n\r\n"
    )
    answer = _raw_request(served, head, b'{"code": "')  # the rest never comes
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    big = b'{"code": "000000", "name": "' + b"a" * MAX_BODY_BYTES + b'"}'

    def chunks() -> Iterator[bytes]:  # no length said: the limit is found while reading
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    with pair(served) as client:
        for route in ("api/pair", "api/command"):
            reply = client.post(route, content=chunks())
            assert reply.status_code == 413, (route, reply.text)
            assert f"at most {MAX_BODY_BYTES // 1024} KiB" in reply.json()["error"]
        assert client.post("api/command", json={"command": "snapshot"}).json()["ok"] is True
        with socket(served, client.cookies.get(served.cookie)) as live:
            live.send(" " * (MAX_BODY_BYTES + 1))  # a message over the limit closes the socket
            assert _closed_code(live, timeout_s=5.0) == 1009


def test_a_command_that_is_not_a_name_is_one_line_not_a_server_error(served: Served) -> None:
    """A command given as a list or an object (no name at all) is refused as any unknown
    command is, over HTTP and over the socket, which stays open."""
    with pair(served) as client:
        for kind, said in ((["stop"], "list"), ({"stop": 1}, "dict"), (None, "None")):
            reply = client.post("api/command", json={"command": kind})
            assert reply.status_code == 200, (kind, reply.text)
            assert reply.json()["error"].startswith(f"the remote cannot {said}; it can ")
        with socket(served, client.cookies.get(served.cookie)) as live:
            for kind in (["stop"], {"stop": 1}, "stop"):
                live.send(json.dumps({"id": 7, "command": kind}))
                reply = _reply(live, 7)
                assert reply["ok"] is (kind == "stop"), reply


def _reply(live, number: int) -> dict:
    """The socket's reply to the command of id ``number`` (states and notices go past)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = json.loads(live.recv(deadline - time.monotonic()))
        if msg["type"] == "reply" and msg["id"] == number:
            return msg
    raise AssertionError(f"no reply to {number}")


def test_a_page_is_never_told_where_the_laptop_keeps_its_files(served: Served) -> None:
    """A plan that does not check is named to the page from the data directory on, in the
    plans' list and in the refusal to start it: the laptop's folders (its user's name) stay
    on the laptop."""
    broken = served.home / "plans" / "shared" / "broken.toml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("name = [\n")
    try:
        with pair(served) as client:
            plans = client.post("api/command", json={"command": "plans"}).json()["plans"]
            error = {p["name"]: p.get("error") for p in plans}["broken"]
            assert error.startswith("plans/shared/broken.toml: not valid TOML"), error
            start = client.post("api/command", json={"command": "start_plan", "plan": "broken"})
            assert start.json()["error"].startswith("plans/shared/broken.toml: not valid TOML")
            assert str(served.home) not in start.text
    finally:
        broken.unlink()


def test_an_engine_that_stops_answering_is_said_unreachable_and_reachable_again(
    served: Served,
) -> None:
    """An engine whose connection stays open but says nothing (hung, or suspended as here)
    is unreachable on the page, over the socket and to a poll, within seconds, and reachable
    again as soon as it speaks: a page must never claim to control a session that nothing
    controls."""
    import signal

    with pair(served) as client, socket(served, client.cookies.get(served.cookie)) as live:
        assert json.loads(live.recv(5))["reachable"] is True  # hello
        os.kill(served.engine.pid, signal.SIGSTOP)
        try:
            assert _engine_said(live, 6.0) is False
            assert client.get("api/state").json()["reachable"] is False
        finally:
            os.kill(served.engine.pid, signal.SIGCONT)
        assert _engine_said(live, 6.0) is True
        assert client.get("api/state").json()["reachable"] is True
        assert client.post("api/command", json={"command": "panic"}).json()["ok"] is True
        client.post("api/command", json={"command": "resume"})


def _engine_said(live, timeout_s: float) -> bool | None:
    """What the socket's next ``engine`` message says of the engine (None: none came)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        msg = json.loads(live.recv(max(0.01, deadline - time.monotonic())))
        if msg["type"] == "engine":
            return bool(msg["reachable"])
    return None


def test_a_device_holds_a_few_live_sockets_and_a_newer_one_replaces_the_oldest(
    served: Served,
) -> None:
    """Every socket gets every engine message: a device (or whoever holds its token) opening
    sockets without end would have the remote send without end. A device keeps the newest
    few; the oldest is closed with 4409 and sent nothing more, whether its page reads or not."""
    from soundness_live.remote.app import REPLACED_CLOSE, SOCKETS_PER_DEVICE

    with pair(served) as client, contextlib.ExitStack() as stack:
        cookie = client.cookies.get(served.cookie)
        opened = [stack.enter_context(socket(served, cookie)) for _ in range(SOCKETS_PER_DEVICE)]
        for live in opened:
            assert json.loads(live.recv(5))["type"] == "hello"
        newest = stack.enter_context(socket(served, cookie))
        assert json.loads(newest.recv(5))["type"] == "hello"
        assert _closed_code(opened[0], timeout_s=10.0) == REPLACED_CLOSE
        for live in [*opened[1:], newest]:
            live.send(json.dumps({"id": 1, "command": "snapshot"}))
            assert _reply(live, 1)["ok"] is True
