"""Drawing the therapist screen with pygame-ce (layout and hit-testing live in widgets.py)."""

from __future__ import annotations

import time
from typing import Any

import pygame

from .widgets import Button, Colour, Layout, Rect, View, cue_words, fade, pulse

BACKGROUND = (28, 31, 36)
PANEL = (40, 44, 52)
TEXT = (230, 232, 236)
MUTED = (150, 156, 166)
BUTTON = (62, 70, 84)
SELECTED = (64, 120, 170)
DANGER = (170, 70, 60)
DISABLED = (46, 50, 58)
OUTCOME_COLOURS = {
    "correct": (90, 160, 110),
    "partial": (180, 160, 80),
    "incorrect": (170, 110, 90),
    "no_response": (120, 120, 130),
    "premature": (180, 130, 80),
    "void": (90, 90, 100),
}


class Fonts:
    """The screen's fonts, sized by the layout's scale."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.small = pygame.font.Font(None, max(12, round(24 * scale)))
        self.body = pygame.font.Font(None, max(14, round(30 * scale)))
        self.big = pygame.font.Font(None, max(20, round(44 * scale)))
        self.cue = pygame.font.Font(None, max(32, round(110 * scale)))


class CueArea:
    """The child-facing area: a calm colour that cross-fades, a word, a gentle beat pulse."""

    def __init__(self) -> None:
        self.colour: Colour = cue_words(None)[1]
        self.start: Colour = self.colour
        self.target: Colour = self.colour
        self.changed_s = 0.0

    def draw(self, surface: Any, rect: Rect, view: View, fonts: Fonts, now_s: float) -> None:
        """Draw the cue; colour changes fade over FADE_S instead of switching."""
        cue = view.state.get("cue")
        word, target = cue_words(cue)
        if target != self.target:
            self.start, self.target, self.changed_s = self.colour, target, now_s
        self.colour = fade(self.start, self.target, now_s - self.changed_s)
        box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
        pygame.draw.rect(surface, self.colour, box, border_radius=round(24 * fonts.scale))
        if cue and cue.get("ioi_ms"):
            self._pulse(surface, rect, view, cue, fonts)
        if word:
            _text(surface, fonts.cue, word, TEXT, box.center, int(rect.w * 0.9))

    def _pulse(self, surface: Any, rect: Rect, view: View, cue: dict, fonts: Fonts) -> None:
        now_ms = float(view.state.get("now_ms", 0.0)) + view.state.get("_age_ms", 0.0)
        size, alpha = pulse(now_ms, float(cue.get("at_ms", 0.0)), float(cue["ioi_ms"]))
        radius = round(min(rect.w, rect.h) * 0.18 * size)
        disc = pygame.Surface((2 * radius, 2 * radius), pygame.SRCALPHA)
        shade = (240, 240, 235, round(255 * alpha * 0.5))
        pygame.draw.circle(disc, shade, (radius, radius), radius)
        cx, cy = rect.center
        surface.blit(disc, (cx - radius, cy + rect.h // 4 - radius))


def _text(
    surface: Any, font: Any, text: str, colour: Colour, center: tuple[int, int], width: int = 0
) -> None:
    """Centred text, scaled down to ``width`` pixels when wider (a label never spills over)."""
    image = font.render(text, True, colour)
    if width and image.get_width() > width:
        ratio = width / image.get_width()
        image = pygame.transform.smoothscale(
            image, (width, max(1, round(image.get_height() * ratio)))
        )
    surface.blit(image, image.get_rect(center=center))


def _left_text(surface: Any, font: Any, text: str, colour: Colour, x: int, y: int) -> int:
    image = font.render(text, True, colour)
    surface.blit(image, (x, y))
    return y + image.get_height() + 4


def draw_button(surface: Any, button: Button, fonts: Fonts) -> None:
    """One touch target."""
    colour = BUTTON
    if button.kind == "danger":
        colour = DANGER
    elif button.selected:
        colour = SELECTED
    if not button.enabled:
        colour = DISABLED
    r = button.rect
    box = pygame.Rect(r.x, r.y, r.w, r.h)
    pygame.draw.rect(surface, colour, box, border_radius=round(12 * fonts.scale))
    font = fonts.big if button.kind == "danger" else fonts.body
    label_colour = TEXT if button.enabled else MUTED
    _text(surface, font, button.label, label_colour, box.center, r.w - round(12 * fonts.scale))


def draw_status(surface: Any, rect: Rect, view: View, fonts: Fonts) -> None:
    """Devices, live figures, recent outcomes and the latest notice."""
    box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
    pygame.draw.rect(surface, PANEL, box, border_radius=round(16 * fonts.scale))
    pad = round(12 * fonts.scale)
    x, y = rect.x + pad, rect.y + pad
    state = view.state
    activity = state.get("activity") or "no activity running"
    y = _left_text(surface, fonts.body, str(activity), TEXT, x, y)
    done, total = state.get("trials_done"), state.get("trials_total")
    if state.get("activity") and total:
        y = _left_text(surface, fonts.small, f"trial {done or 0} of {total}", MUTED, x, y)
    y = _figures(surface, fonts, state.get("figures") or {}, x, y + pad)
    y = _outcomes(surface, fonts, state.get("recent_trials") or [], x, y + pad)
    y = _devices(surface, fonts, state, x, y + pad)
    cap = state.get("volume_cap_dbfs")
    _left_text(surface, fonts.small, f"volume cap {cap:g} dBFS" if cap is not None else "", MUTED,
               x, y)  # fmt: skip
    if view.notice:
        where = (box.centerx, rect.y + rect.h - 3 * pad)
        _text(surface, fonts.small, view.notice, (240, 200, 120), where, rect.w - 2 * pad)


def _figures(surface: Any, fonts: Fonts, figures: dict, x: int, y: int) -> int:
    lines = []
    if "taps" in figures:
        lines.append(f"taps {figures['taps']}: on the beat {figures['on_beat']}")
        lines.append(f"early {figures['early']}  late {figures['late']}")
    for key, label in (
        ("notes_correct_pct", "notes correct %"),
        ("reaction_time_ms", "reaction ms"),
        ("notes_in_freeze", "notes in freeze"),
        ("mean_asynchrony_ms", "mean asynchrony ms"),
    ):
        if key in figures:
            lines.append(f"{label}: {figures[key]:.0f}")
    if "waited_for_turn" in figures:
        lines.append("waited for turn" if figures["waited_for_turn"] else "did not wait")
    for line in lines[:5]:
        y = _left_text(surface, fonts.small, line, TEXT, x, y)
    return y


def _outcomes(surface: Any, fonts: Fonts, recent: list, x: int, y: int) -> int:
    size = round(22 * fonts.scale)
    for i, trial in enumerate(recent[-8:]):
        colour = OUTCOME_COLOURS.get(trial.get("outcome"), MUTED)
        square = pygame.Rect(x + i * (size + 6), y, size, size)
        pygame.draw.rect(surface, colour, square, border_radius=4)
    if recent:
        y += size + 4
        y = _left_text(surface, fonts.small, f"last: {recent[-1].get('outcome')}", MUTED, x, y)
    return y


def _devices(surface: Any, fonts: Fonts, state: dict, x: int, y: int) -> int:
    devices = state.get("devices") or []
    if not devices:
        return _left_text(surface, fonts.small, "no MIDI device connected", MUTED, x, y)
    for device in devices[:4]:
        kind = "drum pad" if device.get("kind") == "pad" else "keyboard"
        up = device.get("connected")
        colour = (140, 200, 140) if up else (230, 150, 120)
        text = f"{kind}: {'connected' if up else 'disconnected'}"
        y = _left_text(surface, fonts.small, text, colour, x, y)
    return y


def draw_screen(surface: Any, layout: Layout, view: View, fonts: Fonts, cue: CueArea) -> None:
    """The whole therapist screen."""
    surface.fill(BACKGROUND)
    title = layout.regions["title"]
    child = view.child or "pick a child"
    _left_text(surface, fonts.big, "Soundness", TEXT, title.x, title.y)
    _left_text(surface, fonts.small, str(child), MUTED, title.x, title.y + round(44 * fonts.scale))
    for button in layout.buttons:
        draw_button(surface, button, fonts)
    cue.draw(surface, layout.regions["cue"], view, fonts, time.monotonic())
    draw_status(surface, layout.regions["status"], view, fonts)
