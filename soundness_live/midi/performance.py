"""A Standard MIDI File as the child's playing, replayed on the engine's axis.

Every note in the file is the child's, at the file's own times from frame 0 (the start of the
run). In group mode each track is one player, the track name being the player's code.
"""

from __future__ import annotations

from pathlib import Path

from ..activities.base import Response, Show
from ..core.events import NoteOff, NoteOn
from ..errors import FileFormatError
from .files import read_midi_events


class FilePerformance:
    """An input source that plays back a MIDI file's notes (``clock="file"``)."""

    sounds_itself = False
    input_kind = "file"  # a recorded performance, not the child playing now: simulated

    def __init__(self, responses: list[Response]) -> None:
        self._pending = sorted(responses, key=lambda r: r.frame)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        sample_rate: int,
        channel: int | None = None,
        players_from_tracks: bool = False,
    ) -> FilePerformance:
        """Read ``path``; ``channel`` routes the notes' sound (None: the file's channels)."""
        performance = read_midi_events(path, sample_rate)
        open_notes: dict[tuple[int, int, int], tuple[NoteOn, str]] = {}
        responses: list[Response] = []
        for tracked in performance.events:
            event = tracked.event
            player = (
                (tracked.track_name or f"track-{tracked.track}") if players_from_tracks else "child"
            )
            if isinstance(event, NoteOn):
                open_notes[(tracked.track, event.channel, event.note)] = (event, player)
            elif isinstance(event, NoteOff):
                started = open_notes.pop((tracked.track, event.channel, event.note), None)
                if started is not None:
                    responses.append(_response(started[0], started[1], event.frame, path, channel))
        responses += [
            _response(on, player, None, path, channel) for on, player in open_notes.values()
        ]
        if not responses:
            raise FileFormatError(f"{path}: has no notes to play as the child's input")
        return cls(responses)

    def observe(self, cue: Show, now_frame: int) -> None:
        """A recorded performance does not listen."""

    def take_until(self, until_frame: int) -> list[Response]:
        """Every note before ``until_frame``."""
        due = [r for r in self._pending if r.frame < until_frame]
        self._pending = self._pending[len(due) :]
        return due


def _response(
    on: NoteOn, player: str, off_frame: int | None, path: Path, channel: int | None
) -> Response:
    return Response(
        frame=float(on.frame),
        note=on.note,
        velocity=on.velocity,
        device=f"file:{Path(path).name}",
        player=player,
        clock="file",
        channel=on.channel if channel is None else channel,
        duration_frames=None if off_frame is None else float(off_frame - on.frame),
    )
