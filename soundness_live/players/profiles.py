"""A child's profile: pseudonymous code, consent, hearing safety, devices and playing aids.

Children are stored under a pseudonymous ``code`` (e.g. ``S-014``); ``display_name`` is for the
therapist's screen only and is never exported unless asked. Consent defaults to "no": voice is
analysed but never recorded unless ``consent.voice_recording`` is true. Profiles round-trip
through JSON with :meth:`ChildProfile.to_dict` / :func:`profile_from_dict`; every field is
validated and an error names the field (``devices[0].velocity_curve.floor``), what was expected
and what came.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from soundness_live.errors import ParameterError
from soundness_live.players.aids import SCALE_MODES, SCALES, AidSettings
from soundness_live.players.volume_cap import check_cap_dbfs

__all__ = [
    "CODE_PATTERN",
    "KEYS",
    "SCALES",
    "KEY_PITCH_CLASS",
    "Consent",
    "Instrument",
    "ScaleLock",
    "VelocityCurve",
    "DeviceSettings",
    "ChildProfile",
    "profile_from_dict",
    "validate_code",
]

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Key names and their tonic pitch class (the playing aids take 0 = C .. 11 = B).
KEY_PITCH_CLASS = {
    "C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
    "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11,
}  # fmt: skip
KEYS = tuple(KEY_PITCH_CLASS)


def _fail(name: str, expected: str, value: Any) -> ParameterError:
    return ParameterError(f"profile field {name!r} must be {expected}, got {value!r}")


def _number(value: Any, name: str, low: float, high: float, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if not isinstance(value, kinds) or isinstance(value, bool) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise _fail(name, f"{kind} in {low:g}..{high:g}", value)
    return value if integer else float(value)


def _choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise _fail(name, "one of " + ", ".join(options), value)
    return str(value)


def _fields(data: Any, name: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(name, "a table/object", data)
    for key in data:
        if key not in known:
            field = f"{name}.{key}" if name else str(key)
            raise ParameterError(
                f"profile field {field!r} is not known; expected one of {', '.join(known)}"
            )
    return data


def validate_code(code: Any) -> str:
    """A child's pseudonymous code: 1–32 letters, digits, '-' or '_', starting alphanumeric."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise _fail("code", "a pseudonymous code matching " + CODE_PATTERN.pattern, code)
    return code


@dataclass(frozen=True)
class Consent:
    """What the child's guardians agreed to; everything defaults to no."""

    voice_recording: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.voice_recording, bool):
            raise _fail("consent.voice_recording", "true or false", self.voice_recording)


@dataclass(frozen=True)
class Instrument:
    """General-MIDI program (0..127) and bank (SoundFont drums: bank 128)."""

    program: int = 0
    bank: int = 0

    def validate(self, name: str) -> None:
        """Raise ParameterError naming ``name`` when out of range."""
        _number(self.program, f"{name}.program", 0, 127, integer=True)
        _number(self.bank, f"{name}.bank", 0, 16383, integer=True)


@dataclass(frozen=True)
class ScaleLock:
    """Every key plays a note of ``scale`` in ``key`` (see SCALES)."""

    key: str = "C"
    scale: str = "major_pentatonic"
    mode: str = "snap_down"  # how off-scale keys map (soundness_live.players.aids)

    def validate(self, name: str) -> None:
        """Raise ParameterError naming ``name`` when the key, scale or mode is unknown."""
        _choice(self.key, f"{name}.key", KEYS)
        _choice(self.scale, f"{name}.scale", tuple(SCALES))
        _choice(self.mode, f"{name}.mode", SCALE_MODES)


@dataclass(frozen=True)
class VelocityCurve:
    """Velocity mapping: out = floor + (ceiling - floor) * (in/127) ** gamma."""

    floor: int = 1
    ceiling: int = 127
    gamma: float = 1.0

    def validate(self, name: str) -> None:
        """Raise ParameterError naming ``name`` when out of range or floor > ceiling."""
        _number(self.floor, f"{name}.floor", 1, 127, integer=True)
        _number(self.ceiling, f"{name}.ceiling", 1, 127, integer=True)
        _number(self.gamma, f"{name}.gamma", 0.1, 10.0)
        if self.floor > self.ceiling:
            raise _fail(f"{name}.floor", f"<= ceiling ({self.ceiling})", self.floor)


@dataclass(frozen=True)
class DeviceSettings:
    """Settings for one input device (matched by name) in this child's sessions."""

    device: str
    role: str = "child"
    kind: str = "keyboard"
    instrument: Instrument = Instrument()
    scale_lock: ScaleLock | None = None
    transpose: int = 0
    velocity_curve: VelocityCurve = VelocityCurve()
    min_note_length_ms: float = 0.0

    def validate(self, name: str) -> None:
        """Raise ParameterError naming the first invalid field under ``name``."""
        if not isinstance(self.device, str) or not 0 < len(self.device.strip()) <= 128:
            raise _fail(f"{name}.device", "a device name of 1..128 characters", self.device)
        _choice(self.role, f"{name}.role", ("child", "therapist"))
        _choice(self.kind, f"{name}.kind", ("keyboard", "pad"))
        self.instrument.validate(f"{name}.instrument")
        if self.scale_lock is not None:
            self.scale_lock.validate(f"{name}.scale_lock")
        _number(self.transpose, f"{name}.transpose", -24, 24, integer=True)
        self.velocity_curve.validate(f"{name}.velocity_curve")
        _number(self.min_note_length_ms, f"{name}.min_note_length_ms", 0.0, 2000.0)

    def aid_settings(self) -> AidSettings:
        """These settings as :class:`soundness_live.players.aids.AidSettings` (the playing aids)."""
        lock = self.scale_lock
        return AidSettings(
            scale=lock.scale if lock else None,
            key=KEY_PITCH_CLASS[lock.key] if lock else 0,
            scale_mode=lock.mode if lock else "snap_down",
            transpose_semitones=self.transpose,
            velocity_floor=self.velocity_curve.floor,
            velocity_ceiling=self.velocity_curve.ceiling,
            velocity_gamma=self.velocity_curve.gamma,
            min_note_ms=self.min_note_length_ms,
        )


@dataclass(frozen=True)
class ChildProfile:
    """A child as the store keeps them; validated on construction."""

    code: str
    display_name: str | None = None
    date_of_birth: str | None = None  # ISO date, YYYY-MM-DD
    consent: Consent = Consent()
    volume_cap_dbfs: float = -12.0
    preferred_tempo_bpm: float | None = None
    voice_range_hz: tuple[float, float] | None = None  # the child's pitch search range
    devices: tuple[DeviceSettings, ...] = ()
    goal_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate_code(self.code)
        name = self.display_name
        if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 64):
            raise _fail("display_name", "null or a name of 1..64 characters", name)
        if self.date_of_birth is not None:
            _birth_date(self.date_of_birth)
        check_cap_dbfs(self.volume_cap_dbfs, "profile field 'volume_cap_dbfs'")
        if self.preferred_tempo_bpm is not None:
            _number(self.preferred_tempo_bpm, "preferred_tempo_bpm", 30.0, 240.0)
        if self.voice_range_hz is not None:
            _voice_range(self.voice_range_hz)
        for index, device in enumerate(self.devices):
            device.validate(f"devices[{index}]")
        for index, goal_id in enumerate(self.goal_ids):
            if not isinstance(goal_id, str) or not 0 < len(goal_id) <= 64:
                raise _fail(f"goal_ids[{index}]", "a goal id (1..64 characters)", goal_id)

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain JSON-able data (inverse of :func:`profile_from_dict`)."""
        data = asdict(self)
        data["devices"] = [asdict(device) for device in self.devices]
        data["goal_ids"] = list(self.goal_ids)
        return data

    def settings(self) -> dict[str, Any]:
        """The session settings only: no code, name, date of birth or consent."""
        data = self.to_dict()
        for key in ("code", "display_name", "date_of_birth", "consent"):
            del data[key]
        return data


def _birth_date(value: Any) -> date:
    try:
        born = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= date.today():
        raise _fail("date_of_birth", "null or an ISO date (YYYY-MM-DD) not in the future", value)
    return born


def _device_from_dict(data: Any, name: str) -> DeviceSettings:
    values = dict(_fields(data, name, _names(DeviceSettings)))
    parts: dict[str, Any] = {
        "instrument": Instrument,
        "scale_lock": ScaleLock,
        "velocity_curve": VelocityCurve,
    }
    for key, kind in parts.items():
        if values.get(key) is not None:
            values[key] = kind(**_fields(values[key], f"{name}.{key}", _names(kind)))
    if "device" not in values:
        raise _fail(f"{name}.device", "a device name", None)
    return DeviceSettings(**values)


def _names(kind: Any) -> tuple[str, ...]:
    return tuple(field.name for field in fields(kind))


def _voice_range(value: Any) -> None:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _fail("voice_range_hz", "[lowest, highest] pitch in Hz", value)
    low = _number(value[0], "voice_range_hz[0]", 50.0, 800.0)
    high = _number(value[1], "voice_range_hz[1]", 200.0, 2000.0)
    if low >= high:
        raise _fail("voice_range_hz", f"lowest < highest, got {low} and", high)


def profile_params(
    profile: ChildProfile, accepted: Iterable[str], given: Mapping[str, Any]
) -> dict[str, Any]:
    """``given`` activity parameters completed from the child's profile: their preferred tempo
    and voice range, where the activity has such parameters and the therapist set none."""
    params = dict(given)
    names = set(accepted)
    fill: dict[str, Any] = {}
    if profile.preferred_tempo_bpm is not None:
        fill["tempo_bpm"] = profile.preferred_tempo_bpm
    if profile.voice_range_hz is not None:
        fill["pitch_floor_hz"], fill["pitch_ceiling_hz"] = profile.voice_range_hz
    for name, value in fill.items():
        if name in names and name not in params:
            params[name] = value
    return params


def profile_from_dict(data: Any) -> ChildProfile:
    """Build and validate a :class:`ChildProfile` from JSON-like data; unknown keys are errors."""
    values = dict(_fields(data, "", _names(ChildProfile)))
    if "code" not in values:
        raise _fail("code", "a pseudonymous code", None)
    consent = values.get("consent") or {}
    values["consent"] = Consent(**_fields(consent, "consent", ("voice_recording",)))
    devices = values.get("devices") or []
    if not isinstance(devices, (list, tuple)):
        raise _fail("devices", "a list of device settings", devices)
    values["devices"] = tuple(_device_from_dict(d, f"devices[{i}]") for i, d in enumerate(devices))
    goal_ids = values.get("goal_ids") or []
    if not isinstance(goal_ids, (list, tuple)):
        raise _fail("goal_ids", "a list of goal ids", goal_ids)
    values["goal_ids"] = tuple(goal_ids)
    if values.get("voice_range_hz") is not None:
        _voice_range(values["voice_range_hz"])
        values["voice_range_hz"] = tuple(float(v) for v in values["voice_range_hz"])
    return ChildProfile(**values)
