"""A socket's tasks end when one of them does, even one that lost its first cancellation."""

from __future__ import annotations

import asyncio

from tests.conftest import require
from tests.remote.conftest import remote_packages_present


def test_a_task_that_drops_its_cancellation_is_cancelled_again() -> None:
    require(remote_packages_present(), "pip install 'soundness-live[remote]'")
    from soundness_live.remote.app import _tasks

    dropped = []

    async def sends_on() -> None:  # as asyncio.wait_for may before Python 3.12
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if dropped:
                    raise
                dropped.append(True)

    async def serve() -> None:
        async with _tasks(sends_on(), asyncio.sleep(0.02)):
            pass

    asyncio.run(asyncio.wait_for(serve(), 2.0))  # before: the socket's tasks never ended
    assert dropped == [True]
