"""Where a plan being played stands, and how the therapist moves it on.

:class:`PlanProgress` is the plan's state while the engine plays it, on a clock the caller
passes in (seconds): ``running`` while a step's activity plays, ``between`` while the calm
countdown leads to the next step (or waits for the therapist when it is held), ``done`` after
the last step. ``current`` is the step that runs, or the one the countdown leads to.

- a step that ends by itself is ``done`` and the countdown to the next one starts; one that
  failed holds the countdown (the therapist decides: next, repeat or skip);
- ``next``: a running step is cut short and the countdown starts; while counting down, the next
  step starts now;
- ``skip``: a running step is cut short (as ``next``); while counting down, the step the
  countdown leads to is left out and the countdown leads to the one after;
- ``repeat``: a running step is cut short and counts down to itself again; while counting down,
  the countdown leads back to the step last played;
- ``hold``: the countdown waits for the therapist (after a stop, a pause or the quiet button).

Pure: the engine starts and stops the activities; this only says which step comes when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .plan import Plan

__all__ = ["BETWEEN", "DONE", "RUNNING", "PlanProgress", "StepStatus"]

RUNNING, BETWEEN, DONE = "running", "between", "done"


class StepStatus:
    """What became of a step (None in the snapshot: still to come)."""

    RUNNING = "running"
    DONE = "done"
    CUT_SHORT = "cut short"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class PlanProgress:
    """A plan being played: the current step, the state, the countdown's end, each step's lot
    (:class:`StepStatus`; None: still to come)."""

    plan: Plan
    current: int = 0
    state: str = RUNNING
    countdown_until_s: float | None = None  # None while running, done, or held
    statuses: list[str | None] = field(default_factory=list)
    last_played: int | None = None

    def __post_init__(self) -> None:
        self.statuses = [None] * len(self.plan.steps)

    @property
    def step_count(self) -> int:
        """How many steps the plan has."""
        return len(self.plan.steps)

    def started(self) -> None:
        """The current step's activity has started."""
        self.state, self.countdown_until_s = RUNNING, None
        self.statuses[self.current] = StepStatus.RUNNING
        self.last_played = self.current

    def step_ended(self, now_s: float, *, failed: bool = False) -> None:
        """The running step's activity ended by itself (``failed``: with an error)."""
        if self.state != RUNNING:
            return
        if failed:
            self.statuses[self.current] = StepStatus.FAILED
            self._count_down_to(self.current + 1, now_s, held=True)
            return
        self.statuses[self.current] = StepStatus.DONE
        self._count_down_to(self.current + 1, now_s)

    def cut_short(self, now_s: float, *, to: int | None = None, held: bool = False) -> None:
        """The therapist stopped the running step: count down to step ``to`` (default: the
        next one); ``held``: wait for the therapist instead of counting."""
        if self.state != RUNNING:
            return
        self.statuses[self.current] = StepStatus.CUT_SHORT
        self._count_down_to(self.current + 1 if to is None else to, now_s, held=held)

    def skip_upcoming(self, now_s: float) -> None:
        """While counting down: leave out the step the countdown leads to."""
        if self.state != BETWEEN:
            return
        self.statuses[self.current] = StepStatus.SKIPPED
        self._count_down_to(self.current + 1, now_s)

    def repeat_last(self, now_s: float) -> None:
        """While counting down (or done): lead back to the step last played."""
        if self.state == RUNNING or self.last_played is None:
            return
        self._count_down_to(self.last_played, now_s)

    def hold(self) -> None:
        """The countdown waits for the therapist's next (a stop, a pause, the quiet button)."""
        if self.state == BETWEEN:
            self.countdown_until_s = None

    def due(self, now_s: float) -> bool:
        """Whether the countdown has run out: the current step should start now."""
        return (
            self.state == BETWEEN
            and self.countdown_until_s is not None
            and now_s >= self.countdown_until_s
        )

    def _count_down_to(self, index: int, now_s: float, held: bool = False) -> None:
        if index >= self.step_count:
            self.current, self.state, self.countdown_until_s = self.step_count - 1, DONE, None
            return
        self.current, self.state = index, BETWEEN
        self.countdown_until_s = None if held else now_s + self.plan.countdown_s

    def view(self, now_s: float) -> dict[str, Any]:
        """The plan as the snapshot carries it: name, steps (activity, preset, label, status),
        current step, state and the countdown's seconds left (None when not counting)."""
        left = None
        if self.state == BETWEEN and self.countdown_until_s is not None:
            left = max(0.0, self.countdown_until_s - now_s)
        return {
            "name": self.plan.name,
            "steps": [
                {"activity": s.activity, "preset": s.preset, "label": s.title, "status": status}
                for s, status in zip(self.plan.steps, self.statuses, strict=True)
            ],
            "current": self.current,
            "state": self.state,
            "countdown_s": left,
            "countdown_total_s": self.plan.countdown_s,
            "held": self.state == BETWEEN and self.countdown_until_s is None,
        }

    def countdown_cue(self, now_s: float) -> dict[str, Any] | None:
        """The child's cue while counting down: the whole seconds left (3, 2, 1) and the next
        step's label; None when not counting."""
        left = self.view(now_s)["countdown_s"]
        if left is None:
            return None
        return {
            "cue": "countdown",
            "seconds": math.ceil(left),
            "next": self.plan.steps[self.current].title,
        }
