"""The page keeps working when a WebSocket cannot connect, after the screen slept, and says at
once when the engine is gone (which also stops the remote)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from soundness_live.live.client import EngineClient
from tests.remote.browser import LANDSCAPE, axe_violations, chromium
from tests.remote.conftest import Served
from tests.remote.test_remote_page import QUICK_WAIT, text, wait_for

# iOS with a self-signed certificate, or a proxy, refuses the socket: here every socket the
# page opens goes to a route that does not exist, so it closes without opening
NO_SOCKETS = """
const Real = window.WebSocket;
window.WebSocket = function (url) { return new Real(url.replace('/api/live', '/api/none')); };
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
"""


@pytest.fixture()
def laptop(served: Served) -> Iterator[EngineClient]:
    with EngineClient.connect(served.home) as client:
        yield client
        if served.engine.poll() is None:
            client.request("end_session")


def paired_page(driver: Any, served: Served) -> None:
    driver.get(served.url)
    wait_for(lambda: driver.find_element("id", "pairing").is_displayed(), "the pairing form")
    driver.find_element("id", "pair-code").send_keys(served.code())
    driver.find_element("css selector", "#pair-form button").click()
    wait_for(lambda: driver.find_element("id", "controls").is_displayed(), "the controls")


@pytest.mark.parametrize("size", list(LANDSCAPE))
def test_turned_sideways_the_page_fits_its_width_and_keeps_quiet_in_view(
    served: Served, size: str
) -> None:
    with chromium(size) as driver:
        paired_page(driver, served)
        width = driver.execute_script("return innerWidth")
        assert width == LANDSCAPE[size][0]
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        quiet = driver.find_element("id", "quiet")
        driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        top = driver.execute_script("return arguments[0].getBoundingClientRect().top", quiet)
        assert quiet.is_displayed() and 0 <= top < 20
        assert axe_violations(driver) == []


def test_without_websockets_the_page_polls_and_its_commands_still_work(
    served: Served, laptop: EngineClient
) -> None:
    with chromium("phone") as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SOCKETS})
        paired_page(driver, served)
        wait_for(lambda: text(driver, "link") == "connected (polling)", "polling")
        laptop.request(
            "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014",
            input="virtual",
        )  # fmt: skip
        wait_for(lambda: "of 200" in text(driver, "now-trial"), "the state by polling")
        driver.find_element("id", "quiet").click()
        wait_for(lambda: laptop.state.get("quiet"), "QUIET sent over HTTP")
        wait_for(lambda: text(driver, "pause") == "Resume", "the page showing it")
        assert text(driver, "link") == "connected (polling)"
        assert axe_violations(driver) == []
        laptop.request("resume")


def test_after_the_screen_slept_the_page_shows_what_changed_meanwhile(
    served: Served, laptop: EngineClient
) -> None:
    with chromium("tablet") as driver:
        paired_page(driver, served)
        wait_for(lambda: text(driver, "link") == "connected (live)", "the live socket")
        driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "frozen"})
        laptop.request("select_child", child="S-014")
        laptop.request(
            "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014",
            input="virtual",
        )  # fmt: skip
        time.sleep(1.0)
        driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "active"})
        wait_for(lambda: text(driver, "now-activity").startswith("waiting"), "the resync", 5.0)
        wait_for(lambda: text(driver, "now-child") == "S-014", "the child")


def test_a_page_comes_back_by_itself_when_the_remote_restarts_and_stays_paired(
    served: Served, laptop: EngineClient
) -> None:
    from soundness_live.remote.launch import start_remote, stop_remote

    with chromium("phone") as driver:
        paired_page(driver, served)
        wait_for(lambda: text(driver, "link") == "connected (live)", "the live socket")
        port = served.url.rsplit(":", 1)[1].strip("/")
        stop_remote(served.remote)
        wait_for(lambda: "unreachable" in text(driver, "link"), "the page saying so", 5.0)
        served.remote, status = start_remote(served.home, f"127.0.0.1:{port}")
        assert status["url"] == served.url and status["pairing_code"] != ""
        served.status = status
        # the token outlived the restart (kept hashed by the engine): no new code is asked for
        wait_for(lambda: text(driver, "link") == "connected (live)", "the socket again", 20.0)
        assert not driver.find_element("id", "pairing").is_displayed()
        laptop.request("select_child", child="S-014")
        wait_for(lambda: text(driver, "now-child") == "S-014", "the state again")
        laptop.request("select_child", child=None)


def test_when_the_engine_stops_the_page_says_so_at_once_and_the_remote_stops_too(
    served: Served,
) -> None:
    with chromium("phone") as driver:
        paired_page(driver, served)
        wait_for(lambda: text(driver, "link") == "connected (live)", "the live socket")
        served.engine.kill()  # as abruptly as it can go
        served.engine.wait(10)
        started = time.monotonic()
        wait_for(lambda: "unreachable" in text(driver, "link"), "the page saying so", 5.0)
        said_s = time.monotonic() - started
        link = driver.find_element("id", "link")
        assert "down" in link.get_attribute("class") and said_s < 2.0
        served.remote.wait(10)  # the remote went with its engine
        assert served.remote.returncode == 0
        assert axe_violations(driver) == []
    assert not os.path.exists(f"/proc/{served.remote.pid}")
