"""The options every window takes (the therapist's screen, the child's view): its size and its
frame-rate cap, read with one clear line when they are not what a window can use."""

from __future__ import annotations

import argparse

#: A window redraws at most this often: a faster screen only costs the engine's cores.
MAX_FPS = 60


def window_size(text: str, smallest: tuple[int, int], example: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` as two numbers, at least ``smallest``; a clear line when it is not."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size must be WIDTHxHEIGHT, e.g. {example}, got {text!r}") from None
    if width < smallest[0] or height < smallest[1]:
        raise SystemExit(f"--size must be at least {smallest[0]}x{smallest[1]}, got {text!r}")
    return width, height


def frame_rate(text: str) -> int:
    """``--fps``: whole frames a second, 1 to :data:`MAX_FPS` (0 or less would spin a core)."""
    try:
        fps = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of frames a second, got {text!r}"
        ) from None
    if not 1 <= fps <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_FPS} frames a second, got {fps}")
    return fps
