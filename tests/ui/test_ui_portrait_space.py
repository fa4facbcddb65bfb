"""The session page's room in a portrait window, and the voice meter's place: the status
panel keeps its figures and the outcome squares, the plan panel shows the steps that fit with
the current one always among them, and the voice meter never covers the panel's lines."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from soundness_live.ui import screens
from soundness_live.ui.controls import View
from soundness_live.ui.images import Fonts
from soundness_live.ui.painter import ScreenPainter
from soundness_live.ui.plan_panel import draw_plan
from soundness_live.ui.screens import meter_bounds, status_foot_top
from soundness_live.ui.session_layout import layout
from tests.ui.test_ui import ACTIVITIES, CHILDREN
from tests.ui.test_ui_painter import VOCAL_TURN

SIZES = [(1280, 800), (1920, 1080), (800, 1280)]
#: A tempo-following trial as the screen tour's shows it: the taps, five figures, outcomes.
TEMPO = {
    "activity": "tempo-following", "session_id": 1, "trial": {"n": 2, "of": 2},
    "taps": {"taps": 6, "on_beat": 3, "early": 2, "late": 1, "window_ms": 300.0,
             "mean_ms": -5.4, "last": [{"side": "early", "by_ms": -49}]},
    "figures": {"taps": 6, "on_beat": 3, "early": 2, "late": 1, "mean_asynchrony_ms": -5.4,
                "resultant_length": 0.8, "tapping_bpm": 168.0, "hit_rate": 1.0},
    "recent_trials": [{"outcome": "correct", "activity": "waiting"},
                      {"outcome": "correct", "activity": "tempo-following"}],
    "devices": [], "volume_cap_dbfs": -12.0, "underruns": 9,
}  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_the_status_panel_keeps_its_figures_and_the_outcome_squares(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    drawn: list[str] = []
    real_left, real_outcomes = screens.draw_left, screens._outcomes
    monkeypatch.setattr("soundness_live.ui.feedback.draw_left",
                        lambda s, f, font, text, *a, **k: drawn.append(text)
                        or real_left(s, f, font, text, *a, **k))  # fmt: skip
    squares: list[int] = []

    def outcomes(surface: Any, fonts: Any, recent: list, x: int, y: int, bottom: int) -> int:
        after = real_outcomes(surface, fonts, recent, x, y, bottom)
        squares.append(after - y)
        return after

    monkeypatch.setattr(screens, "_outcomes", outcomes)
    view = View(state=dict(TEMPO), children=CHILDREN, activities=ACTIVITIES, child="S-014")
    screen = layout(*size, view)
    fonts = Fonts(screen.scale)
    screens.draw_status(pygame.Surface(size), screen.regions["status"], view, fonts)
    assert drawn[-4:] == [
        "early by 5.4 ms on average", "locked to the beat (0 to 1): 0.8", "tapping: 168 BPM",
        "beats met by a tap: 100 %",
    ]  # fmt: skip
    assert squares and squares[0] > 0  # the outcome squares and "last: correct" drawn


def test_the_plan_panel_always_shows_the_current_step_however_few_rows_fit(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = ["hello song", "drum call and response", "freeze game", "play with the beat",
              "sung syllables", "goodbye song"]  # fmt: skip
    steps = [{"activity": "free-play", "preset": None, "label": label, "status": "done"}
             for label in labels]  # fmt: skip
    steps[-1]["status"] = "running"
    plan = {"name": "school-age", "steps": steps, "current": 5, "state": "running"}
    view = View(state={"plan": plan})
    written: list[str] = []
    real = screens.draw_left

    def record(surface: Any, fonts: Any, font: Any, text: str, *args: Any, **kw: Any) -> int:
        written.append(text)
        return real(surface, fonts, font, text, *args, **kw)

    monkeypatch.setattr("soundness_live.ui.plan_panel.draw_left", record)
    screen = layout(800, 1280, view)
    draw_plan(pygame.Surface((800, 1280)), screen.regions["plan"], view, Fonts(screen.scale))
    shown = [text for text in written if text[:2] in {f"{n}." for n in range(1, 7)}]
    assert shown == ["4. play with the beat", "5. sung syllables", "6. goodbye song"]


@pytest.mark.parametrize("size", SIZES)
def test_the_voice_meter_covers_neither_the_foot_nor_the_live_lines(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    state = dict(VOCAL_TURN, devices=[{"device": "nanoPAD2", "connected": True, "kind": "pad"},
                                      {"device": "nanoKEY2", "connected": True}],
                 volume_cap_dbfs=-12.0, underruns=3)  # fmt: skip
    view = View(state=state, children=CHILDREN, activities=ACTIVITIES, child="S-014")
    view.notice = "verbal: trial 2, marked after it ended (was independent), and more words"
    bottoms: list[int] = []
    real = screens._draw_live
    monkeypatch.setattr(screens, "_draw_live", lambda *a: bottoms.append(a[-1]) or real(*a))
    painter, surface = ScreenPainter(), pygame.Surface(size)
    screen = layout(*size, view)
    for frame in range(3):
        painter.paint(surface, screen, view, 1.0 + frame / 30)
    meter, fonts = painter.meter_look, painter.fonts
    assert meter is not None and fonts is not None
    bounds = meter_bounds(meter, fonts)
    assert bounds.y + bounds.h <= status_foot_top(screen.regions["status"], view, fonts)
    assert bottoms and max(bottoms) <= bounds.y
