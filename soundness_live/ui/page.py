"""A page of the therapist's screen, and what the window offers every page.

The window (:class:`.app.TherapistApp`) shows one page at a time: the session page (activity,
plan, start and stop, the child's figures) or a page the therapist opens from it (a child's
profile, goals from the library, devices and playing aids, a note, the session summary, export,
the help overlay). Each page lays out its own touch targets on the window it is given, draws
them, and says what a tap or a key does; it reaches the engine only through the host (a page
is a client of the engine like the whole screen: it never opens the store itself). Pages are
plain objects, so a test drives one by its button names and the hit-test layout.

The window makes the page called ``name`` as ``PAGES[name](host, **context)`` (the registry of
:mod:`soundness_live.ui.pages`), so a page can ask the engine for what it shows as it opens,
and lays it out again after each tap or key and at each new window size: a page's targets
follow its state (the on-screen keyboard shows while a text field is typed in).
"""

from __future__ import annotations

from typing import Any, Protocol

import pygame

from .controls import Layout, View
from .images import Fonts


class PageHost(Protocol):
    """What the window offers a page: the engine, and moving among pages."""

    view: View

    # ``kind`` is positional only: a command may have a field called ``kind`` (set_device)
    def command(self, kind: str, /, **fields: Any) -> None:
        """Send an engine command without waiting; a refusal shows as the screen's notice."""

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """Ask the engine and wait for its reply (lists a page shows: goals, exports places).
        Raises :class:`~soundness_live.live.client.EngineError` when refused or not answered."""

    def open_page(self, name: str, **context: Any) -> None:
        """Show the page called ``name`` above this one (``context``: what it is about)."""

    def close_page(self) -> None:
        """Go back to the page beneath."""


class Page(Protocol):
    """One page: its touch targets at a window size, its drawing, and what input does."""

    name: str  # what :meth:`PageHost.open_page` calls it

    def layout(self, width: int, height: int, view: View) -> Layout:
        """Every touch target and region of the page at this window size."""

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The whole page onto ``surface``."""

    def tap(self, button: str, host: PageHost) -> None:
        """What the button called ``button`` does."""

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Act on a key press; True when the page used it (else the window's shortcuts do)."""
