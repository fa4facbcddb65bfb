"""Shared test helpers.

A test that needs something absent (jackd, espeak-ng, a Debian SoundFont, Chromium) skips with
a reason on a developer's machine; under ``CI=true`` it fails instead, because CI installs
everything and a skip there would hide a missing install step.

At the end of the session, :mod:`tests.processes` names any child process a test left running
(under ``CI=true`` that fails the run).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import pytest_sessionfinish  # noqa: F401  (no process left behind)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (or, under CI=true, fail) the calling test unless ``condition`` holds."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a test dependency is missing: {reason}")
    pytest.skip(reason)


def require_program(name: str, package: str) -> str:
    """Path of program ``name``; skip/fail naming the Debian ``package`` that provides it."""
    path = shutil.which(name)
    require(path is not None, f"{name} not found (apt-get install {package})")
    assert path is not None
    return path


@pytest.fixture()
def engine_home() -> Iterator[Path]:
    """A private engine data folder with child S-014 (capped at -18 dBFS), removed after the
    test (:func:`tests.live.test_engine_process._home`)."""
    from tests.live.test_engine_process import _home

    home = _home()
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def engine_here(tmp_path: Path) -> Iterator[Any]:
    """The engine in this process: no audio device, no synth (commands kept), no MIDI input
    but a keyboard said to be connected (the tests play it through ``live_input.on_event``)."""
    from soundness_live.core.events import DeviceChange
    from soundness_live.live.engine import Engine, EngineOptions

    options = EngineOptions(tmp_path, audio="null", synth="none", midi="none", block_size=64)
    engine = Engine(options)
    engine.start()
    engine.live_input.on_device_change(DeviceChange("keyboard", True, time.monotonic()))
    try:
        yield engine
    finally:
        engine.close()


def until_state(engine: Any, condition: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict:
    """The engine's snapshot once ``condition(snapshot)`` holds (fails after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = engine.snapshot()
        if condition(state):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.01)


def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Return once ``condition()`` holds; fail the test when it has not within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(0.01)
