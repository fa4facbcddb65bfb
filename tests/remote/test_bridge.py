"""The remote's one connection to the engine: every page is given the same text, made once."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from soundness_live.live.protocol import message
from tests.conftest import require
from tests.live.test_engine_connections import serving
from tests.remote.conftest import remote_packages_present


@pytest.fixture()
def loop() -> Any:
    """An event loop running on a thread of its own, as the remote's server runs it."""
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.call_soon_threadsafe(running.stop)
        thread.join(5)
        running.close()


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 5.0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_every_page_is_given_the_same_text_made_once_for_each_engine_message(
    tmp_path: Path, loop: Any
) -> None:
    require(remote_packages_present(), "pip install 'soundness-live[remote]'")
    from soundness_live.remote.bridge import EngineBridge

    data = tmp_path / "data"
    with serving(data) as server:
        bridge = EngineBridge(data)
        bridge.loop = loop
        pages: list[list[str]] = [[], [], []]
        for page in pages:
            bridge.subscribe(page.append)
        try:
            server.broadcast(message("notice", text=f"saved as {data}/exports/s1.csv"))
            _until(lambda: all(_of(page, "notice") for page in pages), "the notice on every page")
            _until(lambda: all(_of(page, "state") for page in pages), "a state on every page")
            notices = [_of(page, "notice")[0] for page in pages]
            assert notices[0] is notices[1] is notices[2]  # one text for them all
            assert json.loads(notices[0]) == {"type": "notice", "text": "saved as exports/s1.csv"}
            state = json.loads(_of(pages[0], "state")[-1])["state"]
            assert "remote" not in state and state["volume_cap_dbfs"] == -12.0
            view = bridge.state()
            assert bridge.state() is view  # made once for each state the engine sends
            assert "remote" not in view
        finally:
            bridge.close()


def _of(page: list[str], kind: str) -> list[str]:
    return [text for text in list(page) if json.loads(text)["type"] == kind]
