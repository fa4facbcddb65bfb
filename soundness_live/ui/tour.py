"""A tour of the therapist's screen driven as a therapist drives it: fingers on buttons (touch
events through pygame's event queue), a session plan played with the virtual child from the
session page, the window switched among the supported sizes as it plays, and a screenshot of
every page at every size. Each page's hit-test layout is checked as it is shown: every button
inside the window, none overlapping another, each at least :data:`~.controls.MIN_TARGET_PX`
both ways.

``soundness-live screenshots DIR`` runs it against an engine of its own; the tests run it too.
The tour only drives the screen: what reached the store is for its caller to check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from ..errors import SoundnessError
from ..plans.plan import Plan, PlanStep
from .app import TherapistApp
from .controls import MIN_TARGET_PX, Layout
from .session_layout import NAVIGATION

SIZES = ((1280, 800), (1920, 1080), (800, 1280))
#: The plan the tour plays: two steps of one trial each, a second's countdown between them.
TOUR_PLAN = Plan(
    "screen-tour",
    (
        PlanStep("waiting", None, {"trials": 1, "foreperiod_ms": 300, "jitter_pct": 0,
                                   "lead_in_ms": 0, "gap_ms": 0}, label="wait for it"),
        PlanStep("tempo-following", None, {"trials": 1, "beats": 6, "tempo_bpm": 150,
                                           "lead_in_ms": 0, "gap_ms": 0},
                 label="play with the beat"),
    ),
    countdown_s=1.0,
)  # fmt: skip


class TourError(SoundnessError):
    """The screen did not do what the tour asked of it (a button missing or disabled, the
    engine not reaching a state in time)."""


@dataclass
class Tour:
    """What a tour saw: the screenshots it saved and the layout faults it found."""

    folder: Path
    shots: list[Path] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)


#: The buttons a page must show whatever its state: QUIET on every layer of the window's own.
KEY_BUTTONS = {
    "session": {"panic", "start", "stop", "end_session", "plan:next", "start_plan", "next_step",
                "skip_step", "repeat_step", "level:independent"},
    "confirm": {"panic", "yes", "no"},
    "help": {"panic", "close"},
}  # fmt: skip


def layout_faults(layout: Layout, size: tuple[int, int], page: str) -> list[str]:
    """Every way ``layout`` fails a finger at window ``size``: a key button missing
    (:data:`KEY_BUTTONS`), a button outside the window, smaller than MIN_TARGET_PX either way,
    or overlapping another button."""
    width, height = size
    names = {button.name for button in layout.buttons}
    faults = [f"{page} {width}x{height}: the {name} button is missing"
              for name in sorted(KEY_BUTTONS.get(page, set()) - names)]  # fmt: skip
    buttons = layout.buttons
    for button in buttons:
        r = button.rect
        if r.x < 0 or r.y < 0 or r.x + r.w > width or r.y + r.h > height:
            faults.append(f"{page} {width}x{height}: {button.name} lies outside the window")
        if min(r.w, r.h) < MIN_TARGET_PX:
            faults.append(f"{page} {width}x{height}: {button.name} is {r.w}x{r.h} px")
    for i, a in enumerate(buttons):
        for b in buttons[i + 1 :]:
            if a.rect.overlaps(b.rect):
                faults.append(f"{page} {width}x{height}: {a.name} overlaps {b.name}")
    return faults


class Driver:
    """Drives a :class:`TherapistApp` by touch and keys, as a therapist would."""

    def __init__(self, app: TherapistApp, tour: Tour) -> None:
        self.app, self.tour = app, tour

    def tap(self, name: str) -> None:
        """A finger on the centre of the button called ``name`` on the page shown."""
        app = self.app
        button = next((b for b in app.layout.buttons if b.name == name), None)
        if button is None or not button.enabled:
            state = "disabled" if button is not None else "not there"
            raise TourError(f"the {app.page.name} page's button {name!r} is {state}")
        width, height = app.surface.get_size()
        x, y = button.rect.center
        pygame.event.post(pygame.event.Event(
            pygame.FINGERDOWN, x=x / width, y=y / height, touch_id=1, finger_id=1, dx=0.0,
            dy=0.0, pressure=1.0,
        ))  # fmt: skip
        self.frames(2)

    def key(self, key: int, text: str = "") -> None:
        """A key pressed on the keyboard."""
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=text, mod=0))
        self.frames(2)

    def frames(self, count: int) -> None:
        """Let the screen draw ``count`` frames."""
        self.app.run(max_frames=count)

    def until(self, what: str, done: Callable[[dict[str, Any]], bool], timeout_s: float) -> None:
        """Draw frames until the engine's state is ``done``; TourError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not done(self.app.view.state):
            if time.monotonic() > deadline:
                notice = self.app.view.notice
                raise TourError(f"waited {timeout_s:g} s for {what}; the screen says: {notice}")
            self.frames(1)

    def resize(self, size: tuple[int, int]) -> None:
        """The window at ``size``."""
        self.app.resize(size)
        self.frames(2)

    def shoot(self, name: str) -> Path:
        """Check the page's layout and save a screenshot named after it and the size."""
        app = self.app
        size = app.surface.get_size()
        self.tour.faults += layout_faults(app.layout, size, app.page.name)
        path = self.tour.folder / f"{len(self.tour.shots) + 1:02d}-{name}-{size[0]}x{size[1]}.png"
        self.tour.shots.append(app.screenshot(path))
        return path

    def step_to(self, button: str, reached: Callable[[], bool], most: int = 50) -> None:
        """Tap ``button`` until ``reached`` (a picker stepped through)."""
        for _ in range(most):
            if reached():
                return
            self.tap(button)
        raise TourError(f"{button} never reached what the tour looks for")


def play_plan(
    app: TherapistApp, child: str, plan: str, folder: Path, sizes: Sequence[tuple[int, int]] = SIZES
) -> Tour:
    """Play ``plan`` for ``child`` with the virtual child through the session page, switching
    sizes as it plays, then visit every page at every size and end the session (confirmed);
    every screen shot into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tour = Tour(folder)
    go = Driver(app, tour)
    go.resize(sizes[0])
    go.shoot("session-start")
    go.step_to("child:next", lambda: app.view.child == child)
    if app.view.live_input:
        go.tap("input")  # the virtual child plays: stored as simulated
    go.step_to("plan:next", lambda: app.view.plan == plan)
    go.shoot("plan-picked")
    go.tap("start_plan")
    go.until("the plan's first step", lambda s: _plan(s).get("state") == "running", 10.0)
    go.resize(sizes[1 % len(sizes)])
    go.shoot("step-1")
    go.until("the countdown", lambda s: _plan(s).get("state") == "between", 30.0)
    go.resize(sizes[2 % len(sizes)])
    go.shoot("countdown")
    go.until("the last step", lambda s: s.get("activity") is not None, 30.0)
    go.shoot("step-2")
    go.until("the plan's end", lambda s: _plan(s).get("state") == "done", 30.0)
    go.frames(3)
    go.shoot("plan-done")
    for size in sizes:
        every_page(go, size)
    go.tap("end_session")
    go.tap("yes")
    go.until("the session's end", lambda s: s.get("session_id") is None, 10.0)
    if app.page is not app.session:  # the session's summary, where this version has it
        go.shoot(f"{app.page.name}-at-the-end")
    return tour


def every_page(go: Driver, size: tuple[int, int]) -> None:
    """At ``size``: the session page, each page it opens (those this window has), the help
    and the end-session confirmation, each shot and closed again."""
    go.resize(size)
    go.shoot("session")
    app = go.app
    for name, _ in NAVIGATION:
        go.tap(name)
        if app.page is not app.session:
            go.shoot(name)
            go.key(pygame.K_ESCAPE)  # back, as on every page
            if app.page is not app.session:
                raise TourError(f"Escape did not close the {app.page.name} page")
    go.tap("end_session")
    go.shoot("confirm-end-session")
    go.tap("no")


def _plan(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("plan") or {}
