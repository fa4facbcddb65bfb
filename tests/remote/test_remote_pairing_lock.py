"""Wrong pairing codes are counted across every device and lock pairing for a minute.

A module of its own: the lock it sets holds its remote for a minute (``conftest.served``).
"""

from __future__ import annotations

import httpx

from soundness_live.remote.pairing import COOKIE, LOCK_S, WRONG_CODES_LIMIT
from tests.remote.conftest import Served


def test_wrong_codes_from_any_device_lock_pairing_for_a_minute(served: Served) -> None:
    right = served.status["pairing_code"]
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
    assert COOKIE not in locked.cookies
