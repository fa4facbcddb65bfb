"""The therapist screen's touch targets: layout on a design grid, hit-testing, the pickers.

Everything is laid out on a 1024x768 design grid and scaled by the window (``min(w/1024,
h/768)``, centred), so a 1024x768 tablet and a 1920x1080 laptop show the same screen. Touch
targets are at least 56 design pixels high; the "quiet" button is the biggest and is always
there. Every child and every activity of the catalogue can be reached however many there are:
the child is stepped through (``<`` and the name), up to five activities are listed and beyond
five the last row steps through the rest. For vocal prompts a button picks who says the
prompt: the synth sings it, espeak-ng speaks it, or a recorded prompt plays. Choosing a child
tells the engine, which applies their limits from then on. "quieter" and "louder" move the
volume cap in 3 dB steps, never above the child's own cap (the engine's ceiling). The input is the
child's live MIDI playing unless the therapist picks the virtual child, whose trials are stored
as simulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..activities.common import PROMPT_LEVELS
from ..activities.contract import Answer
from ..activities.registry import find_activity
from ..players.volume_cap import CAP_RANGE_DBFS

DESIGN_W, DESIGN_H = 1024, 768
MIN_TARGET = 56  # design pixels: a finger, not a mouse pointer
PROMPT_LABELS = ("full phys.", "partial phys.", "model", "verbal", "gestural", "independent")
ACTIVITY_ROWS = 5  # activity buttons in the left column
SUNG, SPOKEN = "synth", "espeak"  # prompt sources (the activity's ``prompt_source``)
CAP_STEP_DB = 3.0  # one tap on quieter or louder
MIN_CAP_DBFS = CAP_RANGE_DBFS[0]  # the engine's lowest volume cap


@dataclass(frozen=True)
class Rect:
    """A rectangle in window pixels."""

    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        """True when the point lies inside (left/top edges in, right/bottom out)."""
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h

    @property
    def center(self) -> tuple[int, int]:
        """The centre point."""
        return self.x + self.w // 2, self.y + self.h // 2

    def overlaps(self, other: Rect) -> bool:
        """True when the two rectangles share any pixel."""
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True)
class Button:
    """A touch target: ``name`` is what it does (``start``, ``child:S-014``, ``level:model``)."""

    name: str
    label: str
    rect: Rect
    kind: str = "action"  # action | choice | danger
    selected: bool = False
    enabled: bool = True


@dataclass
class View:
    """What the screen shows: the engine's state plus the therapist's choices on this screen."""

    state: dict[str, Any] = field(default_factory=dict)
    children: Sequence[dict[str, Any]] = ()
    activities: Sequence[dict[str, Any]] = ()
    child: str | None = None
    activity: str | None = None
    variant: str | None = None
    live_input: bool = True  # the child plays; the virtual child only when picked (simulated)
    therapist: str | None = None  # who runs the sessions opened from this screen
    notice: str = ""
    prompt: str = SUNG  # who says a vocal prompt: SUNG, SPOKEN or "asset:NAME"
    prompt_assets: Sequence[str] = ()  # the recorded prompts in the store, by name


def lacks_input_device(view: View) -> bool:
    """True when a live activity that listens to MIDI (every one but vocal prompts, which
    listens to the microphone) is running, or chosen for a child, and the engine has no device
    of the child's connected: its trials could not hear the child."""
    state = view.state
    running = state.get("activity")
    if running is not None:
        listens = state.get("input") == "live" and not answers_with_voice(running)
    else:
        chosen = view.activity is not None and not answers_with_voice(view.activity)
        listens = view.live_input and view.child is not None and chosen
    return listens and not state.get("child_devices")


@dataclass(frozen=True)
class Layout:
    """Buttons and regions for one window size."""

    scale: float
    buttons: tuple[Button, ...]
    regions: dict[str, Rect]


class Grid:
    """Design-grid -> window mapping (uniform scale, centred)."""

    def __init__(self, width: int, height: int) -> None:
        self.scale = min(width / DESIGN_W, height / DESIGN_H)
        self.ox = (width - DESIGN_W * self.scale) / 2
        self.oy = (height - DESIGN_H * self.scale) / 2

    def rect(self, x: float, y: float, w: float, h: float) -> Rect:
        """A design-grid rectangle in window pixels."""
        s = self.scale
        return Rect(round(self.ox + x * s), round(self.oy + y * s), round(w * s), round(h * s))


def layout(width: int, height: int, view: View) -> Layout:
    """Every button and region of the therapist screen at this window size."""
    grid = Grid(width, height)
    buttons = _top_bar(grid, view) + _pickers(grid, view) + _levels(grid, view)
    buttons += _volume(grid, view)
    regions = {
        "cue": grid.rect(272, 112, 440, 552),
        "status": grid.rect(728, 112, 280, 484),
        "title": grid.rect(16, 16, 200, 80),
    }
    return Layout(grid.scale, tuple(buttons), regions)


def layout_inputs(width: int, height: int, view: View) -> tuple[Any, ...]:
    """Everything :func:`layout` reads: while it is unchanged, so is the layout (a screen
    redrawn 60 times a second need not lay itself out 60 times)."""
    state = view.state
    activities = tuple(a["name"] for a in view.activities)
    running = (state.get("activity") is not None, bool(state.get("paused")))
    return (width, height, child_label(view), len(view.children), view.activity, view.variant,
            view.live_input, view.prompt, running, state.get("session_id") is not None,
            state.get("prompt_level", "independent"), activities,
            state.get("volume_cap_dbfs"), cap_limit(view), lacks_input_device(view))  # fmt: skip


def _top_bar(grid: Grid, view: View) -> list[Button]:
    state = view.state
    running = state.get("activity") is not None
    paused = bool(state.get("paused"))
    ready = view.child is not None and view.activity is not None and not lacks_input_device(view)
    row = [
        Button("stop" if running else "start", "stop" if running else "start",
               grid.rect(232, 16, 150, 80), enabled=running or ready),
        Button("resume" if paused else "pause", "resume" if paused else "pause",
               grid.rect(392, 16, 150, 80), enabled=running),
        Button("next_trial", "next trial", grid.rect(552, 16, 150, 80), enabled=running),
        Button("end_session", "end session", grid.rect(712, 16, 130, 80),
               enabled=state.get("session_id") is not None),
        Button("panic", "QUIET", grid.rect(852, 8, 164, 96), kind="danger"),
    ]  # fmt: skip
    return row


def _pickers(grid: Grid, view: View) -> list[Button]:
    """The left column: the child, the activities, the variant, the input and (vocal prompts)
    who says the prompt. Every child and every activity can be reached, however many."""
    free = view.state.get("session_id") is None  # a child's open session keeps its child
    many = len(view.children) > 1 and free
    buttons = [
        Button("child:prev", "<", grid.rect(16, 136, 56, 60), enabled=many),
        Button("child:next", child_label(view) + (" >" if many and view.child else ""),
               grid.rect(76, 136, 180, 60), "choice",
               selected=view.child is not None, enabled=bool(view.children) and free),
    ]  # fmt: skip
    y = 224.0
    names = [str(a["name"]) for a in view.activities]
    listed = names if len(names) <= ACTIVITY_ROWS else names[: ACTIVITY_ROWS - 1]
    for name in listed:
        buttons.append(
            Button(f"activity:{name}", name, grid.rect(16, y, 240, 60), "choice",
                   selected=name == view.activity)
        )  # fmt: skip
        y += 64
    if len(listed) < len(names):  # the last row steps through the rest
        chosen = view.activity if view.activity in names[len(listed) :] else None
        label = f"{chosen} >" if chosen else f"{len(names) - len(listed)} more >"
        buttons.append(
            Button("activity:more", label, grid.rect(16, y, 240, 60), "choice",
                   selected=chosen is not None)
        )  # fmt: skip
        y += 64
    y = max(y, 224 + ACTIVITY_ROWS * 64)
    buttons.append(Button("variant", f"variant: {view.variant or '-'}", grid.rect(16, y, 240, 60)))
    listens = "microphone" if answers_with_voice(view.activity) else "MIDI"  # what hears the child
    source = f"live {listens}" if view.live_input else "virtual (simulated)"
    buttons.append(Button("input", f"input: {source}", grid.rect(16, y + 64, 240, 60)))
    if says_prompts(view.activity):
        label = f"prompt: {prompt_label(view.prompt)}"
        buttons.append(Button("prompt", label, grid.rect(16, y + 128, 240, 60)))
    return buttons


def _volume(grid: Grid, view: View) -> list[Button]:
    """Quieter and louder: the volume cap in steps, never above the child's own cap."""
    value = view.state.get("volume_cap_dbfs")
    cap = float(value) if isinstance(value, (int, float)) else None  # None: not known yet
    return [
        Button("cap:down", "quieter", grid.rect(728, 604, 136, 60),
               enabled=cap is not None and cap > MIN_CAP_DBFS),
        Button("cap:up", "louder", grid.rect(872, 604, 136, 60),
               enabled=cap is not None and cap < cap_limit(view)),
    ]  # fmt: skip


def cap_limit(view: View) -> float:
    """The loudest cap the screen offers: the engine's ceiling (the chosen child's own cap),
    else the top of the range."""
    ceiling = view.state.get("child_cap_dbfs")
    return float(ceiling) if isinstance(ceiling, (int, float)) else CAP_RANGE_DBFS[1]


def next_cap(view: View, louder: bool) -> float:
    """The cap a tap on quieter or louder asks for: :data:`CAP_STEP_DB` down or up, within
    :data:`MIN_CAP_DBFS` and :func:`cap_limit`."""
    cap = float(view.state.get("volume_cap_dbfs", cap_limit(view)))
    wanted = cap + CAP_STEP_DB if louder else cap - CAP_STEP_DB
    return max(MIN_CAP_DBFS, min(cap_limit(view), wanted))


def child_label(view: View) -> str:
    """The child button's words: the chosen child's name (or code), or what to do."""
    if not view.children:
        return "no children yet"
    for child in view.children:
        if child["code"] == view.child:
            return str(child.get("display_name") or child["code"])
    return "pick a child >"


def step(options: Sequence[str], current: str | None, by: int) -> str | None:
    """The option ``by`` places after ``current`` (round the end); the first (or last) when
    ``current`` is not one of them; None when there are none."""
    if not options:
        return None
    if current is None or current not in options:
        return options[0] if by >= 0 else options[-1]
    return options[(list(options).index(current) + by) % len(options)]


def answers_with_voice(activity: Any) -> bool:
    """Whether the child answers ``activity`` (a name) with their voice (a microphone)."""
    found = find_activity(activity)
    return found is not None and found.answers_with is Answer.VOICE


def says_prompts(activity: Any) -> bool:
    """Whether the therapist chooses who says ``activity``'s prompts (its ``prompt_source``:
    the synth sings, espeak-ng speaks, a recorded prompt plays)."""
    found = find_activity(activity)
    return found is not None and any(spec.name == "prompt_source" for spec in found.specs)


def prompt_choices(view: View) -> list[str]:
    """Who may say a vocal prompt: the synth, espeak-ng, each recorded prompt."""
    return [SUNG, SPOKEN, *(f"asset:{name}" for name in view.prompt_assets)]


def prompt_label(choice: str) -> str:
    """``sung``, ``spoken`` or ``recorded: NAME``."""
    if choice.startswith("asset:"):
        return f"recorded: {choice.partition(':')[2]}"
    return "spoken" if choice == SPOKEN else "sung"


def start_params(view: View) -> dict[str, Any]:
    """The parameters a tap on "start" sends: the variant, and who says the prompts."""
    params: dict[str, Any] = {"variant": view.variant} if view.variant else {}
    if says_prompts(view.activity):
        kind, _, name = view.prompt.partition(":")
        params["prompt_source"] = kind
        if kind == "asset":
            params["prompt_asset"] = name
    return params


def _levels(grid: Grid, view: View) -> list[Button]:
    current = view.state.get("prompt_level", "independent")
    width = (1008 - 272 - 5 * 8) / 6
    return [
        Button(f"level:{level}", label, grid.rect(272 + i * (width + 8), 680, width, 72),
               "choice", selected=level == current)
        for i, (level, label) in enumerate(zip(PROMPT_LEVELS, PROMPT_LABELS, strict=True))
    ]  # fmt: skip


def hit_test(buttons: Sequence[Button], x: float, y: float) -> Button | None:
    """The enabled button under the point, or None (the quiet button wins any overlap)."""
    hits = [b for b in buttons if b.enabled and b.rect.contains(x, y)]
    hits.sort(key=lambda b: b.kind != "danger")
    return hits[0] if hits else None
