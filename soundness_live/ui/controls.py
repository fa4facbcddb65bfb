"""The therapist screen's touch targets: rectangles, buttons, hit-testing, the pickers' steps.

What every page shares: a :class:`Button` is a touch target named by what it does, a
:class:`Layout` a page's buttons and regions at one window size, :class:`Grid` a page's design
grid scaled to the window, :func:`hit_test` the button under a finger. Touch targets are at least
:data:`MIN_TARGET_PX` window pixels at every supported size (1280x800, 1920x1080, portrait
800x1280, and down to 1024x768). Every child and every activity of the catalogue can be reached
however many there are: the child is stepped through (``<`` and the name), up to five activities
are listed and beyond five the last row steps through the rest. For vocal prompts a button picks
who says the prompt: the synth sings it, espeak-ng speaks it, or a recorded prompt plays.
Choosing a child tells the engine, which applies their limits from then on. "quieter" and
"louder" move the volume cap in 3 dB steps, never above the child's own cap (the engine's
ceiling). The input is the child's live MIDI playing unless the therapist picks the virtual
child, whose trials are stored as simulated. (The session page's arrangement of them is
:mod:`.session_layout`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..activities.contract import Answer
from ..activities.registry import find_activity
from ..players.volume_cap import CAP_RANGE_DBFS

MIN_TARGET_PX = 48  # window pixels: a finger, not a mouse pointer, at every supported size
#: The prompt hierarchy's words (most help first), as a therapist says them.
PROMPT_LABELS = (
    "full physical", "partial physical", "model", "verbal", "gestural", "independent"
)  # fmt: skip
#: What the activity pickers call each activity: the words of the plan steps that play it
#: ("play with the beat"), not its id; an activity not named here reads as its id in words.
ACTIVITY_WORDS = {
    "call-and-response": "call and response",
    "waiting": "waiting game",
    "tempo-following": "play with the beat",
    "free-play": "free play",
    "vocal-prompts": "sung syllables",
}
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

    @property
    def spoken(self) -> str:
        """What the button says read aloud: its label, and "chosen" for the chosen one of a
        choice (its colour is never the only sign: a border and a tick are drawn too)."""
        chosen = self.kind == "choice" and self.selected
        return f"{self.label}, chosen" if chosen else self.label


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
    plans: Sequence[dict[str, Any]] = ()  # the plans the child can run (the engine's 'plans')
    plan: str | None = None  # the plan picked to start


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
    """A page's design grid mapped onto the window: one uniform scale, centred."""

    def __init__(self, width: int, height: int, design_w: int, design_h: int) -> None:
        self.scale = min(width / design_w, height / design_h)
        self.ox = (width - design_w * self.scale) / 2
        self.oy = (height - design_h * self.scale) / 2

    def rect(self, x: float, y: float, w: float, h: float) -> Rect:
        """A design-grid rectangle in window pixels."""
        s = self.scale
        return Rect(round(self.ox + x * s), round(self.oy + y * s), round(w * s), round(h * s))


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


def activity_words(name: str) -> str:
    """An activity as the therapist's screen names it (:data:`ACTIVITY_WORDS`)."""
    return ACTIVITY_WORDS.get(name, name.replace("-", " "))


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


def hit_test(buttons: Sequence[Button], x: float, y: float) -> Button | None:
    """The enabled button under the point, or None (the quiet button wins any overlap)."""
    hits = [b for b in buttons if b.enabled and b.rect.contains(x, y)]
    hits.sort(key=lambda b: b.kind != "danger")
    return hits[0] if hits else None
