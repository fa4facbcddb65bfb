"""How the child's playing sounds, and who plays: shared by live and headless runs.

The child's notes sound through the synth (thru) on one MIDI channel with the instrument the
activity names for them (:attr:`~soundness_live.activities.base.ActivityDef.child_instrument`):
a drum kit on the General MIDI drum channel, a melodic instrument on the keyboard's channel. An
activity is played by one child, or by the players its ``players`` parameter names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..activities.base import DRUM_CHANNEL, ActivityDef
from ..activities.params import resolve_params

KEYBOARD_CHANNEL = 2


@dataclass(frozen=True)
class ChildSound:
    """How the child's notes sound (thru): MIDI channel and GM program/bank."""

    channel: int
    program: int
    bank: int = 0
    pad_note: int = 38


def child_sound(activity: ActivityDef[Any], params: dict[str, Any]) -> ChildSound:
    """The instrument ``activity`` gives the child with ``params`` (defaults for the rest), on
    the drum channel for a kit, the keyboard's for a melodic instrument."""
    resolved = resolve_params(activity.name, activity.specs, params)
    instrument = activity.child_instrument(activity.make_params(resolved))
    channel = DRUM_CHANNEL if instrument.drums else KEYBOARD_CHANNEL
    return ChildSound(channel, instrument.program, instrument.bank, instrument.note)


def players_of(activity: ActivityDef[Any], params: dict[str, Any]) -> list[str]:
    """The players an activity is played by: its ``players`` parameter (group mode and turn
    games name several), else the one child."""
    raw = str(params.get("players", "") or "")
    players = [p.strip() for p in raw.split(",") if p.strip()]
    return players or ["child"]
