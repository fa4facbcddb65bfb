"""Device roles: who plays each MIDI device, what kind it is, and how its notes sound (pure).

A role is found by a case-insensitive substring of the device name ("nanoPAD" matches
"nanoPAD2:nanoPAD2 MIDI 1"); roles are tried in the order they were added, first match wins;
a device with no role gets the default role (a keyboard for the default player).

Routing rules:
- a ``pad``'s notes follow the General MIDI drum map: they sound on channel 9 (MIDI channel
  10), bank 128; an optional ``pad_map`` turns a pad's own note numbers into GM drum notes;
- any device's notes on channel 9 are drums too (GM: MIDI channel 10 is the drum channel);
- a keyboard's other notes sound the device's GM ``program`` on a synth channel of its own
  (channels are handed out in order, skipping 9), so two players never change each other's
  instrument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..core.events import DRUM_CHANNEL, ProgramChange
from ..errors import ParameterError

DEVICE_KINDS = ("keyboard", "pad")
DRUM_BANK = 128
_MELODIC_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)

_GM_DRUM_NAMES = (
    "acoustic bass drum,bass drum 1,side stick,acoustic snare,hand clap,electric snare,"
    "low floor tom,closed hi-hat,high floor tom,pedal hi-hat,low tom,open hi-hat,low-mid tom,"
    "hi-mid tom,crash cymbal 1,high tom,ride cymbal 1,chinese cymbal,ride bell,tambourine,"
    "splash cymbal,cowbell,crash cymbal 2,vibraslap,ride cymbal 2,hi bongo,low bongo,"
    "mute hi conga,open hi conga,low conga,high timbale,low timbale,high agogo,low agogo,"
    "cabasa,maracas,short whistle,long whistle,short guiro,long guiro,claves,hi wood block,"
    "low wood block,mute cuica,open cuica,mute triangle,open triangle"
).split(",")
GM_DRUMS: Mapping[int, str] = MappingProxyType(dict(enumerate(_GM_DRUM_NAMES, start=35)))
"""General MIDI level 1 percussion key map: note (35..81) -> instrument name."""


@dataclass(frozen=True, slots=True)
class DeviceRole:
    """Who plays a device and how it sounds.

    ``player`` is the child's pseudonymous code or ``"therapist"``; ``program`` is the GM
    program (0..127) a keyboard plays; ``pad_map`` maps a pad's note numbers to GM drum notes.
    """

    match: str
    player: str
    kind: str = "keyboard"
    program: int = 0
    pad_map: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in DEVICE_KINDS:
            raise ParameterError(f"kind must be one of {DEVICE_KINDS}, got {self.kind!r}")
        if not 0 <= self.program <= 127:
            raise ParameterError(f"program must be in range 0..127, got {self.program}")
        if not self.player:
            raise ParameterError("player must be a child's code or 'therapist', got ''")
        for src, dst in self.pad_map.items():
            if not (0 <= src <= 127 and 0 <= dst <= 127):
                raise ParameterError(f"pad_map entries must be notes 0..127, got {src} -> {dst}")


@dataclass(frozen=True, slots=True)
class Route:
    """Where one played note sounds: synth ``channel``, ``bank``, ``program`` and ``note``."""

    player: str
    channel: int
    bank: int
    program: int
    note: int
    drum: bool


class DeviceRoles:
    """The registry of device roles for a session (pure: no device is touched)."""

    def __init__(self, default_player: str = "child") -> None:
        self.default = DeviceRole("", default_player)
        self._roles: list[DeviceRole] = []
        self._channels: dict[str, int] = {}

    def add(self, role: DeviceRole) -> None:
        """Register ``role`` (tried after the roles already added)."""
        if not role.match:
            raise ParameterError("a role's match must name part of a device, got ''")
        self._roles.append(role)

    @property
    def roles(self) -> tuple[DeviceRole, ...]:
        """The registered roles, in matching order."""
        return tuple(self._roles)

    def role_for(self, device: str) -> DeviceRole:
        """The role of ``device`` (first substring match, case-insensitive; else the default)."""
        name = device.lower()
        for role in self._roles:
            if role.match.lower() in name:
                return role
        return self.default

    def synth_channel(self, device: str) -> int:
        """The melodic synth channel of ``device`` (stable for the session; never 9)."""
        channel = self._channels.get(device)
        if channel is None:
            taken = len(self._channels)
            channel = _MELODIC_CHANNELS[taken % len(_MELODIC_CHANNELS)]
            self._channels[device] = channel
        return channel

    def route(self, device: str, channel: int, note: int) -> Route:
        """Where a note played on ``device`` (MIDI ``channel``) sounds."""
        role = self.role_for(device)
        if role.kind == "pad" or channel == DRUM_CHANNEL:
            drum_note = role.pad_map.get(note, note)
            return Route(role.player, DRUM_CHANNEL, DRUM_BANK, 0, drum_note, True)
        return Route(role.player, self.synth_channel(device), 0, role.program, note, False)

    def program_change(self, device: str, frame: int) -> ProgramChange:
        """The engine event that sets up ``device``'s instrument on its channel at ``frame``."""
        role = self.role_for(device)
        if role.kind == "pad":
            return ProgramChange(frame, DRUM_CHANNEL, 0, DRUM_BANK)
        return ProgramChange(frame, self.synth_channel(device), role.program, 0)
