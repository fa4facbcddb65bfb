"""The live feedback in the status panel: the latest trial's figures in each metric's words,
the microphone's status while a vocal activity listens, and the child's taps as they land: a
strip with the beat in its middle and each of the latest taps a mark left of it (early) or right
of it (late) by how far it was, the on-the-beat zone shaded, the newest tap tallest; and the
words beside it ("tap 7: early by 60 ms", "taps 7: on the beat 4, early 2, late 1", "early by
25 ms on average" in the metric's own words). Where a tap sits says early or late, so colour is
never the only signal.
"""

from __future__ import annotations

from typing import Any

import pygame

from ..activities.registry import metric_spec
from .controls import Rect, View
from .drawing import clip_lines, draw_left
from .images import Fonts
from .palette import MUTED, ON_PITCH, OUTCOME_COLOURS, TEXT, TRACK
from .widgets import BEAT_FIGURES, figure_lines, needs_microphone

FIGURE_LINES = 5  # the latest trial's live figures
SIDE_WORDS = {"on_beat": "on the beat", "early": "early", "late": "late"}
MEAN_METRIC = "mean_asynchrony_ms"  # its words say "early by 23 ms on average"
ON_BEAT_SHARE = 0.2  # the on-the-beat zone: 10 % of the interval in a half-interval window


def tap_lines(taps: dict[str, Any], activity: Any, scored: bool = False) -> list[str]:
    """The taps in words: the latest, the running count, the mean distance from the beat so
    far (left out once the trial these taps belong to is ``scored``: its figures say it)."""
    if not taps.get("taps"):
        return ["no taps yet"]
    latest = taps["last"][-1]
    side, by_ms = latest["side"], abs(int(latest["by_ms"]))
    said = SIDE_WORDS[side] + (f" by {by_ms} ms" if side != "on_beat" else "")
    lines = [
        f"tap {taps['taps']}: {said}",
        f"taps {taps['taps']}: on the beat {taps['on_beat']}, early {taps['early']}, "
        f"late {taps['late']}",
    ]
    spec = metric_spec(MEAN_METRIC, activity)
    if spec is not None and taps.get("mean_ms") is not None and not scored:
        lines.append("so far: " + spec.reading(taps["mean_ms"]))
    return lines


def tap_ticks(taps: dict[str, Any], strip: Rect) -> list[tuple[Rect, str]]:
    """Each latest tap's mark on ``strip`` and its side: placed by its distance from the beat
    (the strip spans the trial's window), the newest full height, older ones shorter."""
    window_ms = float(taps.get("window_ms") or 1.0)
    half = strip.w / 2
    width = max(3, strip.h // 8)
    marks = taps.get("last") or []
    ticks = []
    for age, mark in enumerate(reversed(marks)):  # age 0: the newest
        share = max(-1.0, min(1.0, float(mark["by_ms"]) / window_ms))
        x = round(strip.x + half + share * (half - width / 2) - width / 2)
        height = strip.h if age == 0 else max(4, strip.h * 3 // 5)
        ticks.append((Rect(x, strip.y + (strip.h - height) // 2, width, height), mark["side"]))
    return ticks


def draw_taps(
    surface: pygame.Surface, fonts: Fonts, taps: dict[str, Any], activity: Any, x: int, y: int,
    width: int, bottom: int | None = None, scored: bool = False,
) -> int:  # fmt: skip
    """The strip and the words from (x, y), ``width`` wide, whole lines down to ``bottom``;
    the next line's y."""
    strip = Rect(x, y, width, max(12, round(28 * fonts.scale)))
    under = strip.y + strip.h + round(4 * fonts.scale) + fonts.small.get_height()
    if bottom is not None and under > bottom:  # no room for the strip and its early / late
        return bottom
    pygame.draw.rect(surface, TRACK, pygame.Rect(strip.x, strip.y, strip.w, strip.h))
    zone_w = round(strip.w * ON_BEAT_SHARE / 2)
    zone = pygame.Rect(strip.x + strip.w // 2 - zone_w // 2, strip.y, zone_w, strip.h)
    pygame.draw.rect(surface, ON_PITCH, zone)
    centre = strip.x + strip.w // 2
    pygame.draw.line(surface, MUTED, (centre, strip.y), (centre, strip.y + strip.h - 1))
    for tick, side in reversed(tap_ticks(taps, strip)):  # the newest drawn last, on top
        colour = OUTCOME_COLOURS["correct"] if side == "on_beat" else OUTCOME_COLOURS["partial"]
        pygame.draw.rect(surface, colour if tick.h == strip.h else MUTED,
                         pygame.Rect(tick.x, tick.y, tick.w, tick.h))  # fmt: skip
    y = strip.y + strip.h + round(4 * fonts.scale)
    early = fonts.text(fonts.small, "early", MUTED)
    late = fonts.text(fonts.small, "late", MUTED)
    surface.blit(early, (x, y))
    surface.blit(late, (x + width - late.get_width(), y))
    y += early.get_height() + 4
    for line in tap_lines(taps, activity, scored):
        image = fonts.text(fonts.small, line, TEXT, width)
        if bottom is not None and y + image.get_height() > bottom:
            return bottom  # nothing more fits: the figures below are left out too
        surface.blit(image, (x, y))
        y += image.get_height() + 4
    return y


def draw_figures(
    surface: pygame.Surface, fonts: Fonts, state: dict[str, Any], x: int, y: int, w: int,
    bottom: int | None = None,
) -> int:  # fmt: skip
    """The taps as they land while a beat plays, then the latest trial's figures (their beat
    counts only when no taps are shown: the taps say the same, live), each line within ``w``,
    whole lines down to ``bottom`` (the lines that do not fit are left out, never cut)."""
    recent = state.get("recent_trials") or [{}]
    activity = recent[-1].get("activity") or state.get("activity")
    figures = dict(state.get("figures") or {})
    taps = state.get("taps")
    if taps is not None:
        scored = scored_taps(taps, figures)
        shown = state.get("activity") or activity
        y = draw_taps(surface, fonts, taps, shown, x, y, w, bottom, scored)
        figures = {k: v for k, v in figures.items() if k not in BEAT_FIGURES}
    for line in figure_lines(figures, activity)[:FIGURE_LINES]:
        for part in clip_lines(line, lambda t: fonts.small.size(t)[0], w, 2):
            if bottom is not None and y + fonts.small.get_height() > bottom:
                return y
            y = draw_left(surface, fonts, fonts.small, part, TEXT, x, y, w)
    return y


def scored_taps(taps: dict[str, Any], figures: dict[str, Any]) -> bool:
    """True when the taps shown are those of the trial the figures score (the same counts on
    the beat, early and late, and a scored mean): the trial's mean then shows once, as scored,
    not a second time as "so far" beside it. A new trial's taps count afresh and differ."""
    return MEAN_METRIC in figures and all(figures.get(k) == taps.get(k) for k in BEAT_FIGURES)


def microphone_line(view: View) -> str:
    """The microphone's status while a vocal activity is chosen or runs with live input
    ("microphone: ok: USB mic"); "" otherwise (trouble says when there is none)."""
    microphone = view.state.get("microphone")
    if not needs_microphone(view.state, view.activity, view.live_input) or not microphone:
        return ""
    return f"microphone: {microphone}"


def draw_microphone(
    surface: pygame.Surface, fonts: Fonts, view: View, x: int, y: int, w: int
) -> int:
    """The microphone line (:func:`microphone_line`) from (x, y); the next line's y."""
    line = microphone_line(view)
    return draw_left(surface, fonts, fonts.small, line, MUTED, x, y, w) if line else y
