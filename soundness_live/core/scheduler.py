"""Time-ordered future events on the output frame axis, handed out block by block.

Pure core: no numpy, no devices. The renderer asks, for each output block, which events fall
inside it and at which offset; the synth is then rendered in segments split at those offsets,
so an event sounds on its exact frame whatever the block size (DESIGN.md, "One time base").
"""

from __future__ import annotations

import heapq
import itertools

from ..errors import ParameterError
from .events import SynthEvent

__all__ = ["Scheduler", "NEVER"]

NEVER = 1 << 62  # the next frame of a scheduler holding no event: past every block


class Scheduler:
    """A priority queue of :data:`SynthEvent` keyed by absolute frame.

    Events at the same frame come out in insertion order. An event whose frame already lies
    before the block asked for is *late*: it is handed out at offset 0 of that block and
    counted (``late_count``, ``max_late_frames``) — never dropped, never played early.

    ``next_frame`` is the frame of the earliest event queued (:data:`NEVER` when none is), an
    attribute kept up to date rather than worked out: the audio callback reads it every block
    to learn that nothing is due without calling :meth:`due`.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, SynthEvent]] = []
        self._sequence = itertools.count()
        self.next_frame = NEVER
        self.late_count = 0
        self.max_late_frames = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, event: SynthEvent) -> None:
        """Queue ``event`` to play at ``event.frame``."""
        heapq.heappush(self._heap, (event.frame, next(self._sequence), event))
        if event.frame < self.next_frame:
            self.next_frame = event.frame

    def extend(self, events: list[SynthEvent] | tuple[SynthEvent, ...]) -> None:
        """Queue several events (insertion order kept among equal frames)."""
        for event in events:
            self.add(event)

    def due(self, block_start: int, n_frames: int) -> list[tuple[int, SynthEvent]]:
        """Pop every event before ``block_start + n_frames`` as ``(offset, event)`` in time order.

        ``offset`` is ``event.frame - block_start``, or 0 for a late event.
        """
        if n_frames < 0:
            raise ParameterError(f"n_frames must be >= 0, got {n_frames}")
        block_end = block_start + n_frames
        if self.next_frame >= block_end:
            return []
        heap = self._heap
        out: list[tuple[int, SynthEvent]] = []
        while heap and heap[0][0] < block_end:
            frame, _, event = heapq.heappop(heap)
            lateness = block_start - frame
            if lateness > 0:
                self.late_count += 1
                self.max_late_frames = max(self.max_late_frames, lateness)
                out.append((0, event))
            else:
                out.append((frame - block_start, event))
        self.next_frame = heap[0][0] if heap else NEVER
        return out

    def clear(self) -> None:
        """Forget every queued event (counters are kept)."""
        self._heap.clear()
        self.next_frame = NEVER
