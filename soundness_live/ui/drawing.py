"""Drawing helpers every page uses: text centred or from a corner (never spilling over its
width), text wrapped into lines of whole words, and drawing clipped to a rectangle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pygame

from .controls import Rect
from .images import Fonts
from .palette import TEXT
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


def fit_label(
    fonts: Fonts, font: pygame.font.Font, label: str, width: int, height: int
) -> tuple[pygame.font.Font, list[str]]:
    """The font and lines that show ``label`` within ``width`` x ``height`` at the largest
    size: one line, else two lines split at a space, else the same in the small font (the
    caller shrinks what still does not fit, as a last resort)."""
    options = [(font, [label]), (font, two_lines(font, label))]
    options += [(fonts.small, [label]), (fonts.small, two_lines(fonts.small, label))]
    for chosen, lines in options:
        tall = chosen.get_linesize() * len(lines)
        if tall <= height and all(chosen.size(line)[0] <= width for line in lines):
            return chosen, lines
    return options[-1]


def two_lines(font: pygame.font.Font, label: str) -> list[str]:
    """``label`` split at the space that makes its wider line narrowest (one line without a
    space)."""
    words = label.split()
    if len(words) < 2:
        return [label]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(font.size(part)[0] for part in pair)))


def draw_label(
    surface: pygame.Surface, fonts: Fonts, font: pygame.font.Font, label: str, colour: Colour,
    box: pygame.Rect, pad: int,
) -> None:  # fmt: skip
    """``label`` centred in ``box`` (``pad`` pixels in from its edges), fitted by
    :func:`fit_label`."""
    chosen, lines = fit_label(fonts, font, label, box.w - 2 * pad, box.h - pad)
    step = chosen.get_linesize()
    top = box.centery - step * len(lines) // 2 + step // 2
    for row, line in enumerate(lines):
        draw_text(surface, fonts, chosen, line, colour, (box.centerx, top + row * step),
                  box.w - 2 * pad)  # fmt: skip


def chosen_inset(scale: float) -> int:
    """How far a chosen button's words keep from its left edge: clear of its tick."""
    return max(3, round(5 * scale)) + max(10, round(16 * scale)) + max(2, round(3 * scale))


def draw_chosen(surface: pygame.Surface, rect: Rect, scale: float) -> None:
    """The chosen button of a choice beyond its colour: a light border and a tick in its top
    left corner (a screen in greys, or a therapist who does not tell the blues apart, still
    sees which one is chosen)."""
    box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
    line_px = max(2, round(3 * scale))
    pygame.draw.rect(surface, TEXT, box, width=line_px, border_radius=max(6, round(10 * scale)))
    size = max(10, round(16 * scale))
    x, y = rect.x + line_px + max(3, round(5 * scale)), rect.y + line_px + max(3, round(5 * scale))
    tick = [(x, y + size // 2), (x + size // 3, y + size - 2), (x + size, y)]
    pygame.draw.lines(surface, TEXT, False, tick, line_px)
