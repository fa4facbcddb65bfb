"""Input sources that ship with the package: scripted notes and cue-driven answers.

Both follow the engine's :class:`~soundness_live.core.session.InputSource` protocol; the
virtual child (:mod:`soundness_live.players.virtual_child`) and MIDI files
(:mod:`soundness_live.midi.performance`) are the other offline sources, live MIDI ports the live
one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..activities.base import Response, Show
from ..activities.frames import ms_to_frames


class ScriptedResponses:
    """Notes at fixed times on the engine's axis, whatever the activity does."""

    sounds_itself = False
    input_kind = "virtual"  # scripted notes are simulated input

    def __init__(self, responses: Iterable[Response]) -> None:
        self._pending = sorted(responses, key=lambda r: r.frame)

    @classmethod
    def from_ms(
        cls,
        notes: Sequence[tuple[float, int]],
        *,
        sample_rate: int,
        player: str = "child",
        channel: int = 9,
        velocity: int = 100,
    ) -> ScriptedResponses:
        """From ``(onset_ms, note)`` pairs."""
        return cls(
            Response(
                frame=onset_ms * sample_rate / 1000.0,
                note=note,
                velocity=velocity,
                player=player,
                channel=channel,
                clock="virtual",
            )
            for onset_ms, note in notes
        )

    def observe(self, cue: Show, now_frame: int) -> None:
        """Scripted notes do not listen."""

    def take_until(self, until_frame: int) -> list[Response]:
        """Every scripted note before ``until_frame``."""
        due = [r for r in self._pending if r.frame < until_frame]
        self._pending = self._pending[len(due) :]
        return due


class CueResponder:
    """Answers cues by rule: for a cue name, notes at fixed ms offsets from the cue's heard frame.

    ``rules = {"go": [(300.0, 38)]}`` plays note 38 300 ms after each "go" is heard. A rule may
    be a callable ``(cue) -> [(offset_ms, note)]`` for answers that depend on the cue's detail.
    """

    sounds_itself = False
    input_kind = "virtual"  # scripted notes are simulated input

    def __init__(
        self,
        rules: Mapping[str, object],
        *,
        sample_rate: int,
        player: str = "child",
        channel: int = 9,
    ) -> None:
        self.rules = dict(rules)
        self.sample_rate = sample_rate
        self.player = player
        self.channel = channel
        self._planned: list[Response] = []

    def observe(self, cue: Show, now_frame: int) -> None:
        """Plan the rule's notes for this cue."""
        rule = self.rules.get(cue.cue)
        if rule is None:
            return
        notes = rule(cue) if callable(rule) else rule
        anchor = cue.detail.get("heard_frame", cue.frame)
        for offset_ms, note in notes:  # type: ignore[union-attr]
            frame = anchor + ms_to_frames(offset_ms, self.sample_rate)
            self._planned.append(
                Response(
                    frame=float(frame),
                    note=note,
                    velocity=100,
                    player=self.player,
                    channel=self.channel,
                    clock="virtual",
                )
            )

    def take_until(self, until_frame: int) -> list[Response]:
        """Every planned note before ``until_frame``, in time order."""
        self._planned.sort(key=lambda r: r.frame)
        due = [r for r in self._planned if r.frame < until_frame]
        self._planned = [r for r in self._planned if r.frame >= until_frame]
        return due
