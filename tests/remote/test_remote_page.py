"""The remote's page in headless Chromium at tablet and phone sizes, with touch.

Pair with the code, run a plan's first step with the virtual child, mark a prompt level, hit
QUIET, end the session; a screenshot of each state, and axe-core's WCAG 2.1 A/AA rules with 0
violations in each. The engine and the remote are real processes (``conftest.served``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from soundness_live.live.client import EngineClient
from tests.remote.browser import SIZES, axe_violations, browser
from tests.remote.conftest import Served

SHOTS = Path(os.environ.get("SOUNDNESS_SHOTS", Path(__file__).parent / "screenshots"))
QUICK_WAIT = {  # a go/no-go-free waiting game: about half a second a trial, 200 of them
    "variant": "cue", "trials": 200, "lead_in_ms": 0, "gap_ms": 0, "foreperiod_ms": 150,
    "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300,
}  # fmt: skip
PLAN = """description = "quick waits for the remote's tests"
countdown_s = 3.0

[[step]]
activity = "waiting"
label = "quick waits"
params = { variant = "cue", trials = 200, lead_in_ms = 0, gap_ms = 0, foreperiod_ms = 150, \
wait_step_ms = 0, jitter_pct = 0, response_window_ms = 300 }

[[step]]
activity = "free-play"
preset = "goodbye"
label = "goodbye song"
"""


@pytest.fixture(scope="module")
def with_plan(served: Served) -> Served:
    folder = served.home / "plans" / "shared"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder.parent, 0o700)
    (folder / "quick-waits.toml").write_text(PLAN, encoding="utf-8")
    return served


@pytest.fixture()
def laptop(served: Served) -> Iterator[EngineClient]:
    with EngineClient.connect(served.home) as client:
        yield client
        client.request("end_session")
        client.request("resume")  # quiet's mark stays until the therapist goes on
        client.request("select_child", child=None)


def wait_for(
    condition: Callable[[], Any], what: str, timeout_s: float = 15.0, driver: Any = None
) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        said = f"; the page says {text(driver, 'notice')!r}" if driver is not None else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}{said}"
        time.sleep(0.05)


def text(driver: Any, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def tap(driver: Any, element_id: str, by: str = "id") -> None:
    """Tap a control as a person would: scrolled to the middle of the screen first (the
    header, QUIET in it, stays over the top of the page)."""
    element = driver.find_element(by, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def check_state(driver: Any, size: str, state: str, show: str | None = None) -> None:
    """0 axe violations in this state (in Chromium, where axe runs), and a screenshot of it
    (showing ``show``'s element)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if show is not None:
        element = driver.find_element("id", show)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    chromium = driver.capabilities.get("browserName") == "chrome"
    driver.save_screenshot(
        str(SHOTS / f"{'chromium' if chromium else 'webkit'}-{size}-{state}.png")
    )
    if chromium:
        assert axe_violations(driver) == [], f"{size}, {state}"


@pytest.mark.parametrize("engine", ["chromium", "webkit"])
@pytest.mark.parametrize("size", list(SIZES))
def test_a_therapist_runs_a_plan_from_a_tablet_or_a_phone(
    with_plan: Served, laptop: EngineClient, size: str, engine: str
) -> None:
    served = with_plan
    with browser(engine, size) as driver:
        driver.get(served.url)
        wait_for(lambda: driver.find_element("id", "pairing").is_displayed(), "the pairing form")
        if engine == "chromium":  # exact; WebKitGTK keeps its window's own minimum width
            assert driver.execute_script("return [innerWidth, innerHeight]") == list(SIZES[size])
        check_state(driver, size, "1-pairing")

        driver.find_element("id", "pair-code").send_keys(served.code())
        driver.find_element("id", "pair-name").clear()
        driver.find_element("id", "pair-name").send_keys(f"test {size}")
        driver.find_element("css selector", "#pair-form button").click()
        wait_for(lambda: text(driver, "link") == "connected (live)", "the live socket")
        wait_for(lambda: "S-014" in text(driver, "child"), "the children")
        wait_for(lambda: "quick-waits" in text(driver, "plan"), "the plans")
        check_state(driver, size, "2-paired")
        overflow = "return document.documentElement.scrollWidth - innerWidth"
        assert driver.execute_script(overflow) <= 0  # nothing wider than the screen

        driver.find_element("css selector", "#child").send_keys("S-014")
        wait_for(lambda: laptop.state.get("child") == "S-014", "the child chosen")
        driver.find_element("css selector", "#plan").send_keys("quick-waits")
        tap(driver, "input[name=input][value=virtual]", by="css selector")
        tap(driver, "start")
        state = wait_for(
            lambda: laptop.state if laptop.state.get("activity") == "waiting" else None,
            "the plan's first step",
            driver=driver,
        )
        assert state["plan"]["name"] == "quick-waits" and state["plan"]["current"] == 0
        assert state["input"] == "virtual" and state["volume_cap_dbfs"] == -18.0
        wait_for(lambda: "quick waits (running)" in text(driver, "steps"), "the step shown")
        wait_for(lambda: "of 200" in text(driver, "now-trial"), "the trial count")
        check_state(driver, size, "3-running", show="steps")

        tap(driver, "#levels button[data-level=gestural]", by="css selector")
        # the level holds for the trial in progress (about half a second here), then falls
        # back to independent: the trial record says it was taken
        scored = wait_for(
            lambda: [t for t in laptop.trials if t["prompt_level"] == "gestural"], "a marked trial"
        )
        assert scored[0]["activity"] == "waiting"
        wait_for(lambda: "gestural: trial" in text(driver, "notice"), "the trial marked named")
        wait_for(lambda: "gestural" in text(driver, "trials"), "the marked trial on the page")
        check_state(driver, size, "4-prompt-level", show="levels")

        quiet = driver.find_element("id", "quiet")
        top = "return arguments[0].getBoundingClientRect().top"
        for scroll in ("0", "document.body.scrollHeight"):  # in view, whatever the scroll
            driver.execute_script(f"window.scrollTo(0, {scroll})")
            assert quiet.is_displayed() and 0 <= driver.execute_script(top, quiet) < 20
        assert quiet.size["height"] >= 56 and quiet.size["width"] >= 56  # a large target
        quiet.click()
        wait_for(lambda: laptop.state.get("quiet") and laptop.state.get("paused"), "quiet")
        wait_for(lambda: text(driver, "pause") == "Resume", "the page showing it")
        assert laptop.state["plan"]["state"] in ("running", "between")
        check_state(driver, size, "5-quiet")

        tap(driver, "quieter")
        wait_for(lambda: laptop.state.get("volume_cap_dbfs") == -21.0, "quieter by 3 dB")
        tap(driver, "louder")
        wait_for(lambda: laptop.state.get("volume_cap_dbfs") == -18.0, "louder again")
        wait_for(lambda: not driver.find_element("id", "louder").is_enabled(), "louder stops")

        driver.find_element("id", "note").send_keys("Waited well after the break.")
        tap(driver, "save-note")
        wait_for(lambda: text(driver, "notice") == "Note saved.", "the note saved")
        session_id = laptop.state["session_id"]
        tap(driver, "end-session")
        wait_for(lambda: laptop.state.get("session_id") is None, "the session ended")
        assert laptop.state["plan"] is None
        summary = wait_for(
            lambda: text(driver, "summary") if "No session" in text(driver, "summary") else None,
            "the summary",
        )
        assert f"Session {session_id} ended." in summary and "1 gestural" in summary
        check_state(driver, size, "6-ended", show="summary")
