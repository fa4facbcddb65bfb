"""The therapist UI: a pygame-ce window that is a client of the engine process.

The UI never makes sound and never scores: it sends commands (without waiting for replies, so
a frame is never held up) and draws the engine's latest state snapshot. The window is a host of
pages (``page.py``), a stack with the session page at the bottom: a page opened from it (a
child's profile, the confirmation stop asks for, the help overlay) shows above it and closes
back to it; taps and keys go to the page on top. The UI process stays
light, because it shares the machine's cores with the engine and the audio server: the frame
rate is capped (30 fps by default), and each frame draws only what changed (``painter.py``), so
a still screen costs almost nothing and the beat pulse redraws only its own square.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the environment variable that silences its banner

from ..live.client import EngineError  # noqa: E402
from ..live.protocol import message  # noqa: E402
from .controls import Layout, View, hit_test  # noqa: E402
from .images import Fonts  # noqa: E402
from .link import EngineLink, data_dir_connect  # noqa: E402
from .overlays import OVERLAYS, ReconnectPage  # noqa: E402
from .page import Page  # noqa: E402
from .pages.paired_devices import PairedDevicesPage  # noqa: E402
from .session_page import SessionPage, marked_words  # noqa: E402
from .since_away import remote_words, since_away_words  # noqa: E402
from .widgets import engine_lost  # noqa: E402

log = logging.getLogger(__name__)
AWAY = "the sound engine is not connected"
SILENT = "the sound engine is not answering"
DEFAULT_SIZE = (1280, 800)
PAGE_REDRAW_S = 0.5  # a page above the session page is drawn again at least this often
_REPAINT_EVENTS = (pygame.VIDEOEXPOSE, pygame.VIDEORESIZE, pygame.WINDOWEXPOSED,
                   pygame.WINDOWRESTORED, pygame.WINDOWSIZECHANGED)  # fmt: skip


def page_registry() -> dict[str, Callable[..., Page]]:
    """Every page the session page can open, by name: the window's own layers (confirm,
    help, the list of pages), the browser remote's page, and the pages of
    :mod:`soundness_live.ui.pages`' registry ``PAGES`` (a child's profile, goals, devices, a
    note, the summary, export) where this version has it."""
    found: dict[str, Callable[..., Page]] = {**OVERLAYS, PairedDevicesPage.name: PairedDevicesPage}
    pages = importlib.import_module(f"{__package__}.pages")
    found.update(getattr(pages, "PAGES", {}))
    return found


class TherapistApp:
    """The window: its view of the engine, its stack of pages, and the frame loop."""

    def __init__(
        self,
        client: Any,
        size: tuple[int, int] = DEFAULT_SIZE,
        fps: int = 30,
        fullscreen: bool = False,
        therapist: str | None = None,
        pages: dict[str, Callable[..., Page]] | None = None,
        link: EngineLink | None = None,
    ) -> None:
        self.link = link if link is not None else own_link(client)
        self.fps = fps
        self.view = View(therapist=therapist)
        self.sent: list[dict[str, Any]] = []  # commands sent (tests and the log read them)
        self.registry = page_registry() if pages is None else pages
        self.session = SessionPage()
        self.pages: list[Page] = [self.session]
        self._ids = itertools.count(1000)
        self._state_s = time.monotonic()
        self._drawn: tuple[Any, ...] | None = None  # what a page above the session page shows
        self._drawn_s = -float("inf")
        self._fonts: Fonts | None = None
        self._away: dict[str, Any] | None = None  # the engine's last state, while it is away
        self.running = True
        client.on_message = self._on_message
        pygame.display.init()
        pygame.font.init()
        flags = pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE
        self.surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("Soundness Live")
        self.clock = pygame.time.Clock()
        self.layout: Layout = self.page.layout(*size, self.view)

    @property
    def client(self) -> Any:
        """The engine's client now (a new one after the engine was found again)."""
        return self.link.client

    @property
    def page(self) -> Page:
        """The page on top: the one shown, and the one taps and keys go to."""
        return self.pages[-1]

    def load_catalog(self) -> None:
        """Children, activities and recorded prompts for the pickers (asked at start)."""
        self.session.load_catalog(self, self.client.state or {})

    # -- what pages reach (the PageHost protocol) ---------------------------------------------
    def command(self, kind: str, /, **fields: Any) -> None:
        """Send a command; its reply arrives later (a refusal shows as a notice). While the
        engine is away a command is refused with a line, never kept to be sent later (a
        "louder" tapped twice meanwhile must not play when the engine is back); so it is while
        the engine is connected but silent (it would read the command whenever it woke),
        but for QUIET, which can only ever make the room quieter."""
        if not self.link.connected:
            self.view.notice = f"{kind.replace('_', ' ')}: not sent, {AWAY}"
            return
        if kind != "panic" and engine_lost(self.view.state):
            self.view.notice = f"{kind.replace('_', ' ')}: not sent, {SILENT}"
            return
        msg = message(kind, id=next(self._ids), **fields)
        self.sent.append(msg)
        try:
            self.client.send(msg)
        except Exception as error:  # the engine went away: say so, keep drawing
            self.view.notice = f"engine unreachable: {error}"

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """Ask the engine and wait for its reply (EngineError at once while it is away)."""
        if not self.link.connected:
            raise EngineError(f"{kind.replace('_', ' ')}: not asked, {AWAY}")
        return dict(self.client.request(kind, **fields))

    def open_page(self, name: str, **context: Any) -> None:
        """Show the page called ``name`` above the one on top, made as
        ``registry[name](window, **context)``; a page this window does not have says so in
        the notice."""
        make = self.registry.get(name)
        words = name.replace("_", " ")
        if make is None:
            self.view.notice = f"the {words} page is not in this version yet"
            return
        try:
            page = make(self, **context)
        except Exception as error:  # the window goes on; the log keeps the whole story
            log.exception("the %s page could not open", words)
            self.view.notice = f"the {words} page could not open: {error}"
            return
        self.pages.append(page)
        self._relayout()

    def close_page(self) -> None:
        """Back to the page beneath (the session page stays)."""
        if len(self.pages) > 1:
            self.pages.pop()
            self._relayout()

    def _relayout(self) -> None:
        self.layout = self.page.layout(*self.surface.get_size(), self.view)
        self._drawn = None
        self.session.painter.invalidate()

    # -- engine messages (reader thread) ------------------------------------------------------
    def _on_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "state":
            self._state_s = time.monotonic()
        elif msg["type"] == "notice":
            self.view.notice = str(msg.get("text", ""))
        elif msg["type"] == "reply" and msg.get("ok") and msg.get("command") == "set_prompt_level":
            self.view.notice = marked_words(msg)  # the trial the level went to
        elif msg["type"] == "reply" and not msg.get("ok"):
            self.view.notice = str(msg.get("error", "the engine refused"))
            if msg.get("command") == "select_child":  # the engine keeps the child it has
                self.view.child = (self.client.state or {}).get("child")

    # -- taps and keys ------------------------------------------------------------------------
    def click(self, x: float, y: float) -> str | None:
        """Act on a tap at window position (x, y); the name of the button hit, if any."""
        button = hit_test(self.layout.buttons, x, y)
        if button is None:
            return None
        self.act(button.name)
        return button.name

    def act(self, name: str) -> None:
        """What the button called ``name`` on the page on top does."""
        self.page.tap(name, self)
        self.layout = self.page.layout(*self.surface.get_size(), self.view)

    def press(self, event: pygame.event.Event) -> None:
        """A key: the page on top first; else Escape goes back and Q is QUIET on any page."""
        if self.page.key(event, self):
            return
        if event.key == pygame.K_ESCAPE:
            self.close_page()
        elif event.key == pygame.K_q:
            self.command("panic")

    # -- the loop ------------------------------------------------------------------------------
    def frame(self) -> None:
        """One frame: events, layout, drawing what changed, then wait for the frame-rate cap."""
        self._follow_link()
        for event in pygame.event.get():
            self._handle(event)
        state = self._state()
        self.view.state = state
        if state.get("child") and self.view.child is None:
            self.view.child = state["child"]
        width, height = self.surface.get_size()
        self.layout = self.page.layout(width, height, self.view)
        changed = self._paint()
        if changed:  # an unchanged frame sends nothing to the display
            pygame.display.update(changed)
        self.clock.tick(self.fps)

    def _follow_link(self) -> None:
        """While the engine is away, the link tries again by itself; the page saying so shows
        once the first attempt has failed (a quick restart passes without it). When the engine
        answers again, everything is taken afresh from its state (:meth:`_reconnected`)."""
        fresh = self.link.poll()
        if fresh is not None:
            self._reconnected(fresh)
            return
        if self.link.connected:
            return
        if self._away is None:  # just lost: a notice from before is no longer news
            self._away = dict(self.client.state or {})
            self.view.notice = ""
        failed = self.link.attempts > 1 or (self.link.attempts == 1 and not self.link.trying)
        shown = any(isinstance(page, ReconnectPage) for page in self.pages)
        if failed and not shown:
            self.pages.append(ReconnectPage(self.link))
            self._relayout()

    def _reconnected(self, client: Any) -> None:
        """The engine answers again: its state is what the screen shows (child, plan,
        activity, figures, devices, cap, remote), nothing kept from before the loss but the
        therapist's pickers; the page the therapist was on stays, but a confirmation asked
        before the loss is closed (what it asked about may have changed). The notice says
        what became of the session open before (:func:`since_away_words`)."""
        client.on_message = self._on_message
        before, self._away = self._away or {}, None
        self._state_s = time.monotonic()
        state = dict(client.state or {})
        self.pages = [p for p in self.pages if p.name not in ("reconnect", "confirm")]
        try:
            self.session.load_catalog(self, state)
        except Exception as error:  # the engine went away again: the link tries once more
            log.warning("the lists could not be read after connecting again: %s", error)
        self.view.notice = since_away_words(before, state, self.request)
        again = self._choose_child_again(before, state)
        for added in (again, remote_words(before, state)):
            if added:
                self.view.notice = f"{self.view.notice} {added}"
        self._relayout()

    def _choose_child_again(self, before: dict[str, Any], now: dict[str, Any]) -> str:
        """The child chosen before the loss, chosen again when the engine now has none (it
        was started again): their volume cap, devices and aids hold from the moment the screen
        finds the engine, not from when the therapist thinks of choosing them again (the child
        may be at the keyboard). What the notice adds ("" when nothing was to do)."""
        child = before.get("child")
        if not child or now.get("child") is not None:
            return ""
        try:
            reply = self.request("select_child", child=child)
        except Exception as error:  # refused (deleted meanwhile?), or the engine went again
            return f"{child} could not be chosen again: {error}"
        cap = reply.get("volume_cap_dbfs")
        capped = f" (volume cap {cap:g} dBFS)" if isinstance(cap, int | float) else ""
        return f"{child} is chosen again{capped}."

    def _paint(self) -> list[pygame.Rect]:
        """The session page retained (only what changed); a page above it whole, when what it
        shows changed or every :data:`PAGE_REDRAW_S` (it may show the engine's state)."""
        page = self.page
        if page is self.session:
            return self.session.paint(self.surface, self.layout, self.view)
        now_s = time.monotonic()
        shown = (self.surface.get_size(), id(page), self.layout, self.view.notice)
        if shown == self._drawn and now_s - self._drawn_s < PAGE_REDRAW_S:
            return []
        self._drawn, self._drawn_s = shown, now_s
        fonts = self._fonts_for(self.layout.scale)
        if getattr(page, "overlay", False):  # over the session page as it stands
            beneath = self.session.layout(*self.surface.get_size(), self.view)
            self.session.paint(self.surface, beneath, self.view)
        page.draw(self.surface, self.layout, self.view, fonts)
        self.session.painter.invalidate()  # the session page is drawn whole when back on top
        return [self.surface.get_rect()]

    def _fonts_for(self, scale: float) -> Fonts:
        if self._fonts is None or self._fonts.scale != scale:
            self._fonts = Fonts(scale)
        return self._fonts

    def _state(self) -> dict[str, Any]:
        """The engine's latest state and how this screen hears it: the age of the state
        (the beat pulse runs on), whether the link is up and how long the engine has been
        silent (the status panel says so at once). While the engine is not heard, the
        child's cue is neutral: its last cue may belong to an activity long stopped."""
        now_s = time.monotonic()
        state = dict(self.client.state or {})
        state["_age_ms"] = (now_s - self._state_s) * 1000.0
        state["_connected"] = not self.client.closed
        state["_reconnect"] = self.link.words()
        state["_silent_s"] = now_s - self.client.last_message_s
        if engine_lost(state):
            state["cue"] = None
        return state

    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if not getattr(event, "touch", False):  # a finger's own mouse event: tapped once
                self.click(*event.pos)
                self._drawn = None
        elif event.type == pygame.FINGERDOWN:
            width, height = self.surface.get_size()
            self.click(event.x * width, event.y * height)
            self._drawn = None  # a page shows what a tap or key did in this frame: text
        elif event.type == pygame.KEYDOWN:  # typed is no button's words, so the layout alone
            self.press(event)  # does not say it changed
            self._drawn = None
        elif event.type in _REPAINT_EVENTS:  # the window's pixels may be gone: draw them all
            self.session.painter.invalidate()
            self._drawn = None

    def resize(self, size: tuple[int, int]) -> None:
        """Show the window at ``size`` (a test switches among the supported sizes)."""
        flags = self.surface.get_flags() & (pygame.FULLSCREEN | pygame.RESIZABLE)
        self.surface = pygame.display.set_mode(size, flags)
        self._relayout()

    def run(self, max_frames: int | None = None) -> int:
        """Draw until the window closes (or ``max_frames``); the engine keeps running."""
        frames = 0
        while self.running and (max_frames is None or frames < max_frames):
            self.frame()
            frames += 1
        return frames

    def screenshot(self, path: Path) -> Path:
        """Save the current screen as PNG."""
        pygame.image.save(self.surface, str(path))
        return path

    def close(self) -> None:
        """Close the window (not the engine); stop trying to reach it."""
        self.link.close()
        pygame.display.quit()


def own_link(client: Any) -> EngineLink:
    """The link of a screen given only its client: it reconnects to the engine of the
    client's data directory (a client with none, a test's stand-in, cannot reconnect)."""
    home = getattr(client, "data_dir", None)
    return EngineLink(client, data_dir_connect(home) if home is not None else None)
