"""The child's view finds the engine again by itself: a real engine stopped and started again
under a running view, which shows only the calm neutral screen while it waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from soundness_live.live.client import start_engine
from tests.live.test_engine_process import ENGINE_ARGS, QUICK_WAIT, _attach, _stop
from tests.ui.test_ui_reconnect import _frames_until, _play_until_trials


def test_the_childs_view_waits_calmly_and_shows_the_engine_again(
    headless: None, engine_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.live import client as client_module
    from soundness_live.ui.child.app import ChildView
    from soundness_live.ui.child.placement import Placement

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    second = None
    try:
        client = _attach(home)
        view = ChildView(client, Placement(size=(480, 270)), fps=30)
        _play_until_trials(client, 1)

        def shows(name: str) -> Callable[[], bool]:
            return lambda: view.painter.shown is not None and view.painter.shown.name == name

        _frames_until(view, lambda: shows("neutral")() is False, "a cue on the child's view")
        attempts: list[float] = []
        real = client_module._connect_within

        def counted(data_dir: Path, timeout_s: float) -> Any:
            attempts.append(time.monotonic())
            return real(data_dir, timeout_s)

        monkeypatch.setattr(client_module, "_connect_within", counted)
        client.request("shutdown")
        process.wait(timeout=10)
        _frames_until(view, lambda: view.client.closed, "the loss to be seen")
        shown_while_away = set()
        lost_s = time.monotonic()
        while time.monotonic() - lost_s < 2.0:
            view.frame()
            assert view.painter.shown is not None
            shown_while_away.add((view.painter.shown.name, view.painter.shown.word))
        assert shown_while_away == {("neutral", "")} and view.running  # calm, no words
        assert len(attempts) == 2  # 0.5 and 1.5 s after the loss
        second = start_engine(home, ENGINE_ARGS)
        _frames_until(view, lambda: not view.client.closed, "the view to find the engine again")
        assert view.gone_s is None and view.running
        other = _attach(home)
        other.request("start_activity", activity="waiting", params=QUICK_WAIT, input="virtual")
        _frames_until(view, lambda: shows("neutral")() is False, "a cue from the new engine")
        other.request("shutdown")
        second.wait(timeout=10)
        other.close()
        view.close()
    finally:
        _stop(process)
        if second is not None:
            _stop(second)
