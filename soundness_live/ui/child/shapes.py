"""The child's view's vector shapes, as plain values: polygons and discs in a unit box.

A picture is drawn by the program, not loaded from a file, so it scales to any display: each
is a tuple of :class:`Polygon` and :class:`Disc` in the unit box (x and y from -1 to 1, y
pointing down), placed into a box of pixels by :func:`place`. Pure (no pygame): the drawing
module fills each shape, anti-aliased, in order, so a later shape covers an earlier one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Colour = tuple[int, int, int]
Point = tuple[float, float]

#: A shape drawn in this colour takes the look's background: holes in a picture (the inside
#: of a drum's rim, a keyboard's black keys) stay the calm background colour behind them.
HOLE: Colour = (-1, -1, -1)


@dataclass(frozen=True)
class Polygon:
    """A filled polygon: its corners and its colour."""

    points: tuple[Point, ...]
    colour: Colour

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of its corners."""
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class Disc:
    """A filled circle: its centre, radius and colour."""

    x: float
    y: float
    radius: float
    colour: Colour

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the square it is drawn in."""
        r = self.radius
        return self.x - r, self.y - r, self.x + r, self.y + r


Shape = Polygon | Disc


@dataclass(frozen=True)
class Box:
    """Where a picture goes, in pixels: its centre and half its side (it is square)."""

    x: float
    y: float
    half: float


def place(shapes: tuple[Shape, ...], box: Box, scale: float = 1.0) -> tuple[Shape, ...]:
    """``shapes`` from the unit box into ``box``, ``scale`` times its size about its centre
    (pixel coordinates rounded to tenths, so equal looks compare equal)."""
    k = box.half * scale
    placed: list[Shape] = []
    for shape in shapes:
        if isinstance(shape, Disc):
            x, y = _px(box.x + shape.x * k), _px(box.y + shape.y * k)
            placed.append(Disc(x, y, _px(shape.radius * k), shape.colour))
        else:
            points = tuple((_px(box.x + x * k), _px(box.y + y * k)) for x, y in shape.points)
            placed.append(Polygon(points, shape.colour))
    return tuple(placed)


def _px(value: float) -> float:
    return round(value, 1)


# -- building blocks, in the unit box ----------------------------------------------------------
def ellipse(x: float, y: float, rx: float, ry: float, colour: Colour, n: int = 48) -> Polygon:
    """An ellipse centred at (x, y) with radii ``rx``, ``ry``."""
    return Polygon(tuple(_around(x, y, rx, ry, 0.0, 360.0, n)), colour)


def band(
    x: float, y: float, r_out: float, r_in: float, start_deg: float, sweep_deg: float,
    colour: Colour, n: int = 48,
) -> Polygon:  # fmt: skip
    """A thick arc (a ring when ``sweep_deg`` is 360): between radii ``r_in`` and ``r_out``,
    from ``start_deg`` (0 = right, 90 = down) over ``sweep_deg`` degrees."""
    outer = _around(x, y, r_out, r_out, start_deg, sweep_deg, n)
    inner = _around(x, y, r_in, r_in, start_deg, sweep_deg, n)
    return Polygon(tuple(outer + inner[::-1]), colour)


def sector(
    x: float, y: float, radius: float, start_deg: float, sweep_deg: float, colour: Colour
) -> Polygon:
    """A pie slice from the centre (the remaining time of a countdown)."""
    n = max(2, math.ceil(abs(sweep_deg) / 5))
    return Polygon(((x, y), *_around(x, y, radius, radius, start_deg, sweep_deg, n)), colour)


def rect(left: float, top: float, width: float, height: float, colour: Colour) -> Polygon:
    """An upright rectangle."""
    right, bottom = left + width, top + height
    return Polygon(((left, top), (right, top), (right, bottom), (left, bottom)), colour)


def capsule(
    x0: float, y0: float, x1: float, y1: float, radius: float, colour: Colour, n: int = 12
) -> Polygon:
    """A bar with round ends from (x0, y0) to (x1, y1) (a finger, a drumstick)."""
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    end = _around(x1, y1, radius, radius, angle - 90, 180, n)
    start = _around(x0, y0, radius, radius, angle + 90, 180, n)
    return Polygon(tuple(end + start), colour)


def rounded(
    left: float, top: float, width: float, height: float, radius: float, colour: Colour
) -> Polygon:
    """An upright rectangle with round corners."""
    r = min(radius, width / 2, height / 2)
    corners = ((left + width - r, top + r, -90), (left + width - r, top + height - r, 0),
               (left + r, top + height - r, 90), (left + r, top + r, 180))  # fmt: skip
    points: list[Point] = []
    for cx, cy, start in corners:
        points += _around(cx, cy, r, r, start, 90, 6)
    return Polygon(tuple(points), colour)


def regular(
    x: float, y: float, radius: float, sides: int, turn_deg: float, colour: Colour
) -> Polygon:
    """A regular polygon of ``sides`` corners (an octagon for stop)."""
    return Polygon(tuple(_around(x, y, radius, radius, turn_deg, 360.0, sides, closed=False)),
                   colour)  # fmt: skip


def star(x: float, y: float, r_out: float, r_in: float, colour: Colour) -> Polygon:
    """A five-pointed star, one point up."""
    points = []
    for k in range(10):
        r = r_out if k % 2 == 0 else r_in
        a = math.radians(-90 + 36 * k)
        points.append((x + r * math.cos(a), y + r * math.sin(a)))
    return Polygon(tuple(points), colour)


def _around(
    x: float, y: float, rx: float, ry: float, start_deg: float, sweep_deg: float, n: int,
    closed: bool = True,
) -> list[Point]:  # fmt: skip
    """Points on an ellipse's arc: ``n`` steps, both ends included unless not ``closed``."""
    count = n + 1 if closed else n
    step = sweep_deg / n
    return [
        (x + rx * math.cos(math.radians(start_deg + k * step)),
         y + ry * math.sin(math.radians(start_deg + k * step)))
        for k in range(count)
    ]  # fmt: skip
