"""The therapist UI: pure layout and hit-testing, calm animation, a drawn screen, a real click."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soundness_live.ui.widgets import (
    DESIGN_H,
    DESIGN_W,
    FADE_S,
    MAX_PULSE_HZ,
    MIN_TARGET,
    PROMPT_LEVELS,
    View,
    cue_words,
    fade,
    hit_test,
    layout,
    pulse,
)

CHILDREN = [{"code": "S-014", "display_name": "Sam"}, {"code": "A-002", "display_name": None}]
ACTIVITIES = [
    {"name": "call-and-response", "variants": ["drums", "melodic"]},
    {"name": "waiting", "variants": ["cue", "freeze"]},
    {"name": "tempo-following", "variants": ["with-beat", "continuation"]},
]
SIZES = [(1024, 768), (1280, 800), (1920, 1080), (2048, 1536), (768, 1024)]


def _view(**state: Any) -> View:
    return View(state=state, children=CHILDREN, activities=ACTIVITIES, child="S-014")


@pytest.mark.parametrize("size", SIZES)
def test_every_target_fits_the_window_is_large_and_none_overlap(size: tuple[int, int]) -> None:
    width, height = size
    screen = layout(width, height, _view(activity="waiting", session_id=1))
    rects = [b.rect for b in screen.buttons] + list(screen.regions.values())
    for rect in rects:
        assert (
            0 <= rect.x and rect.x + rect.w <= width and 0 <= rect.y and rect.y + rect.h <= height
        )
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    for button in screen.buttons:
        assert button.rect.h >= MIN_TARGET * screen.scale - 1
    quiet = next(b for b in screen.buttons if b.name == "panic")
    assert quiet.rect.w * quiet.rect.h == max(b.rect.w * b.rect.h for b in screen.buttons)
    assert screen.scale == pytest.approx(min(width / DESIGN_W, height / DESIGN_H))


def test_hit_testing_finds_each_button_at_its_centre_and_nothing_between() -> None:
    screen = layout(1024, 768, _view(activity="waiting", session_id=1))
    for button in screen.buttons:
        assert hit_test(screen.buttons, *button.rect.center) == button
    assert hit_test(screen.buttons, 1, 767) is None  # the margin under the pickers
    levels = [b.name for b in screen.buttons if b.name.startswith("level:")]
    assert levels == [f"level:{level}" for level in PROMPT_LEVELS]


def test_buttons_follow_the_engine_state() -> None:
    idle = {b.name: b for b in layout(1024, 768, View(children=CHILDREN)).buttons}
    assert not idle["start"].enabled and not idle["pause"].enabled  # no child/activity yet
    assert not idle["end_session"].enabled and idle["panic"].enabled  # quiet: always there
    paused = {b.name: b for b in layout(1024, 768, _view(activity="waiting", paused=True)).buttons}
    assert "stop" in paused and "resume" in paused and paused["next_trial"].enabled
    assert hit_test(list(idle.values()), *idle["start"].rect.center) is None  # disabled


def test_the_beat_pulse_is_gentle_and_never_faster_than_the_limit() -> None:
    for ioi_ms in (200.0, 250.0, 333.0, 500.0, 1000.0):
        times = [i * 2.0 for i in range(5000)]  # 10 s at 2 ms steps
        values = [pulse(t, 0.0, ioi_ms) for t in times]
        sizes = [size for size, _ in values]
        assert 1.0 <= min(sizes) and max(sizes) <= 1.08 + 1e-9
        assert all(0.7 - 1e-9 <= alpha <= 1.0 + 1e-9 for _, alpha in values)
        peaks = sum(1 for a, b, c in zip(sizes, sizes[1:], sizes[2:], strict=False) if a < b >= c)
        assert peaks / 10.0 <= MAX_PULSE_HZ + 0.1
    assert pulse(0.0, 0.0, None) == (1.0, 0.8)


def test_cue_colours_fade_instead_of_flashing() -> None:
    start, end = cue_words({"cue": "listen"})[1], cue_words({"cue": "stop"})[1]
    frames = [fade(start, end, i / 30.0) for i in range(int(FADE_S * 30) + 2)]
    assert frames[0] == start and frames[-1] == end
    pairs = zip(frames, frames[1:], strict=False)
    steps = [max(abs(a - b) for a, b in zip(p, q, strict=True)) for p, q in pairs]
    assert max(steps) <= 25  # per 1/30 s frame: a slow blend, not a switch
    assert cue_words(None)[0] == "" and cue_words({"cue": "your_turn"})[0] == "your turn"


class FakeEngine:
    """A client stand-in: a fixed state, the catalog, and the commands it was sent."""

    def __init__(self) -> None:
        self.on_message = None
        self.sent: list[dict[str, Any]] = []
        self.state = {
            "activity": "tempo-following",
            "variant": "with-beat",
            "child": "S-014",
            "session_id": 3,
            "cue": {"cue": "beat", "at_ms": 1000.0, "ioi_ms": 666.7},
            "now_ms": 5300.0,
            "trials_done": 2,
            "trials_total": 4,
            "figures": {"taps": 14, "on_beat": 9, "early": 4, "late": 1},
            "recent_trials": [{"outcome": "correct"}, {"outcome": "partial"}],
            "devices": [{"device": "nanoPAD2", "connected": False, "kind": "pad"}],
            "volume_cap_dbfs": -18.0,
            "prompt_level": "gestural",
        }

    def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"ok": True, "children": CHILDREN, "activities": ACTIVITIES}

    def send(self, msg: dict[str, Any]) -> None:
        self.sent.append(msg)


@pytest.fixture()
def headless(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    import pygame

    pygame.display.quit()


def test_the_screen_draws_headless_and_a_tap_on_start_starts_the_activity(
    headless: None, tmp_path: Path
) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.run(max_frames=int(FADE_S * 30) + 5)  # long enough for the cue colour to fade in
    shot = app.screenshot(tmp_path / "therapist.png")
    assert shot.stat().st_size > 10_000
    import pygame

    image = pygame.image.load(str(shot))
    quiet = next(b for b in app.layout.buttons if b.name == "panic")
    red, green, blue, *_ = image.get_at((quiet.rect.x + 8, quiet.rect.y + quiet.rect.h // 2))
    assert red > 150 and green < 100  # the quiet button is there, and red
    cue = app.layout.regions["cue"]
    assert tuple(image.get_at((cue.x + 20, cue.y + 20)))[:3] == cue_words({"cue": "beat"})[1]

    engine.state = dict(engine.state, activity=None, session_id=None)
    app.frame()
    assert app.click(*_centre(app, "activity:waiting")) == "activity:waiting"
    assert app.click(*_centre(app, "variant")) == "variant"  # cue -> freeze
    app.frame()
    assert app.click(*_centre(app, "start")) == "start"
    start = engine.sent[-1]
    assert start["type"] == "start_activity" and start["v"] == 1
    assert (start["activity"], start["child"], start["input"]) == ("waiting", "S-014", "virtual")
    assert start["params"] == {"variant": "freeze"}
    assert app.click(*_centre(app, "panic")) == "panic" and engine.sent[-1]["type"] == "panic"


def _centre(app: Any, name: str) -> tuple[int, int]:
    return next(b for b in app.layout.buttons if b.name == name).rect.center


def test_a_click_on_start_runs_an_activity_in_a_real_engine(headless: None) -> None:
    from soundness_live.client import start_engine
    from soundness_live.ui.app import TherapistApp
    from tests.test_engine_process import ENGINE_ARGS, _attach, _home, _stop

    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        app = TherapistApp(client, size=(1024, 768))
        app.load_catalog()
        app.frame()
        for name in ("child:S-014", "activity:waiting", "start"):
            assert app.click(*_centre(app, name)) == name
            app.frame()
        deadline = time.monotonic() + 10
        while client.state.get("activity") != "waiting":
            assert time.monotonic() < deadline, app.view.notice
            app.frame()
        assert client.state["child"] == "S-014"
        app.click(*_centre(app, "panic"))
        while not client.state.get("quiet"):
            assert time.monotonic() < deadline
            app.frame()
        client.request("shutdown")
        process.wait(timeout=10)
        client.close()
    finally:
        _stop(process)
