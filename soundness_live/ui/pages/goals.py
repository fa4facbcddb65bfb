"""The goals page: the child's goals picked from the library (and their own goals kept).

Each goal is a row the therapist taps on or off; the last one tapped is explained below the
list (its rule and the most help it allows, in words). The list pages on when it is longer than
the window holds. Saving makes the picked goals the child's, a new version of their goals by
the therapist (``set_goals``).
"""

from __future__ import annotations

from typing import Any

from ..controls import View
from ..page import PageHost
from .base import BasePage
from .frame import Action, PageFrame


class GoalsPage(BasePage):
    """The goals of ``child`` (default: the chosen child)."""

    name = "goals"

    def __init__(self, host: PageHost, child: str | None = None) -> None:
        super().__init__(host)
        self.child = child or host.view.child
        self.title = f"goals of {self.child}" if self.child else "goals"
        self.goals: list[dict[str, Any]] = []
        self.chosen: list[str] = []
        self.about: str | None = None
        self.first = 0  # the first goal listed on this page of the list
        self.shown = 0
        if self.child is None:
            self.notice = "choose a child first"
            return
        mine = (self.ask("child_profile", child=self.child) or {}).get("goals", [])
        library = (self.ask("goal_library") or {}).get("goals", [])
        own_ids = {goal["id"] for goal in mine}
        self.goals = mine + [goal for goal in library if goal["id"] not in own_ids]
        self.chosen = [goal["id"] for goal in mine]

    def action(self) -> Action | None:
        """Save the picked goals."""
        return Action("save", f"save ({len(self.chosen)})", enabled=self.child is not None)

    def rows(self, frame: PageFrame, view: View) -> None:
        """A row a goal, as many as fit above the explanation and the paging row."""
        room = max(1, frame.rows_left() - 3)
        self.first = min(self.first, max(0, len(self.goals) - 1))
        listed = self.goals[self.first : self.first + room]
        self.shown = len(listed)
        for goal in listed:
            frame.add(f"goal:{goal['id']}", _goal_words(goal), frame.next_row(), "choice",
                      selected=goal["id"] in self.chosen)  # fmt: skip
        if len(listed) < len(self.goals):
            back, where, on = frame.cells(frame.next_row(), (1, 1.5, 1))
            frame.add("page:prev", "< earlier goals", back, enabled=self.first > 0)
            frame.label("value:page", where)
            more = self.first + len(listed) < len(self.goals)
            frame.add("page:next", "more goals >", on, enabled=more)
        frame.label("about", frame.next_row(min(2.0, max(1.0, frame.rows_left() * 0.9))))

    def words(self, region: str, view: View) -> str:
        """Which goals are listed, and the last one tapped in words."""
        if region == "value:page":
            return f"{self.first + 1}–{self.first + self.shown} of {len(self.goals)}"
        if region == "about":
            goal = next((g for g in self.goals if g["id"] == self.about), None)
            if goal is None:
                return "tap a goal to pick it (or leave it out); what it asks shows here"
            return f"{goal['text']}: succeeds when the child {goal['criterion']}; {goal['help']}"
        return ""

    def act(self, button: str, host: PageHost) -> None:
        """Pick or leave out a goal, page through the list, save."""
        kind, _, arg = button.partition(":")
        if kind == "goal":
            self.about = arg
            if arg in self.chosen:
                self.chosen.remove(arg)
            else:
                self.chosen.append(arg)
        elif kind == "page":
            by = self.shown if arg == "next" else -self.shown
            self.first = max(0, min(len(self.goals) - 1, self.first + by))
        elif button == "save" and self.child is not None:
            reply = self.ask("set_goals", child=self.child, goals=self.chosen)
            if reply is not None:
                count = len(reply["goals"])
                self.notice = f"{self.child} has {count} goal{'s' * (count != 1)} now"


def _goal_words(goal: dict[str, Any]) -> str:
    """A goal's row: its activity, then what it asks."""
    return f"{goal['activity'].replace('-', ' ')}: {goal['text']}"
