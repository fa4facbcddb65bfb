"""A child's profile as playing aids: the device settings of their record, or a message's.

What live and headless runs share (pure: no device, no clock).
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from .aids import AidSettings
from .profiles import KEYS, DeviceSettings

# profile scale names -> playing-aid scale names (the two modules name two scales differently)
_SCALE_NAMES = {"pentatonic_major": "major_pentatonic", "pentatonic_minor": "minor_pentatonic"}
_PITCH_CLASS = {name: i for i, name in enumerate(("C", "D", "E", "F", "G", "A", "B"))}
_STEPS = (0, 2, 4, 5, 7, 9, 11)


def pitch_class(key: str) -> int:
    """ "C#" -> 1, "Bb" -> 10 (the profile's key names)."""
    if key not in KEYS:
        raise ParameterError(f"key must be one of {', '.join(KEYS)}, got {key!r}")
    base = _STEPS[_PITCH_CLASS[key[0]]]
    return (base + (1 if key.endswith("#") else -1 if key.endswith("b") else 0)) % 12


def aids_from_settings(settings: DeviceSettings) -> AidSettings:
    """A profile's device settings as playing aids."""
    lock = settings.scale_lock
    scale = None if lock is None else _SCALE_NAMES.get(lock.scale, lock.scale)
    curve = settings.velocity_curve
    return AidSettings(
        scale=scale if scale in _known_scales() else None,
        key=pitch_class(lock.key) if lock is not None else 0,
        transpose_semitones=settings.transpose,
        velocity_floor=curve.floor,
        velocity_ceiling=curve.ceiling,
        velocity_gamma=curve.gamma,
        min_note_ms=settings.min_note_length_ms,
    )


def _known_scales() -> set[str]:
    from ..players.aids import SCALES

    return set(SCALES)


def aids_from_dict(data: Any) -> AidSettings:
    """Playing aids from a message's ``aids`` object (AidSettings field names)."""
    if not isinstance(data, dict):
        raise ParameterError(f"aids must be an object of playing-aid settings, got {data!r}")
    known = set(AidSettings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError(
            f"unknown playing aid {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    return AidSettings(**data)
