"""Wrong pairing codes are counted across every device and lock pairing for a minute.

A module of its own: the lock it sets holds its remote for a minute (``conftest.served``).
"""

from __future__ import annotations

import time

import httpx

from soundness_live.live.client import EngineClient
from soundness_live.remote.pairing import COOKIE_PREFIX, LOCK_S, WRONG_CODES_LIMIT
from tests.remote.conftest import Served


def test_wrong_codes_from_any_device_lock_pairing_for_a_minute(served: Served) -> None:
    right = served.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    headers = {"Origin": served.origin}
    for attempt in range(WRONG_CODES_LIMIT):
        # each from a new client: the count is the remote's, not a device's
        reply = httpx.post(served.url + "api/pair", json={"code": wrong}, headers=headers)
        assert reply.status_code == 403, attempt
    locked = httpx.post(served.url + "api/pair", json={"code": right}, headers=headers)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= LOCK_S
    assert "too many wrong codes" in locked.json()["error"]
    assert not any(name.startswith(COOKIE_PREFIX) for name in locked.cookies)


def test_the_laptop_sees_the_lock_and_a_new_code_asked_for_there_opens_pairing(
    served: Served,
) -> None:
    """Anyone on the Wi-Fi could keep pairing locked: the therapist's screen says it is
    locked, since when and after how many wrong codes, and a new code (asked for on the
    laptop only) ends the lock at once."""
    headers = {"Origin": served.origin}
    locked_code = served.code()
    with EngineClient.connect(served.home) as laptop:
        served_now = laptop.request("snapshot")["state"]["remote"]["served"]
        lock = served_now["pairing_lock"]
        assert lock is not None and lock["wrong_codes"] == WRONG_CODES_LIMIT  # the test before
        assert lock["locks"] == 1 and lock["first_wrong_at_s"] <= lock["locked_at_s"]
        assert lock["locked_until_s"] - lock["locked_at_s"] == LOCK_S
        assert abs(lock["locked_at_s"] - time.time()) < 120
        assert laptop.request("new_pairing_code")["was"] == locked_code
        deadline = time.monotonic() + 10
        while (
            laptop.request("snapshot")["state"]["remote"]["served"]["pairing_code"] == locked_code
        ):
            assert time.monotonic() < deadline, "the remote made no new code"
            time.sleep(0.05)
        served_now = laptop.request("snapshot")["state"]["remote"]["served"]
        assert served_now["pairing_lock"] is None  # the lock and its count are cleared
    old = httpx.post(served.url + "api/pair", json={"code": locked_code}, headers=headers)
    assert old.status_code == 403  # the old code pairs nothing, and pairing is open
    fresh = httpx.post(served.url + "api/pair", json={"code": served.code()}, headers=headers)
    assert fresh.status_code == 200
    log = (served.home / "remote.log").read_text()
    assert "a new pairing code asked for on the laptop" in log
