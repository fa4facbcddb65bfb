"""Drawing a page: its background, touch targets, words in regions, wrapped to fit."""

from __future__ import annotations

from collections.abc import Callable

import pygame

from ..controls import Button, Layout, Rect
from ..drawing import chosen_inset, draw_chosen
from ..images import Fonts
from ..palette import (
    BACKGROUND,
    BUTTON,
    DANGER,
    DISABLED,
    MUTED,
    NOTICE,
    PANEL,
    SELECTED,
    TEXT,
)
from ..widgets import Colour


def wrap(
    text: str, measure: Callable[[str], int], width: int, max_lines: int, tail: bool = False
) -> list[str]:
    """``text`` in lines no wider than ``width``, at most ``max_lines``: the first ones, the
    last ending "..." when words were left out (``tail``: the last ones, where typing goes)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if measure(trial) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    if len(lines) > max_lines and tail:
        return lines[-max_lines:]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" .") + " ..."
    return lines


def draw_button(surface: pygame.Surface, button: Button, fonts: Fonts) -> None:
    """One touch target: a rounded box and its label, greyed when it does nothing now."""
    colour = SELECTED if button.selected else BUTTON
    if button.kind == "danger":
        colour = DANGER
    if not button.enabled:
        colour = DISABLED
    r = button.rect
    box = pygame.Rect(r.x, r.y, r.w, r.h)
    pygame.draw.rect(surface, colour, box, border_radius=max(6, round(10 * fonts.scale)))
    pad = round(8 * fonts.scale)
    inner = Rect(r.x + pad, r.y + pad // 2, r.w - 2 * pad, r.h - pad)
    if button.selected and button.kind == "choice":
        draw_chosen(surface, r, fonts.scale)
        inset = chosen_inset(fonts.scale) - pad  # the words keep clear of the tick
        inner = Rect(inner.x + inset, inner.y, inner.w - inset, inner.h)
    draw_words(surface, inner, button.label, fonts, TEXT if button.enabled else MUTED, centre=True)


def draw_words(
    surface: pygame.Surface,
    rect: Rect,
    text: str,
    fonts: Fonts,
    colour: Colour = TEXT,
    big: bool = False,
    centre: bool = False,
    top: bool = False,
    typing: bool = False,
) -> None:
    """``text`` in ``rect``, wrapped to its width and cut to the lines that fit, in the
    middle of it (``top``: from its top; ``typing``: from its top, the last lines shown, as
    typed text is read)."""
    font = fonts.big if big else fonts.body
    line_px = font.get_linesize()
    lines = wrap(text, lambda t: font.size(t)[0], rect.w, max(1, rect.h // line_px), typing)
    middle = rect.y + max(0, (rect.h - line_px * len(lines)) // 2)
    first_y = rect.y if top or typing else middle
    for index, line in enumerate(lines):
        image = fonts.text(font, line, colour, rect.w)
        y = first_y + index * line_px
        x = rect.x + (rect.w - image.get_width()) // 2 if centre else rect.x
        surface.blit(image, (x, y))


def draw_panel(surface: pygame.Surface, rect: Rect) -> None:
    """A quiet panel behind a group of words or a plot."""
    box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
    pygame.draw.rect(surface, PANEL, box, border_radius=8)


def draw_frame(
    surface: pygame.Surface, layout: Layout, fonts: Fonts, title: str, notice: str
) -> None:
    """The page's background, title, notice line and every touch target."""
    surface.fill(BACKGROUND)
    regions = layout.regions
    if "title" in regions:
        draw_words(surface, regions["title"], title, fonts, big=True, centre=True)
    if notice and "notice" in regions:
        draw_words(surface, regions["notice"], notice, fonts, NOTICE)
    for button in layout.buttons:
        draw_button(surface, button, fonts)
