"""The volume cap's range, checked here and nowhere else.

A cap is a true-peak ceiling in dBFS (:mod:`soundness_live.synth.true_peak`). A child's profile
holds their own cap; the engine clamps every later request to it (:func:`clamp_cap_dbfs`), and
the output stage, the profile, the engine and the therapist screen all take the range from here.
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError

__all__ = ["CAP_RANGE_DBFS", "check_cap_dbfs", "clamp_cap_dbfs"]

CAP_RANGE_DBFS = (-60.0, 0.0)


def check_cap_dbfs(value: Any, what: str = "volume cap (dBFS)") -> float:
    """``value`` as a float if it is a number in :data:`CAP_RANGE_DBFS`, else ParameterError
    naming ``what``, the range and what came."""
    low, high = CAP_RANGE_DBFS
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not low <= value <= high:
        raise ParameterError(f"{what} must be a number in {low:g}..{high:g}, got {value!r}")
    return float(value)


def clamp_cap_dbfs(requested: Any, ceiling_dbfs: float | None) -> float:
    """The cap to set for a request: checked, then never above ``ceiling_dbfs`` (the child's
    own cap; None: no child, the top of the range)."""
    cap = check_cap_dbfs(requested)
    return cap if ceiling_dbfs is None else min(cap, ceiling_dbfs)
