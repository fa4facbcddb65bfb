"""Drawing the therapist screen with pygame-ce (layout and hit-testing live in widgets.py)."""

from __future__ import annotations

import time
from typing import Any

import pygame

from .widgets import (
    FADE_S,
    METER_FLOOR_DB,
    NEEDLE_CENTS,
    Button,
    Colour,
    Layout,
    Rect,
    View,
    cents_off,
    cue_words,
    diagnostics_text,
    ease,
    fade,
    meter_layout,
    pitch_label,
    pulse,
)

BACKGROUND = (28, 31, 36)
PANEL = (40, 44, 52)
TEXT = (230, 232, 236)
MUTED = (150, 156, 166)
BUTTON = (62, 70, 84)
SELECTED = (64, 120, 170)
DANGER = (170, 70, 60)
DISABLED = (46, 50, 58)
TRACK = (30, 33, 40)
LEVEL = (90, 140, 170)
ON_PITCH = (55, 90, 72)
NEEDLE = (236, 236, 226)
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


class MeterArea:
    """The child's voice while it is their turn: a level bar and the sung pitch against the
    target note. Values glide (``ease``) and the needle fades in and out as the voice comes
    and goes, so nothing jumps or flashes at the meter's 20 readings a second."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last turn (the next one starts from silence)."""
        self.level_db, self.cents, self.presence = METER_FLOOR_DB, 0.0, 0.0
        self.drawn_s: float | None = None

    def glide(self, reading: dict, now_s: float) -> str:
        """Move the shown level, pitch and needle toward ``reading`` ({pitch_hz, level_db,
        target_hz}); the label to show ("G4 +12 cents", from the glided pitch)."""
        elapsed_s = 0.0 if self.drawn_s is None else now_s - self.drawn_s
        self.drawn_s = now_s
        pitch_hz, target_hz = reading.get("pitch_hz"), reading.get("target_hz")
        self.level_db = ease(self.level_db, float(reading.get("level_db", METER_FLOOR_DB)),
                             elapsed_s)  # fmt: skip
        heard = pitch_hz is not None and target_hz is not None
        if pitch_hz is not None and target_hz is not None:
            limit = 2 * NEEDLE_CENTS  # an octave slip glides back as fast as a small one
            cents = min(limit, max(-limit, cents_off(pitch_hz, target_hz)))
            self.cents = ease(self.cents, cents, elapsed_s)
            pitch_hz = target_hz * 2 ** (self.cents / 1200)
        self.presence = ease(self.presence, 1.0 if heard else 0.0, elapsed_s)
        return pitch_label(pitch_hz, target_hz)

    def draw(self, surface: Any, box: Rect, reading: dict, fonts: Fonts, now_s: float) -> None:
        """Draw the meter for ``reading`` in ``box``."""
        label = self.glide(reading, now_s)
        shown = self.cents if self.presence > 0.05 else None
        parts = meter_layout(box, fonts.scale, self.level_db, shown)
        _left_text(surface, fonts.small, "voice", MUTED, box.x, box.y)
        centre = (box.x + box.w * 5 // 8, box.y + round(10 * fonts.scale))
        _text(surface, fonts.body, label, TEXT, centre, box.w * 3 // 4)
        for rect, colour in (
            (parts.level, TRACK),
            (parts.level_fill, LEVEL),
            (parts.track, TRACK),
            (parts.zone, ON_PITCH),
        ):
            pygame.draw.rect(surface, colour, pygame.Rect(rect.x, rect.y, rect.w, rect.h))
        below = parts.track.y + parts.track.h + 2
        _left_text(surface, fonts.small, "flat", MUTED, box.x, below)
        sharp = fonts.small.size("sharp")[0]
        _left_text(surface, fonts.small, "sharp", MUTED, box.x + box.w - sharp, below)
        if parts.needle is not None:
            n = parts.needle
            colour = fade(ON_PITCH, NEEDLE, self.presence * FADE_S)
            pygame.draw.rect(surface, colour, pygame.Rect(n.x, n.y, n.w, n.h))


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


def _left_text(
    surface: Any, font: Any, text: str, colour: Colour, x: int, y: int, width: int = 0
) -> int:
    """Text from (x, y), scaled down to ``width`` pixels when wider; the next line's y."""
    image = font.render(text, True, colour)
    if width and image.get_width() > width:
        size = (width, max(1, round(image.get_height() * width / image.get_width())))
        image = pygame.transform.smoothscale(image, size)
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


def draw_status(
    surface: Any, rect: Rect, view: View, fonts: Fonts, meter: MeterArea | None = None
) -> None:
    """Devices, live figures, recent outcomes, the timing counters, the voice meter during the
    child's turn, and the latest notice."""
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
    y = _left_text(surface, fonts.small, f"volume cap {cap:g} dBFS" if cap is not None else "",
                   MUTED, x, y)  # fmt: skip
    _left_text(surface, fonts.small, diagnostics_text(state), MUTED, x, y, rect.w - 2 * pad)
    if meter is not None:
        _voice_meter(surface, rect, state, fonts, meter)
    if view.notice:
        where = (box.centerx, rect.y + rect.h - 3 * pad)
        _text(surface, fonts.small, view.notice, (240, 200, 120), where, rect.w - 2 * pad)


def _voice_meter(surface: Any, rect: Rect, state: dict, fonts: Fonts, meter: MeterArea) -> None:
    """The meter above the notice line, while the microphone listens on the child's turn."""
    reading = state.get("voice_meter")
    if not reading or (state.get("cue") or {}).get("cue") != "your_turn":
        meter.reset()
        return
    pad, scale = round(12 * fonts.scale), fonts.scale
    box = Rect(rect.x + pad, rect.y + rect.h - round(176 * scale), rect.w - 2 * pad,
               round(104 * scale))  # fmt: skip
    meter.draw(surface, box, reading, fonts, time.monotonic())


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


def draw_screen(
    surface: Any,
    layout: Layout,
    view: View,
    fonts: Fonts,
    cue: CueArea,
    meter: MeterArea | None = None,
) -> None:
    """The whole therapist screen (the voice meter when ``meter`` is given)."""
    surface.fill(BACKGROUND)
    title = layout.regions["title"]
    child = view.child or "pick a child"
    _left_text(surface, fonts.big, "Soundness", TEXT, title.x, title.y)
    _left_text(surface, fonts.small, str(child), MUTED, title.x, title.y + round(44 * fonts.scale))
    for button in layout.buttons:
        draw_button(surface, button, fonts)
    cue.draw(surface, layout.regions["cue"], view, fonts, time.monotonic())
    draw_status(surface, layout.regions["status"], view, fonts, meter)
