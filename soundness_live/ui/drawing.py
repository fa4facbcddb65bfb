"""Drawing helpers every page uses: text centred or from a corner (never spilling over its
width), and drawing clipped to a rectangle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pygame

from .controls import Rect
from .images import Fonts
from .widgets import Colour


@contextmanager
def clipped(surface: pygame.Surface, rect: Rect) -> Iterator[pygame.Rect]:
    """Draw only inside ``rect`` (and inside any clip already set) for the ``with`` block."""
    before = surface.get_clip()
    inside = before.clip(pygame.Rect(rect.x, rect.y, rect.w, rect.h))
    surface.set_clip(inside)
    try:
        yield inside
    finally:
        surface.set_clip(before)


def draw_text(
    surface: pygame.Surface,
    fonts: Fonts,
    font: pygame.font.Font,
    text: str,
    colour: Colour,
    center: tuple[int, int],
    width: int = 0,
) -> None:
    """Centred text, scaled down to ``width`` pixels when wider (a label never spills over)."""
    image = fonts.text(font, text, colour, width)
    surface.blit(image, image.get_rect(center=center))


def draw_left(
    surface: pygame.Surface,
    fonts: Fonts,
    font: pygame.font.Font,
    text: str,
    colour: Colour,
    x: int,
    y: int,
    width: int = 0,
) -> int:
    """Text from (x, y), scaled down to ``width`` pixels when wider; the next line's y."""
    image = fonts.text(font, text, colour, width)
    surface.blit(image, (x, y))
    return y + image.get_height() + 4
