"""The retained painter: the same pixels as the full drawing, drawn only where they changed,
and no text rendered again while it reads the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.test_ui import ACTIVITIES, CHILDREN, G4_HZ, VOCAL_TURN, FakeEngine

pygame = pytest.importorskip("pygame")

from soundness_live.ui.controls import View  # noqa: E402
from soundness_live.ui.images import ImageCache  # noqa: E402
from soundness_live.ui.painter import ScreenPainter  # noqa: E402
from soundness_live.ui.screens import draw_screen  # noqa: E402
from soundness_live.ui.session_layout import layout  # noqa: E402

BEAT = {"cue": "beat", "at_ms": 1000.0, "ioi_ms": 666.7}


def _session(*frames: dict[str, Any]) -> Iterator[tuple[float, dict[str, Any]]]:
    """(now_s, state) for each frame: a base state updated by each frame's changes."""
    state = dict(FakeEngine().state)
    for index, change in enumerate(frames):
        state = dict(state, **change)
        yield index / 60.0, state


def _beat(seconds: float) -> list[dict[str, Any]]:
    return [{"cue": BEAT, "now_ms": 5300.0 + i * 1000 / 60} for i in range(int(seconds * 60))]


def _vocal_turn() -> list[dict[str, Any]]:
    frames = [dict(VOCAL_TURN, cue={"cue": "listen"})] * 3  # the cue colour then fades
    frames += [VOCAL_TURN] * 20  # the meter appears and glides
    sharp = dict(VOCAL_TURN["voice_meter"], pitch_hz=G4_HZ * 2 ** (70 / 1200), level_db=-6.0)
    frames += [{"voice_meter": sharp}] * 20
    frames += [{"voice_meter": dict(sharp, pitch_hz=None)}] * 10  # the voice stops
    return frames + [{"cue": {"cue": "done"}}] * 3  # the turn is over: no meter


def _status_and_buttons() -> list[dict[str, Any]]:
    return [
        {"cue": {"cue": "listen"}},
        {"trials_done": 3},
        {"recent_trials": [{"outcome": "correct"}, {"outcome": "no_response"}]},
        {"devices": [{"device": "nanoPAD2", "connected": True, "kind": "pad"}]},
        {"underruns": 4, "dropped_commands": 2},
        {"prompt_level": "model"},  # a button changes: the static layer is drawn again
        {"paused": True},
        {"figures": {"notes_correct_pct": 75.0, "waited_for_turn": True}},
        {"activity": None, "session_id": None},
    ]


def _plan_moves() -> list[dict[str, Any]]:
    steps = [
        {"activity": "free-play", "preset": "hello", "label": "hello song", "status": None},
        {"activity": "waiting", "preset": None, "label": "freeze game", "status": None},
    ]
    plan = {"name": "early-years", "steps": steps, "current": 0, "state": "running",
            "countdown_s": None, "countdown_total_s": 5.0, "held": False}  # fmt: skip
    done = [dict(steps[0], status="done"), steps[1]]
    return [
        {"plan": plan, "trial": {"n": 1, "of": 2}},
        {"trial": {"n": 2, "of": 2}},
        *[{"plan": dict(plan, steps=done, state="between", countdown_s=5.0 - i / 4)}
          for i in range(12)],  # the countdown: the panel changes once a second
        {"plan": dict(plan, steps=done, state="between", countdown_s=None, held=True)},
        {"plan": dict(plan, steps=[done[0], dict(steps[1], status="running")], current=1)},
    ]  # fmt: skip


SCENES = {
    "plan moves": _plan_moves(),
    "beat pulse": _beat(1.5),
    "voice meter": _vocal_turn(),
    "status and buttons": _status_and_buttons(),
}


def _rgb(surface: Any) -> bytes:
    return pygame.image.tobytes(surface, "RGB")


def _diff(a: Any, b: Any) -> str:
    """Where two surfaces differ (for a failure message)."""
    pixels = [
        (x, y)
        for y in range(a.get_height())
        for x in range(a.get_width())
        if a.get_at((x, y)) != b.get_at((x, y))
    ]
    xs, ys = [p[0] for p in pixels], [p[1] for p in pixels]
    return f"{len(pixels)} pixels differ in x {min(xs)}..{max(xs)}, y {min(ys)}..{max(ys)}"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800), (768, 1024)])
@pytest.mark.parametrize("scene", list(SCENES))
def test_the_painted_screen_equals_the_full_drawing_pixel_for_pixel(
    fonts_ready: None, scene: str, size: tuple[int, int]
) -> None:
    painter, shown = ScreenPainter(), pygame.Surface(size)
    for now_s, state in _session(*SCENES[scene]):
        view = View(state=state, children=CHILDREN, activities=ACTIVITIES, child="S-014")
        screen = layout(*size, view)
        before = shown.copy()
        changed = painter.paint(shown, screen, view, now_s)
        for rect in changed:  # only what display.update(changed) sends may have changed
            before.blit(shown, rect, rect)
        assert _rgb(before) == _rgb(shown), f"{scene} at {now_s:.3f} s drew outside {changed}"
        assert painter.fonts is not None and painter.cue_look is not None
        full = pygame.Surface(size)
        draw_screen(full, screen, view, painter.fonts, painter.cue_look, painter.meter_look)
        assert _rgb(shown) == _rgb(full), f"{scene} at {now_s:.3f} s: {_diff(shown, full)}"


def test_an_unchanged_screen_costs_nothing_and_a_pulse_only_its_square(fonts_ready: None) -> None:
    painter, shown = ScreenPainter(), pygame.Surface((1024, 768))
    areas = []
    for now_s, state in _session(*_beat(1.5), *[{"cue": {"cue": "listen"}}] * 40):
        view = View(state=state, children=CHILDREN, activities=ACTIVITIES, child="S-014")
        changed = painter.paint(shown, layout(1024, 768, view), view, now_s)
        areas.append(sum(rect.w * rect.h for rect in changed) / (1024 * 768))
    assert areas[0] == 1.0  # the first frame draws everything
    cue = layout(1024, 768, View()).regions["cue"]  # the small preview of the child's cue
    assert all(area == cue.w * cue.h / (1024 * 768) for area in areas[2:25])  # it fades in
    pulse = areas[31:90]  # then only the pulse moves: a small square, not the screen
    # its size alone changes (by at most 8 %, its brightness steady): it is drawn again only
    # in the frames where its radius moves by a whole pixel
    assert max(pulse) < 0.05 and sum(area > 0 for area in pulse) == 4
    assert max(areas[-10:]) == 0  # the fade is over and nothing moves: nothing drawn


class CountingFont(pygame.font.Font):  # type: ignore[misc, name-defined]
    """A font that counts its renders."""

    renders = 0

    def render(self, *args: Any, **kwargs: Any) -> Any:
        CountingFont.renders += 1
        return super().render(*args, **kwargs)


def test_text_is_rendered_only_when_it_changes(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.ui.app import TherapistApp

    monkeypatch.setattr(pygame.font, "Font", CountingFont)
    engine = FakeEngine()
    app = TherapistApp(engine, size=(1024, 768), fps=0)
    app.load_catalog()
    app.run(max_frames=3)
    assert CountingFont.renders > 20  # every label, once
    CountingFont.renders = 0
    app.run(max_frames=60)  # the beat pulse moves; no word changes
    assert CountingFont.renders == 0
    engine.state = dict(engine.state, trials_done=3)
    app.run(max_frames=30)
    assert CountingFont.renders == 1  # "trial 4 of 4"
    engine.state = dict(engine.state, trials_done=2)
    app.run(max_frames=30)
    assert CountingFont.renders == 1  # "trial 3 of 4" again: still cached


def test_the_image_cache_keeps_the_most_recently_used() -> None:
    cache, made = ImageCache(capacity=2), []

    def make(name: str) -> Any:
        made.append(name)
        return name

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get(name, lambda name=name: make(name))
    assert made == ["a", "b", "c", "b"] and len(cache) == 2 and cache.made == 4
