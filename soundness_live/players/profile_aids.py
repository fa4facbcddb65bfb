"""Playing aids from a message's ``aids`` object (a child's record gives its own:
:meth:`~soundness_live.players.profiles.DeviceSettings.aid_settings`).

What live and headless runs share (pure: no device, no clock).
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from .aids import AidSettings


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
