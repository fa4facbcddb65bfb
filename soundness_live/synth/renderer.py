"""The block renderer: what the live audio callback and offline rendering both run.

``Renderer.render_into(out)`` fills one block: it drains the command queue into the
scheduler, takes the events due in the block, renders the synth in segments split at each
event's exact offset, mixes in the prepared sounds playing (spoken or recorded prompts, started
on their exact frames too), then applies the output stage. Live and offline differ only in who
calls it (a device callback or a loop), so offline output is what live would have played.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from pathlib import Path

import numpy as np

from ..core.events import AllNotesOff, PlaySound, SynthEvent
from ..core.scheduler import Scheduler
from ..errors import ParameterError
from .limiter import OutputStage
from .quiet import CHANGED, FRAME, QuietTable
from .sounds import SoundMixer
from .synth import Synth

__all__ = ["Renderer", "build_renderer", "render_offline", "render_as_scheduled", "QUEUE_CAPACITY"]

QUEUE_CAPACITY = 1024
# how a queued command is placed: at its frame, at the next block start, or (a panic) at the
# next block start after every event already scheduled has been forgotten
_AT_FRAME, _NEXT_BLOCK, _CLEAR_FIRST = 0, 1, 2


class Renderer:
    """One synth, one output stage, one scheduler, one bounded command queue.

    Producers (a MIDI thread, the engine) call :meth:`push`; the audio callback calls
    :meth:`render_into`. The queue is a ``collections.deque``: ``append`` and ``popleft``
    are atomic under CPython, so producer and callback share no lock. The capacity check is
    not atomic with the append: several producers racing may overshoot the capacity by at
    most one command each, which is harmless.
    """

    def __init__(
        self,
        synth: Synth,
        output_stage: OutputStage,
        scheduler: Scheduler | None = None,
        queue_capacity: int = QUEUE_CAPACITY,
    ) -> None:
        if output_stage.sample_rate != synth.sample_rate:
            raise ParameterError(
                f"output stage runs at {output_stage.sample_rate} Hz, synth at "
                f"{synth.sample_rate} Hz: they must match"
            )
        if queue_capacity < 1:
            raise ParameterError(f"queue_capacity must be >= 1, got {queue_capacity}")
        self.synth = synth
        self.output_stage = output_stage
        self.scheduler = scheduler if scheduler is not None else Scheduler()
        self.queue_capacity = queue_capacity
        # what a compiled callback needs to render a quiet block, the frame counter with it
        self.quiet = QuietTable()
        self.quiet.table[FRAME] = synth.frame
        self.dropped_commands = 0
        self.cancelled_events = 0
        self.sounds = SoundMixer(synth.sample_rate)
        self._queue: collections.deque[tuple[SynthEvent, int]] = collections.deque()

    @property
    def frame(self) -> int:
        """The frame the next block starts at (frames rendered so far)."""
        return self.quiet.cells[FRAME]

    @property
    def sample_rate(self) -> int:
        """Output sample rate (Hz)."""
        return self.synth.sample_rate

    @property
    def delay_frames(self) -> int:
        """Frames from rendering a sound to its leaving the output stage (its look-ahead):
        outputs count it in their latency, so heard times stay right."""
        return self.output_stage.delay_frames

    @property
    def late_events(self) -> int:
        """Scheduled events that arrived after their frame had been rendered."""
        return self.scheduler.late_count

    @property
    def max_late_frames(self) -> int:
        """How late (frames) the latest of them was."""
        return self.scheduler.max_late_frames

    def push(self, event: SynthEvent, immediate: bool = False) -> bool:
        """Queue ``event`` for the audio thread; False (and counted) when the queue is full.

        ``immediate=True`` is the live "thru" path: the event plays at the start of the next
        block whatever its frame, and is not counted late.
        """
        if len(self._queue) >= self.queue_capacity:
            self.dropped_commands += 1
            return False
        self._queue.append((event, _NEXT_BLOCK if immediate else _AT_FRAME))
        self.quiet.changed()  # after the append: the block that sees it drains the queue
        return True

    def panic(self, fade_ms: float = 50.0) -> bool:
        """All sound off on every channel with a ``fade_ms`` fade, from the next block.

        Everything handed over before the panic and not yet played is cancelled too (prompt
        notes scheduled up to a look-ahead ahead, thru notes placed a little ahead): the audio
        thread meets the panic's marker in the queue at the start of the next block, forgets
        every scheduled event (counted in ``cancelled_events``), then fades what sounds.
        Commands pushed after the panic play as usual. Safe from any thread: one atomic
        ``deque.append``, no lock. Never refused: a full queue still takes it.
        """
        self._queue.append((AllNotesOff(self.frame, None, fade_ms), _CLEAR_FIRST))
        self.quiet.changed()
        return True

    def render_into(self, out: np.ndarray) -> None:
        """Fill ``out`` (float32, shape (n, 2)) with the next block of output.

        Real-time contract (this runs in the audio callback): no allocation beyond numpy
        temporaries of the block and the small event objects already queued; no I/O, no
        logging, no locks shared with the UI, nothing that blocks. Commands are drained with
        ``popleft`` until the queue is empty; a queue that is always refilled cannot stall the
        callback because at most ``queue_capacity`` (+ racing producers) commands are queued.
        """
        quiet = self.quiet
        cells, published = quiet.cells, quiet.published
        if published:  # before anything is read: a change from now on is the next block's
            cells[CHANGED] = 0
            self.output_stage.changes[0] = 0
        start, n_frames = cells[FRAME], out.shape[0]
        try:
            if self._queue:
                self._drain(start)
            # most blocks: nothing queued, nothing due, no sound playing; each is told by one
            # attribute, and the synth renders the whole block
            position = 0
            if self.scheduler.next_frame < start + n_frames:
                position = self._play_due(out, start)
            if position < n_frames:
                self.synth.render(out[position:] if position else out)
            if self.sounds.playing:
                self.sounds.mix(out, start)
            self.output_stage.process(out)
        except BaseException:
            quiet.changed()  # half a block: the next block is Python's again
            raise
        cells[FRAME] = start + n_frames
        if published:
            until = None if self.sounds.playing else self.scheduler.next_frame
            try:
                quiet.publish(until, self.synth.frames, self.synth.voices, self.output_stage)
            except BaseException:
                quiet.changed()  # the table is not whole: no quiet block reads it
                raise

    def _play_due(self, out: np.ndarray, start: int) -> int:
        """Play the events due in the block ``out`` starting at frame ``start``, the synth
        rendered up to each; returns the frames of ``out`` rendered."""
        synth, position = self.synth, 0
        for offset, event in self.scheduler.due(start, out.shape[0]):
            if isinstance(event, PlaySound):
                self.sounds.start(event, start + offset)
                continue
            if offset > position:
                synth.render(out[position:offset])
                position = offset
            synth.handle(event)
            if isinstance(event, AllNotesOff) and event.channel is None:
                self.sounds.fade(start + offset, event.fade_ms)
        return position

    def _drain(self, block_start: int) -> None:
        queue, scheduler = self._queue, self.scheduler
        while queue:  # a producer may append meanwhile: taken now or at the next block
            event, placement = queue.popleft()
            if placement == _CLEAR_FIRST:
                self.cancelled_events += len(scheduler)
                scheduler.clear()
            if placement != _AT_FRAME and event.frame != block_start:
                event = dataclasses.replace(event, frame=block_start)
            scheduler.add(event)


def build_renderer(
    soundfont: str | os.PathLike[str] | None, sample_rate: int, cap_dbfs: float = -6.0
) -> tuple[Renderer, dict[str, str | None]]:
    """A renderer on ``soundfont`` (a path or name; None: the bundled bank) with its samples
    laid out ahead of playing, and the SoundFont's name and SHA-256 for the records."""
    from .sf2.find import resolve_soundfont
    from .sf2.read import load_soundfont

    path = resolve_soundfont(soundfont if soundfont is not None else "default")
    data = load_soundfont(path)
    synth = Synth(data, sample_rate)
    synth.prepare_bank()  # before any callback runs: no sample is laid out in the callback
    return Renderer(synth, OutputStage(sample_rate, cap_dbfs)), {
        "name": Path(path).name,
        "sha256": data.sha256,
    }


def render_offline(renderer: Renderer, n_frames: int, block_size: int = 512) -> np.ndarray:
    """Render the next ``n_frames`` frames in blocks of ``block_size``; float32 (n, 2)."""
    if n_frames < 0 or block_size < 1:
        raise ParameterError(
            f"n_frames must be >= 0 and block_size >= 1, got {n_frames} and {block_size}"
        )
    out = np.zeros((n_frames, 2), dtype=np.float32)
    for start in range(0, n_frames, block_size):
        renderer.render_into(out[start : start + block_size])
    return out


def render_as_scheduled(renderer: Renderer, n_frames: int, block_size: int = 512) -> np.ndarray:
    """:func:`render_offline` from a fresh renderer without the output stage's delay: frame f
    of the result is the sound scheduled at frame f. Offline is not real time, so the stage's
    look-ahead is rendered ahead and dropped (the renderer ends ``delay_frames`` further on)."""
    delay = renderer.delay_frames
    return render_offline(renderer, n_frames + delay, block_size)[delay:]
