"""The therapist screen drawn retained: only what changed since the last frame.

A frame that shows what the last one showed costs no drawing at all; a beat pulse redraws the
disc's square; the voice meter redraws its own box; a tap or a new activity redraws the whole
screen once. Each changed region is drawn by clipping the full drawing to it (static layer
blitted from a cached copy, then the cue and status layers), so the screen always holds exactly
the pixels :func:`.screens.draw_screen` would draw — the tests compare the two.
"""

from __future__ import annotations

import pygame

from .animation import CueArea, CueLook, MeterArea, MeterLook
from .controls import Button, Layout, Rect, View
from .images import Fonts
from .plan_panel import draw_plan, plan_key
from .screens import (
    draw_cue,
    draw_static,
    draw_status,
    meter_bounds,
    status_foot_top,
    status_key,
)


def union(rects: list[Rect]) -> Rect:
    """The smallest rectangle holding all of ``rects`` (at least one)."""
    left, top = min(r.x for r in rects), min(r.y for r in rects)
    right, bottom = max(r.x + r.w for r in rects), max(r.y + r.h for r in rects)
    return Rect(left, top, right - left, bottom - top)


class ScreenPainter:
    """Draws frames of the therapist screen onto one surface, each only where it changed."""

    def __init__(self) -> None:
        self.cue = CueArea()
        self.meter = MeterArea()
        self.fonts: Fonts | None = None
        self.cue_look: CueLook | None = None  # what the surface shows now
        self.meter_look: MeterLook | None = None
        self._static: pygame.Surface | None = None
        self._static_key: tuple[tuple[int, int], tuple[Button, ...], str | None] | None = None
        self._status_key = ""
        self._plan_key = ""

    def invalidate(self) -> None:
        """Draw everything on the next frame (the window was exposed or its pixels lost)."""
        self._static_key = None

    def paint(
        self, surface: pygame.Surface, layout: Layout, view: View, now_s: float
    ) -> list[pygame.Rect]:
        """Bring ``surface`` up to this frame; the rectangles that changed (empty: none)."""
        if self.fonts is None or self.fonts.scale != layout.scale:
            self.fonts = Fonts(layout.scale)
            self.invalidate()
        fonts = self.fonts
        cue_rect, status_rect = layout.regions["cue"], layout.regions["status"]
        cue = self.cue.look(cue_rect, view.state, now_s)
        above = status_foot_top(status_rect, view, fonts) - fonts.body.get_height()
        meter = self.meter.look(view.state, status_rect, layout.scale, now_s, above)
        status, plan = status_key(view, meter), plan_key(view)
        static_key = (surface.get_size(), layout.buttons, view.child)
        if static_key != self._static_key or self._static is None:
            self._static = pygame.Surface(surface.get_size(), 0, surface)
            draw_static(self._static, layout, view, fonts)
            dirty = [Rect(0, 0, *surface.get_size())]
        else:
            dirty = self._cue_dirty(cue_rect, cue)
            if status != self._status_key:
                dirty.append(status_rect)
            elif meter != self.meter_look and meter is not None:
                dirty.append(meter_bounds(meter, fonts))
            if plan != self._plan_key:
                dirty.append(layout.regions["plan"])
        self._static_key, self._status_key, self._plan_key = static_key, status, plan
        self.cue_look, self.meter_look = cue, meter
        return [self._redraw(surface, rect, layout, view) for rect in dirty]

    def _cue_dirty(self, rect: Rect, cue: CueLook) -> list[Rect]:
        """The whole cue area when its colour or word changed; only the pulse's square(s)
        when the pulse alone moved; nothing when it looks the same."""
        last = self.cue_look
        if last == cue:
            return []
        if last is None or (last.colour, last.word) != (cue.colour, cue.word):
            return [rect]
        boxes = [disc.box for disc in (last.disc, cue.disc) if disc is not None]
        return [union(boxes)] if boxes else []  # the two squares mostly overlap: one redraw

    def _redraw(
        self, surface: pygame.Surface, rect: Rect, layout: Layout, view: View
    ) -> pygame.Rect:
        """Every layer, clipped to ``rect``: the same pixels as the full drawing there."""
        assert self._static is not None and self.fonts is not None and self.cue_look is not None
        area = pygame.Rect(rect.x, rect.y, rect.w, rect.h).clip(surface.get_rect())
        surface.set_clip(area)
        try:
            surface.blit(self._static, area, area)
            cue_rect, status_rect = layout.regions["cue"], layout.regions["status"]
            if rect.overlaps(cue_rect):
                draw_cue(surface, cue_rect, self.cue_look, self.fonts)
            if rect.overlaps(status_rect):
                draw_status(surface, status_rect, view, self.fonts, self.meter_look)
            if rect.overlaps(layout.regions["plan"]):
                draw_plan(surface, layout.regions["plan"], view, self.fonts)
        finally:
            surface.set_clip(None)
        return area
