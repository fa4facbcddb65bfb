"""How a page of the therapist's screen is laid out, touch first, at any window size.

A page is rows of touch targets: a row is :func:`row_height` pixels high (56 on a 1280x800
laptop, more on a bigger screen, never under :data:`MIN_TARGET_PX`), the targets of a row share
its width in proportions (:meth:`PageFrame.cells`), and the header row holds "back" at the left,
the page's title and its main action at the right. A portrait window (800x1280) gets the same
rows, narrower and more of them. What the rows do not use below is left to the on-screen
keyboard while a text field is being typed in (:meth:`PageFrame.keyboard_area`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..controls import Button, Layout, Rect

MIN_TARGET_PX = 48  # a finger, at every window size
BASE_ROW_PX = 56  # a row on a 1280x800 window (the fonts' scale 1)
KEYBOARD_ROWS = 5
HEADER_ROWS = 1.25
QUIET = "panic"  # the engine's command for the quiet button: every sound fades at once


def row_height(width: int, height: int) -> int:
    """A row's height at this window size: 7 % of its shorter side, at least 56 px."""
    return max(BASE_ROW_PX, round(min(width, height) * 0.07))


@dataclass(frozen=True)
class Action:
    """A page's main action, at the header's right: what it is called, its words, whether it
    does anything now."""

    name: str
    label: str
    enabled: bool = True


@dataclass
class PageFrame:
    """The rows of a page in a ``width`` x ``height`` window, filled from the top."""

    width: int
    height: int
    keyboard: bool = False  # keep room at the bottom for the on-screen keyboard

    def __post_init__(self) -> None:
        self.row = row_height(self.width, self.height)
        self.gap = max(6, self.row // 8)
        self.margin = max(12, self.row // 4)
        self.y = self.margin
        self.buttons: list[Button] = []
        self.regions: dict[str, Rect] = {}

    @property
    def scale(self) -> float:
        """The fonts' scale (1 on a 1280x800 window)."""
        return self.row / BASE_ROW_PX

    @property
    def portrait(self) -> bool:
        """A window taller than wide."""
        return self.height > self.width

    @property
    def inner_width(self) -> int:
        """The width rows span, inside the margins."""
        return self.width - 2 * self.margin

    def keyboard_area(self) -> Rect:
        """The bottom of the window, where the on-screen keyboard goes."""
        high = KEYBOARD_ROWS * (self.row + self.gap) - self.gap
        return Rect(self.margin, self.height - self.margin - high, self.inner_width, high)

    def bottom(self) -> int:
        """The lowest y a row may reach (above the keyboard while it shows)."""
        if self.keyboard:
            return self.keyboard_area().y - self.gap
        return self.height - self.margin

    def rows_left(self, rows: float = 1.0) -> int:
        """How many rows of ``rows`` row heights still fit above :meth:`bottom`."""
        step = round(rows * self.row) + self.gap
        return max(0, (self.bottom() - self.y + self.gap) // step)

    def next_row(self, rows: float = 1.0) -> Rect:
        """The next row (``rows`` row heights high), full width; the frame moves below it."""
        high = round(rows * self.row)
        rect = Rect(self.margin, self.y, self.inner_width, high)
        self.y += high + self.gap
        return rect

    def cells(self, rect: Rect, weights: Sequence[float]) -> list[Rect]:
        """``rect`` split left to right in proportion to ``weights``, a gap between cells."""
        free = rect.w - self.gap * (len(weights) - 1)
        total = float(sum(weights))
        cells, x = [], rect.x
        for index, weight in enumerate(weights):
            right = x + round(free * weight / total)
            if index == len(weights) - 1:
                right = rect.x + rect.w  # the last cell takes what rounding left
            cells.append(Rect(x, rect.y, right - x, rect.h))
            x = right + self.gap
        return cells

    def labelled_row(self, name: str, weights: Sequence[float]) -> list[Rect]:
        """A row of cells in proportion to ``weights`` with its words (region ``label:NAME``)
        before them: at the row's left in a landscape window, on a low row of their own above
        them in a portrait one (the narrow window keeps its width for the targets)."""
        if self.portrait:
            self.label(f"label:{name}", self.next_row(0.6))
            return self.cells(self.next_row(), weights)
        label, *cells = self.cells(self.next_row(), (sum(weights) / 3, *weights))
        self.label(f"label:{name}", label)
        return cells

    def header(self, action: Action | None = None) -> None:
        """The header row: "back", the title, the page's main action, and QUIET at the right,
        a touch away on every page as on the session page (the danger colour, the header's
        biggest target)."""
        row = self.next_row(HEADER_ROWS)
        back, middle, right, quiet = self.cells(row, (1, 2.2, 1.2, 1.5))
        self.buttons.append(Button("back", "< back", back))
        self.regions["title"] = middle
        if action is not None:
            self.buttons.append(Button(action.name, action.label, right, enabled=action.enabled))
        self.buttons.append(Button(QUIET, "QUIET", quiet, "danger"))
        self.regions["notice"] = self.next_row(0.6)

    def add(self, name: str, label: str, rect: Rect, kind: str = "action", **flags: bool) -> None:
        """A touch target."""
        self.buttons.append(Button(name, label, rect, kind, **flags))

    def label(self, name: str, rect: Rect) -> None:
        """A region of words (no touch)."""
        self.regions[name] = rect

    def layout(self) -> Layout:
        """The page's layout: its targets and regions, the fonts' scale."""
        return Layout(self.scale, tuple(self.buttons), dict(self.regions))
