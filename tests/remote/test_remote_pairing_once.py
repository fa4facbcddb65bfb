"""A pairing code pairs one device, a device pairing again replaces its token, at most a few
devices pair, and the token's cookie is this remote's own.

Against a real engine process and the remote process beside it (``conftest.served``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx

from soundness_live.live.client import EngineClient
from soundness_live.live.paired_devices import MAX_PAIRED_DEVICES
from soundness_live.live.remote_process import LOG_NAME
from soundness_live.remote.app import REPLACED_CLOSE
from soundness_live.remote.pairing import COOKIE_PREFIX, cookie_name
from tests.remote.conftest import Served
from tests.remote.test_remote_security import _closed_code, socket, unpair


@contextlib.contextmanager
def page_client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, headers={"Origin": served.origin}, timeout=10) as web:
        yield web


def paired_ids(served: Served) -> list[str]:
    with EngineClient.connect(served.home) as laptop:
        return [d["device_id"] for d in laptop.request("snapshot")["state"]["remote"]["devices"]]


def test_a_code_pairs_one_device_and_the_laptop_shows_the_next_at_once(served: Served) -> None:
    code = served.code()
    with page_client(served) as first, page_client(served) as second:
        assert first.post("api/pair", json={"code": code, "name": "iPad"}).status_code == 200
        shown = served.code()  # asked right after the answer: no wait
        assert shown != code and len(shown) == 6 and shown.isdigit()
        read_over_a_shoulder = second.post("api/pair", json={"code": code, "name": "x"})
        assert read_over_a_shoulder.status_code == 403
        assert read_over_a_shoulder.json()["error"] == "that is not the code shown on the laptop"
        assert served.cookie not in second.cookies
        paired = second.post("api/pair", json={"code": shown, "name": "phone"})
        assert paired.status_code == 200 and served.code() not in (code, shown)
        for web in (first, second):
            unpair(served, web.get("api/state").json()["device"]["device_id"])


def test_a_device_pairing_again_gets_a_new_token_and_its_old_one_stops_at_once(
    served: Served,
) -> None:
    with page_client(served) as web:
        device = web.post("api/pair", json={"code": served.code(), "name": "iPad"}).json()
        old_token = web.cookies.get(served.cookie)
        with socket(served, old_token) as live:
            assert json.loads(live.recv(5))["type"] == "hello"
            again = web.post("api/pair", json={"code": served.code(), "name": ""})  # its cookie
            assert again.status_code == 200
            assert again.json()["device"]["device_id"] == device["device"]["device_id"]
            new_token = web.cookies.get(served.cookie)
            assert new_token != old_token
            with httpx.Client(base_url=served.url, headers={"Origin": served.origin}) as old:
                old.cookies.set(served.cookie, old_token)
                assert old.get("api/state").status_code == 401  # the next request, no wait
            # its page polls with the new token (4409), rather than asking for a code (4401)
            assert _closed_code(live, timeout_s=5.0) == REPLACED_CLOSE
        assert web.get("api/state").json()["device"]["name"] == "iPad"
        assert paired_ids(served).count(device["device"]["device_id"]) == 1
        unpair(served, device["device"]["device_id"])


def test_one_device_more_than_the_most_is_refused_in_one_line_on_the_page_and_in_the_log(
    served: Served,
) -> None:
    assert paired_ids(served) == []
    clients = [httpx.Client(base_url=served.url, headers={"Origin": served.origin})]
    try:
        for n in range(MAX_PAIRED_DEVICES):
            reply = clients[-1].post("api/pair", json={"code": served.code(), "name": f"d{n}"})
            assert reply.status_code == 200, n
            clients.append(httpx.Client(base_url=served.url, headers={"Origin": served.origin}))
        code = served.code()
        refused = clients[-1].post("api/pair", json={"code": code, "name": "one more"})
        said = (
            f"expected at most {MAX_PAIRED_DEVICES} paired devices, {MAX_PAIRED_DEVICES} are "
            "paired: revoke one on the laptop's remote page (Browser remote, revoke), then "
            "pair again"
        )
        assert (refused.status_code, refused.json()["error"]) == (409, said)
        assert served.code() == code  # the code paired nothing: it still pairs one device
        log = (served.home / LOG_NAME).read_text()
        assert f"a device was not paired: {said}" in log
        revoked = paired_ids(served)[0]
        unpair(served, revoked)
        assert clients[-1].post("api/pair", json={"code": code, "name": "now"}).status_code == 200
    finally:
        for device_id in paired_ids(served):
            unpair(served, device_id)
        for web in clients:
            web.close()


def test_the_token_cookie_is_named_for_this_remote_and_no_other_name_opens_it(
    served: Served, tmp_path
) -> None:
    port = int(served.url.rsplit(":", 1)[1].strip("/"))
    assert served.cookie == cookie_name(served.home, port)
    assert served.cookie.startswith(f"{COOKIE_PREFIX}_{port}_")
    assert cookie_name(served.home, port + 1) != served.cookie  # another port of this laptop
    assert cookie_name(tmp_path, port) != served.cookie  # another installation
    with page_client(served) as web:
        reply = web.post("api/pair", json={"code": served.code(), "name": "iPad"})
        assert reply.headers["set-cookie"].startswith(f"{served.cookie}=")
        token = web.cookies.get(served.cookie)
        for other_name in (COOKIE_PREFIX, cookie_name(served.home, port + 1)):
            with page_client(served) as other:
                other.cookies.set(other_name, token)
                assert other.get("api/state").status_code == 401, other_name
        unpair(served, reply.json()["device"]["device_id"])
