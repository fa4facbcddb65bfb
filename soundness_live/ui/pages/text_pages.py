"""The two pages that are one text field each: the therapist's name, and a note.

The therapist's name is this machine's from now on (config.toml, ``set_therapist``): sessions
opened after it keep it, a session already open keeps who opened it. A note is kept with the
open session (``add_note``) at any time during it; the keyboard shows at once, a real keyboard
types too, and return starts a new line.
"""

from __future__ import annotations

import pygame

from ..controls import Layout, Rect, View
from ..images import Fonts
from ..page import PageHost
from .base import BasePage
from .draw import draw_words
from .frame import Action, PageFrame
from .keyboard import TextField

NOTE_CHARS = 2000


class TherapistPage(BasePage):
    """Who runs the sessions on this machine."""

    name = "therapist"
    title = "therapist"

    def __init__(self, host: PageHost) -> None:
        super().__init__(host)
        named = host.view.therapist or (self.ask("catalog") or {}).get("therapist")
        self.fields = {"name": TextField(named or "", 64)}
        self.editing = "name"

    def action(self) -> Action | None:
        """Save the name (an empty one: nobody named)."""
        return Action("save", "save")

    def rows(self, frame: PageFrame, view: View) -> None:
        """The name, and a clear button."""
        value, clear = frame.labelled_row("name", (3, 1))
        frame.add("field:name", self.field_label("name", "nobody named"), value, "choice",
                  selected=self.editing == "name")  # fmt: skip
        frame.add("clear", "clear", clear, enabled=bool(self.fields["name"].text))
        frame.label("about", frame.next_row())

    def words(self, region: str, view: View) -> str:
        """The label and what the name is for."""
        if region == "label:name":
            return "your name or initials"
        if region == "about":
            return (
                "kept with each session you run; exports show initials unless names are asked for"
            )
        return ""

    def act(self, button: str, host: PageHost) -> None:
        """Clear or save."""
        if button == "clear":
            self.fields["name"].text = ""
        elif button == "save":
            name = self.fields["name"].text.strip() or None
            reply = self.ask("set_therapist", name=name)
            if reply is None:
                return
            host.view.therapist = reply["therapist"]
            self.editing = None
            self.notice = f"sessions from now on are run by {reply['therapist'] or 'nobody named'}"
            open_by = reply.get("open_session_therapist")
            if open_by and open_by != reply["therapist"]:
                self.notice += f"; the open session stays {open_by}'s"


class NotePage(BasePage):
    """A note for the open session, or (``session``) for one of the chosen child's ended
    sessions, as the summary page opens it."""

    name = "note"
    title = "note"

    def __init__(self, host: PageHost, session: int | None = None) -> None:
        super().__init__(host)
        self.fields = {"note": TextField("", NOTE_CHARS, multiline=True)}
        self.editing = "note"
        self.session = session
        self.kept = 0

    def _session(self, view: View) -> int | None:
        """The session the note goes to: the open one, else the one the page was opened for."""
        open_now = view.state.get("session_id")
        return int(open_now) if open_now is not None else self.session

    def action(self) -> Action | None:
        """Keep the note: with a session to keep it and something typed."""
        typed = bool(self.fields["note"].text.strip())
        ready = typed and self._session(self.host.view) is not None
        return Action("save", "keep note", enabled=ready)

    def rows(self, frame: PageFrame, view: View) -> None:
        """The note, as big as the window leaves above the keyboard."""
        high = max(1.0, frame.rows_left() - 1.0)
        frame.add("field:note", "", frame.next_row(high), "choice",
                  selected=self.editing == "note")  # fmt: skip
        frame.label("about", frame.next_row(0.8))

    def words(self, region: str, view: View) -> str:
        """Where the note goes."""
        if region != "about":
            return ""
        session = self._session(view)
        if session is None:
            return "no session is open: a note is kept with a child's session"
        return f"kept with session {session}; exported only when asked for"

    def draw_content(
        self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts
    ) -> None:
        """The note's text, wrapped in its box, its last lines where typing goes."""
        super().draw_content(surface, layout, view, fonts)
        box = next(b.rect for b in layout.buttons if b.name == "field:note")
        pad = round(10 * fonts.scale)
        inner = Rect(box.x + pad, box.y + pad, box.w - 2 * pad, box.h - 2 * pad)
        draw_words(surface, inner, self.field_label("note", "type the note"), fonts, typing=True)

    def act(self, button: str, host: PageHost) -> None:
        """Keep the note with the session."""
        if button != "save":
            return
        text = self.fields["note"].text.strip()
        if not text:
            return
        ended = host.view.state.get("session_id") is None and self.session is not None
        reply = self.ask("add_note", text=text, **({"session": self.session} if ended else {}))
        if reply is None:
            return
        self.kept += 1
        self.fields["note"].text = ""
        self.notice = f"note kept with session {reply['session_id']}"
