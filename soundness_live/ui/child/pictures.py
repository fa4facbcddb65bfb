"""The child's pictures, drawn from shapes in the unit box (:mod:`.shapes`).

One picture for each thing a cue asks: listen (an ear), listen to the grown-up (an ear and a
person), your turn (the child's own instrument: a keyboard, a drum pad, or an open mouth when
they answer with their voice), wait (a calm open hand), do not play now (the hand in a ring),
go (an arrow), play (the instrument with notes), stop (an octagon), the beat (a dot in a
ring, with its slow pulse behind it), your own beat (the instrument over three even dots),
you lead (a big dot with two small ones following), someone else's turn (a person and the
hand), well done (a star), and the calm countdown between plan steps (the time left as a
slice of a disc, as a visual timer shows it). Every picture has its own outline, so colour is
never the only signal. Pure: no pygame.
"""

from __future__ import annotations

from .shapes import (
    HOLE,
    Colour,
    Disc,
    Polygon,
    Shape,
    band,
    capsule,
    ellipse,
    rect,
    regular,
    rounded,
    sector,
    star,
)

Picture = tuple[Shape, ...]


def moved(shapes: Picture, dx: float, dy: float, scale: float) -> Picture:
    """``shapes`` scaled by ``scale`` about the centre, then moved by (dx, dy)."""
    out: list[Shape] = []
    for shape in shapes:
        if isinstance(shape, Disc):
            out.append(Disc(shape.x * scale + dx, shape.y * scale + dy, shape.radius * scale,
                            shape.colour))  # fmt: skip
        else:
            out.append(Polygon(tuple((x * scale + dx, y * scale + dy) for x, y in shape.points),
                               shape.colour))  # fmt: skip
    return tuple(out)


def ear(ink: Colour) -> Picture:
    """An ear seen from the side: the outer rim, the inner fold and the opening."""
    return (
        band(0.0, -0.2, 0.62, 0.40, 160, 250, ink),  # the rim, open at the lower left
        capsule(0.44, 0.18, -0.02, 0.80, 0.11, ink),  # the lobe down to the cheek
        band(0.02, -0.15, 0.26, 0.13, 180, 200, ink),  # the inner fold
        Disc(-0.02, 0.12, 0.09, ink),  # the opening
    )


def person(ink: Colour) -> Picture:
    """A grown-up, head and shoulders."""
    return (
        Disc(0.0, -0.38, 0.30, ink),
        band(0.0, 0.72, 0.62, 0.0, 180, 180, ink),  # shoulders: a half disc
    )


def keyboard(ink: Colour) -> Picture:
    """A small keyboard from above: seven white keys, five black ones."""
    shapes: list[Shape] = [rounded(-0.92, -0.48, 1.84, 0.96, 0.08, ink)]
    left, width = -0.84, 1.68 / 7
    for k in range(1, 7):  # the gaps between white keys
        shapes.append(rect(left + k * width - 0.012, -0.40, 0.024, 0.80, HOLE))
    for k in (1, 2, 4, 5, 6):  # black keys sit over the gaps after C, D, F, G, A
        shapes.append(rect(left + k * width - 0.07, -0.40, 0.14, 0.46, HOLE))
    shapes.insert(1, rect(-0.86, -0.42, 1.72, 0.02, HOLE))  # the keys' top edge
    return tuple(shapes)


def drum_pad(ink: Colour) -> Picture:
    """A drum pad: a round head inside its rim, and two sticks above it."""
    return (
        ellipse(0.0, 0.28, 0.78, 0.50, ink),  # the rim
        ellipse(0.0, 0.26, 0.62, 0.38, HOLE),
        ellipse(0.0, 0.26, 0.50, 0.29, ink),  # the head
        capsule(-0.78, -0.82, -0.14, 0.08, 0.06, ink),  # the sticks, crossed over the head
        capsule(0.78, -0.82, 0.14, 0.08, 0.06, ink),
        Disc(-0.14, 0.08, 0.10, ink),
        Disc(0.14, 0.08, 0.10, ink),
    )


def mouth(ink: Colour) -> Picture:
    """An open, singing mouth (lips around the dark opening) and the sound coming out."""
    return (
        ellipse(-0.30, 0.0, 0.56, 0.40, ink),
        ellipse(-0.30, 0.02, 0.40, 0.24, HOLE),
        ellipse(-0.30, 0.16, 0.20, 0.08, ink),  # the tongue
        band(0.10, 0.0, 0.66, 0.56, -35, 70, ink, n=16),  # the sound, in two waves
        band(0.10, 0.0, 0.90, 0.80, -35, 70, ink, n=16),
    )


def hand(ink: Colour) -> Picture:
    """A calm open hand, palm out: wait."""
    fingers = [(-0.33, -0.55), (-0.11, -0.75), (0.11, -0.78), (0.33, -0.62)]
    shapes: list[Shape] = [rounded(-0.44, -0.30, 0.88, 0.86, 0.22, ink)]
    shapes += [capsule(x, -0.15, x, top, 0.095, ink) for x, top in fingers]
    shapes.append(capsule(-0.40, 0.25, -0.74, -0.10, 0.10, ink))  # the thumb
    return tuple(shapes)


def hand_in_ring(ink: Colour) -> Picture:
    """The open hand inside a ring: not this time, keep your hands still."""
    return (band(0.0, 0.0, 0.98, 0.86, 0, 360, ink, n=72), *moved(hand(ink), 0.0, 0.08, 0.72))


def arrow(ink: Colour) -> Picture:
    """A bold arrow pointing on: go."""
    head = Polygon(((0.15, -0.62), (0.85, 0.0), (0.15, 0.62)), ink)
    return (rect(-0.80, -0.22, 1.0, 0.44, ink), head)


def octagon(ink: Colour) -> Picture:
    """An octagon with a band across it, as a stop sign has: stop, keep still."""
    return (regular(0.0, 0.0, 0.86, 8, 22.5, ink), rect(-0.56, -0.12, 1.12, 0.24, HOLE))


def notes(ink: Colour) -> Picture:
    """Two beamed eighth notes."""
    return (
        ellipse(-0.40, 0.50, 0.20, 0.15, ink),
        ellipse(0.36, 0.38, 0.20, 0.15, ink),
        rect(-0.24, -0.50, 0.08, 1.0, ink),
        rect(0.52, -0.62, 0.08, 1.0, ink),
        Polygon(((-0.24, -0.50), (0.60, -0.62), (0.60, -0.42), (-0.24, -0.30)), ink),
    )


def playing(instrument: Picture, ink: Colour) -> Picture:
    """The instrument with notes rising from it: play."""
    return (*moved(instrument, -0.22, 0.30, 0.68), *moved(notes(ink), 0.58, -0.52, 0.40))


def beat(ink: Colour) -> Picture:
    """The beat: a dot inside a ring (its slow pulse is drawn behind it)."""
    return (band(0.0, 0.0, 0.62, 0.50, 0, 360, ink, n=72), Disc(0.0, 0.0, 0.30, ink))


def own_beat(instrument: Picture, ink: Colour) -> Picture:
    """The instrument over three evenly spaced dots: your own steady beat."""
    dots = tuple(Disc(x, 0.72, 0.11, ink) for x in (-0.5, 0.0, 0.5))
    return (*moved(instrument, 0.0, -0.22, 0.74), *dots)


def lead(ink: Colour) -> Picture:
    """A big dot in front with two smaller ones following it: you lead, the music follows."""
    return (
        Disc(0.48, 0.0, 0.36, ink),
        Disc(-0.22, 0.0, 0.20, ink),
        Disc(-0.70, 0.0, 0.13, ink),
        Polygon(((0.88, -0.16), (1.0, 0.0), (0.88, 0.16)), ink),
    )


def their_turn(ink: Colour) -> Picture:
    """Someone else plays: a person, and the calm hand for you."""
    return (*moved(person(ink), -0.42, -0.05, 0.62), *moved(hand(ink), 0.50, 0.20, 0.50))


def listen_to_grown_up(ink: Colour) -> Picture:
    """Listen to the grown-up: the ear beside a person."""
    return (*moved(ear(ink), -0.38, 0.0, 0.62), *moved(person(ink), 0.55, 0.05, 0.45))


def success_star(ink: Colour, scale: float) -> Picture:
    """A star (well done), ``scale`` times its full size."""
    return (star(0.0, 0.05, 0.86 * scale, 0.36 * scale, ink),)


def countdown(ink: Colour, fraction_left: float) -> Picture:
    """The time left as a slice of a disc inside its outline, emptying clockwise to the top
    as a visual timer does; an empty outline when no time is left."""
    ring = band(0.0, 0.0, 0.86, 0.80, 0, 360, ink, n=90)
    left = max(0.0, min(1.0, fraction_left))
    if left <= 0.0:
        return (ring,)
    return (ring, sector(0.0, 0.0, 0.72, -90.0, 360.0 * left, ink))


def rest(ink: Colour) -> Picture:
    """Nothing asked: one soft dot in the middle."""
    return (Disc(0.0, 0.0, 0.16, ink),)


def voice_meter(track: Colour, ink: Colour, level: float) -> Picture:
    """The child's voice as a column rising from the bottom with the level (0..1)."""
    height = 1.5 * max(0.0, min(1.0, level))
    column: Picture = (rounded(0.78, -0.75, 0.2, 1.5, 0.1, track),)
    if height > 0.02:
        column += (rounded(0.78, 0.75 - height, 0.2, height, 0.1, ink),)
    return column
