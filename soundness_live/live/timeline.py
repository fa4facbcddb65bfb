"""The live side of a session: sound to the audio callback, the child's notes from MIDI ports.

Two axes. The *output axis* is the renderer's frame counter (it never stops). The *session
axis* is what activities and records see (frame 0 = the start of the stored session); it is the
output axis minus :attr:`LiveTimeline.offset_frames`. The offset only changes when the therapist
skips a trial, pauses or hits "quiet": the activity's time then jumps to "now", so it never plays
a backlog of late notes. Records stay consistent (prompts and responses share the session axis).

- :class:`LiveSink` (a ``SoundSink``) keeps the activity's events and its own feeder thread
  hands each to the renderer's command queue a look-ahead before its frame. The feeder is the
  engine's, not the activity's: whatever the activity thread does meanwhile (a long scoring
  step, a slow store write, a wait), what it scheduled plays on its frame. ``advance_to`` waits
  (short sleeps on the activity thread, never in the audio callback) until the output reached
  a frame.
- :class:`~soundness_live.live.input.LiveInput` (an ``InputSource``) runs
  in the MIDI callback: thru to the renderer, the played notes kept on the session axis.

Why a feeder thread rather than every event handed to the renderer as soon as it is scheduled:
the renderer's queue is bounded (a long song is more events than it holds) and its scheduler
runs in the audio callback, which should sort no more than the next few blocks' events; the
sink's pending events are also what a skip or a pause forgets without touching what sounds.
The feeder sleeps until the next event nears its look-ahead (at most :data:`FEED_POLL_S`);
:data:`LOOKAHEAD_S` covers its own wake-up delays, GIL waits included (a thread computing in
Python gives the GIL up every 5 ms).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from ..core.clock import ClockMapping
from ..core.events import NoteOff, ProgramChange, SynthEvent
from ..errors import SoundnessError

log = logging.getLogger(__name__)

__all__ = [
    "LiveRenderer",
    "LiveSink",
    "LiveTimeline",
    "SessionStopped",
    "StandInRenderer",
]

LOOKAHEAD_S = 0.06  # events reach the renderer this long before their frame
FEED_POLL_S = 0.01  # the feeder looks again at least this often while events are pending
POLL_S = 0.004  # the activity thread's wait step
INPUT_MARGIN_S = 0.015  # MIDI delivery (about one driver period) + scheduling slack


class LiveRenderer(Protocol):
    """The renderer surface the live side uses (``soundness_live.synth.renderer.Renderer``)."""

    @property
    def frame(self) -> int:
        """Output frames rendered so far."""
        ...

    def push(self, event: SynthEvent, immediate: bool = False) -> bool:
        """Queue ``event`` (thread-safe, bounded); ``immediate`` plays it at the next block."""
        ...

    def panic(self, fade_ms: float = 50.0) -> None:
        """All sound off with a short fade."""
        ...


class SessionStopped(SoundnessError):
    """The activity was stopped while it waited (raised on the activity thread)."""


class StandInRenderer:
    """A renderer that keeps the commands it gets and renders silence (tests, no synth).

    It has the live renderer's surface (``push``, ``render_into``, ``frame``, ``panic``), so the
    engine, the outputs and the tests run without a SoundFont synth.
    """

    def __init__(self, max_commands: int = 100_000, why_silent: str = "no synth chosen") -> None:
        self.why_silent = why_silent  # what the therapist is told: nothing can be heard
        self.frame = 0
        self.commands: deque[tuple[SynthEvent, bool]] = deque(maxlen=max_commands)
        self.panics = 0
        self.cap_dbfs: float | None = None
        self.late_events = self.cancelled_events = self.dropped_commands = 0  # none: it keeps all

    def push(self, event: SynthEvent, immediate: bool = False) -> bool:
        """Keep the command (thread-safe: deque appends are atomic)."""
        self.commands.append((event, immediate))
        return True

    def render_into(self, out: np.ndarray) -> None:
        """Silence; the frame counter moves."""
        out.fill(0.0)
        self.frame += len(out)

    def panic(self, fade_ms: float = 50.0) -> None:
        """Count the panic (there is no sound to fade)."""
        self.panics += 1


class LiveTimeline:
    """The session axis over a running output, and the therapist's interruptions.

    ``output_frame()`` reads the renderer's frame counter; ``mapping()`` the output's clock
    mapping. :meth:`skip` / :meth:`pause` / :meth:`stop` may be called from any thread; the
    activity thread notices them in its waits.
    """

    def __init__(
        self,
        output_frame: Callable[[], int],
        mapping: Callable[[], ClockMapping],
        sample_rate: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output_frame = output_frame
        self.mapping = mapping
        self.sample_rate = sample_rate
        self.clock = clock
        self.offset_frames = output_frame()
        self.paused = False
        self.stopped = False
        self.skips: list[float] = []  # session frames at which a trial was cut short
        self._skip = False
        self._wake = threading.Event()
        self.on_jump: Callable[[], None] | None = None  # the sink drops pending sounds

    def now(self) -> int:
        """The render head on the session axis."""
        return self.output_frame() - self.offset_frames

    def to_output(self, session_frame: float) -> float:
        """Session axis -> output axis."""
        return session_frame + self.offset_frames

    def to_session(self, output_frame: float) -> float:
        """Output axis -> session axis."""
        return output_frame - self.offset_frames

    def skip(self) -> None:
        """Cut the trial in progress short (its record is marked void)."""
        self._skip = True
        self._wake.set()

    def pause(self) -> None:
        """Cut the trial in progress short and start nothing new until :meth:`resume`."""
        self.paused = True
        self.skip()

    def resume(self) -> None:
        """Carry on after a pause."""
        self.paused = False
        self._wake.set()

    def stop(self) -> None:
        """Make every wait raise :class:`SessionStopped`."""
        self.stopped = True
        self._wake.set()

    def restart(self) -> None:
        """Clear the stop flag (a new activity is about to run)."""
        self.stopped = self.paused = self._skip = False

    def wait_output(self, session_frame: float) -> None:
        """Wait until the output rendered ``session_frame``."""
        self._wait(lambda: self.output_frame() - self.to_output(session_frame), session_frame)

    def wait_heard(self, session_frame: float) -> None:
        """Wait until ``session_frame`` was heard and any input up to it had time to arrive."""
        margin = INPUT_MARGIN_S * self.sample_rate

        def ahead() -> float:
            mapping = self.mapping()
            heard = mapping.frame_at(self.clock())
            return heard - margin - self.to_output(session_frame)

        self._wait(ahead, session_frame)

    def _wait(self, ahead: Callable[[], float], target: float) -> None:
        while True:
            if self.stopped:
                raise SessionStopped("the activity was stopped")
            if self._skip:
                self._jump(target)
                continue  # a pause holds here until resumed
            if self.paused:
                self._wake.wait(0.05)
                self._wake.clear()
                self.offset_frames = self.output_frame() - int(target)  # time stands still
                continue
            frames_ahead = ahead()
            if frames_ahead >= 0:
                return
            self._wake.wait(min(POLL_S, -frames_ahead / self.sample_rate))
            self._wake.clear()

    def _jump(self, target: float) -> None:
        self._skip = False
        self.skips.append(float(self.now()))
        self.offset_frames = self.output_frame() - int(target)
        if self.on_jump is not None:
            self.on_jump()


class LiveSink:
    """A ``SoundSink`` over a live renderer: its feeder thread hands each event on a
    look-ahead before its frame (:meth:`start` it with the output, :meth:`stop` it after)."""

    def __init__(
        self,
        renderer: LiveRenderer,
        timeline: LiveTimeline,
        latency_s: float,
        block_frames: int = 256,
    ) -> None:
        self.renderer = renderer
        self.timeline = timeline
        self.output_latency_frames = latency_s * timeline.sample_rate
        self.lookahead_frames = int(LOOKAHEAD_S * timeline.sample_rate)
        # what a late event needs to reach the audio thread before its frame is rendered: a
        # callback may run between reading the head and the push, and a device whose period
        # is longer than the block runs several callbacks at once (two blocks, the output
        # latency, at least 5 ms)
        rate = timeline.sample_rate
        self.place_ahead_frames = max(2 * block_frames, int(latency_s * rate), int(0.005 * rate))
        self.dropped = 0  # events the renderer's full queue refused
        self.feed_errors = 0  # feeder rounds that failed (logged; the feeder carries on)
        self._pending: list[tuple[int, int, SynthEvent]] = []  # (output frame, seq, event)
        self._sequence = itertools.count()
        self._lock = threading.Lock()  # the activity thread, the feeder, a therapist's command
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._feeder: threading.Thread | None = None
        timeline.on_jump = self.drop_pending
        # told of each program change as it is scheduled, ahead of its frame, so its samples
        # can be laid out off the audio thread before it sounds (the engine's preparer)
        self.on_program: Callable[[ProgramChange], None] | None = None

    @property
    def frame(self) -> int:
        """The earliest session frame an event scheduled now still plays on exactly.

        The render head plus :attr:`place_ahead_frames`: the engine places what comes late (a
        prompt whose sound took a while to make) here, so the record says where it sounded.
        """
        return self.timeline.now() + self.place_ahead_frames

    def start(self) -> None:
        """Start the feeder thread (idempotent)."""
        if self._feeder is not None and self._feeder.is_alive():
            return
        self._stopping.clear()
        self._feeder = threading.Thread(target=self._feed_loop, name="sound-feeder", daemon=True)
        self._feeder.start()

    def stop(self) -> None:
        """Stop the feeder thread (what is still pending stays pending)."""
        self._stopping.set()
        self._wake.set()
        if self._feeder is not None:
            self._feeder.join(timeout=5.0)
            self._feeder = None

    @property
    def feeding(self) -> bool:
        """True while the feeder thread runs."""
        return self._feeder is not None and self._feeder.is_alive()

    def schedule(self, event: SynthEvent) -> None:
        """Play ``event`` at its session frame (handed on now when it is due already)."""
        at = int(round(self.timeline.to_output(event.frame)))
        if isinstance(event, ProgramChange) and self.on_program is not None:
            self.on_program(event)
        with self._lock:
            heapq.heappush(self._pending, (at, next(self._sequence), replace(event, frame=at)))
            due = at < self.timeline.output_frame() + self.lookahead_frames
        if due:
            self.feed()
        else:
            self._wake.set()  # the feeder sleeps until its next event: this may be earlier

    def advance_to(self, frame: int) -> None:
        """Return once the output has rendered session frame ``frame``."""
        self.timeline.wait_output(frame)

    def feed(self) -> None:
        """Hand the renderer every event due within the look-ahead."""
        horizon = self.timeline.output_frame() + self.lookahead_frames
        with self._lock:
            while self._pending and self._pending[0][0] < horizon:
                _, _, event = heapq.heappop(self._pending)
                if not self.renderer.push(event):
                    self.dropped += 1

    def _feed_loop(self) -> None:
        """The feeder: hand events on as they come due, until stopped. A failure is logged
        and counted (``feed_errors``, in the engine's snapshot) and feeding goes on."""
        while not self._stopping.is_set():
            try:
                self.feed()
                wait_s = self._next_due_s()
            except Exception:
                self.feed_errors += 1
                log.exception("feeding the renderer failed; the feeder carries on")
                wait_s = FEED_POLL_S
            self._wake.wait(wait_s)
            self._wake.clear()

    def _next_due_s(self) -> float | None:
        """Seconds until the next pending event enters the look-ahead (at most
        :data:`FEED_POLL_S`, the output's pace may vary); None: nothing is pending."""
        with self._lock:
            if not self._pending:
                return None
            head = self._pending[0][0]
        frames = head - self.lookahead_frames - self.timeline.output_frame()
        return min(FEED_POLL_S, max(0.0, frames / self.timeline.sample_rate))

    def drop_pending(self) -> None:
        """Forget sounds not yet handed on (a skip, pause or stop); what sounds fades out."""
        with self._lock:
            offs = [e for _, _, e in self._pending if isinstance(e, NoteOff)]
            self._pending.clear()
        for event in offs:  # their note-ons may have sounded already: never leave one stuck
            self.renderer.push(replace(event, frame=0), immediate=True)
        self.renderer.panic(50.0)
