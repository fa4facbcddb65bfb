"""The session summary page, at the end of a session: what was played, then each goal in turn,
today against the child's earlier sessions in words and as a small plot drawn here.

The plot is a bar a session (the share of its trials that succeeded, 0..100 %), today's bar in
the selected colour and marked "today", a simulated session's bar hollow and marked "sim."
(never counted: a colour is never the only sign), and the goal's criterion as a dashed line.
"""

from __future__ import annotations

from typing import Any

import pygame

from ..controls import Layout, Rect, View, activity_words
from ..images import Fonts
from ..page import PageHost
from ..palette import MUTED, NOTICE, SELECTED, TEXT, TRACK
from .base import BasePage
from .draw import draw_panel, draw_words
from .frame import Action, PageFrame

BAR = (110, 130, 150)


class SummaryPage(BasePage):
    """The summary of ``session`` (default: the open one, else the child's latest)."""

    name = "summary"

    def __init__(
        self, host: PageHost, child: str | None = None, session: int | None = None
    ) -> None:
        super().__init__(host)
        self.child = child or host.view.child
        self.title = "session summary"
        self.goal = 0
        fields = {key: value for key, value in (("child", child), ("session", session)) if value}
        self.summary: dict[str, Any] = self.ask("session_summary", **fields) or {}

    @property
    def goals(self) -> list[dict[str, Any]]:
        """The summary's goals (none when the child has none, or it could not be read)."""
        return list(self.summary.get("goals") or [])

    def action(self) -> Action | None:
        """On to the export page for this session."""
        return Action("export", "export >", enabled=bool(self.summary))

    def rows(self, frame: PageFrame, view: View) -> None:
        """What was played, the goal shown (its words and its plot), the goals' paging."""
        overview, note = frame.cells(frame.next_row(1.4), (4, 1))
        frame.label("overview", overview)
        frame.add("note", "add a note", note, enabled=bool(self.summary))
        if len(self.goals) > 1:
            back, where, on = frame.cells(frame.next_row(), (1, 1.5, 1))
            frame.add("goal:prev", "< goal", back, enabled=self.goal > 0)
            frame.label("value:goal", where)
            frame.add("goal:next", "goal >", on, enabled=self.goal < len(self.goals) - 1)
        left = max(2, frame.rows_left())
        area = frame.next_row(left * (1 + frame.gap / frame.row) - frame.gap / frame.row)
        if frame.portrait:
            words_h = area.h // 2
            frame.label("goal", Rect(area.x, area.y, area.w, words_h - frame.gap))
            frame.label("plot", Rect(area.x, area.y + words_h, area.w, area.h - words_h))
        else:
            words, plot = frame.cells(area, (1.2, 1))
            frame.label("goal", words)
            frame.label("plot", plot)

    def words(self, region: str, view: View) -> str:
        """The overview, the goal's lines, which goal is shown."""
        summary = self.summary
        if region == "overview":
            return self._overview()
        if region == "value:goal":
            return f"goal {self.goal + 1} of {len(self.goals)}"
        if region == "goal" and summary:
            if not self.goals:
                return "no goals are set for this child: pick them on the goals page"
            goal = self.goals[self.goal]
            criterion = f"met when the child {goal['criterion']}"
            lines = (goal["text"], criterion, goal["today"], goal["before"], goal["status"])
            return "\n".join(lines)
        return ""

    def _overview(self) -> str:
        summary = self.summary
        if not summary:
            return "no summary: " + (self.notice or "the engine did not answer")
        played = ", ".join(
            f"{activity_words(a['activity'])} {a['trials']}" for a in summary["activities"]
        )
        notes = summary["notes"]
        return (  # one level of words: the "played" phrase may hold brackets of its own
            f"{summary['child']}, session {summary['session_id']} on {summary['day']}: "
            f"{summary['status']}, {summary['played']}.\n{summary['trials']} trials"
            + (f": {played}" if played else "")
            + (f"; {notes} note{'s' * (notes != 1)}" if notes else "")
        )

    def draw_content(
        self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts
    ) -> None:
        """The words, and the goal's plot."""
        super().draw_content(surface, layout, view, fonts)
        if self.goals and "plot" in layout.regions:
            draw_plot(surface, layout.regions["plot"], self.goals[self.goal], fonts)

    def act(self, button: str, host: PageHost) -> None:
        """Step through the goals; on to the export."""
        if button == "goal:prev":
            self.goal = max(0, self.goal - 1)
        elif button == "goal:next":
            self.goal = min(len(self.goals) - 1, self.goal + 1)
        elif button == "note" and self.summary:
            host.open_page("note", session=self.summary["session_id"])
        elif button == "export" and self.summary:
            host.open_page("export", child=self.summary["child"],
                           session=self.summary["session_id"])  # fmt: skip


def bar_rects(area: Rect, points: list[dict[str, Any]]) -> list[Rect | None]:
    """Each session's bar in ``area`` (its height the share succeeded), None without a share."""
    if not points:
        return []
    slot = area.w / len(points)
    width = max(4, round(slot * 0.6))
    bars: list[Rect | None] = []
    for index, point in enumerate(points):
        pct = point.get("pct")
        if pct is None:
            bars.append(None)
            continue
        high = round(area.h * max(0.0, min(100.0, float(pct))) / 100.0)
        x = round(area.x + slot * index + (slot - width) / 2)
        bars.append(Rect(x, area.y + area.h - high, width, high))
    return bars


def draw_plot(surface: pygame.Surface, rect: Rect, goal: dict[str, Any], fonts: Fonts) -> None:
    """The goal's sessions as bars, the criterion dashed, today and simulated ones marked."""
    draw_panel(surface, rect)
    pad = round(12 * fonts.scale)
    label_h = fonts.small.get_linesize()
    area = Rect(rect.x + pad + 3 * label_h, rect.y + pad + label_h,
                rect.w - 2 * pad - 3 * label_h, rect.h - 2 * pad - 3 * label_h)  # fmt: skip
    if area.w < 20 or area.h < 20:
        return
    for pct in (0, 50, 100):
        y = area.y + area.h - round(area.h * pct / 100)
        pygame.draw.line(surface, TRACK, (area.x, y), (area.x + area.w, y))
        image = fonts.text(fonts.small, f"{pct} %", MUTED)
        surface.blit(image, (area.x - image.get_width() - 6, y - image.get_height() // 2))
    points = list(goal.get("points") or [])
    for point, bar in zip(points, bar_rects(area, points), strict=True):
        _bar(surface, area, point, bar, fonts)
    criterion = float(goal.get("criterion_pct") or 0)
    y = area.y + area.h - round(area.h * criterion / 100)
    for x in range(area.x, area.x + area.w, 12):  # dashed: a line a reader tells from a bar
        pygame.draw.line(surface, NOTICE, (x, y), (min(x + 6, area.x + area.w), y), 2)
    caption = f"trials succeeded per session; dashed: criterion {criterion:.0f} %"
    draw_words(surface, Rect(rect.x + pad, rect.y + 2, rect.w - 2 * pad, label_h), caption,
               fonts)  # fmt: skip


def _bar(
    surface: pygame.Surface, area: Rect, point: dict[str, Any], bar: Rect | None, fonts: Fonts
) -> None:
    today, simulated = bool(point.get("today")), bool(point.get("simulated"))
    if bar is not None:
        box = pygame.Rect(bar.x, bar.y, bar.w, max(1, bar.h))
        colour = SELECTED if today else BAR
        pygame.draw.rect(surface, colour, box, 2 if simulated else 0)
        centre = bar.x + bar.w // 2
    else:
        centre = area.x
    mark = "today" if today else str(point.get("day", ""))[5:]  # "11-04"
    if simulated:
        mark += " sim."
    image = fonts.text(fonts.small, mark, TEXT if today else MUTED)
    surface.blit(image, (centre - image.get_width() // 2, area.y + area.h + 4))
