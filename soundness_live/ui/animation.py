"""The screen's gentle animations as plain values: what the cue area and the voice meter show
this frame. Pure (no pygame): the painter compares one frame's looks with the last to find
what changed, and draws only that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..activities.contract import Cue
from .controls import Rect
from .palette import NEEDLE, ON_PITCH
from .widgets import (
    FADE_S,
    METER_FLOOR_DB,
    NEEDLE_CENTS,
    Colour,
    MeterLayout,
    cents_off,
    cue_words,
    ease,
    fade,
    meter_layout,
    pitch_label,
    pulse,
)


@dataclass(frozen=True)
class Disc:
    """The beat pulse: a soft disc centred at (x, y), ``radius`` pixels, ``alpha`` 0..255."""

    x: int
    y: int
    radius: int
    alpha: int

    @property
    def box(self) -> Rect:
        """The square the disc is drawn in."""
        return Rect(self.x - self.radius, self.y - self.radius, 2 * self.radius, 2 * self.radius)


@dataclass(frozen=True)
class CueLook:
    """The cue area in one frame: its colour, its word, and the beat pulse (None without)."""

    colour: Colour
    word: str
    disc: Disc | None


class CueArea:
    """The child-facing area: a calm colour that cross-fades, a word, a gentle beat pulse."""

    def __init__(self) -> None:
        self.colour: Colour = cue_words(None)[1]
        self.start: Colour = self.colour
        self.target: Colour = self.colour
        self.changed_s = 0.0

    def look(self, rect: Rect, state: dict[str, Any], now_s: float) -> CueLook:
        """This frame's cue in ``rect``; colour changes fade over FADE_S instead of switching."""
        cue = state.get("cue")
        word, target = cue_words(cue)
        if target != self.target:
            self.start, self.target, self.changed_s = self.colour, target, now_s
        self.colour = fade(self.start, self.target, now_s - self.changed_s)
        disc = None
        if cue and cue.get("ioi_ms"):
            now_ms = float(state.get("now_ms", 0.0)) + state.get("_age_ms", 0.0)
            size, alpha = pulse(now_ms, float(cue.get("at_ms", 0.0)), float(cue["ioi_ms"]))
            radius = round(min(rect.w, rect.h) * 0.18 * size)
            cx, cy = rect.center
            disc = Disc(cx, cy + rect.h // 4, radius, round(255 * alpha * 0.5))
        return CueLook(self.colour, word, disc)


@dataclass(frozen=True)
class MeterLook:
    """The voice meter in one frame: its box, label, parts and the needle's colour."""

    box: Rect
    label: str
    parts: MeterLayout
    needle_colour: Colour


def meter_box(status: Rect, scale: float, bottom: int | None = None) -> Rect:
    """Where the voice meter sits in the status panel: near its foot, and wholly above
    ``bottom`` (where the foot's lines begin, less the room its labels take below the box),
    so it never covers the notice, the devices or the volume cap."""
    pad, high = round(12 * scale), round(104 * scale)
    y = status.y + status.h - round(176 * scale)
    if bottom is not None:
        y = min(y, bottom - high)
    return Rect(status.x + pad, y, status.w - 2 * pad, high)


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

    def glide(self, reading: dict[str, Any], now_s: float) -> str:
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

    def look(
        self,
        state: dict[str, Any],
        status: Rect,
        scale: float,
        now_s: float,
        bottom: int | None = None,
    ) -> MeterLook | None:
        """This frame's meter in the status panel (above ``bottom``: :func:`meter_box`), or
        None (and forget the turn) unless the microphone listens on the child's turn."""
        reading = state.get("voice_meter")
        if not reading or Cue.named((state.get("cue") or {}).get("cue")) is not Cue.YOUR_TURN:
            self.reset()
            return None
        box = meter_box(status, scale, bottom)
        label = self.glide(reading, now_s)
        shown = self.cents if self.presence > 0.05 else None
        parts = meter_layout(box, scale, self.level_db, shown)
        colour = fade(ON_PITCH, NEEDLE, self.presence * FADE_S) if shown is not None else NEEDLE
        return MeterLook(box, label, parts, colour)
