"""Where the child's view goes: a display of its own, or the lower half of the one screen.

On a second display (a TV, or the laptop's screen turned to the child) the view fills that
display. With one screen it is a second, frameless window on the lower half, and the
therapist's window takes the upper half: two windows rather than the therapist's screen
giving up part of itself, so the child's view stays its own process in both cases (the same
code, and drawing the one never waits on the other), and the therapist's screen keeps its own
layout, only shorter. Asked for a display that is not there, the view says so in one line and
takes the lower half instead. Pure: the displays' sizes are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    """Where a window goes: a display (pygame's index), full screen or not, its size, its
    top-left corner on the desktop (None: where the system puts it), with a frame or not."""

    display: int = 0
    fullscreen: bool = False
    size: tuple[int, int] = (1280, 720)
    position: tuple[int, int] | None = None
    frameless: bool = False


def upper_half(desktop: tuple[int, int]) -> Placement:
    """The therapist's window beside a child's view on the lower half: the upper half."""
    width, height = desktop
    return Placement(size=(width, height - height // 2), position=(0, 0))


def lower_half(desktop: tuple[int, int]) -> Placement:
    """The child's view on the lower half of the first display, frameless."""
    width, height = desktop
    half = height // 2
    return Placement(size=(width, half), position=(0, height - half), frameless=True)


def choose(
    display: int | None,
    wants_lower_half: bool,
    desktops: list[tuple[int, int]],
    size: tuple[int, int],
    fullscreen: bool,
) -> tuple[Placement, str | None]:
    """The placement asked for, given the displays there are (their desktop sizes, in
    pygame's order); and a line to print when it cannot be had (None when it can)."""
    if wants_lower_half:
        return lower_half(desktops[0]), None
    if display is None:
        return Placement(size=size, fullscreen=fullscreen), None
    if 0 <= display < len(desktops):
        return Placement(display=display, fullscreen=True, size=desktops[display]), None
    note = (
        f"child view: display {display} was asked for, but {_count(len(desktops))} found; "
        "showing the child's view on the lower half of this screen"
    )
    return lower_half(desktops[0]), note


def _count(displays: int) -> str:
    return "only 1 display was" if displays == 1 else f"{displays} displays were"
