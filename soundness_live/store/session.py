"""Connecting a running session to the store: every trial committed as it is scored.

:class:`StoredSession` owns one stored session for a child. Its hooks tell the Session the
session-wide index of the next trial and the child's goals a trial is played for (the Session
puts both into the final record), then record each final trial and the raw input events that
came with it, in one transaction per trial, so a crash loses nothing that was scored;
:meth:`close` marks the session complete, or interrupted when the run failed.

A child's voice (vocal prompts) is analysed in memory. The take is kept with its trial only when
the child's record says ``consent.voice_recording`` and a microphone heard it; otherwise it is
dropped once the trial is stored, and nothing of the audio reaches the store. A simulated voice
(the virtual singer, a WAV file standing in for the microphone) is never kept: it is not the
child's voice, and would be exported and listened to as theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..activities.base import Response, VoiceTake
from ..activities.frames import frames_to_ms
from ..activities.record import TrialRecord
from ..core.provenance import FILE, LIVE, VIRTUAL
from ..core.session import SessionHooks
from ..goals.goal import serves
from .records import Store

CHILDS_VOICE = "microphone"  # the one voice source that hears the child (VoiceTake.source)

log = logging.getLogger(__name__)


def _log_line(line: str) -> None:
    log.warning("%s", line)


def response_events(
    response: Response, sample_rate: int, input_kind: str | None = None
) -> list[dict[str, Any]]:
    """The raw note-on (and note-off, when its length is known) of one response; ``input_kind``
    is the kind of source that played it (live, virtual, file; None when not known)."""
    base = {
        "note": response.note,
        "device": response.device,
        "player": response.player,
        "clock": response.clock,
        "channel": response.channel,
        "input": input_kind if input_kind in (LIVE, VIRTUAL, FILE) else None,
    }
    on = {
        "onset_ms": frames_to_ms(response.frame, sample_rate),
        "onset_frame": response.frame,
        "kind": "note_on",
        "velocity": response.velocity,
        **base,
    }
    if response.duration_frames is None:
        return [on]
    end = response.frame + response.duration_frames
    off = {
        "onset_ms": frames_to_ms(end, sample_rate),
        "onset_frame": end,
        "kind": "note_off",
        "velocity": 0,
        **base,
    }
    return [on, off]


def voice_wav_bytes(takes: list[VoiceTake]) -> bytes:
    """The takes, end to end, as a 16-bit mono WAV file in memory."""
    import io

    import numpy as np
    import soundfile

    audio = np.concatenate([np.asarray(t.audio, dtype=np.float32) for t in takes])
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(audio, -1.0, 1.0), takes[0].sample_rate, "PCM_16", format="WAV")
    return buffer.getvalue()


@dataclass
class StoredSession:
    """One stored session of one child; several activities may run in it."""

    store: Store
    child_code: str
    sample_rate: int
    therapist: str | None = None
    session_id: int = 0
    next_index: int = 0
    input: str | None = None  # the running activity's input (live, virtual, file, mixed)
    #: Tells the therapist how the clinic sync after the session went (one line); None: the log.
    tell: Callable[[str], None] | None = None
    wait_for_sync: bool = False  # a command that ends with the session waits for its sync
    _pending_events: list[dict[str, Any]] = field(default_factory=list)
    _pending_voice: list[VoiceTake] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        store: Store,
        child_code: str,
        *,
        sample_rate: int,
        therapist: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> StoredSession:
        """Open a new running session for ``child_code``."""
        session = cls(store, child_code, sample_rate, therapist)
        session.session_id = store.start_session(
            child_code, therapist=therapist, params=params or {}
        )
        return session

    def hooks(self, activity: str, base: SessionHooks | None = None) -> SessionHooks:
        """Session hooks that store trials and events for ``activity`` (chaining ``base``).

        A trial is played for the child's goals of its activity and variant
        (:func:`soundness_live.goals.goal.serves`). Whether it counts toward them (not void,
        not simulated) is decided where progress is computed."""
        goals = [g for g in self.store.goals_for(self.child_code) if g.activity == activity]
        base = base or SessionHooks()

        def on_start(input_kind: str | None) -> None:
            self.input = input_kind
            self.store.mark_input(self.session_id, input_kind)
            if base.on_start:
                base.on_start(input_kind)

        def goals_for(record: TrialRecord) -> list[str]:
            trial = {"activity": record.activity, "variant": record.variant}
            return [g.id for g in goals if serves(g, trial)]

        def on_trial(record: TrialRecord) -> None:
            events, self._pending_events = self._pending_events, []
            try:
                self.store.record_trial(self.session_id, record.to_json(), events)
            except BaseException:
                self._pending_events[:0] = events  # not stored: kept for the next write
                raise
            self.next_index = record.index + 1
            self._keep_voice(record.index)
            if base.on_trial:
                base.on_trial(record)

        def on_response(response: Response) -> None:
            self._pending_events.extend(response_events(response, self.sample_rate, self.input))
            if base.on_response:
                base.on_response(response)

        def on_voice(take: VoiceTake) -> None:
            self._pending_voice.append(take)  # in memory only, until its trial is stored
            if base.on_voice:
                base.on_voice(take)

        return replace(
            base,
            on_trial=on_trial,
            on_response=on_response,
            on_voice=on_voice,
            on_start=on_start,
            next_index=lambda: self.next_index,
            goals_for=goals_for,
        )

    def _keep_voice(self, trial_index: int) -> None:
        """Store the trial's voice only with the child's consent, and only what a microphone
        heard (a simulated voice is not the child's); drop it either way."""
        takes, self._pending_voice = self._pending_voice, []
        takes = [take for take in takes if take.source == CHILDS_VOICE]
        if not takes or not self.store.get_child(self.child_code).consent.voice_recording:
            return
        self.store.add_voice_recording(self.session_id, trial_index, voice_wav_bytes(takes))

    def record_responses(self, responses: list[Response], input_kind: str | None) -> None:
        """Store notes played outside any activity (they count for nothing, but were played),
        played by a source of ``input_kind``."""
        for response in responses:
            self._pending_events.extend(response_events(response, self.sample_rate, input_kind))
        self.flush_events()

    def flush_events(self) -> None:
        """Store the input events received since the last flush."""
        if self._pending_events:
            self.store.record_events(self.session_id, self._pending_events)
            self._pending_events = []

    def close(self, *, ok: bool = True) -> None:
        """End the session: complete when ``ok``, else interrupted. When this laptop is
        connected to a clinic, a sync then starts in the background
        (:func:`~soundness_live.store.clinic.sync.sync_after_session`): the session is
        stored whatever becomes of it."""
        self.flush_events()
        self.store.end_session(self.session_id, "complete" if ok else "interrupted")
        from .clinic.sync import sync_after_session

        sync_after_session(self.store.path, self.tell or _log_line, wait=self.wait_for_sync)
