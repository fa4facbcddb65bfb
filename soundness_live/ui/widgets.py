"""The therapist screen's layout, hit-testing and calm animation: pure, no pygame, no display.

Everything is laid out on a 1024x768 design grid and scaled by the window (``min(w/1024,
h/768)``, centred), so a 1024x768 tablet and a 1920x1080 laptop show the same screen. Touch
targets are at least 56 design pixels high; the "quiet" button is the biggest and is always
there. The child-facing cue area never flashes: colours cross-fade over :data:`FADE_S` and the
beat pulse is a gentle size/alpha change, never faster than :data:`MAX_PULSE_HZ`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DESIGN_W, DESIGN_H = 1024, 768
MIN_TARGET = 56  # design pixels: a finger, not a mouse pointer
FADE_S = 0.5
MAX_PULSE_HZ = 2.5  # under the ~3 Hz flashing threshold, with margin
PROMPT_LEVELS = ("full_physical", "partial_physical", "model", "verbal", "gestural", "independent")
PROMPT_LABELS = ("full phys.", "partial phys.", "model", "verbal", "gestural", "independent")
Colour = tuple[int, int, int]

CUES: dict[str, tuple[str, Colour]] = {
    "listen": ("listen", (70, 110, 160)),
    "therapist_call": ("listen", (70, 110, 160)),
    "your_turn": ("your turn", (70, 140, 100)),
    "wait": ("wait", (150, 120, 70)),
    "go": ("go", (70, 140, 100)),
    "no_go": ("wait", (150, 120, 70)),
    "play": ("play", (70, 140, 100)),
    "stop": ("stop", (150, 90, 90)),
    "beat": ("play with the beat", (90, 120, 150)),
    "tap": ("your own beat", (90, 120, 150)),
    "lead": ("you lead", (90, 120, 150)),
    "turn": ("your turn", (70, 140, 100)),
    "done": ("well done", (100, 100, 130)),
}
IDLE_CUE: tuple[str, Colour] = ("", (60, 64, 72))


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
    live_input: bool = False
    notice: str = ""


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
    regions = {
        "cue": grid.rect(272, 112, 440, 552),
        "status": grid.rect(728, 112, 280, 552),
        "title": grid.rect(16, 16, 200, 80),
    }
    return Layout(grid.scale, tuple(buttons), regions)


def layout_inputs(width: int, height: int, view: View) -> tuple[Any, ...]:
    """Everything :func:`layout` reads: while it is unchanged, so is the layout (a screen
    redrawn 60 times a second need not lay itself out 60 times)."""
    state = view.state
    children = tuple((c["code"], c.get("display_name")) for c in list(view.children)[:4])
    activities = tuple(a["name"] for a in list(view.activities)[:4])
    running = (state.get("activity") is not None, bool(state.get("paused")))
    return (width, height, view.child, view.activity, view.variant, view.live_input, running,
            state.get("session_id") is not None, state.get("prompt_level", "independent"),
            children, activities)  # fmt: skip


def _top_bar(grid: Grid, view: View) -> list[Button]:
    state = view.state
    running = state.get("activity") is not None
    paused = bool(state.get("paused"))
    ready = view.child is not None and view.activity is not None
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
    buttons: list[Button] = []
    y = 136.0
    for child in list(view.children)[:4]:
        code = str(child["code"])
        label = child.get("display_name") or code
        buttons.append(
            Button(f"child:{code}", str(label), grid.rect(16, y, 240, 60), "choice",
                   selected=code == view.child)
        )  # fmt: skip
        y += 64
    y = max(y, 136 + 4 * 64) + 28
    for activity in list(view.activities)[:4]:
        name = str(activity["name"])
        buttons.append(
            Button(f"activity:{name}", name, grid.rect(16, y, 240, 60), "choice",
                   selected=name == view.activity)
        )  # fmt: skip
        y += 64
    buttons.append(Button("variant", f"variant: {view.variant or '-'}", grid.rect(16, y, 240, 60)))
    source = "live MIDI" if view.live_input else "virtual child"
    buttons.append(Button("input", f"input: {source}", grid.rect(16, y + 64, 240, 60)))
    return buttons


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


def cue_words(cue: dict[str, Any] | None) -> tuple[str, Colour]:
    """The child-facing word and calm background colour of a cue."""
    if not cue:
        return IDLE_CUE
    return CUES.get(str(cue.get("cue")), ("", IDLE_CUE[1]))


def fade(start: Colour, end: Colour, elapsed_s: float) -> Colour:
    """Cross-fade from ``start`` to ``end`` over FADE_S (smoothstep: no sudden jump)."""
    t = min(1.0, max(0.0, elapsed_s / FADE_S))
    t = t * t * (3 - 2 * t)
    return tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))  # type: ignore[return-value]


def pulse(now_ms: float, beat_ms: float, ioi_ms: float | None) -> tuple[float, float]:
    """(size factor, alpha 0..1) of the beat pulse at ``now_ms``: a soft swell after each beat.

    Beats faster than MAX_PULSE_HZ pulse on every second (third...) beat, so the pulse never
    exceeds it. Without a beat period: steady (1.0, 0.8).
    """
    if not ioi_ms or ioi_ms <= 0:
        return 1.0, 0.8
    period_ms = ioi_ms * math.ceil((1000.0 / MAX_PULSE_HZ) / ioi_ms)
    phase = ((now_ms - beat_ms) % period_ms) / period_ms
    swell = 0.5 + 0.5 * math.cos(2 * math.pi * phase)  # 1 on the beat, smooth in between
    return 1.0 + 0.08 * swell, 0.7 + 0.3 * swell


# -- the live voice meter and the timing counters (status panel) -----------------------------
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
METER_FLOOR_DB = -60.0  # the level bar's empty end (dB re full scale); its full end is 0
NEEDLE_CENTS = 100.0  # the pitch track spans a semitone either side of the target
ON_PITCH_CENTS = 50.0  # METRICS.md §4: "on pitch" within 50 cents; shaded on the track


def note_name(hz: float) -> str:
    """The nearest equal-tempered note: 392.0 -> "G4", 261.6 -> "C4"."""
    key = round(69 + 12 * math.log2(hz / 440.0))
    return f"{NOTE_NAMES[key % 12]}{key // 12 - 1}"


def cents_off(pitch_hz: float, reference_hz: float) -> float:
    """How far ``pitch_hz`` is above (+) or below (-) ``reference_hz``, in cents."""
    return 1200.0 * math.log2(pitch_hz / reference_hz)


def pitch_label(pitch_hz: float | None, target_hz: float | None) -> str:
    """The sung pitch against the target note, e.g. "G4 +12 cents" (without a target, against
    the nearest note); the target's name alone while no pitch is heard; "" with neither."""
    if pitch_hz is None:
        return note_name(target_hz) if target_hz else ""
    reference = target_hz or 440.0 * 2 ** (round(12 * math.log2(pitch_hz / 440.0)) / 12)
    return f"{note_name(reference)} {round(cents_off(pitch_hz, reference)):+d} cents"


def level_fraction(level_db: float) -> float:
    """The level bar's filled fraction, 0 at METER_FLOOR_DB and below, 1 at 0 dB and above."""
    return min(1.0, max(0.0, (level_db - METER_FLOOR_DB) / -METER_FLOOR_DB))


def ease(current: float, target: float, elapsed_s: float, time_constant_s: float = 0.12) -> float:
    """Move ``current`` toward ``target`` smoothly (one-pole): meter values glide, never jump."""
    return target + (current - target) * math.exp(-max(0.0, elapsed_s) / time_constant_s)


@dataclass(frozen=True)
class MeterLayout:
    """The voice meter's parts: the level bar (track and filled part), the pitch track with
    its on-pitch zone and centre, and the needle (None when no pitch is heard)."""

    level: Rect
    level_fill: Rect
    track: Rect
    zone: Rect
    needle: Rect | None


def meter_layout(box: Rect, scale: float, level_db: float, cents: float | None) -> MeterLayout:
    """The meter in ``box`` (label row on top, left to the caller): the needle sits at the
    centre on pitch and at an end a semitone (or more) sharp or flat."""
    row = round(30 * scale)
    level = Rect(box.x, box.y + row, box.w, max(4, round(14 * scale)))
    fill = Rect(level.x, level.y, round(level.w * level_fraction(level_db)), level.h)
    track_y = level.y + level.h + round(12 * scale)
    track = Rect(box.x, track_y, box.w, max(8, min(round(28 * scale), box.y + box.h - track_y)))
    half = track.w / 2
    zone_w = round(2 * half * ON_PITCH_CENTS / NEEDLE_CENTS)
    zone = Rect(track.center[0] - zone_w // 2, track.y, zone_w, track.h)
    needle = None
    if cents is not None:
        width = max(2, round(4 * scale))
        offset = min(1.0, max(-1.0, cents / NEEDLE_CENTS)) * (half - width / 2)
        needle = Rect(round(track.x + half + offset - width / 2), track.y, width, track.h)
    return MeterLayout(level, fill, track, zone, needle)


def diagnostics_text(state: dict[str, Any]) -> str:
    """The engine's timing counters in one small line: output under-runs, scheduled sounds
    handed on late, the child's notes too late for their constant thru delay, and commands
    dropped by a full renderer queue (only when there are any); first, when the engine's sound
    output has stopped (device unplugged, audio server gone), that it has."""
    counts = [int(state.get(key) or 0) for key in ("underruns", "late_events", "thru_late")]
    text = "under-runs {} · late {} · thru late {}".format(*counts)
    dropped = int(state.get("dropped_commands") or 0)
    text += f" · dropped {dropped}" if dropped else ""
    return ("SOUND OUTPUT STOPPED · " + text) if state.get("output_stalled") else text
