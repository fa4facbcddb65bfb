"""The child's view drawn headless: a screenshot of every cue at 1920x1080 and 800x1280, each
picture different in its pixels and as contrasted as claimed; fades and the pulse that move
no pixel by 10 % of the luminance range between two frames; only what changed is drawn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from soundness_live.ui.child.calm import INK, MAX_LUMINANCE_STEP, MIN_CONTRAST, contrast
from soundness_live.ui.child.looks import ChildLooks, Look, place_scene
from soundness_live.ui.child.screenshots import EXAMPLES, SIZES, settled_look

ALIKE = {frozenset(("turn", "your_turn-drum_pad")), frozenset(("done-not-success", "neutral"))}
SMALL = (480, 270)


@pytest.fixture()
def pygame_headless(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.display.init()
    yield pygame
    pygame.display.quit()


def _luminance(pixels: np.ndarray) -> np.ndarray:
    """Relative luminance of each pixel of an (w, h, 3) array of sRGB bytes."""
    c = pixels.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def _ink_mask(pixels: np.ndarray) -> np.ndarray:
    """The pixels drawn in (or within a few steps of) a high-contrast colour."""
    return np.abs(pixels.astype(int) - np.array(INK)).max(axis=2) <= 8


def test_every_cue_is_screenshot_at_both_sizes_each_its_own_picture_in_high_contrast(
    pygame_headless, tmp_path: Path
) -> None:
    pygame = pygame_headless
    from soundness_live.ui.child.screenshots import write_screenshots

    written = write_screenshots(tmp_path / "child-view")
    assert len(written) == len(EXAMPLES) * len(SIZES) == 38
    for width, height in SIZES:
        masks = {}
        for name, state in EXAMPLES:
            path = tmp_path / "child-view" / f"{name}-{width}x{height}.png"
            image = pygame.image.load(str(path))
            assert image.get_size() == (width, height)
            look = settled_look(state, width, height)
            pixels = pygame.surfarray.array3d(image)
            assert tuple(pixels[2, 2]) == look.background  # the calm background, corner to corner
            masks[name] = mask = _ink_mask(pixels) | _star_mask(pixels)
            if name in ("neutral", "done-not-success"):
                assert not mask.any()  # nothing asked: no high-contrast shape at all
                continue
            area = mask.mean()
            assert 0.01 < area < 0.5, (name, area)  # a large picture, not a flood of light
            ink = tuple(int(v) for v in pixels[mask][0])
            assert contrast(ink, look.background) >= MIN_CONTRAST, name
        _each_differs(masks, width * height)


def _star_mask(pixels: np.ndarray) -> np.ndarray:
    from soundness_live.ui.child.looks import STAR

    return np.abs(pixels.astype(int) - np.array(STAR)).max(axis=2) <= 8


def _each_differs(masks: dict[str, np.ndarray], pixels: int) -> None:
    """Every two pictures of different meaning differ in at least 1 % of the window's pixels
    (their shapes, whatever their colours)."""
    names = sorted(masks)
    for i, one in enumerate(names):
        for other in names[i + 1 :]:
            differ = int((masks[one] ^ masks[other]).sum())
            if frozenset((one, other)) in ALIKE:
                assert differ == 0, (one, other)
            else:
                assert differ > 0.01 * pixels, (one, other, differ)


def _frames(pygame, looks: list[Look], elapsed_s: float) -> Iterator[tuple[np.ndarray, list]]:
    from soundness_live.ui.child.draw import ChildPainter

    surface = pygame.Surface(SMALL)
    painter = ChildPainter()
    for look in looks:
        changed = painter.paint(surface, look, elapsed_s)
        yield pygame.surfarray.array3d(surface), changed


def _state(name: str) -> dict:
    return dict(EXAMPLES)[name]


@pytest.mark.parametrize("elapsed_s", [1 / 30, 1 / 60, 0.5])
def test_a_new_picture_fades_in_moving_no_pixel_by_10_percent_in_a_frame(
    pygame_headless, elapsed_s: float
) -> None:
    pygame = pygame_headless
    order = ["neutral", "listen", "your_turn-drum_pad", "stop", "done-success", "countdown"]
    looks = []
    for name in order:
        looks += [settled_look(_state(name), *SMALL)] * 60
    frames = list(_frames(pygame, looks, elapsed_s))
    worst = 0.0
    for (before, _), (after, _) in zip(frames, frames[1:], strict=False):
        worst = max(worst, float(np.abs(_luminance(after) - _luminance(before)).max()))
    assert worst < MAX_LUMINANCE_STEP, worst
    settle = 26 if elapsed_s >= 1 / 30 else 51  # 10 alpha levels a frame at most
    first_new = frames[60][0]
    assert not np.array_equal(first_new, frames[60 + settle - 2][0])  # still fading
    assert np.array_equal(frames[60 + settle - 1][0], frames[119][0])  # then settled


def test_the_pulse_redraws_only_its_square_moves_no_pixel_by_10_percent_and_ends_exact(
    pygame_headless,
) -> None:
    pygame = pygame_headless
    state = _state("beat")
    views = ChildLooks()
    looks = [place_scene(views.scene(state, k / 30, k / 30), *SMALL) for k in range(60)]
    frames = list(_frames(pygame, looks, 1 / 30))
    halo = looks[0].shapes[0]
    side = 2 * halo.radius * 1.09 + 8  # type: ignore[union-attr]
    for (before, _), (after, changed) in zip(frames, frames[1:], strict=False):
        step = float(np.abs(_luminance(after) - _luminance(before)).max())
        assert step < MAX_LUMINANCE_STEP
        assert len(changed) == 1 and changed[0][2] <= side and changed[0][3] <= side
    from soundness_live.ui.child.draw import Words, render

    whole = pygame.Surface(SMALL)
    render(whole, looks[-1], Words())
    assert np.array_equal(frames[-1][0], pygame.surfarray.array3d(whole))  # no trace left


def test_a_still_picture_draws_nothing(pygame_headless) -> None:
    from soundness_live.ui.child.draw import ChildPainter

    pygame = pygame_headless
    surface = pygame.Surface(SMALL)
    painter = ChildPainter()
    look = settled_look(_state("wait"), *SMALL)
    assert painter.paint(surface, look, 1 / 30) == [(0, 0, *SMALL)]
    assert [painter.paint(surface, look, 1 / 30) for _ in range(5)] == [[]] * 5


class FakeEngine:
    """The engine as the view's client sees it: a snapshot, when it last spoke, closed."""

    def __init__(self, state: dict) -> None:
        self.state = state
        self.closed = False
        self.last_message_s = time.monotonic()


def test_the_view_turns_neutral_when_the_engine_is_silent_and_leaves_when_it_stays_gone(
    pygame_headless, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.ui.child import app
    from soundness_live.ui.child.placement import Placement

    engine = FakeEngine(dict(_state("go"), snapshot_hz=10.0))
    view = app.ChildView(engine, Placement(size=SMALL), fps=200)
    view.run(max_frames=3)
    assert view.painter.shown is not None and view.painter.shown.name == "go"
    engine.last_message_s = time.monotonic() - app.SILENT_S - 0.1  # silent, not gone
    view.run(max_frames=3)
    assert view.painter.shown.name == "neutral" and view.running
    assert app.silent_limit_s({"snapshot_hz": 0.5}) == 6.0  # three periods when it sends few
    engine.last_message_s, engine.closed = time.monotonic(), True
    monkeypatch.setattr(app, "WAIT_FOR_ENGINE_S", 0.3)
    started_s = time.monotonic()
    frames = view.run(max_frames=1000)
    assert not view.running and frames < 1000 and time.monotonic() - started_s >= 0.3
    assert view.painter.shown.name == "neutral"
    view.close()


def test_the_words_for_adults_can_be_left_out(pygame_headless) -> None:
    from soundness_live.ui.child import app
    from soundness_live.ui.child.placement import Placement

    engine = FakeEngine(dict(_state("wait"), snapshot_hz=10.0))
    worded = app.ChildView(engine, Placement(size=SMALL), fps=200)
    worded.run(max_frames=2)
    wordless = app.ChildView(engine, Placement(size=SMALL), fps=200, words=False)
    wordless.run(max_frames=2)
    assert worded.painter.shown is not None and worded.painter.shown.word == "wait"
    assert wordless.painter.shown is not None and wordless.painter.shown.word == ""
    wordless.close()


def test_the_child_view_bench_runs_and_prints_a_row_per_scene_and_size(
    pygame_headless, capsys: pytest.CaptureFixture[str]
) -> None:
    from soundness_live.cli import main

    assert main(["bench", "child-view", "--seconds", "0.2"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [(row[0], row[-5]) for row in rows] == [
        (scene.split()[0], f"{w}x{h}") for w, h in SIZES for scene in ("still", "pulse",
                                                                       "countdown", "new")
    ]  # fmt: skip


def test_a_snapshot_the_view_cannot_read_shows_neutral_and_is_named_once(
    pygame_headless, capsys: pytest.CaptureFixture[str]
) -> None:
    from soundness_live.ui.child import app
    from soundness_live.ui.child.placement import Placement

    bad = {"cue": "beat", "at_ms": "soon", "ioi_ms": 500.0}
    engine = FakeEngine(dict(_state("beat"), cue=bad, snapshot_hz=10.0))
    view = app.ChildView(engine, Placement(size=SMALL), fps=200)
    view.run(max_frames=5)
    assert view.running and view.painter.shown is not None
    assert view.painter.shown.name == "neutral"
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "child view: a snapshot could not be read (expected a cue as the engine sends it, got "
        f"{bad!r}): ValueError: could not convert string to float: 'soon'; showing the "
        "neutral screen"
    ]
    engine.state = dict(_state("beat"), snapshot_hz=10.0)  # the next good one shows again
    view.run(max_frames=2)
    assert view.painter.shown.name == "beat"
    view.close()


def test_a_saved_picture_appears_in_its_folder_only_whole(
    pygame_headless, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whoever watches the pictures folder (a test, a person) never opens a half-written PNG:
    each is written aside and moved into the folder whole."""
    from soundness_live.ui.child import app
    from soundness_live.ui.child.placement import Placement

    written: list[Path] = []
    save = pygame_headless.image.save  # type: ignore[attr-defined]

    def watched_save(surface: object, name: str) -> None:
        written.append(Path(name))
        save(surface, name)

    monkeypatch.setattr(pygame_headless.image, "save", watched_save)  # type: ignore[attr-defined]
    view = app.ChildView(FakeEngine(dict(_state("go"), snapshot_hz=10.0)),
                         Placement(size=SMALL), fps=200, save_pictures=tmp_path)  # fmt: skip
    view.run(max_frames=40)
    view.close()
    shown = sorted(path.name for path in tmp_path.glob("*.png"))
    assert shown and [path.name for path in written] == shown
    assert all(path.parent != tmp_path for path in written)
    assert pygame_headless.image.load(str(tmp_path / shown[-1])).get_size() == SMALL  # type: ignore[attr-defined]
