"""The rules that keep the child's view calm, as pure functions the tests hold exactly.

- **Contrast.** Every picture is drawn in :data:`INK` on a dark calm background with a
  contrast ratio of at least :data:`MIN_CONTRAST` (WCAG's 7:1, its enhanced level), the words
  for adults at least :data:`MIN_WORD_CONTRAST` (4.5:1).
- **The pulse** changes size only (its colour never changes), by at most
  :data:`MAX_PULSE_GROWTH` (8 %), and is a soft halo whose relative luminance is within
  :data:`HALO_STEP` of the background, so no pixel it crosses steps by 10 % of the luminance
  range or more. Above :data:`FAST_BEAT_BPM` it swells on every other beat.
- **Changes fade.** A new picture fades in over the old one, never faster than
  :data:`MAX_FADE_STEP` of the way in one frame, however late a frame comes: a pixel blended
  from one sRGB colour to another moves at most 2.28 times its sRGB step in relative luminance
  (the steepest slope of the sRGB curve, at full brightness), so such a step moves no pixel
  by 10 % or more (2.28 x 10 / 255 = 0.089: the step is whole alpha levels, at most 10 of
  255). Nothing flashes (WCAG 2.3.1): no change of 10 % goes and comes back within a second.
"""

from __future__ import annotations

import math

from .shapes import Colour

MAX_PULSE_GROWTH = 0.08  # the pulse is at most 8 % larger at its fullest
FAST_BEAT_BPM = 180.0  # above this the pulse swells on every other beat
MAX_LUMINANCE_STEP = 0.10  # no pixel's relative luminance steps this much between frames
HALO_STEP = 0.08  # the pulse's halo, this far in relative luminance from the background
FADE_S = 0.85  # a new picture fades in over this long (at 30 fps: 10 alpha levels a frame)
MAX_FADE_STEP = 10  # ... but never more than this many alpha levels (of 255) in one frame
SRGB_MAX_SLOPE = 2.4 / 1.055  # d(luminance)/d(sRGB value) at full brightness (its steepest)
MIN_CONTRAST = 7.0
MIN_WORD_CONTRAST = 4.5

INK: Colour = (250, 247, 238)  # the pictures: a warm white
WORDS: Colour = (196, 200, 208)  # the small words for adults under the picture


def linear(channel: int) -> float:
    """An sRGB channel (0..255) as linear light 0..1 (the sRGB transfer curve)."""
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: Colour) -> float:
    """Relative luminance 0..1 (WCAG 2: 0.2126 R + 0.7152 G + 0.0722 B in linear light)."""
    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: Colour, other: Colour) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(start: Colour, end: Colour, t: float) -> Colour:
    """``t`` of the way from ``start`` to ``end`` (0..1), in sRGB as a blended pixel is."""
    return tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))  # type: ignore[return-value]


def halo(background: Colour, toward: Colour = INK) -> Colour:
    """The pulse's colour: ``background`` lightened toward ``toward`` until its relative
    luminance is :data:`HALO_STEP` above the background's (and never more)."""
    target = luminance(background) + HALO_STEP
    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        if luminance(mix(background, toward, middle)) <= target:
            low = middle
        else:
            high = middle
    return mix(background, toward, low)


def pulse_period_ms(ioi_ms: float) -> float:
    """How long one swell of the pulse takes: a beat, or two beats above FAST_BEAT_BPM."""
    tempo_bpm = 60000.0 / ioi_ms
    return 2 * ioi_ms if tempo_bpm > FAST_BEAT_BPM else ioi_ms


def pulse_scale(now_ms: float, beat_ms: float, ioi_ms: float | None) -> float:
    """The pulse's size at ``now_ms`` (session ms), 1.0 to 1 + MAX_PULSE_GROWTH: fullest on
    a beat (``beat_ms`` is one, ``ioi_ms`` apart), smallest half-way between, a cosine in
    between so it swells and settles without a jump. Without a beat period: 1.0, still."""
    if not ioi_ms or ioi_ms <= 0:
        return 1.0
    period_ms = pulse_period_ms(ioi_ms)
    phase = ((now_ms - beat_ms) % period_ms) / period_ms
    swell = 0.5 + 0.5 * math.cos(2 * math.pi * phase)
    return 1.0 + MAX_PULSE_GROWTH * swell


def fade_step(elapsed_s: float) -> int:
    """How many alpha levels (of 255) a fade moves in a frame that came ``elapsed_s`` after
    the last one: FADE_S's share, at least 1 and at most MAX_FADE_STEP (a late frame makes
    the fade longer, never its step bigger)."""
    return max(1, min(MAX_FADE_STEP, round(255 * max(0.0, elapsed_s) / FADE_S)))


def worst_blend_step(start: Colour, end: Colour, step: float) -> float:
    """The largest change of relative luminance a pixel blended from ``start`` to ``end`` can
    make in one step of ``step`` (a bound: the sRGB curve's steepest slope times the largest
    channel move)."""
    move = max(abs(a - b) for a, b in zip(start, end, strict=True)) / 255.0
    return SRGB_MAX_SLOPE * move * step


def ease(current: float, target: float, elapsed_s: float, time_constant_s: float = 0.15) -> float:
    """Move ``current`` toward ``target`` smoothly (first-order, ``time_constant_s``)."""
    if elapsed_s <= 0:
        return current
    return target + (current - target) * math.exp(-elapsed_s / time_constant_s)


def grow_in(since_s: float, duration_s: float = 1.2, start: float = 0.85) -> float:
    """A gentle growth from ``start`` to 1.0 over ``duration_s`` (smoothstep), once: the
    success picture settles into place and then stays still."""
    t = min(1.0, max(0.0, since_s / duration_s))
    return start + (1.0 - start) * t * t * (3 - 2 * t)
