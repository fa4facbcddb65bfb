"""Headless Chromium through Selenium for the remote's page, and axe-core in it.

Debian's ``chromium`` and ``chromium-driver`` (``Service("/usr/bin/chromedriver")``: Selenium
never downloads a driver), as root with ``--no-sandbox``, a fresh profile each time, and the
flags that keep Chromium off the network (this machine's closed network refuses its
background connections). Exact viewports and touch come from the DevTools protocol
(``Emulation.setDeviceMetricsOverride``, ``Emulation.setTouchEmulationEnabled``).

axe-core 4.14.1 (``axe.min.js`` here, from npm's ``axe-core`` package, MPL-2.0) is vendored so
the tests need no network: it is injected into the page and run with the WCAG 2.0/2.1 A and AA
rules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = Path(__file__).with_name("axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"tablet": (1024, 1366), "phone": (390, 844)}
LANDSCAPE = {"tablet-landscape": (1366, 1024), "phone-landscape": (844, 390)}


def require_chromium() -> None:
    """Skip (fail under CI) without Debian's chromium and chromium-driver or Selenium."""
    require(os.path.exists(CHROMIUM), "chromium not found (apt-get install chromium)")
    require(
        os.path.exists(CHROMEDRIVER), "chromedriver not found (apt-get install chromium-driver)"
    )
    try:
        import selenium  # noqa: F401
    except ImportError:
        require(False, "selenium not installed (pip install -e '.[test]')")


def browser(engine: str, size: str):
    """The context manager of the named browser engine ("chromium" or "webkit")."""
    return chromium(size) if engine == "chromium" else webkit(size)


@contextmanager
def chromium(size: str, niceness: int = 0) -> Iterator[Any]:
    """A headless Chromium at the named size (``SIZES``) with touch, closed afterwards
    (``niceness``: its processes' priority below this one's, POSIX only)."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    popen_kw = {"preexec_fn": lambda: os.nice(niceness)} if niceness else {}
    service = Service(CHROMEDRIVER, popen_kw=popen_kw)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        emulate(driver, *{**SIZES, **LANDSCAPE}[size])
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
XVFB = "/usr/bin/Xvfb"


@contextmanager
def webkit(size: str) -> Iterator[Any]:
    """WebKit (Safari's engine) through Debian's webkit2gtk-driver, at the named window size.

    WebKitGTK has no headless mode: its MiniBrowser is a GTK window and, with no display,
    stops at "cannot open display" before the driver gets a session. So the test starts its
    own virtual display (Xvfb, the display number Xvfb picks itself) and closes it after.
    GTK keeps a window at least about 447 px wide, so the phone size is a window of that
    width; the viewport is not set exactly as in Chromium.
    """
    for path, package in ((WEBKIT_DRIVER, "webkit2gtk-driver"), (XVFB, "xvfb")):
        require(os.path.exists(path), f"{path} not found (apt-get install {package})")
    require(
        os.path.exists(MINIBROWSER), f"{MINIBROWSER} not found (apt-get install webkit2gtk-driver)"
    )
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    with virtual_display() as display:
        options = Options()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        env = {**os.environ, "DISPLAY": display}
        with warnings.catch_warnings():  # Selenium's own WebKitGTK class uses its old API
            warnings.simplefilter("ignore", DeprecationWarning)
            driver = webdriver.WebKitGTK(service=Service(WEBKIT_DRIVER, env=env), options=options)
        try:
            driver.set_window_size(*SIZES[size])
            yield driver
        finally:
            driver.quit()


@contextmanager
def virtual_display() -> Iterator[str]:
    """A private Xvfb display (its name, ":N"), stopped afterwards."""
    read, write = os.pipe()
    process = subprocess.Popen(
        [XVFB, "-displayfd", str(write), "-screen", "0", "1280x1400x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        assert number.isdigit(), "Xvfb did not say its display number"
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(10)


def emulate(driver: Any, width: int, height: int) -> None:
    """An exact viewport of a touch device (CSS pixels)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
    )
    touch = {"enabled": True, "maxTouchPoints": 5}
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", touch)


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (id, impact, targets)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " targets: v.nodes.map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe failed', impact: String(e), targets: []}]));",
        WCAG_TAGS,
    )
    return list(result)
