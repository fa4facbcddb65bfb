"""What every page opened from the session page shares: "back" and Escape close it, a tap on a
text field types into it with the on-screen keyboard (or a real one), a notice line says what
the engine answered, and the engine is reached only through the host.

A page is made as ``PAGES[name](host, **context)`` (:mod:`soundness_live.ui.pages`), so it can
ask the engine for what it shows as it opens; the host lays it out again after each tap or key
(a page's targets follow its state: the keyboard shows while a field is typed in).
"""

from __future__ import annotations

from typing import Any

import pygame

from ...live.client import EngineError
from ..controls import Layout, View
from ..images import Fonts
from ..page import PageHost
from .draw import draw_frame, draw_words
from .frame import QUIET, Action, PageFrame
from .keyboard import OnScreenKeyboard, TextField

TOP_ALIGNED = ("goal", "about", "overview")  # regions of several lines, read from the top


class BasePage:
    """A page: header (back, title, main action), rows the page adds, keyboard when typing."""

    name = ""
    title = ""

    def __init__(self, host: PageHost) -> None:
        self.host = host
        self.notice = ""
        self.fields: dict[str, TextField] = {}
        self.editing: str | None = None
        self.keyboard = OnScreenKeyboard()

    # -- what a page says of itself --------------------------------------------------------------
    def action(self) -> Action | None:
        """The page's main action at the header's right (its rect is placed by the frame)."""
        return None

    def rows(self, frame: PageFrame, view: View) -> None:
        """Add the page's rows to ``frame``."""

    def act(self, button: str, host: PageHost) -> None:
        """What a button of the page's own does."""

    def draw_content(
        self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts
    ) -> None:
        """Words and pictures in the page's regions (the buttons are drawn already)."""
        for name, rect in layout.regions.items():
            words = self.words(name, view)
            if words:
                value = name.startswith("value:")
                draw_words(surface, rect, words, fonts, centre=value, top=name in TOP_ALIGNED)

    def words(self, region: str, view: View) -> str:
        """The words of a region the page laid out (its labels)."""
        return ""

    # -- the Page protocol ------------------------------------------------------------------------
    def layout(self, width: int, height: int, view: View) -> Layout:
        """Header, the page's rows, and the keyboard while a field is typed in."""
        frame = PageFrame(width, height, keyboard=self.editing is not None)
        frame.header(self.action())
        self.rows(frame, view)
        if self.editing is not None:
            self.keyboard.layout(frame, self.fields[self.editing].multiline)
        return frame.layout()

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The whole page."""
        draw_frame(surface, layout, fonts, self.title, self.notice)
        self.draw_content(surface, layout, view, fonts)

    def tap(self, button: str, host: PageHost) -> None:
        """QUIET quiets; keys type into the field being edited; "back" closes; a field starts
        typing."""
        editing = self.editing
        if button == QUIET:
            host.command(QUIET)  # whatever else goes on: a child covers their ears
        elif editing is not None and self.keyboard.press(button, self.fields[editing]):
            self._said_refused(self.fields[editing])
            if button == "kb:done":
                self.editing = None
        elif button == "back":
            host.close_page()
        elif button.startswith("field:"):
            self.editing = button.partition(":")[2]
        else:
            self.act(button, host)

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Escape closes the page; other keys type into the field being edited."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            host.close_page()
            return True
        if self.editing is None:
            return False
        field = self.fields[self.editing]
        result = self.keyboard.key(event, field)
        self._said_refused(field)
        if result == "done":
            self.editing = None
        return result is not None

    # -- helpers -----------------------------------------------------------------------------------
    def _said_refused(self, field: TextField) -> None:
        if field.refused:
            shown = "a new line" if field.refused == "\n" else repr(field.refused)
            full = len(field.text) >= field.max_chars
            self.notice = (
                f"at most {field.max_chars} characters" if full else f"{shown} cannot be typed here"
            )
            field.refused = ""

    def field_label(self, name: str, empty: str) -> str:
        """A text field's button words: its text (a caret while typed in), or ``empty``."""
        field = self.fields[name]
        text = field.text if field.multiline else field.text.replace("\n", " ")
        if self.editing == name:
            return text + "|"
        return text or empty

    def ask(self, command: str, /, **fields: Any) -> dict[str, Any] | None:
        """The engine's reply, or None after saying why it refused (on the notice line)."""
        try:
            return self.host.request(command, **fields)
        except EngineError as error:
            self.notice = str(error)
        except Exception as error:  # the engine went away: the screen goes on and says so
            self.notice = f"the engine did not answer: {error}"
        return None
