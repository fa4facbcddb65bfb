"""The therapist screen's colours (calm, high-contrast text on dark panels)."""

from __future__ import annotations

BACKGROUND = (28, 31, 36)
PANEL = (40, 44, 52)
TEXT = (230, 232, 236)
MUTED = (150, 156, 166)
NOTICE = (240, 200, 120)
BUTTON = (62, 70, 84)
SELECTED = (64, 120, 170)
DANGER = (170, 70, 60)
DISABLED = (46, 50, 58)
TRACK = (30, 33, 40)
LEVEL = (90, 140, 170)
ON_PITCH = (55, 90, 72)
NEEDLE = (236, 236, 226)
DEVICE_UP = (140, 200, 140)
DEVICE_DOWN = (230, 150, 120)
PULSE = (240, 240, 235)
OUTCOME_COLOURS = {
    "correct": (90, 160, 110),
    "partial": (180, 160, 80),
    "incorrect": (170, 110, 90),
    "no_response": (120, 120, 130),
    "premature": (180, 130, 80),
    "void": (90, 90, 100),
}
