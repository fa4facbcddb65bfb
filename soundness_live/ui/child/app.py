"""The child's view: its own window and process, a client of the engine like the therapist's.

It sends the engine nothing but its hello and reads the snapshots the engine sends (the cue,
the beat, the voice meter, the plan's countdown), so drawing never holds up the audio or the
therapist's screen. It stays light: the frame rate is capped (30 fps), the process runs below
the engine's priority, and each frame draws only what changed (:class:`.draw.ChildPainter`).
When the engine goes away (stopped, restarted, crashed) the view shows the calm neutral screen,
with no words aimed at the child, and connects again by itself with the therapist's screen's
gentle back-off (:mod:`soundness_live.ui.link`), showing the engine's cues again as soon as it
answers; after :data:`WAIT_FOR_ENGINE_S` without it, the view closes by itself. While the
engine is silent (not gone) it shows the neutral screen too, since its last cue may belong to
an activity long stopped.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..link import EngineLink, data_dir_connect
from .draw import ChildPainter
from .looks import ChildLooks, Scene, neutral_scene, place_scene
from .placement import Placement

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402 - after the environment variable that silences its banner

WAIT_FOR_ENGINE_S = 600.0  # how long the view waits for the engine to come back, calmly
SILENT_S = 2.0  # the engine sends snapshots several times a second: after this (or three of
# its snapshot periods, when it sends fewer), neutral
_REPAINT_EVENTS = (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED, pygame.WINDOWRESTORED,
                   pygame.WINDOWSIZECHANGED)  # fmt: skip


def silent_limit_s(state: dict[str, Any]) -> float:
    """How long the engine may say nothing before the view turns neutral: SILENT_S, or three
    of the periods at which it says it sends snapshots (``snapshot_hz``), if longer."""
    hz = state.get("snapshot_hz")
    period_s = 1.0 / hz if isinstance(hz, (int, float)) and hz > 0 else 0.0
    return max(SILENT_S, 3.0 * period_s)


def open_window(placement: Placement) -> pygame.Surface:
    """The view's window, placed as asked (the position through SDL's window-position
    variable, read when the window is made)."""
    if placement.position is not None:
        os.environ["SDL_VIDEO_WINDOW_POS"] = "{},{}".format(*placement.position)
    pygame.display.init()
    flags = pygame.FULLSCREEN if placement.fullscreen else 0
    if placement.frameless:
        flags |= pygame.NOFRAME
    size = (0, 0) if placement.fullscreen else placement.size
    surface = pygame.display.set_mode(size, flags, display=placement.display)
    pygame.display.set_caption("Soundness Live - child's view")
    pygame.mouse.set_visible(False)  # nothing on the child's screen but the picture
    return surface


class ChildView:
    """The window, the engine's latest snapshot, and one frame after another."""

    def __init__(
        self,
        client: Any,
        placement: Placement | None = None,
        fps: int = 30,
        save_pictures: Path | None = None,
        words: bool = True,
        link: EngineLink | None = None,
    ) -> None:
        self.link = link if link is not None else _own_link(client)
        self.fps = fps
        self.words = words  # the small word for adults under each picture
        self.save_pictures = save_pictures  # each picture shown, once faded in, as a PNG
        self.saved: list[Path] = []
        self.unreadable: str | None = None  # the last snapshot error named
        self._saved_look: Any = None
        self.looks = ChildLooks()
        self.painter = ChildPainter()
        self.surface = open_window(placement or Placement())
        self.clock = pygame.time.Clock()
        self.running = True
        self.frames_drawn = 0  # frames that changed any pixel (tests and benches read it)
        self.gone_s: float | None = None  # when the engine was found gone (None: it answers)
        self._state_s = time.monotonic()
        self._last_state: Any = None
        self._frame_s: float | None = None

    @property
    def client(self) -> Any:
        """The engine's client now (a new one once the engine was found again)."""
        return self.link.client

    def state(self, now_s: float) -> tuple[dict[str, Any], float]:
        """The latest snapshot and its age in seconds; neutral (no cue) while the engine is
        silent or gone."""
        state = self.client.state or {}
        if state is not self._last_state:  # a new snapshot came since the last frame
            self._last_state, self._state_s = state, now_s
        age_s = now_s - self._state_s
        if self.client.closed or now_s - self.client.last_message_s > silent_limit_s(state):
            return {}, age_s
        return state, age_s

    def frame(self) -> None:
        """One frame: events, this frame's look, the pixels that changed, the frame cap."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type in _REPAINT_EVENTS:
                self.painter.invalidate()
        now_s = time.monotonic()
        elapsed_s = 0.0 if self._frame_s is None else now_s - self._frame_s
        self._frame_s = now_s
        self._follow_link(now_s)
        state, age_s = self.state(now_s)
        scene = self._scene(state, now_s, age_s)
        if not self.words:
            scene = replace(scene, word="")
        look = place_scene(scene, *self.surface.get_size())
        changed = self.painter.paint(self.surface, look, elapsed_s)
        if changed:
            pygame.display.update([pygame.Rect(area) for area in changed])
            self.frames_drawn += 1
        if self.save_pictures is not None and self.painter.settled:
            self._save(look.name)
        if self.gone_s is not None and now_s - self.gone_s >= WAIT_FOR_ENGINE_S:
            self.running = False
        self.clock.tick(self.fps)

    def _follow_link(self, now_s: float) -> None:
        """Note when the engine went away; the link connects again by itself, and the new
        client's snapshots are shown from then on (the neutral screen until the first)."""
        if self.link.poll() is not None:
            self.gone_s = None
            self._last_state = None
        elif self.client.closed and self.gone_s is None:
            self.gone_s = now_s

    def _scene(self, state: dict[str, Any], now_s: float, age_s: float) -> Scene:
        """The scene of ``state``; a snapshot the view cannot read shows the neutral screen
        and is named once on the view's error output (the window goes on)."""
        if not state:
            return neutral_scene()
        try:
            return self.looks.scene(state, now_s, age_s)
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            text = f"{type(error).__name__}: {error}"
            if text != self.unreadable:
                self.unreadable = text
                cue = state.get("cue")
                print(f"child view: a snapshot could not be read (expected a cue as the engine "
                      f"sends it, got {cue!r}): {text}; showing the neutral screen",
                      file=sys.stderr, flush=True)  # fmt: skip
            return neutral_scene()

    def _save(self, name: str) -> None:
        """Save the window once a new picture has faded in (the first frame of it whole)."""
        key = (name, self.painter.shown and self.painter.shown.word)
        if key == self._saved_look or self.save_pictures is None:
            return
        self._saved_look = key
        path = self.save_pictures / f"{len(self.saved) + 1:04d}-{name}.png"
        self.saved.append(self.screenshot(path))

    def run(self, max_frames: int | None = None) -> int:
        """Draw until the window is closed (or the engine stayed away for
        :data:`WAIT_FOR_ENGINE_S`, or ``max_frames``)."""
        frames = 0
        while self.running and (max_frames is None or frames < max_frames):
            self.frame()
            frames += 1
        return frames

    def screenshot(self, path: Any) -> Any:
        """Save what the window shows now as PNG. The picture is written beside its place
        (in a ``.writing`` folder, under the same name, so pygame picks PNG by the suffix)
        and then moved there whole: whoever watches the folder never reads half a file."""
        path = Path(path)
        writing = path.parent / ".writing"
        writing.mkdir(exist_ok=True)
        pygame.image.save(self.surface, str(writing / path.name))
        os.replace(writing / path.name, path)
        return path

    def close(self) -> None:
        """Close the window (the engine goes on); stop trying to reach it."""
        self.link.close()
        pygame.display.quit()


def _own_link(client: Any) -> EngineLink:
    """A link to the engine of the client's data directory (a client with none, a test's
    stand-in, cannot connect again)."""
    home = getattr(client, "data_dir", None)
    return EngineLink(client, data_dir_connect(home) if home is not None else None)


def desktops() -> list[tuple[int, int]]:
    """The size of each display's desktop, in pygame's order of displays."""
    pygame.display.init()
    return list(pygame.display.get_desktop_sizes())
