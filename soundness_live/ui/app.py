"""The therapist UI: a pygame-ce window that is a client of the engine process.

The UI never makes sound and never scores: it sends commands (without waiting for replies, so
a frame is never held up) and draws the engine's latest state snapshot. The UI process stays
light, because it shares the machine's cores with the engine and the audio server: the frame
rate is capped (30 fps by default), and each frame draws only what changed (``painter.py``), so
a still screen costs almost nothing and the beat pulse redraws only its own square.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the environment variable that silences its banner

from ..live.protocol import message  # noqa: E402
from .controls import (  # noqa: E402
    ACTIVITY_ROWS,
    Layout,
    View,
    hit_test,
    layout,
    layout_inputs,
    next_cap,
    prompt_choices,
    start_params,
    step,
)
from .painter import ScreenPainter  # noqa: E402
from .widgets import engine_lost  # noqa: E402

DEFAULT_SIZE = (1024, 768)
CATALOG_S = 5.0  # a picker tapped after this long asks the engine for its lists again
_REPAINT_EVENTS = (pygame.VIDEOEXPOSE, pygame.VIDEORESIZE, pygame.WINDOWEXPOSED,
                   pygame.WINDOWRESTORED, pygame.WINDOWSIZECHANGED)  # fmt: skip


def lower_priority(steps: int = 5) -> None:
    """Run this (UI) process below the engine's priority: under CPU contention the audio
    process is served first. No-op where ``os.nice`` does not exist."""
    if hasattr(os, "nice"):
        try:
            os.nice(steps)
        except OSError:
            pass


class TherapistApp:
    """The window, its view of the engine, and what a tap on each button does."""

    def __init__(
        self,
        client: Any,
        size: tuple[int, int] = DEFAULT_SIZE,
        fps: int = 30,
        fullscreen: bool = False,
        therapist: str | None = None,
    ) -> None:
        self.client = client
        self.fps = fps
        self.view = View(therapist=therapist)
        self.sent: list[dict[str, Any]] = []  # commands sent (tests and the log read them)
        self._ids = itertools.count(1000)
        self._state_s = time.monotonic()
        self._catalog_s = -float("inf")
        self.running = True
        client.on_message = self._on_message
        pygame.display.init()
        pygame.font.init()
        flags = pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE
        self.surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("Soundness Live")
        self.clock = pygame.time.Clock()
        self.painter = ScreenPainter()
        self.layout: Layout = layout(*size, self.view)
        self._layout_inputs = layout_inputs(*size, self.view)

    def load_catalog(self) -> None:
        """Children, activities and recorded prompts for the pickers (asked at start)."""
        self._fetch_catalog()
        state = self.client.state or {}
        self.view.child = state.get("child")
        if state.get("activity"):
            self._choose_activity(state["activity"], state.get("variant"))
            self.view.live_input = state.get("input") != "virtual"  # what is playing now

    def _fetch_catalog(self) -> None:
        reply = self.client.request("catalog")
        self.view.children = reply.get("children", [])
        self.view.activities = reply.get("activities", [])
        self.view.prompt_assets = reply.get("prompt_assets", [])
        self._catalog_s = time.monotonic()

    def _fresh_catalog(self) -> None:
        """Ask again when a picker is tapped and the catalogue is older than
        :data:`CATALOG_S`: a child or prompt added meanwhile (``child add``, ``prompt add``)
        can be picked. An engine that does not answer leaves the old one (and says so)."""
        if time.monotonic() - self._catalog_s < CATALOG_S:
            return
        try:
            self._fetch_catalog()
        except Exception as error:  # the engine went away: the screen keeps going
            self.view.notice = f"could not refresh the lists: {error}"
            self._catalog_s = time.monotonic()

    # -- engine messages (reader thread) ------------------------------------------------------
    def _on_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "state":
            self._state_s = time.monotonic()
        elif msg["type"] == "notice":
            self.view.notice = str(msg.get("text", ""))
        elif msg["type"] == "reply" and not msg.get("ok"):
            self.view.notice = str(msg.get("error", "the engine refused"))
            if msg.get("command") == "select_child":  # the engine keeps the child it has
                self.view.child = (self.client.state or {}).get("child")

    # -- taps --------------------------------------------------------------------------------
    def click(self, x: float, y: float) -> str | None:
        """Act on a tap at window position (x, y); the name of the button hit, if any."""
        button = hit_test(self.layout.buttons, x, y)
        if button is None:
            return None
        self.act(button.name)
        return button.name

    def act(self, name: str) -> None:
        """What a button does."""
        kind, _, arg = name.partition(":")
        view = self.view
        if kind in ("child", "prompt"):
            self._fresh_catalog()
        if kind == "child":  # step through the children: < and the name
            codes = [str(c["code"]) for c in view.children]
            view.child = step(codes, view.child, -1 if arg == "prev" else 1)
            self.command("select_child", child=view.child)  # their limits apply from now
        elif kind == "activity" and arg == "more":  # step through those not listed
            names = [str(a["name"]) for a in view.activities][ACTIVITY_ROWS - 1 :]
            chosen = step(names, view.activity, 1)
            if chosen is not None:
                self._choose_activity(chosen, None)
        elif kind == "activity":
            self._choose_activity(arg, None)
        elif kind == "prompt":
            view.prompt = step(prompt_choices(view), view.prompt, 1) or view.prompt
        elif kind == "cap":
            self.command("set_volume_cap", dbfs=next_cap(view, louder=arg == "up"))
        elif kind == "variant":
            self._next_variant()
        elif kind == "input":
            view.live_input = not view.live_input
        elif kind == "level":
            self.command("set_prompt_level", level=arg)
        elif kind == "start":
            self.command(
                "start_activity",
                activity=view.activity,
                params=start_params(view),
                child=view.child,
                input="live" if view.live_input else "virtual",
                therapist=view.therapist,
            )
        elif kind in ("stop", "pause", "resume", "next_trial", "end_session", "panic"):
            self.command(kind)

    def _choose_activity(self, name: str, variant: str | None) -> None:
        self.view.activity = name
        variants = self._variants()
        self.view.variant = variant or (variants[0] if variants else None)

    def _variants(self) -> list[str]:
        for activity in self.view.activities:
            if activity["name"] == self.view.activity:
                return list(activity.get("variants") or [])
        return []

    def _next_variant(self) -> None:
        variants = self._variants()
        if variants:
            index = variants.index(self.view.variant) if self.view.variant in variants else -1
            self.view.variant = variants[(index + 1) % len(variants)]

    def command(self, kind: str, **fields: Any) -> None:
        """Send a command; its reply arrives later (a refusal shows as a notice)."""
        msg = message(kind, id=next(self._ids), **fields)
        self.sent.append(msg)
        try:
            self.client.send(msg)
        except Exception as error:  # the engine went away: say so, keep drawing
            self.view.notice = f"engine unreachable: {error}"

    # -- the loop ------------------------------------------------------------------------------
    def frame(self) -> None:
        """One frame: events, layout, drawing what changed, then wait for the frame-rate cap."""
        for event in pygame.event.get():
            self._handle(event)
        state = self._state()
        self.view.state = state
        if state.get("child") and self.view.child is None:
            self.view.child = state["child"]
        width, height = self.surface.get_size()
        inputs = layout_inputs(width, height, self.view)
        if inputs != self._layout_inputs:
            self.layout, self._layout_inputs = layout(width, height, self.view), inputs
        changed = self.painter.paint(self.surface, self.layout, self.view, time.monotonic())
        if changed:  # an unchanged frame sends nothing to the display
            pygame.display.update(changed)
        self.clock.tick(self.fps)

    def _state(self) -> dict[str, Any]:
        """The engine's latest state and how this screen hears it: the age of the state
        (the beat pulse runs on), whether the link is up and how long the engine has been
        silent (the status panel says so at once). While the engine is not heard, the
        child's view is neutral: its last cue may belong to an activity long stopped."""
        now_s = time.monotonic()
        state = dict(self.client.state or {})
        state["_age_ms"] = (now_s - self._state_s) * 1000.0
        state["_connected"] = not self.client.closed
        state["_silent_s"] = now_s - self.client.last_message_s
        if engine_lost(state):
            state["cue"] = None
        return state

    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.click(*event.pos)
        elif event.type == pygame.FINGERDOWN:
            width, height = self.surface.get_size()
            self.click(event.x * width, event.y * height)
        elif event.type in _REPAINT_EVENTS:  # the window's pixels may be gone: draw them all
            self.painter.invalidate()

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
        """Close the window (not the engine)."""
        pygame.display.quit()
