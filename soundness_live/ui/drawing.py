"""Drawing helpers every page uses: text centred or from a corner (never spilling over its
width), text wrapped into lines of whole words, and drawing clipped to a rectangle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def clip_lines(text: str, measure: Callable[[str], int], width: int, max_lines: int) -> list[str]:
    """``text`` wrapped into at most ``max_lines`` readable lines: what does not fit is cut at a
    word and marked with an ellipsis (never shrunk; the engine log keeps the whole reason)."""
    lines = wrap(text, measure, width, len(text.split()) or 1)
    if len(lines) <= max_lines:
        return lines
    kept, last = lines[: max_lines - 1], lines[max_lines - 1].split()
    while last and measure(" ".join(last) + " …") > width:
        last.pop()
    return kept + [" ".join(last) + " …"]


def wrap(text: str, measure: Callable[[str], int], width: int, max_lines: int) -> list[str]:
    """``text`` in lines no wider than ``width`` (by ``measure``), words kept whole; what does
    not fit in ``max_lines`` joins the last line (which is then drawn smaller)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if line and measure(joined) > width:
            lines.append(line)
            line = word
        else:
            line = joined
    lines.append(line)
    if len(lines) <= max_lines:
        return lines
    return lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
