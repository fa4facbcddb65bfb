"""What the child's view shows, and when: the :class:`EngineCues` mixin of the live engine.

Activities announce cues ahead of time (e.g. "your turn" at the end of a call just scheduled);
each is shown when its frame is heard. Every run of an activity has a number (the engine's
``_cue_generation``, moved on by a new activity, a skip, a pause, a stop): a cue announced by a
run that has since ended never shows. When an activity ends, however it ends (finished,
stopped, failed, or its session ended), the view returns to neutral at once. A "done" cue
waits for its trial's record and shows with the outcome as stored (a trial the therapist cut
short, or whose device vanished, is void whatever the activity scored) and ``success``: the
engine decides what the child sees, and every view (the therapist's screen, the browser remote,
the child's own) says "well done" from that flag only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..activities.base import Show
from ..activities.contract import Cue
from .voice import target_notes

if TYPE_CHECKING:
    from .tap_marks import TapMarks
    from .timeline import LiveTimeline
    from .voice import LiveVoiceMeter

SHOWN_DETAIL = ("ioi_ms", "player")  # what of a cue's detail the child's view needs
SUCCESS = "correct"  # the one stored outcome the child's view praises ("well done")


@dataclass(frozen=True)
class PendingCue:
    """A cue waiting to be shown: what clients see, its frame, the activity run's number."""

    shown: dict[str, Any]
    frame: float
    generation: int


class EngineCues:
    """Cue showing, mixed into :class:`~soundness_live.live.engine.Engine` (``self``)."""

    sample_rate: int
    timeline: LiveTimeline
    voice_meter: LiveVoiceMeter | None
    tap_marks: TapMarks
    changed: threading.Event
    _lock: threading.RLock
    _state: dict[str, Any]
    _cue_generation: int
    _done_cue: PendingCue | None
    trial_heard_from: float | None

    def _on_cue(self, cue: Show) -> None:
        """Show a cue when its moment comes (a "done": once its trial's record comes too, see
        :meth:`_trial_done`)."""
        if Cue.named(cue.cue) is Cue.BEAT and cue.detail.get("beats"):  # a trial's beats
            self.tap_marks.set_beats(cue.detail["beats"])
        detail = {k: v for k, v in cue.detail.items() if k in SHOWN_DETAIL}
        heard = cue.detail.get("heard_frame", cue.frame)
        shown = {"cue": cue.cue, "at_ms": heard * 1000.0 / self.sample_rate, **detail}
        if Cue.named(cue.cue) is Cue.DONE:  # the outcome to show is the stored one
            with self._lock:
                self._done_cue = PendingCue(shown, heard, self._cue_generation)
            return
        with self._lock:
            if self.trial_heard_from is None:  # the next trial's first cue
                self.trial_heard_from = float(heard)
        self._show_at(shown, heard, self._cue_generation, target_notes(cue))

    def _trial_done(self, outcome: str) -> None:
        """A trial was recorded: its "done" cue, if one waits, shows with the stored outcome
        and whether it was a success."""
        with self._lock:
            done, self._done_cue = self._done_cue, None
        if done is not None:
            shown = dict(done.shown, outcome=outcome, success=outcome == SUCCESS)
            self._show_at(shown, done.frame, done.generation, ())

    def _show_at(
        self, shown: dict[str, Any], frame: float, generation: int, notes: tuple[int, ...]
    ) -> None:
        """Show ``shown`` once session frame ``frame`` is heard (at once when it was)."""
        delay_s = (frame - self.timeline.now()) / self.sample_rate
        if delay_s <= 0.0:
            self._show_cue(shown, generation, notes)
            return
        timer = threading.Timer(delay_s, self._show_cue, (shown, generation, notes))
        timer.daemon = True
        timer.start()

    def _show_cue(self, shown: dict[str, Any], generation: int, notes: tuple[int, ...]) -> None:
        with self._lock:  # an activity ending between the check and the update cannot be missed
            if generation != self._cue_generation:  # from a run since ended or skipped
                return
            self._state["cue"] = shown
            meter = self.voice_meter
            if meter is not None:
                meter.set_targets(notes)  # the notes to sing while the child's turn is on
        self.changed.set()

    def _end_cues(self) -> None:
        """Back to neutral: no cue now, and none the ending run announced shows later
        (called with the engine's lock held)."""
        self._cue_generation += 1
        self._done_cue = None
        self._state["cue"] = None
