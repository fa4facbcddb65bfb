"""Frames <-> milliseconds on the engine's axis, at a run's sample rate.

Activities count time in frames of the output sample clock (:mod:`soundness_live.core.clock`)
and report it in ms, unrounded. The conversion lives here, at the bottom of the runtime, so the
activities (which the core drives, and so may not import) and everything above them share one
definition.
"""

from __future__ import annotations

__all__ = ["frames_to_ms", "ms_to_frames"]


def frames_to_ms(frames: float, sample_rate: int) -> float:
    """Frames -> milliseconds (unrounded)."""
    return frames * 1000.0 / sample_rate


def ms_to_frames(ms: float, sample_rate: int) -> int:
    """Milliseconds -> the nearest whole frame."""
    return int(round(ms * sample_rate / 1000.0))
