"""Drawing the therapist screen with pygame-ce (layout and hit-testing live in widgets.py).

The screen is three layers that never overlap: the static layer (background, title, buttons),
the cue area and the status panel. Each is drawn from plain values, and the cue and status
layers stay inside their rectangles (clipped), so :mod:`.painter` can redraw any one region
alone and get the very pixels :func:`draw_screen` draws for the whole screen.
"""

from __future__ import annotations

import pygame

from ..config import initials
from .animation import CueLook, MeterLook
from .controls import Button, Layout, Rect, View, activity_words, lacks_input_device
from .drawing import (
    chosen_inset,
    clip_lines,
    clipped,
    draw_chosen,
    draw_label,
    draw_left,
    draw_text,
    wrap,
)
from .feedback import draw_figures, draw_microphone, microphone_line
from .images import Fonts
from .palette import (
    BACKGROUND,
    BUTTON,
    DANGER,
    DEVICE_DOWN,
    DEVICE_UP,
    DISABLED,
    LEVEL,
    MUTED,
    NOTICE,
    ON_PITCH,
    OUTCOME_COLOURS,
    PANEL,
    SELECTED,
    TEXT,
    TRACK,
)
from .plan_panel import draw_plan
from .widgets import (
    Trouble,
    diagnostics_text,
    needs_microphone,
    trial_text,
    trouble,
)

NOTICE_LINES = 2  # the latest notice, wrapped; more words make the last line smaller
TROUBLE_LINES = 2  # a trouble's detail, wrapped

__all__ = [
    "clip_lines", "draw_button", "draw_cue", "draw_screen", "draw_static", "draw_status",
    "status_key", "wrap",
]  # fmt: skip


def draw_button(surface: pygame.Surface, button: Button, fonts: Fonts) -> None:
    """One touch target."""
    colour = BUTTON
    if button.kind == "danger":
        colour = DANGER
    elif button.selected:
        colour = SELECTED
    if not button.enabled:
        colour = DISABLED
    r = button.rect
    box = pygame.Rect(r.x, r.y, r.w, r.h)
    pygame.draw.rect(surface, colour, box, border_radius=round(12 * fonts.scale))
    if button.selected and button.kind == "choice" and button.enabled:
        draw_chosen(surface, r, fonts.scale)
        inset = chosen_inset(fonts.scale)  # the words keep clear of the tick
        box = pygame.Rect(r.x + inset, r.y, r.w - inset, r.h)
    font = fonts.big if button.kind == "danger" else fonts.body
    label_colour = TEXT if button.enabled else MUTED
    draw_label(surface, fonts, font, button.label, label_colour, box, round(6 * fonts.scale))


def draw_static(surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
    """The layer that changes only on a tap or a new activity: background, title, buttons."""
    surface.fill(BACKGROUND)
    title = layout.regions["title"]
    child = view.child or "pick a child"
    who = initials(view.therapist)
    draw_left(surface, fonts, fonts.big, "Soundness", TEXT, title.x, title.y)
    below = title.y + round(44 * fonts.scale)
    line = f"{child}  with {who}" if who else str(child)
    draw_left(surface, fonts, fonts.small, line, MUTED, title.x, below)
    for button in layout.buttons:
        draw_button(surface, button, fonts)


def draw_cue(surface: pygame.Surface, rect: Rect, look: CueLook, fonts: Fonts) -> None:
    """The child-facing cue: its calm colour, the beat pulse, the word (inside ``rect``)."""
    with clipped(surface, rect) as inside:
        box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
        corner = round(24 * fonts.scale)
        if _misses_corners(box, corner, inside):  # a pulse's square: a plain fill is cheaper
            surface.fill(look.colour, inside)
        else:
            pygame.draw.rect(surface, look.colour, box, border_radius=corner)
        if look.disc is not None:
            disc = look.disc
            surface.blit(fonts.disc(disc.radius, disc.alpha), (disc.box.x, disc.box.y))
        if look.word:
            draw_text(surface, fonts, fonts.cue, look.word, TEXT, box.center, int(rect.w * 0.9))


def _misses_corners(box: pygame.Rect, corner: int, area: pygame.Rect) -> bool:
    """True when ``area`` lies clear of the rounded corners of ``box`` (where the rounded
    rectangle is one solid colour)."""
    return box.inflate(0, -2 * corner).contains(area) or box.inflate(-2 * corner, 0).contains(area)


def trial_line(state: dict) -> str:
    """ "trial 2 of 6" while the second trial runs (the engine's ``trial``, else its counts)."""
    trial = state.get("trial") or {}
    if trial.get("of"):
        return f"trial {trial['n']} of {trial['of']}"
    done, total = state.get("trials_done"), state.get("trials_total")
    return trial_text(done, total) if state.get("activity") and total else ""


def troubles(view: View) -> list[Trouble]:
    """The trouble the status panel shows first (``widgets.trouble``)."""
    microphone = needs_microphone(view.state, view.activity, view.live_input)
    return trouble(view.state, microphone, lacks_input_device(view))


def status_key(view: View, meter: MeterLook | None) -> str:
    """Everything :func:`draw_status` shows except the meter's moving parts: while it is
    unchanged, the panel need not be drawn again."""
    state = view.state
    recent = [trial.get("outcome") for trial in (state.get("recent_trials") or [])[-8:]]
    shown = (
        state.get("activity"),
        quiet_lines(state),
        trial_line(state),
        state.get("figures"),
        state.get("taps"),
        microphone_line(view),
        recent,
        (state.get("devices") or [])[:4],
        state.get("volume_cap_dbfs"),
        diagnostics_text(state),
        view.notice,
        troubles(view),
        meter is not None and meter.box,
    )
    return repr(shown)  # a snapshot: later changes to the state's lists cannot alias it


def draw_status(
    surface: pygame.Surface,
    rect: Rect,
    view: View,
    fonts: Fonts,
    meter: MeterLook | None = None,
) -> None:
    """Trouble first (engine, sound output, MIDI input, microphone: seen without a tap), then
    the activity, live figures, recent outcomes and the voice meter during the child's turn;
    at the panel's foot, always in view, the latest notice, the devices, the volume cap and
    the timing counters (inside ``rect``). The live part above the foot ends at the last whole
    line that fits: a long trial's figures never push the devices or the cap out of sight."""
    with clipped(surface, rect):
        box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
        pygame.draw.rect(surface, PANEL, box, border_radius=round(16 * fonts.scale))
        pad = round(12 * fonts.scale)
        x, y, width = rect.x + pad, rect.y + pad, rect.w - 2 * pad
        foot = foot_lines(view, fonts, width)
        foot_y = status_foot_top(rect, view, fonts)
        live_bottom = foot_y - pad // 2
        if meter is not None:  # the live lines end above the meter, never under it
            live_bottom = min(live_bottom, meter_bounds(meter, fonts).y - pad // 2)
        with clipped(surface, Rect(rect.x, rect.y, rect.w, max(0, foot_y - rect.y))):
            _draw_live(surface, fonts, view, x, y, width, live_bottom)
        for line, colour in foot:
            foot_y = draw_left(surface, fonts, fonts.small, line, colour, x, foot_y, width)
        if meter is not None:  # in its own place (animation.meter_box), over the rest
            draw_meter(surface, meter, fonts)


def foot_lines(view: View, fonts: Fonts, width: int) -> list[tuple[str, tuple[int, int, int]]]:
    """The status panel's foot: the latest notice (wrapped), then :func:`status_foot`."""
    notice = wrap(view.notice, lambda t: fonts.small.size(t)[0], width, NOTICE_LINES)
    return [(line, NOTICE) for line in (notice if view.notice else [])] + status_foot(view.state)


def status_foot_top(rect: Rect, view: View, fonts: Fonts) -> int:
    """The y where the status panel's foot begins (in panel ``rect``)."""
    pad = round(12 * fonts.scale)
    line_h = fonts.small.get_height() + 4  # draw_left's step for a small line
    return rect.y + rect.h - pad - line_h * len(foot_lines(view, fonts, rect.w - 2 * pad))


def quiet_lines(state: dict) -> list[str]:
    """After the quiet button: that every sound faded out, and what brings the music back
    (resume while the activity waits paused, start once none runs); none otherwise."""
    if not state.get("quiet"):
        return []
    going_on = "resume goes on" if state.get("paused") else "start plays again"
    return ["QUIET: every sound faded out", going_on]


def status_foot(state: dict) -> list[tuple[str, tuple[int, int, int]]]:
    """The status panel's standing lines and their colours: each device of the child's
    (a drum pad called a drum pad) or that none is connected, the volume cap, the engine's
    timing counters."""
    devices = state.get("devices") or []
    lines = [("no MIDI device connected", MUTED)] if not devices else []
    for device in devices[:4]:
        kind = "drum pad" if device.get("kind") == "pad" else "keyboard"
        up = device.get("connected")
        text = f"{kind}: {'connected' if up else 'disconnected'}"
        lines.append((text, DEVICE_UP if up else DEVICE_DOWN))
    cap = state.get("volume_cap_dbfs")
    if cap is not None:
        lines.append((f"volume cap {cap:g} dBFS", MUTED))
    counters = diagnostics_text(state)
    if counters:  # nothing to say while all is well
        lines.append((counters, MUTED))
    return lines


def _draw_live(
    surface: pygame.Surface, fonts: Fonts, view: View, x: int, y: int, width: int, bottom: int
) -> None:
    """The live part of the status panel from (x, y), whole lines down to ``bottom``."""
    pad = round(12 * fonts.scale)
    y = _troubles(surface, fonts, troubles(view), x, y, width)
    state = view.state
    quiet = quiet_lines(state)
    if quiet:
        y = draw_left(surface, fonts, fonts.body, quiet[0], NOTICE, x, y, width)
        y = draw_left(surface, fonts, fonts.small, quiet[1], NOTICE, x, y, width) + pad // 2
    running = state.get("activity")
    activity = activity_words(running) if running else "no activity running"
    y = draw_left(surface, fonts, fonts.body, str(activity), TEXT, x, y)
    if trial_line(state):
        y = draw_left(surface, fonts, fonts.small, trial_line(state), MUTED, x, y)
    y = draw_figures(surface, fonts, state, x, y + pad, width, bottom)
    if y + fonts.small.get_height() <= bottom:
        y = draw_microphone(surface, fonts, view, x, y, width)
    _outcomes(surface, fonts, state.get("recent_trials") or [], x, y + pad, bottom)


def _troubles(
    surface: pygame.Surface, fonts: Fonts, found: list[Trouble], x: int, y: int, width: int
) -> int:
    """Each trouble's headline, and its detail in up to two small lines; the next line's y."""
    for headline, detail in found:
        y = draw_left(surface, fonts, fonts.body, headline, NOTICE, x, y, width)
        for line in clip_lines(detail, lambda t: fonts.small.size(t)[0], width, TROUBLE_LINES):
            y = draw_left(surface, fonts, fonts.small, line, NOTICE, x, y, width)
    return y + (round(8 * fonts.scale) if found else 0)


def draw_meter(surface: pygame.Surface, look: MeterLook, fonts: Fonts) -> None:
    """The voice meter: level bar, pitch track with its on-pitch zone, needle and label."""
    box, parts = look.box, look.parts
    draw_left(surface, fonts, fonts.small, "voice", MUTED, box.x, box.y)
    centre = (box.x + box.w * 5 // 8, box.y + round(10 * fonts.scale))
    draw_text(surface, fonts, fonts.body, look.label, TEXT, centre, box.w * 3 // 4)
    for rect, colour in (
        (parts.level, TRACK),
        (parts.level_fill, LEVEL),
        (parts.track, TRACK),
        (parts.zone, ON_PITCH),
    ):
        pygame.draw.rect(surface, colour, pygame.Rect(rect.x, rect.y, rect.w, rect.h))
    below = parts.track.y + parts.track.h + 2
    draw_left(surface, fonts, fonts.small, "flat", MUTED, box.x, below)
    sharp = fonts.text(fonts.small, "sharp", MUTED)
    surface.blit(sharp, (box.x + box.w - sharp.get_width(), below))
    if parts.needle is not None:
        n = parts.needle
        pygame.draw.rect(surface, look.needle_colour, pygame.Rect(n.x, n.y, n.w, n.h))


def meter_bounds(look: MeterLook, fonts: Fonts) -> Rect:
    """Every pixel the meter may draw: its box, and its label row reaching above it."""
    reach = fonts.body.get_height()
    box = look.box
    return Rect(box.x, box.y - reach, box.w, box.h + 2 * reach)


def _outcomes(
    surface: pygame.Surface, fonts: Fonts, recent: list, x: int, y: int, bottom: int
) -> int:
    """The latest outcomes as squares and the last in words, when they fit above ``bottom``."""
    size = round(22 * fonts.scale)
    if not recent or y + size + 4 + fonts.small.get_height() > bottom:
        return y
    for i, trial in enumerate(recent[-8:]):
        colour = OUTCOME_COLOURS.get(trial.get("outcome"), MUTED)
        square = pygame.Rect(x + i * (size + 6), y, size, size)
        pygame.draw.rect(surface, colour, square, border_radius=4)
    y += size + 4
    last = f"last: {recent[-1].get('outcome')}"
    return draw_left(surface, fonts, fonts.small, last, MUTED, x, y)


def draw_screen(
    surface: pygame.Surface,
    layout: Layout,
    view: View,
    fonts: Fonts,
    cue: CueLook,
    meter: MeterLook | None = None,
) -> None:
    """The whole therapist screen, every layer (the voice meter when ``meter`` is given)."""
    draw_static(surface, layout, view, fonts)
    draw_plan(surface, layout.regions["plan"], view, fonts)
    draw_cue(surface, layout.regions["cue"], cue, fonts)
    draw_status(surface, layout.regions["status"], view, fonts, meter)
