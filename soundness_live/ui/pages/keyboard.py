"""The on-screen keyboard every text field of the pages types with (a real keyboard types too).

A :class:`TextField` holds what is typed and refuses what it does not take (a child's code takes
letters, digits, '-' and '_'; a name or a note any printable character), so a wrong character
never lands. :class:`OnScreenKeyboard` lays its keys out in the bottom rows of a page
(``kb:a``, ``kb:shift``, ``kb:space``, ``kb:backspace``, ``kb:done``...), each key a touch target
of a full row's height; "shift" makes the next letter a capital, "?123" shows digits and
punctuation. :meth:`OnScreenKeyboard.key` types a real key press into the same field: its
character (``event.unicode``), backspace, and return (a new line in a note, else "done").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from ..controls import Rect
from .frame import KEYBOARD_ROWS, PageFrame

LETTERS = ("1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-_.")
SYMBOLS = ("1234567890", "!?,.:;()/&", "+=@#%*\"'<>", "-_~$[]{}|\\")


def printable(char: str) -> bool:
    """Any printable character (names, notes)."""
    return char.isprintable()


def code_char(char: str) -> bool:
    """A character of a child's pseudonymous code: a letter or digit of ASCII, '-' or '_'."""
    return char.isascii() and (char.isalnum() or char in "-_")


@dataclass
class TextField:
    """Text being typed: at most ``max_chars`` characters, each one ``allowed`` takes."""

    text: str = ""
    max_chars: int = 64
    allowed: Callable[[str], bool] = printable
    multiline: bool = False
    refused: str = field(default="", init=False)  # the last character refused, to say so

    def type(self, chars: str) -> None:
        """Append ``chars``, each one the field takes while there is room."""
        for char in chars:
            newline = char == "\n" and self.multiline
            if len(self.text) >= self.max_chars or not (newline or self.allowed(char)):
                self.refused = char
                continue
            self.text += char

    def backspace(self) -> None:
        """Remove the last character."""
        self.text = self.text[:-1]


class OnScreenKeyboard:
    """Keys laid out as touch targets; a tap on one types into the field being edited."""

    def __init__(self) -> None:
        self.shift = False
        self.symbols = False

    def rows(self) -> tuple[str, ...]:
        """The character rows shown now (letters, capitals after shift, or symbols)."""
        rows = SYMBOLS if self.symbols else LETTERS
        return tuple(r.upper() for r in rows) if self.shift and not self.symbols else rows

    def layout(self, frame: PageFrame, multiline: bool) -> None:
        """Add the keys to ``frame`` in its keyboard area."""
        area = frame.keyboard_area()
        row_step = (area.h + frame.gap) // KEYBOARD_ROWS
        for index, chars in enumerate(self.rows()):
            row = Rect(area.x, area.y + index * row_step, area.w, frame.row)
            for char, cell in zip(chars, frame.cells(row, [1] * len(chars)), strict=True):
                frame.add(f"kb:{char}", char, cell)
        bottom = Rect(area.x, area.y + 4 * row_step, area.w, frame.row)
        shift, symbols, space, back, done = frame.cells(bottom, (1.4, 1.4, 4, 1.8, 1.8))
        frame.add("kb:shift", "shift", shift, "choice", selected=self.shift)
        frame.add("kb:symbols", "abc" if self.symbols else "?123", symbols, "choice")
        frame.add("kb:space", "space", space)
        frame.add("kb:backspace", "delete", back)
        frame.add("kb:enter" if multiline else "kb:done", "new line" if multiline else "done",
                  done)  # fmt: skip

    def press(self, button: str, text: TextField) -> bool:
        """Act on the key ``button`` (``kb:...``); False when it is no key of the keyboard.
        ``kb:done`` is the page's to act on (the field is finished)."""
        kind, _, char = button.partition(":")
        if kind != "kb":
            return False
        if char == "shift":
            self.shift = not self.shift
        elif char == "symbols":
            self.symbols = not self.symbols
        elif char == "space":
            text.type(" ")
        elif char == "backspace":
            text.backspace()
        elif char == "enter":
            text.type("\n")
        elif char != "done":
            text.type(char)
            self.shift = False  # one capital, as a phone's keyboard
        return True

    def key(self, event: pygame.event.Event, text: TextField) -> str | None:
        """A real key press typed into ``text``: "typed", "done" (return in a one-line field,
        or tab), or None when it was not a key for the field (escape is the page's)."""
        if event.type != pygame.KEYDOWN or event.key == pygame.K_ESCAPE:
            return None
        if event.key == pygame.K_BACKSPACE:
            text.backspace()
            return "typed"
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER) and text.multiline:
            text.type("\n")
            return "typed"
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_TAB):
            return "done"
        char = getattr(event, "unicode", "")
        if char and char.isprintable():
            text.type(char)
            return "typed"
        return None
