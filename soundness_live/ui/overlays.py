"""Layers drawn over the session page: the confirmation that stop and end session ask for,
the help overlay listing every keyboard shortcut, and what the screen does while the engine
is away (:class:`ReconnectPage`).

Each keeps the QUIET button where the session page has it (one tap, always there) and dims the
page beneath, so it is clear that the page beneath waits. A confirmation has two big buttons, yes
and no; Enter or Y says yes, Escape or N says no.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygame

from .controls import Button, Grid, Layout, View
from .drawing import clip_lines, draw_left, draw_text
from .images import Fonts
from .page import PageHost
from .palette import PANEL, TEXT
from .screens import draw_button
from .session_layout import NAVIGATION, arrangement
from .session_page import SHORTCUTS, open_from_session

NOT_ANSWERING = "The sound engine is not answering."
DIM = (0, 0, 0, 170)  # the page beneath, darkened (no flash: it is drawn once, then still)
_YES_KEYS = (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_y)
_NO_KEYS = (pygame.K_ESCAPE, pygame.K_n)
#: (panel, yes, no) on the landscape and the portrait grid (x, y, w, h each).
_CONFIRM = {
    (1280, 800): ((200, 160, 880, 480), (240, 380, 388, 220), (652, 380, 388, 220)),
    (800, 1280): ((24, 360, 752, 560), (48, 620, 340, 260), (412, 620, 340, 260)),
    (1600, 480): ((200, 112, 1160, 360), (240, 236, 520, 200), (800, 236, 520, 200)),
}
_HELP = {
    (1280, 800): (120, 120, 1040, 640),
    (800, 1280): (24, 200, 752, 920),
    (1600, 480): (16, 8, 1344, 464),
}


def _quiet(grid: Grid, design: tuple[int, int]) -> Button:
    place = arrangement(*design)
    return Button("panic", "QUIET", grid.rect(*place.quiet), kind="danger")


def _dim(surface: pygame.Surface) -> None:
    shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    shade.fill(DIM)
    surface.blit(shade, (0, 0))


class ConfirmPage:
    """Ask before ``command`` is sent (with ``fields``): ``question`` above a big yes
    (``yes``) and no; after yes, ``after_yes(host)`` runs (what the page that asked does
    next) and the page ``then`` names opens (the summary after the session ends)."""

    name = "confirm"
    overlay = True

    def __init__(
        self,
        host: PageHost,
        question: str,
        command: str,
        yes: str = "yes",
        then: tuple[str, dict[str, Any]] | None = None,
        fields: dict[str, Any] | None = None,
        after_yes: Callable[[PageHost], None] | None = None,
    ) -> None:
        self.question, self.command, self.yes = question, command, yes
        self.then = then  # the page to open after yes: (name, context)
        self.fields = dict(fields or {})
        self.after_yes = after_yes

    def layout(self, width: int, height: int, view: View) -> Layout:
        """QUIET, yes and no, and the panel they sit on."""
        design = arrangement(width, height).design
        grid = Grid(width, height, *design)
        panel, yes, no = _CONFIRM[design]
        buttons = (
            _quiet(grid, design),
            # the answer Enter gives, in the strong colour (not a choice: no tick)
            Button("yes", self.yes, grid.rect(*yes), kind="action", selected=True),
            Button("no", "no, go back", grid.rect(*no)),
        )
        return Layout(grid.scale, buttons, {"panel": grid.rect(*panel)})

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The question and its two answers over the dimmed page."""
        _dim(surface)
        panel = layout.regions["panel"]
        pygame.draw.rect(surface, PANEL, (panel.x, panel.y, panel.w, panel.h),
                         border_radius=round(16 * fonts.scale))  # fmt: skip
        top = (panel.x + panel.w // 2, panel.y + round(90 * fonts.scale))
        draw_text(surface, fonts, fonts.big, self.question, TEXT, top, panel.w - 40)
        for button in layout.buttons:
            draw_button(surface, button, fonts)

    def tap(self, button: str, host: PageHost) -> None:
        """Yes sends the command, closes and opens the page that follows (if any); no
        closes; QUIET acts and stays."""
        if button == "panic":
            host.command("panic")
            return
        host.close_page()
        if button == "yes":
            host.command(self.command, **self.fields)
            if self.after_yes is not None:
                self.after_yes(host)
            if self.then is not None:
                host.open_page(self.then[0], **self.then[1])

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Enter or Y: yes; Escape or N: no."""
        if event.key in _YES_KEYS:
            self.tap("yes", host)
        elif event.key in _NO_KEYS:
            self.tap("no", host)
        else:
            return False
        return True


class HelpPage:
    """Every keyboard shortcut of the session page (:data:`~.session_page.SHORTCUTS`)."""

    name = "help"
    overlay = True

    def __init__(self, host: PageHost) -> None:
        pass

    def layout(self, width: int, height: int, view: View) -> Layout:
        """QUIET, the close button under the list, the panel."""
        design = arrangement(width, height).design
        grid = Grid(width, height, *design)
        x, y, w, h = _HELP[design]
        close = Button("close", "close", grid.rect(x + w - 260, y + h - 96, 236, 72))
        return Layout(grid.scale, (_quiet(grid, design), close), {"panel": grid.rect(x, y, w, h)})

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The list of shortcuts over the dimmed page."""
        _dim(surface)
        panel = layout.regions["panel"]
        pygame.draw.rect(surface, PANEL, (panel.x, panel.y, panel.w, panel.h),
                         border_radius=round(16 * fonts.scale))  # fmt: skip
        pad = round(32 * fonts.scale)
        x, y = panel.x + pad, panel.y + pad
        y = draw_left(surface, fonts, fonts.big, "Keyboard shortcuts", TEXT, x, y)
        keys_w = round(170 * fonts.scale)
        does_w = panel.w - 2 * pad - keys_w
        for keys, does in SHORTCUTS:
            y += round(10 * fonts.scale)
            draw_left(surface, fonts, fonts.body, keys, TEXT, x, y)
            for line in clip_lines(does, lambda t: fonts.body.size(t)[0], does_w, 3):
                y = draw_left(surface, fonts, fonts.body, line, TEXT, x + keys_w, y, does_w)
        for button in layout.buttons:
            draw_button(surface, button, fonts)

    def tap(self, button: str, host: PageHost) -> None:
        """Close goes back; QUIET acts and stays."""
        if button == "panic":
            host.command("panic")
        elif button == "close":
            host.close_page()

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Escape, ? or H close the help."""
        if event.key in (pygame.K_ESCAPE, pygame.K_h) or event.unicode == "?":
            host.close_page()
            return True
        return False


class PagesPage:
    """Every page the session page opens, as big buttons: a window too short for their row
    (the wide arrangement) opens them from here."""

    name = "pages"
    overlay = True

    def __init__(self, host: PageHost) -> None:
        pass

    def layout(self, width: int, height: int, view: View) -> Layout:
        """QUIET, a button for each page in rows of three, and close."""
        design = arrangement(width, height).design
        grid = Grid(width, height, *design)
        x, y, w, h = _HELP[design]
        entries = [*NAVIGATION, ("close", "close")]
        rows = -(-len(entries) // 3)
        cell_w, cell_h = (w - 64) / 3, (h - 32 - (rows - 1) * 8) / rows
        buttons = [_quiet(grid, design)]
        for index, (name, label) in enumerate(entries):
            row, column = divmod(index, 3)
            rect = grid.rect(x + 16 + column * (cell_w + 16), y + 16 + row * (cell_h + 8),
                             cell_w, cell_h)  # fmt: skip
            buttons.append(Button(name, label, rect))
        return Layout(grid.scale, tuple(buttons), {"panel": grid.rect(x, y, w, h)})

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The buttons over the dimmed page."""
        _dim(surface)
        panel = layout.regions["panel"]
        pygame.draw.rect(surface, PANEL, (panel.x, panel.y, panel.w, panel.h),
                         border_radius=round(16 * fonts.scale))  # fmt: skip
        for button in layout.buttons:
            draw_button(surface, button, fonts)

    def tap(self, button: str, host: PageHost) -> None:
        """A page's button opens it in this list's place; close goes back; QUIET acts."""
        if button == "panic":
            host.command("panic")
            return
        host.close_page()
        if button != "close":
            open_from_session(button, host)

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Escape closes the list."""
        if event.key == pygame.K_ESCAPE:
            host.close_page()
            return True
        return False


#: The layers the window itself provides, by the name a page opens them with.
OVERLAYS = {"confirm": ConfirmPage, "help": HelpPage, "pages": PagesPage}


class ReconnectPage:
    """While the engine is away: what the screen is doing about it, in plain words, with
    "try now" and, when this screen started the engine, "start the engine again". It is
    not opened by name: the window shows it once the first attempt to connect again has
    failed and takes it away as soon as the engine answers (the page beneath stays). QUIET
    keeps its place; a command cannot reach the engine now, and the notice says so."""

    name = "reconnect"
    overlay = True

    def __init__(self, link: Any) -> None:
        self.link = link

    def layout(self, width: int, height: int, view: View) -> Layout:
        """QUIET, try now and (when it can) start the engine again, on the panel."""
        design = arrangement(width, height).design
        grid = Grid(width, height, *design)
        panel, first, second = _CONFIRM[design]
        buttons = [_quiet(grid, design), Button("try_now", "try now", grid.rect(*first))]
        if self.link.can_start:
            buttons.append(Button("start_engine", "start the engine again", grid.rect(*second)))
        x, y, w, _ = panel
        words = grid.rect(x, y, w, first[1] - y)  # above the buttons
        return Layout(grid.scale, tuple(buttons), {"panel": grid.rect(*panel), "words": words})

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """What the screen is doing, over the dimmed page (the words change, nothing blinks)."""
        _dim(surface)
        panel = layout.regions["panel"]
        pygame.draw.rect(surface, PANEL, (panel.x, panel.y, panel.w, panel.h),
                         border_radius=round(16 * fonts.scale))  # fmt: skip
        words = layout.regions["words"]
        centre_x, width = words.x + words.w // 2, words.w - 40
        lines = [(fonts.big, NOT_ANSWERING, 0.3), (fonts.body, self.link.words(), 0.58)]
        if view.notice:  # what a command pressed meanwhile came to
            lines.append((fonts.small, view.notice, 0.84))
        for font, text, down in lines:
            centre = (centre_x, words.y + round(words.h * down))
            draw_text(surface, fonts, font, text, TEXT, centre, width)
        for button in layout.buttons:
            draw_button(surface, button, fonts)

    def tap(self, button: str, host: PageHost) -> None:
        """Try now tries at once; start the engine again starts it (and then tries); QUIET
        is sent, or refused with a line while the engine is away."""
        if button == "panic":
            host.command("panic")
        elif button == "try_now":
            self.link.try_now()
        elif button == "start_engine":
            host.view.notice = self.link.start_engine()

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Enter tries now; Escape does nothing (the page goes when the engine answers)."""
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.link.try_now()
        return event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_ESCAPE)
