"""Driving the therapist's pages in tests: a host that is a real engine's client in this
process, taps found by button name through the hit-test layout, screenshots at each size."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygame

from soundness_live.live.client import EngineError
from soundness_live.live.commands import handle
from soundness_live.ui.controls import Button, Layout, View, hit_test
from soundness_live.ui.images import Fonts
from soundness_live.ui.pages.frame import MIN_TARGET_PX

SIZES = [(1280, 800), (1920, 1080), (800, 1280)]
SHOTS_ENV = "SOUNDNESS_LIVE_SCREENSHOTS"  # a folder: the tests leave every page's picture there


class EngineHost:
    """The window as a page sees it, over the engine in this process: a command or request
    goes through the engine's command table, as the engine's server would carry it out."""

    def __init__(self, engine: Any, size: tuple[int, int] = SIZES[0]) -> None:
        self.engine = engine
        state = engine.snapshot()
        self.view = View(state=state, child=state.get("child"))
        self.size = size
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.closed = 0
        self.sent: list[dict[str, Any]] = []

    def command(self, kind: str, /, **fields: Any) -> None:
        self.sent.append({"type": kind, **fields})
        reply = handle(self.engine, {"type": kind, **fields})
        if not reply["ok"]:
            self.view.notice = reply["error"]

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        self.sent.append({"type": kind, **fields})
        reply = handle(self.engine, {"type": kind, **fields})
        if not reply["ok"]:
            raise EngineError(reply["error"])
        return reply

    def open_page(self, name: str, **context: Any) -> None:
        self.opened.append((name, context))

    def close_page(self) -> None:
        self.closed += 1

    def refresh(self) -> None:
        """The engine's state as the window would have it now."""
        self.view.state = self.engine.snapshot()
        self.view.child = self.view.state.get("child")


def laid_out(page: Any, host: Any, size: tuple[int, int]) -> Layout:
    """The page's layout at ``size``, checked: every target and region inside the window, none
    overlapping another, every target at least 48 px each way, names unique."""
    width, height = size
    layout = page.layout(width, height, host.view)
    rects = [b.rect for b in layout.buttons] + list(layout.regions.values())
    for rect in rects:
        assert 0 <= rect.x and rect.x + rect.w <= width, (page.name, size, rect)
        assert 0 <= rect.y and rect.y + rect.h <= height, (page.name, size, rect)
    for index, one in enumerate(rects):
        for other in rects[index + 1 :]:
            assert not one.overlaps(other), (page.name, size, one, other)
    for button in layout.buttons:
        assert min(button.rect.w, button.rect.h) >= MIN_TARGET_PX, (page.name, size, button)
    names = [button.name for button in layout.buttons]
    assert len(names) == len(set(names)), names
    return layout


def button(layout: Layout, name: str) -> Button:
    """The button called ``name``."""
    found = [b for b in layout.buttons if b.name == name]
    assert found, (name, [b.name for b in layout.buttons])
    return found[0]


def tap(page: Any, host: Any, name: str, size: tuple[int, int] | None = None) -> None:
    """Tap the middle of the button called ``name``, found by the hit test as a finger would."""
    layout = laid_out(page, host, size or host.size)
    target = button(layout, name)
    assert target.enabled, (name, target)
    hit = hit_test(layout.buttons, *target.rect.center)
    assert hit is not None and hit.name == name
    page.tap(hit.name, host)


def type_keys(page: Any, host: Any, text: str) -> None:
    """Type ``text`` on the on-screen keyboard, tap by tap (shift before a capital)."""
    for char in text:
        if char == " ":
            tap(page, host, "kb:space")
            continue
        layout = laid_out(page, host, host.size)
        names = {b.name for b in layout.buttons}
        if f"kb:{char}" not in names and char.isalpha():
            tap(page, host, "kb:shift")
        elif f"kb:{char}" not in names:
            tap(page, host, "kb:symbols")
        tap(page, host, f"kb:{char}")
        if page.keyboard.symbols:
            tap(page, host, "kb:symbols")


def press(page: Any, host: Any, key: int, unicode: str = "") -> bool:
    """A real key press, as pygame delivers it."""
    return bool(page.key(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=unicode), host))


def screenshot(page: Any, host: Any, size: tuple[int, int], folder: Path, suffix: str = "") -> Path:
    """The page drawn at ``size`` into ``folder`` (also into $SOUNDNESS_LIVE_SCREENSHOTS)."""
    layout = laid_out(page, host, size)
    surface = pygame.Surface(size)
    page.draw(surface, layout, host.view, Fonts(layout.scale))
    name = f"page-{page.name}{'-' + suffix if suffix else ''}-{size[0]}x{size[1]}.png"
    path = folder / name
    pygame.image.save(surface, str(path))
    extra = os.environ.get(SHOTS_ENV)
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        pygame.image.save(surface, str(Path(extra) / name))
    return path
