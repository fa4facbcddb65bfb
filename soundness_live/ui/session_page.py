"""The session page: the bottom of the window's stack of pages, where a session is run.

The therapist picks the child and an activity (or a plan for the child), starts it, and reads
the child's figures as they come; stop and end session ask first (a confirmation with big yes
and no), QUIET is one tap. The pages about the child (profile, goals, devices, a note, the
summary, export) open from its navigation row by name. It is drawn retained (``painter.py``):
a frame draws only what changed. Keyboard: :data:`SHORTCUTS`.
"""

from __future__ import annotations

import time
from typing import Any

import pygame

from ..activities.common import PROMPT_LEVELS
from .controls import (
    ACTIVITY_ROWS,
    Layout,
    View,
    next_cap,
    prompt_choices,
    start_params,
    step,
)
from .images import Fonts
from .page import PageHost
from .painter import ScreenPainter
from .session_layout import NAVIGATION, PLAN_STEPS, layout, layout_inputs

CATALOG_S = 5.0  # a picker tapped after this long asks the engine for its lists again
#: Every shortcut of the session page, as the help overlay lists them: (keys, what they do).
SHORTCUTS = (
    ("space", "start; while an activity runs, stop (asks first)"),
    ("Q", "QUIET: every sound fades out now"),
    ("1 - 6", "prompt level: " + ", ".join(level.replace("_", " ") for level in PROMPT_LEVELS)),
    ("N", "the plan's next step"),
    ("S", "skip the plan's step"),
    ("R", "repeat the plan's step"),
    ("? or H", "this help"),
    ("Esc", "close a page or this help"),
)
PAGES_OF_THE_CHILD = ("profile", "goals", "devices", "summary", "export")
PAGES_OF_THE_SESSION = ("summary", "export")
_STEP_KEYS = {pygame.K_n: "next_step", pygame.K_s: "skip_step", pygame.K_r: "repeat_step"}
_LEVEL_KEYS = "123456"
#: What stop and end session ask before they act: (question, the yes button's words).
CONFIRM = {
    "stop": ("Stop the activity?", "yes, stop"),
    "end_session": ("End the session? It is stored and closed.", "yes, end it"),
}


class SessionPage:
    """The session page of :class:`~.app.TherapistApp` (see the module docstring)."""

    name = "session"
    overlay = False

    def __init__(self) -> None:
        self.painter = ScreenPainter()
        self._catalog_s = -float("inf")
        self._plans_s = -float("inf")
        self._plans_child: str | None = None
        self._inputs: tuple[Any, ...] | None = None
        self._layout: Layout | None = None

    # -- the page protocol -------------------------------------------------------------------
    def layout(self, width: int, height: int, view: View) -> Layout:
        """The page's buttons and regions (laid out again only when what they show changed)."""
        inputs = layout_inputs(width, height, view)
        if self._layout is None or inputs != self._inputs:
            self._layout, self._inputs = layout(width, height, view), inputs
        return self._layout

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The whole page (the window paints it retained: :meth:`paint`)."""
        self.painter.invalidate()
        self.paint(surface, layout, view)

    def paint(self, surface: pygame.Surface, layout: Layout, view: View) -> list[pygame.Rect]:
        """Bring ``surface`` up to this frame; the rectangles that changed."""
        return self.painter.paint(surface, layout, view, time.monotonic())

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """The shortcuts of :data:`SHORTCUTS`, each what its button does (and only while the
        button can be tapped); True when the key is one of them."""
        running = host.view.state.get("activity") is not None
        if event.key == pygame.K_SPACE:
            button = "stop" if running else "start"
        elif event.key == pygame.K_q:
            button = "panic"
        elif event.unicode and event.unicode in _LEVEL_KEYS:
            button = f"level:{PROMPT_LEVELS[_LEVEL_KEYS.index(event.unicode)]}"
        elif event.key in _STEP_KEYS:
            button = _STEP_KEYS[event.key]
        elif event.unicode == "?" or event.key == pygame.K_h:
            button = "help"
        else:
            return False
        self._press(button, host)
        return True

    def _press(self, name: str, host: PageHost) -> None:
        """A shortcut's button, tapped when it is enabled; else the notice says why not."""
        shown = {b.name: b for b in self._layout.buttons} if self._layout is not None else {}
        button = shown.get(name)
        if button is None or button.enabled:
            self.tap(name, host)
        elif name == "start":
            host.view.notice = "to start, pick a child and an activity (and their device)"
        else:
            host.view.notice = f"{button.label}: not now"

    def tap(self, button: str, host: PageHost) -> None:
        """What the button called ``button`` does."""
        kind, _, arg = button.partition(":")
        view = host.view
        if kind in ("child", "prompt"):
            self.fresh_catalog(host)
        if kind == "child":  # step through the children: < and the name
            codes = [str(c["code"]) for c in view.children]
            self._change_child(host, step(codes, view.child, -1 if arg == "prev" else 1))
        elif kind == "activity":
            self._activity_tap(arg, view)
        elif kind == "prompt":
            view.prompt = step(prompt_choices(view), view.prompt, 1) or view.prompt
        elif kind == "cap":
            host.command("set_volume_cap", dbfs=next_cap(view, louder=arg == "up"))
        elif kind == "variant":
            self._next_variant(view)
        elif kind == "input":
            view.live_input = not view.live_input
        elif kind == "level":  # the reply names the trial marked (``marked_words``)
            host.command("set_prompt_level", level=arg)
        elif kind == "start":
            self._start(host)
        elif kind in CONFIRM:
            question, yes = CONFIRM[kind]
            then = None  # the session's summary follows its end
            if kind == "end_session":
                then = ("summary", page_context("summary", view))
            host.open_page("confirm", question=question, command=kind, yes=yes, then=then)
        elif kind == "pages":
            host.open_page("pages")
        elif kind == "plan":
            self._next_plan(host)
        elif kind == "start_plan":
            host.command("start_plan", plan=view.plan, child=view.child,
                         input=_input(view), therapist=view.therapist)  # fmt: skip
        elif kind in ("pause", "resume", "next_trial", "panic", *PLAN_STEPS):
            host.command(kind)
        elif kind in dict(NAVIGATION):
            open_from_session(kind, host)

    # -- the pickers -----------------------------------------------------------------------------
    def _change_child(self, host: PageHost, code: str | None) -> None:
        """Choose ``code``; while another child's session is open, ask first: yes ends that
        session (it is stored and closed), then chooses ``code``."""
        open_for = host.view.state.get("child") if host.view.state.get("session_id") else None
        if open_for is None or code == open_for:
            choose_child(host, code)
            return
        host.open_page(
            "confirm", question=f"{open_for}'s session is open. End it and choose {code}?",
            command="end_session", yes=f"yes, end it, choose {code}",
            after_yes=lambda yes_host: choose_child(yes_host, code),
        )  # fmt: skip

    def load_catalog(self, host: PageHost, state: dict[str, Any]) -> None:
        """Children, activities and recorded prompts for the pickers, and what the engine's
        ``state`` says plays now (a screen that reattaches shows it)."""
        self._fetch_catalog(host)
        view = host.view
        view.child = state.get("child")
        if state.get("activity"):
            self.choose_activity(view, state["activity"], state.get("variant"))
            view.live_input = state.get("input") != "virtual"  # what is playing now
        plan = state.get("plan") or {}
        view.plan = plan.get("name")

    def _fetch_catalog(self, host: PageHost) -> None:
        reply = host.request("catalog")
        view = host.view
        view.children = reply.get("children", [])
        view.activities = reply.get("activities", [])
        view.prompt_assets = reply.get("prompt_assets", [])
        self._catalog_s = time.monotonic()

    def fresh_catalog(self, host: PageHost) -> None:
        """Ask again when a picker is tapped and the catalogue is older than
        :data:`CATALOG_S`: a child or prompt added meanwhile (``child add``, ``prompt add``)
        can be picked. An engine that does not answer leaves the old one (and says so)."""
        if time.monotonic() - self._catalog_s < CATALOG_S:
            return
        try:
            self._fetch_catalog(host)
        except Exception as error:  # the engine went away: the screen keeps going
            host.view.notice = f"could not refresh the lists: {error}"
            self._catalog_s = time.monotonic()

    def _next_plan(self, host: PageHost) -> None:
        """Step through the plans the child can run (asked of the engine when the child
        changed or the list is older than :data:`CATALOG_S`); a plan that no longer checks
        says why instead of being picked."""
        view = host.view
        stale = time.monotonic() - self._plans_s >= CATALOG_S
        if stale or self._plans_child != view.child:
            try:
                view.plans = host.request("plans", child=view.child).get("plans", [])
            except Exception as error:  # refused or gone: the old list stays
                view.notice = f"could not list the plans: {error}"
            self._plans_s, self._plans_child = time.monotonic(), view.child
        usable = [str(p["name"]) for p in view.plans if not p.get("error")]
        view.plan = step(usable, view.plan, 1)
        broken = [p for p in view.plans if p.get("error")]
        if broken:
            view.notice = f"plan {broken[0]['name']} cannot run: {broken[0]['error']}"
        elif not usable:
            view.notice = "no plan for this child yet"

    def _activity_tap(self, arg: str, view: View) -> None:
        if arg == "more":  # step through those not listed
            names = [str(a["name"]) for a in view.activities][ACTIVITY_ROWS - 1 :]
            chosen = step(names, view.activity, 1)
            if chosen is not None:
                self.choose_activity(view, chosen, None)
        else:
            self.choose_activity(view, arg, None)

    def choose_activity(self, view: View, name: str, variant: str | None) -> None:
        """Pick activity ``name`` (with ``variant``, else its first)."""
        view.activity = name
        variants = _variants(view)
        view.variant = variant or (variants[0] if variants else None)

    def _next_variant(self, view: View) -> None:
        variants = _variants(view)
        if variants:
            index = variants.index(view.variant) if view.variant in variants else -1
            view.variant = variants[(index + 1) % len(variants)]

    def _start(self, host: PageHost) -> None:
        view = host.view
        host.command("start_activity", activity=view.activity, params=start_params(view),
                     child=view.child, input=_input(view), therapist=view.therapist)  # fmt: skip


def open_from_session(name: str, host: PageHost) -> None:
    """Open the page of the navigation row called ``name`` with what it is about: "new
    child" is the profile page of no child yet, where a child is added."""
    if name == "new_child":
        host.open_page("profile", child=None)
    else:
        host.open_page(name, **page_context(name, host.view))


def page_context(name: str, view: View) -> dict[str, Any]:
    """What the page called ``name`` is about: the chosen child (their profile, goals,
    devices), and the open session too (its summary and export); the note and the therapist's
    name need nothing (the note goes with the open session)."""
    context: dict[str, Any] = {}
    if name in PAGES_OF_THE_CHILD:
        context["child"] = view.child
    if name in PAGES_OF_THE_SESSION:
        context["session"] = view.state.get("session_id")
    return context


def choose_child(host: PageHost, code: str | None) -> None:
    """Make ``code`` the chosen child here and in the engine (their limits apply from now)."""
    host.view.child = code
    host.view.plan = None  # plans are the child's
    host.command("select_child", child=code)


def _input(view: View) -> str:
    return "live" if view.live_input else "virtual"


def _variants(view: View) -> list[str]:
    for activity in view.activities:
        if activity["name"] == view.activity:
            return list(activity.get("variants") or [])
    return []


def marked_words(reply: dict[str, Any]) -> str:
    """Which trial a prompt level went to, from ``set_prompt_level``'s reply: "gestural:
    trial 3 (in progress)" or "verbal: trial 2, marked after it ended (was independent)"."""
    level = str(reply.get("prompt_level", "")).replace("_", " ")
    index = reply.get("index")
    trial = f"trial {index + 1}" if isinstance(index, int) else "this trial"
    if reply.get("marked") == "trial in progress":
        return f"{level}: {trial} (in progress)"
    was = str(reply.get("was") or "no level").replace("_", " ")
    return f"{level}: {trial}, marked after it ended (was {was})"
