"""What the therapist's-screen tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture()
def fonts_ready(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pygame's fonts, on SDL's dummy video driver (no screen), closed again after the test."""
    import pygame

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    yield
    pygame.font.quit()
    pygame.display.quit()


@pytest.fixture()
def headless(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SDL's dummy video driver (no screen) for a window made in the test, closed after it."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    import pygame

    pygame.display.quit()
