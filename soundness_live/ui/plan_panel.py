"""The session page's plan panel: the plan's steps, the current one marked, what became of each,
and where the plan stands (playing, the calm countdown, waiting for the therapist, done).

Pure words first (:func:`plan_rows`, :func:`plan_headline`: tested without a display), then the
drawing, clipped to the panel so the painter can redraw the panel alone when the plan moves.
"""

from __future__ import annotations

import math
from typing import Any

import pygame

from .controls import Rect, View
from .drawing import clipped, draw_left
from .images import Fonts
from .palette import MUTED, PANEL, SELECTED, TEXT

#: What became of a step, in the therapist's words (the snapshot's step ``status``).
STATUS_WORDS = {
    None: "to come",
    "running": "playing now",  # "paused" while paused, after QUIET too
    "done": "done",
    "cut short": "cut short",
    "skipped": "skipped",
    "failed": "failed",
}
MAX_ROWS = 8  # a long plan shows the steps around the current one


def plan_headline(view: View) -> str:
    """Where the plan stands, in one line: "step 2 of 6 playing, trial 1 of 3", "next: freeze
    game in 4 s", "next: freeze game, waiting for you", "the plan is done"; without a plan,
    the plan picked or what to do."""
    plan = view.state.get("plan")
    if not plan:
        return "a plan runs its steps in order" if view.plan is None else "ready to start"
    steps, current = plan.get("steps") or [], int(plan.get("current") or 0)
    label = steps[current]["label"] if 0 <= current < len(steps) else ""
    state = plan.get("state")
    if state == "done":
        return "the plan is done"
    if state == "between":
        left = plan.get("countdown_s")
        if plan.get("held") or left is None:
            return f"next: {label}, waiting for you (next step)"
        return f"next: {label} in {math.ceil(left)} s"
    trial = view.state.get("trial") or {}
    text = f"step {current + 1} of {len(steps)}: {label}"
    text += f", trial {trial['n']} of {trial['of']}" if trial.get("of") else ""
    paused = paused_words(view.state)
    return f"{text}; {paused}" if paused else text


def plan_rows(view: View) -> list[tuple[str, str, bool]]:
    """(label, what became of it, current) for each step shown: the running plan's, else the
    picked plan's steps as the engine listed them (all to come)."""
    plan = view.state.get("plan")
    if plan:
        current = int(plan.get("current") or 0)
        paused = bool(paused_words(view.state))
        return [
            (str(s.get("label")), _status(s.get("status"), i == current, plan, paused),
             i == current)
            for i, s in enumerate(plan.get("steps") or [])
        ]  # fmt: skip
    picked = next((p for p in view.plans if p.get("name") == view.plan), None)
    labels = (picked or {}).get("steps") or []
    return [(str(label), STATUS_WORDS[None], False) for label in labels]


def _status(status: Any, current: bool, plan: dict[str, Any], paused: bool = False) -> str:
    if current and status is None and plan.get("state") == "between":
        return "next"
    if current and status == "running" and paused:  # after QUIET (or pause) nothing plays
        return "paused"
    return STATUS_WORDS.get(status, str(status))


def paused_words(state: dict[str, Any]) -> str:
    """Why the step in progress waits: QUIET faded every sound, or the therapist paused it
    ("" while it plays)."""
    if state.get("quiet"):
        return "paused after QUIET: resume brings the music back"
    return "paused: resume goes on" if state.get("paused") else ""


def plan_key(view: View) -> str:
    """Everything :func:`draw_plan` shows: while it is unchanged, the panel is not drawn."""
    name = (view.state.get("plan") or {}).get("name") or view.plan
    return repr((name, plan_headline(view), plan_rows(view)))


def draw_plan(surface: pygame.Surface, rect: Rect, view: View, fonts: Fonts) -> None:
    """The plan's name, where it stands, and its steps with the current one marked."""
    with clipped(surface, rect):
        box = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
        pygame.draw.rect(surface, PANEL, box, border_radius=round(16 * fonts.scale))
        pad = round(12 * fonts.scale)
        x, y, width = rect.x + pad, rect.y + pad, rect.w - 2 * pad
        name = (view.state.get("plan") or {}).get("name") or view.plan or "no plan"
        y = draw_left(surface, fonts, fonts.body, f"plan: {name}", TEXT, x, y, width)
        y = draw_left(surface, fonts, fonts.small, plan_headline(view), TEXT, x, y, width)
        rows = plan_rows(view)
        at = next((i for i, row in enumerate(rows) if row[2]), 0)
        line = fonts.small.get_linesize()
        step_px = fonts.small.get_height() + 4 + round(4 * fonts.scale)  # as draw_left steps
        fit = max(1, min(MAX_ROWS, (rect.y + rect.h - pad - y) // step_px))
        first = max(0, min(at - fit // 2, len(rows) - fit))  # the current step always shown
        for index, (label, status, current) in enumerate(rows[first : first + fit], first):
            y += round(4 * fonts.scale)
            if current:  # the current step: a bar beside it and its words in full colour
                bar = pygame.Rect(x, y, round(6 * fonts.scale), line)
                pygame.draw.rect(surface, SELECTED, bar)
            colour = TEXT if current else MUTED
            text = f"{index + 1}. {label}"
            draw_left(surface, fonts, fonts.small, text, colour, x + pad, y, width * 3 // 5)
            y = draw_left(surface, fonts, fonts.small, status, colour, x + width * 2 // 3, y,
                          width // 3)  # fmt: skip
