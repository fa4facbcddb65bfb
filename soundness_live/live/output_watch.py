"""Noticing a sound output that stopped: its device unplugged, its audio server gone.

The output's callback moves the renderer's frame counter; when the counter has not moved for
:data:`STALL_S` the output has stopped asking for sound. The engine tells the therapist (a
notice and ``output_stalled`` in its state) rather than leaving a silent session that seems to
run: the activity waits on the output's frames, so its timing stays true, and it carries on if
the output comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

STALL_S = 1.0  # no block for this long: the output has stopped (a block is a few ms)


class OutputWatch:
    """Watches a frame counter; :meth:`check` says when the output stops and starts again."""

    def __init__(
        self,
        frame: Callable[[], int],
        stall_s: float = STALL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.frame, self.stall_s, self.clock = frame, stall_s, clock
        self.stalled = False
        self._last_frame = frame()
        self._moved_at = clock()
        self._lock = threading.Lock()  # snapshots are taken on several threads

    def restart(self) -> None:
        """Start watching afresh (the output was just started)."""
        self.stalled = False
        self._last_frame, self._moved_at = self.frame(), self.clock()

    def check(self) -> str | None:
        """``"stopped"`` or ``"running"`` when that changed since the last check, else None."""
        with self._lock:
            return self._check()

    def _check(self) -> str | None:
        now, frame = self.clock(), self.frame()
        if frame != self._last_frame:
            self._last_frame, self._moved_at = frame, now
            if self.stalled:
                self.stalled = False
                return "running"
            return None
        if not self.stalled and now - self._moved_at >= self.stall_s:
            self.stalled = True
            return "stopped"
        return None

    def message(self, change: str, output_name: str) -> str:
        """What the therapist reads about ``change`` (short: it is shown on the screen)."""
        if change == "stopped":
            return "sound output stopped: check the audio device; the activity waits for it"
        return f"sound output running again ({output_name})"

    def detail(self, output_name: str) -> str:
        """For the engine's log: which output, and how long it has been silent."""
        silent_s = self.clock() - self._moved_at
        return f"{output_name} has asked for no sound for {silent_s:.1f} s"
