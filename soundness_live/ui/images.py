"""The screen's fonts and the images drawn from them, rendered once and reused.

``font.render`` and ``smoothscale`` cost far more than a blit, and nearly every label on the
therapist screen is the same from one frame to the next: :class:`Fonts` keeps each rendered
label (and each beat-pulse disc) in a small least-recently-used cache, so a frame that shows
what the last one showed renders no text at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pygame

from .palette import PULSE
from .widgets import Colour


class ImageCache:
    """A least-recently-used store of surfaces, at most ``capacity`` of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.made = 0  # how many images were made (tests and benches read it)
        self._images: dict[Hashable, pygame.Surface] = {}

    def get(self, key: Hashable, make: Callable[[], pygame.Surface]) -> pygame.Surface:
        """The image for ``key``, made by ``make()`` only when it is not stored."""
        image = self._images.pop(key, None)
        if image is None:
            image = make()
            self.made += 1
            if len(self._images) >= self.capacity:  # the least recently used goes
                del self._images[next(iter(self._images))]
        self._images[key] = image  # (re)inserted last: the most recently used
        return image

    def __len__(self) -> int:
        return len(self._images)


SMALLEST_FONT_PX = 28  # pygame's font at 28 px draws lines 19 px high: status text >= 18 px


class Fonts:
    """The screen's fonts, sized by the layout's scale (never smaller than
    :data:`SMALLEST_FONT_PX`, so status text reads at arm's length), and the images drawn
    with them."""

    def __init__(self, scale: float, capacity: int = 256) -> None:
        self.scale = scale
        self.small = pygame.font.Font(None, max(SMALLEST_FONT_PX, round(28 * scale)))
        self.body = pygame.font.Font(None, max(32, round(34 * scale)))
        self.big = pygame.font.Font(None, max(40, round(46 * scale)))
        self.cue = pygame.font.Font(None, max(32, round(56 * scale)))
        self.images = ImageCache(capacity)

    def text(
        self, font: pygame.font.Font, text: str, colour: Colour, width: int = 0
    ) -> pygame.Surface:
        """``text`` rendered in ``font``, scaled down to ``width`` pixels when wider."""
        return self.images.get(("text", id(font), text, colour, width),
                               lambda: _render(font, text, colour, width))  # fmt: skip

    def disc(self, radius: int, alpha: int) -> pygame.Surface:
        """The beat pulse: a soft white disc of ``radius`` pixels at ``alpha`` (0..255)."""
        return self.images.get(("disc", radius, alpha), lambda: _disc(radius, alpha))


def _render(font: pygame.font.Font, text: str, colour: Colour, width: int) -> pygame.Surface:
    image = font.render(text, True, colour)
    if width and image.get_width() > width:  # a label never spills over its box
        height = max(1, round(image.get_height() * width / image.get_width()))
        image = pygame.transform.smoothscale(image, (width, height))
    return image


def _disc(radius: int, alpha: int) -> pygame.Surface:
    disc = pygame.Surface((2 * radius, 2 * radius), pygame.SRCALPHA)
    pygame.draw.circle(disc, (*PULSE, alpha), (radius, radius), radius)
    return disc
