"""The child's taps as they land, against the beat: what the therapist's screen shows while a
beat plays (tempo-following), before the trial is scored.

The activity announces its trial's beats (the heard frames of the beat cue); each tap the child
plays is kept as its session frame — from the live MIDI input as it is played (a bounded queue
filled on the MIDI callback path, emptied here, off that path), or from the virtual child as the
session takes its taps (they may lie ahead: a tap shows once its frame is heard). A tap is on
the beat within 10 % of the beat interval of its nearest beat, else early or late, as the
trial's live figures count them once it is scored (``engine_setup.live_figures``); only taps in
the trial's window (half an interval either side of its beats) count. A new trial, a new
activity, clears them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from typing import Any

TAPS_KEPT = 512  # taps of one trial (a minute at 8 taps a second)
MARKS_SHOWN = 12  # the latest taps the screen draws one by one
ON_BEAT_FRACTION = 0.1  # of the beat interval: as engine_setup's live figures count them


class TapMarks:
    """The current trial's beats and the taps heard so far (see the module docstring)."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._beats: list[float] = []
        self._taps: deque[float] = deque(maxlen=TAPS_KEPT)

    def clear(self) -> None:
        """Nothing to show: a new activity, or one without a beat."""
        self._beats = []
        self._taps.clear()

    def set_beats(self, beat_frames: Sequence[float]) -> None:
        """A trial's beats (heard session frames, at least two); its taps start afresh."""
        self._beats = sorted(float(frame) for frame in beat_frames)
        self._taps.clear()

    def add(self, frame: float) -> None:
        """A tap of the child's at session ``frame``."""
        self._taps.append(float(frame))

    def view(self, now_frame: float) -> dict[str, Any] | None:
        """The taps heard by ``now_frame`` in the trial's window: their count on the beat,
        early and late, the mean distance from the beat in ms (negative: early) and the
        latest :data:`MARKS_SHOWN` as {side, by_ms}; None without beats. The mean is of each tap
        to its nearest beat, so far: the trial's scored mean follows METRICS.md §1 (double taps
        removed, taps and beats matched one to one)."""
        beats = self._beats
        if len(beats) < 2:
            return None
        gaps = sorted(b - a for a, b in zip(beats, beats[1:], strict=False))
        interval = gaps[len(gaps) // 2]
        first, last = beats[0] - interval / 2, beats[-1] + interval / 2
        heard = sorted(t for t in list(self._taps) if t <= now_frame and first <= t <= last)
        counts = {"taps": len(heard), "on_beat": 0, "early": 0, "late": 0}
        offsets_ms, marks = [], []
        for tap in heard:
            off = _to_nearest(tap, beats)
            side = beat_side(off, interval)
            counts[side] += 1
            offsets_ms.append(off * 1000.0 / self.sample_rate)
            marks.append({"side": side, "by_ms": round(offsets_ms[-1])})
        mean = sum(offsets_ms) / len(offsets_ms) if offsets_ms else None
        window_ms = round(interval * 500.0 / self.sample_rate)  # half an interval, either side
        return {**counts, "mean_ms": mean, "window_ms": window_ms, "last": marks[-MARKS_SHOWN:]}


def beat_side(offset: float, interval: float) -> str:
    """A tap ``offset`` from its nearest beat (negative: before it), in beat ``interval`` units
    of any kind (frames, ms): "on_beat" within :data:`ON_BEAT_FRACTION` of the interval, else
    "early" or "late"."""
    if abs(offset) <= ON_BEAT_FRACTION * interval:
        return "on_beat"
    return "early" if offset < 0 else "late"


def _to_nearest(tap: float, beats: list[float]) -> float:
    """How far ``tap`` lies from its nearest beat of the sorted ``beats`` (negative: before)."""
    at = bisect_left(beats, tap)
    around = beats[max(0, at - 1) : at + 1]
    return min((tap - beat for beat in around), key=abs)
