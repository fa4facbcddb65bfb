"""The session page's arrangement: where each touch target and region sits, landscape or portrait.

A landscape window (1280x800, 1920x1080, a 1024x768 tablet) lays the page out on a 1280x800
design grid: the session's buttons along the top with QUIET at the right, the child and activity
pickers down the left, the plan in the middle with the small preview of the child's cue and the
volume under it, the status panel on the right, the pages the therapist opens (two rows) and the
prompt levels along the bottom right. A portrait window (800x1280, a tablet turned) has its own
800x1280 grid: QUIET and the session's buttons on top, the pickers down the left with the volume
and the cue's preview under them, the plan and under it the status panel down the right, the
pages and the prompt levels for the thumb at the bottom, two rows each. A window far wider than
tall (the upper half of a screen whose lower half shows the child's view) has a 1600x480 grid:
the pickers in two columns, the pages behind one "pages" button, the prompt levels in two rows.
Each grid is scaled uniformly and centred; every target is at least :data:`DESIGN_TARGET` design
pixels, so at least :data:`~.controls.MIN_TARGET_PX` window pixels down to 1024x768 (and
1280x400). QUIET is the biggest button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..activities.common import PROMPT_LEVELS
from .controls import (
    ACTIVITY_ROWS,
    MIN_CAP_DBFS,
    PROMPT_LABELS,
    Button,
    Grid,
    Layout,
    Rect,
    View,
    activity_words,
    answers_with_voice,
    cap_limit,
    child_label,
    lacks_input_device,
    prompt_label,
    says_prompts,
)

DESIGN_TARGET = 60  # design pixels: 48 window pixels at the smallest scale (0.8, 1024x768)
GAP = 8
#: The pages the session page opens, in the order of its navigation row: (name, label).
NAVIGATION = (
    ("new_child", "new child"),
    ("profile", "child"),
    ("goals", "goals"),
    ("devices", "devices"),
    ("note", "note"),
    ("summary", "summary"),
    ("export", "export"),
    ("therapist", "therapist"),
    ("paired_devices", "remote"),
    ("help", "help ?"),
)
PLAN_STEPS = ("repeat_step", "skip_step", "next_step")
STEP_LABELS = {"repeat_step": "repeat", "skip_step": "skip", "next_step": "next step"}


@dataclass(frozen=True)
class Arrangement:
    """Where the parts of the session page sit on one design grid (x, y, w, h each)."""

    design: tuple[int, int]
    title: tuple[int, int, int, int]
    quiet: tuple[int, int, int, int]
    session_row: tuple[int, int, int, int]  # start, stop, pause, next trial, end session
    pickers: tuple[int, int, int]  # x, y, w of the left column (rows of DESIGN_TARGET + GAP)
    plan: tuple[int, int, int, int]  # plan picker, the steps, the step buttons
    cue: tuple[int, int, int, int]  # the small preview of the child's cue
    status: tuple[int, int, int, int]
    volume: tuple[int, int, int, int]  # quieter, louder side by side
    navigation: tuple[int, int, int, int] | None  # None: one "pages" button opens them all
    levels: tuple[int, int, int, int]
    navigation_rows: int = 1  # rows the pages' buttons take
    level_rows: int = 1  # rows the prompt levels take
    picker_rows: int = 0  # pickers a column holds before the next column (0: one column)
    pages: tuple[int, int, int, int] | None = None  # the "pages" button, without a row of them


LANDSCAPE = Arrangement(
    design=(1280, 800),
    title=(16, 16, 240, 80),
    quiet=(1040, 8, 224, 96),
    session_row=(272, 16, 752, 80),
    pickers=(16, 112, 240),
    plan=(272, 112, 616, 372),
    cue=(272, 492, 300, 72),
    status=(904, 112, 360, 452),
    volume=(580, 492, 308, 72),
    navigation=(272, 580, 992, 128),
    levels=(272, 724, 992, 64),
    navigation_rows=2,
)
PORTRAIT = Arrangement(
    design=(800, 1280),
    title=(16, 16, 520, 96),
    quiet=(552, 8, 232, 112),
    session_row=(16, 128, 768, 80),
    pickers=(16, 224, 360),
    plan=(392, 224, 392, 312),  # the steps shown around the current one (plan_panel)
    cue=(16, 912, 360, 72),
    status=(392, 552, 392, 432),  # room for the figures and the outcomes under them
    volume=(16, 844, 360, 60),
    navigation=(16, 1000, 768, 128),
    levels=(16, 1136, 768, 128),
    navigation_rows=2,  # the pages and the prompt levels in two rows each: words stay large
    level_rows=2,
)


#: A window far wider than tall (the upper half of a screen whose lower half shows the child's
#: view): the pickers in two columns, the pages behind one button, the levels in two rows.
WIDE = Arrangement(
    design=(1600, 480),
    title=(16, 8, 200, 80),
    quiet=(1368, 8, 216, 112),
    session_row=(224, 8, 760, 80),
    pickers=(16, 104, 240),
    plan=(520, 104, 400, 368),
    cue=(1376, 128, 208, 208),
    status=(936, 96, 424, 240),
    volume=(992, 8, 368, 80),
    navigation=None,
    levels=(936, 344, 648, 128),
    level_rows=2,
    picker_rows=5,
    pages=(264, 376, 240, 60),
)
WIDE_ASPECT = 2.2  # wider than this for its height: the wide arrangement


def arrangement(width: int, height: int) -> Arrangement:
    """Portrait's own arrangement for a window taller than wide, the wide one for a window
    more than :data:`WIDE_ASPECT` times wider than tall, else landscape's."""
    if height > width:
        return PORTRAIT
    return WIDE if width > WIDE_ASPECT * height else LANDSCAPE


def layout(width: int, height: int, view: View) -> Layout:
    """Every button and region of the session page at this window size."""
    place = arrangement(width, height)
    grid = Grid(width, height, *place.design)
    buttons = _session_row(grid, place, view) + _pickers(grid, place, view)
    buttons += _plan(grid, place, view) + _volume(grid, place, view)
    if place.navigation is not None:
        pages = [Button(name, label, Rect(0, 0, 0, 0)) for name, label in NAVIGATION]
        buttons += _rows(grid, place.navigation, pages, place.navigation_rows)
    elif place.pages is not None:
        buttons.append(Button("pages", "pages >", grid.rect(*place.pages)))
    buttons += _levels(grid, place, view)
    x, y, w, h = place.plan
    regions = {
        "title": grid.rect(*place.title),
        "plan": grid.rect(x, y + DESIGN_TARGET + GAP, w, h - 2 * (DESIGN_TARGET + GAP)),
        "cue": grid.rect(*place.cue),
        "status": grid.rect(*place.status),
    }
    return Layout(grid.scale, tuple(buttons), regions)


def layout_inputs(width: int, height: int, view: View) -> tuple[Any, ...]:
    """Everything :func:`layout` reads: while it is unchanged, so is the layout (a screen
    redrawn 30 times a second need not lay itself out 30 times)."""
    state = view.state
    activities = tuple(a["name"] for a in view.activities)
    running = (state.get("activity") is not None, bool(state.get("paused")))
    plan = state.get("plan") or {}
    return (width, height, child_label(view), len(view.children), view.activity, view.variant,
            view.live_input, view.prompt, running, state.get("session_id") is not None,
            state.get("prompt_level", "independent"), activities,
            state.get("volume_cap_dbfs"), cap_limit(view), lacks_input_device(view),
            view.plan, len(view.plans), plan.get("name"), plan.get("state"))  # fmt: skip


def _row(grid: Grid, box: tuple[int, int, int, int], buttons: list[Button]) -> list[Button]:
    """``buttons`` side by side across ``box``, equally wide, GAP apart."""
    x, y, w, h = box
    width = (w - (len(buttons) - 1) * GAP) / len(buttons)
    placed = []
    for i, button in enumerate(buttons):
        rect = grid.rect(x + i * (width + GAP), y, width, h)
        placed.append(Button(button.name, button.label, rect, button.kind, button.selected,
                             button.enabled))  # fmt: skip
    return placed


def _rows(
    grid: Grid, box: tuple[int, int, int, int], buttons: list[Button], rows: int
) -> list[Button]:
    """``buttons`` in ``rows`` rows across ``box``, as many to a row (the last may be short)."""
    x, y, w, h = box
    per_row = -(-len(buttons) // rows)
    height = (h - (rows - 1) * GAP) / rows
    placed = []
    for row in range(rows):
        chunk = buttons[row * per_row : (row + 1) * per_row]
        if chunk:
            top = round(y + row * (height + GAP))
            placed += _row(grid, (x, top, round(w * len(chunk) / per_row), round(height)), chunk)
    return placed


def _session_row(grid: Grid, place: Arrangement, view: View) -> list[Button]:
    """Start and stop apart (stop and end session ask first), pause, next trial; QUIET."""
    state = view.state
    running = state.get("activity") is not None
    paused = bool(state.get("paused"))
    ready = view.child is not None and view.activity is not None and not lacks_input_device(view)
    nowhere = Rect(0, 0, 0, 0)
    row = [
        Button("start", "start", nowhere, enabled=ready and not running),
        Button("stop", "stop", nowhere, enabled=running),
        Button("resume" if paused else "pause", "resume" if paused else "pause", nowhere,
               enabled=running),
        Button("next_trial", "next trial", nowhere, enabled=running),
        Button("end_session", "end session", nowhere, enabled=state.get("session_id") is not None),
    ]  # fmt: skip
    quiet = Button("panic", "QUIET", grid.rect(*place.quiet), kind="danger")
    return [*_row(grid, place.session_row, row), quiet]


def _pickers(grid: Grid, place: Arrangement, view: View) -> list[Button]:
    """The pickers, row by row down a column (a wide window: several columns): the child, the
    activities, the variant, the input and (vocal prompts) who says the prompt. Every child
    and every activity can be reached, however many."""
    x, y, w = place.pickers
    per_column = place.picker_rows or 1_000

    def slot(index: int, dx: float = 0, width: float = w) -> Rect:
        """Picker row ``index`` (down a column, then the next), ``dx`` in, ``width`` wide."""
        column, row = divmod(index, per_column)
        left = x + column * (w + GAP) + dx
        return grid.rect(left, y + row * (DESIGN_TARGET + GAP), width, DESIGN_TARGET)

    # an activity running in a child's session keeps its child; between activities of an open
    # session the arrows ask first (the session page's confirmation: yes ends the session)
    free = view.state.get("session_id") is None or view.state.get("activity") is None
    many = len(view.children) > 1 and free
    buttons = [
        Button("child:prev", "<", slot(0, 0, DESIGN_TARGET), enabled=many),
        Button("child:next", child_label(view) + (" >" if many and view.child else ""),
               slot(0, DESIGN_TARGET + GAP, w - DESIGN_TARGET - GAP), "choice",
               selected=view.child is not None, enabled=bool(view.children) and free),
    ]  # fmt: skip
    names = [str(a["name"]) for a in view.activities]
    listed = names if len(names) <= ACTIVITY_ROWS else names[: ACTIVITY_ROWS - 1]
    for index, name in enumerate(listed, 1):
        buttons.append(Button(f"activity:{name}", activity_words(name), slot(index), "choice",
                              selected=name == view.activity))  # fmt: skip
    if len(listed) < len(names):  # the last row steps through the rest
        chosen = view.activity if view.activity in names[len(listed) :] else None
        label = f"{activity_words(chosen)} >" if chosen else f"{len(names) - len(listed)} more >"
        buttons.append(Button("activity:more", label, slot(ACTIVITY_ROWS), "choice",
                              selected=chosen is not None))  # fmt: skip
    after = 1 + ACTIVITY_ROWS
    if view.variant is not None:  # an activity with no kinds to choose among shows none
        buttons.append(Button("variant", f"variant: {view.variant}", slot(after)))
    listens = "microphone" if answers_with_voice(view.activity) else "MIDI"  # what hears the child
    source = f"live {listens}" if view.live_input else "virtual (simulated)"
    buttons.append(Button("input", f"input: {source}", slot(after + 1)))
    if says_prompts(view.activity):
        label = f"prompt: {prompt_label(view.prompt)}"
        buttons.append(Button("prompt", label, slot(after + 2)))
    return buttons


def _plan(grid: Grid, place: Arrangement, view: View) -> list[Button]:
    """The plan picker and its start above the steps; repeat, skip and next step under them."""
    x, y, w, h = place.plan
    plan = view.state.get("plan") or {}
    free = view.state.get("activity") is None and plan.get("state") in (None, "done")
    picker_w = (w - GAP) // 2  # QUIET stays the biggest target
    start_w = w - picker_w - GAP
    label = view.plan or ("pick a plan >" if view.child else "plans: pick a child")
    buttons = [
        Button("plan:next", f"plan: {label}", grid.rect(x, y, picker_w, DESIGN_TARGET), "choice",
               selected=view.plan is not None, enabled=view.child is not None and free),
        Button("start_plan", "start plan",
               grid.rect(x + picker_w + GAP, y, start_w, DESIGN_TARGET),
               enabled=free and view.plan is not None and view.child is not None),
    ]  # fmt: skip
    playing = plan.get("state") in ("running", "between")
    steps = [
        Button(name, STEP_LABELS[name], Rect(0, 0, 0, 0),
               enabled=playing or (name == "repeat_step" and plan.get("state") == "done"))
        for name in PLAN_STEPS
    ]  # fmt: skip
    bottom = (x, y + h - DESIGN_TARGET, w, DESIGN_TARGET)
    return buttons + _row(grid, bottom, steps)


def _volume(grid: Grid, place: Arrangement, view: View) -> list[Button]:
    """Quieter and louder: the volume cap in steps, never above the child's own cap."""
    value = view.state.get("volume_cap_dbfs")
    cap = float(value) if isinstance(value, (int, float)) else None  # None: not known yet
    x, y, w, h = place.volume
    buttons = [
        Button("cap:down", "quieter", Rect(0, 0, 0, 0),
               enabled=cap is not None and cap > MIN_CAP_DBFS),
        Button("cap:up", "louder", Rect(0, 0, 0, 0),
               enabled=cap is not None and cap < cap_limit(view)),
    ]  # fmt: skip
    if h >= 2 * DESIGN_TARGET + GAP:  # a tall box (portrait): one above the other
        half = (h - GAP) // 2
        return [
            Button(b.name, b.label, grid.rect(x, y + i * (half + GAP), w, half), b.kind,
                   b.selected, b.enabled)
            for i, b in enumerate(buttons)
        ]  # fmt: skip
    return _row(grid, place.volume, buttons)


def _levels(grid: Grid, place: Arrangement, view: View) -> list[Button]:
    current = view.state.get("prompt_level", "independent")
    levels = [
        Button(f"level:{level}", label, Rect(0, 0, 0, 0), "choice", selected=level == current)
        for level, label in zip(PROMPT_LEVELS, PROMPT_LABELS, strict=True)
    ]
    return _rows(grid, place.levels, levels, place.level_rows)
