"""How the child's playing sounds, and who plays: shared by live and headless runs.

The child's notes sound through the synth (thru) on one MIDI channel with one instrument: a
keyboard for melodic call-and-response, a General MIDI drum pad for everything else. An
activity is played by one child, or by the players its ``players`` parameter names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..activities.base import DRUM_CHANNEL, ActivityDef

KEYBOARD_CHANNEL = 2


@dataclass(frozen=True)
class ChildSound:
    """How the child's notes sound (thru): MIDI channel and GM program/bank."""

    channel: int
    program: int
    bank: int = 0
    pad_note: int = 38


def child_sound(activity: ActivityDef, params: dict[str, Any]) -> ChildSound:
    """Keyboard for melodic call-and-response, a drum pad for everything else."""
    if activity.name == "call-and-response" and params.get("variant") == "melodic":
        return ChildSound(KEYBOARD_CHANNEL, int(params.get("instrument", 12)), 0, 60)
    return ChildSound(DRUM_CHANNEL, 0, 128, 38)


def players_of(activity: ActivityDef, params: dict[str, Any]) -> list[str]:
    """The players an activity is played by: its ``players`` parameter (group mode and turn
    games name several), else the one child."""
    raw = str(params.get("players", "") or "")
    players = [p.strip() for p in raw.split(",") if p.strip()]
    return players or ["child"]
