"""Drawing the child's view with pygame: a look rendered, and frames painted where they change.

:func:`render` fills a look's background and draws its shapes in order, anti-aliased
(``pygame.gfxdraw``), then the small word for adults. :class:`ChildPainter` brings the window
up to each frame's look drawing only what changed: nothing when the look is the same, the
pulse's square when only the pulse moved, and, when the picture changes, a fade of the new
one over the old at most :data:`~.calm.MAX_FADE_STEP` alpha levels a frame (:mod:`.calm`).
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the environment variable that silences its banner
import pygame.gfxdraw  # noqa: E402

from .calm import WORDS, fade_step  # noqa: E402
from .looks import Look  # noqa: E402
from .shapes import HOLE, Disc, Shape  # noqa: E402

Area = tuple[int, int, int, int]  # left, top, width, height


class Words:
    """The fonts of the words for adults, one per pixel size, made once."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}

    def font(self, px: int) -> pygame.font.Font:
        """The font ``px`` pixels high."""
        if px not in self._fonts:
            if not pygame.font.get_init():
                pygame.font.init()
            self._fonts[px] = pygame.font.Font(None, px)
        return self._fonts[px]


def render(surface: pygame.Surface, look: Look, words: Words, area: Area | None = None) -> None:
    """Draw ``look`` on ``surface`` (only inside ``area`` when given)."""
    surface.set_clip(pygame.Rect(area) if area is not None else None)
    try:
        surface.fill(look.background)
        for shape in look.shapes:
            _draw(surface, shape, look.background)
        if look.word:
            image = words.font(look.word_px).render(look.word, True, WORDS, look.background)
            surface.blit(image, image.get_rect(center=look.word_centre))
    finally:
        surface.set_clip(None)


def _draw(surface: pygame.Surface, shape: Shape, background: tuple[int, int, int]) -> None:
    colour = background if shape.colour == HOLE else shape.colour
    if isinstance(shape, Disc):
        x, y, r = round(shape.x), round(shape.y), max(1, round(shape.radius))
        pygame.gfxdraw.filled_circle(surface, x, y, r, colour)
        pygame.gfxdraw.aacircle(surface, x, y, r, colour)
        return
    points = [(round(x), round(y)) for x, y in shape.points]
    pygame.gfxdraw.filled_polygon(surface, points, colour)
    pygame.gfxdraw.aapolygon(surface, points, colour)


def shapes_area(shapes: list[Shape], bounds: tuple[int, int]) -> Area | None:
    """The pixels ``shapes`` cover (with a pixel to spare for anti-aliasing), in ``bounds``."""
    if not shapes:
        return None
    boxes = [shape.box() for shape in shapes]
    left = max(0, int(min(b[0] for b in boxes)) - 2)
    top = max(0, int(min(b[1] for b in boxes)) - 2)
    right = min(bounds[0], int(max(b[2] for b in boxes)) + 3)
    bottom = min(bounds[1], int(max(b[3] for b in boxes)) + 3)
    return left, top, max(0, right - left), max(0, bottom - top)


class ChildPainter:
    """Paints looks onto the window's surface, each frame only where it changed."""

    def __init__(self) -> None:
        self.words = Words()
        self.shown: Look | None = None  # the look the surface holds (or fades toward)
        self.alpha = 255  # how far the fade toward ``shown`` has come, in alpha levels
        self._old: pygame.Surface | None = None  # what was on the window when the fade began
        self._new: pygame.Surface | None = None

    @property
    def settled(self) -> bool:
        """Whether the surface shows its look whole (no fade under way)."""
        return self.shown is not None and self.alpha >= 255

    def invalidate(self) -> None:
        """Draw everything on the next frame (the window's pixels were lost)."""
        self.shown, self.alpha, self._old = None, 255, None

    def paint(self, surface: pygame.Surface, look: Look, elapsed_s: float) -> list[Area]:
        """Bring ``surface`` toward ``look``; the areas that changed (empty: none)."""
        size = surface.get_size()
        whole = (0, 0, *size)
        last = self.shown
        if last is None:
            render(surface, look, self.words)
            self.shown, self.alpha = look, 255
            return [whole]
        if (look.name, look.background, look.word) != (last.name, last.background, last.word):
            self._old, self.alpha = surface.copy(), 0  # a new picture: fade it in
        self.shown = look
        if self.alpha < 255:
            self._fade(surface, look, elapsed_s)
            return [whole]
        if look == last:
            return []
        moved = list(set(look.shapes) ^ set(last.shapes))
        area = shapes_area(moved, size) if look.word_px == last.word_px else whole
        if area is None:
            return []
        render(surface, look, self.words, area)
        return [area]

    def _fade(self, surface: pygame.Surface, look: Look, elapsed_s: float) -> None:
        self.alpha = min(255, self.alpha + fade_step(elapsed_s))
        if self._new is None or self._new.get_size() != surface.get_size():
            self._new = pygame.Surface(surface.get_size())
        render(self._new, look, self.words)
        if self.alpha >= 255 or self._old is None:
            surface.blit(self._new, (0, 0))
            self._old = None
            return
        surface.blit(self._old, (0, 0))
        self._new.set_alpha(self.alpha)
        surface.blit(self._new, (0, 0))
        self._new.set_alpha(None)
