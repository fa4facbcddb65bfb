"""The session runtime: input events -> activity -> actions -> sound, trial records.

:class:`Session` drives an activity generator on the frame clock. Sound goes to a
:class:`SoundSink` (offline: rendered to an array; live: the audio callback's command queue);
input comes from :class:`InputSource` objects (a virtual child, a MIDI file, live MIDI ports);
a voice comes from a :class:`VoiceSource` (the microphone, audio/mic.py; a WAV standing in for
it or a virtual singer, voice/sources.py); spoken or recorded prompts from :class:`PromptSounds`
(voice/prompts.py). The Session names what it needs of each and imports none of them.
The same code runs live, offline and in tests: only the sink and the sources differ.

The Session alone finalises a trial record (:meth:`Session.finalise`): the activity proposes
it, the Session gives it its session-wide index (the store's, when one keeps the session), its
activity index, the goals it was played for, what played it, and makes it void with the reason
when the therapist cut the trial short; then it hands the final record to the hooks (the store
commits it) and back to the activity, whose adaptive rules see the outcome as stored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import numpy as np

from .. import __version__
from ..activities.base import (
    ActivityContext,
    ActivityDef,
    Listen,
    ListenVoice,
    Play,
    PlaySamples,
    PromptNote,
    RecordTrial,
    Response,
    SamplesHeard,
    Show,
    VoiceScoring,
    VoiceTake,
    with_heard,
)
from ..activities.contract import Cue, Outcome
from ..activities.params import resolve_params
from ..activities.record import TrialRecord
from ..errors import SoundnessError
from .events import NoteOff, NoteOn, ProgramChange, SynthEvent, prompt_sound
from .provenance import run_input, simulated


class SoundSink(Protocol):
    """Where the engine's sounds go. ``frame`` is the next frame to be rendered."""

    output_latency_frames: float

    @property
    def frame(self) -> int:
        """The next frame to be rendered (or played)."""
        ...

    def schedule(self, event: SynthEvent) -> None:
        """Play ``event`` at its frame."""

    def advance_to(self, frame: int) -> None:
        """Return once output has reached ``frame`` (offline: render up to it)."""


class InputSource(Protocol):
    """Where the child's notes come from. ``sounds_itself`` is True when the notes already
    sounded on their way in (live thru); otherwise the engine plays them. ``input_kind`` says
    what plays: ``live``, ``virtual`` or ``file`` (see :mod:`soundness_live.core.provenance`)."""

    sounds_itself: bool
    input_kind: str

    def observe(self, cue: Show, now_frame: int) -> None:
        """A cue was shown (a virtual child answers it; live input ignores it)."""

    def take_until(self, until_frame: int) -> list[Response]:
        """Every note that arrived before ``until_frame``, in time order."""


class VoiceSource(Protocol):
    """Where the child's voice comes from, on the engine's frame axis (the axis on which a
    prompt is placed when it is HEARD). ``name`` goes into the take (``microphone``...);
    ``input_kind`` says whose voice it is: ``live`` (the microphone), ``virtual`` or ``file``
    (simulated: never counted as the child's)."""

    name: str
    input_kind: str

    def observe(self, cue: Show, now_frame: int) -> None:
        """A cue was shown (a stand-in or a virtual singer answers Cue.YOUR_TURN)."""

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """Mono float32 from ``since_frame`` to ``until_frame`` (silence where none was heard)."""
        ...

    def opened_frame(self) -> float | None:
        """The first frame it really heard (None: it heard all along, like a virtual room)."""
        ...


class PromptSound(Protocol):
    """A spoken or recorded prompt, prepared: mono samples at the engine's rate, and what its
    analysis found in it."""

    samples: np.ndarray
    syllables: int | None
    pitches_hz: tuple[float | None, ...]


class PromptSounds(Protocol):
    """Prepared prompt sounds by name (``espeak:TEXT``, ``asset:NAME``)."""

    def get(self, name: str) -> PromptSound:
        """The prompt called ``name`` (ParameterError when there is none)."""
        ...


@dataclass
class SilentSink:
    """A sink that renders nothing: the clock just moves (scoring-only runs)."""

    frame: int = 0
    output_latency_frames: float = 0.0
    events: list[SynthEvent] = field(default_factory=list)

    def schedule(self, event: SynthEvent) -> None:
        """Keep the event (tests read them)."""
        self.events.append(event)

    def advance_to(self, frame: int) -> None:
        """Move the clock."""
        self.frame = max(self.frame, frame)


@dataclass
class RunResult:
    """What a run produced: trial records (as finalised), cues shown, every response, the
    final frame."""

    activity: str
    params: dict[str, Any]
    trials: list[TrialRecord]
    cues: list[Show]
    responses: list[Response]
    end_frame: int
    sample_rate: int

    @property
    def records(self) -> list[dict[str, Any]]:
        """The trial records in their one JSON shape (what the store and ``play --json`` keep)."""
        return [trial.to_json() for trial in self.trials]


@dataclass
class SessionHooks:
    """Callbacks for the store and the UI (all optional).

    ``on_trial`` gets each final record; ``next_index`` says the session-wide index the next
    trial gets (the store's, which counts on across the activities of a stored session; none:
    its place in this run); ``goals_for`` the ids of the goals a trial is played for;
    ``cut_short`` why the proposed trial was cut short and cannot count (``skipped``,
    ``paused``, ``input device disconnected``; None: it was not), asked once per trial.
    """

    on_trial: Callable[[TrialRecord], None] | None = None
    on_cue: Callable[[Show], None] | None = None
    on_response: Callable[[Response], None] | None = None
    on_voice: Callable[[VoiceTake], None] | None = None  # each voice take, before its trial
    on_start: Callable[[str | None], None] | None = None  # the run's input, as it starts
    next_index: Callable[[], int] | None = None
    goals_for: Callable[[TrialRecord], Sequence[str]] | None = None
    cut_short: Callable[[TrialRecord], str | None] | None = None


class Session:
    """One activity run on the frame clock."""

    def __init__(
        self,
        activity: ActivityDef,
        params: dict[str, Any],
        *,
        sink: SoundSink,
        inputs: Sequence[InputSource],
        sample_rate: int,
        seed: int = 0,
        soundfont: dict[str, str | None] | None = None,
        hooks: SessionHooks | None = None,
        prompt_level: Callable[[], str] | None = None,
        child_programs: dict[int, tuple[int, int]] | None = None,
        voice: VoiceSource | None = None,
        prompt_sounds: PromptSounds | None = None,
        voice_scoring: VoiceScoring | None = None,
    ) -> None:
        self.activity = activity
        self.params = resolve_params(activity.name, activity.specs, params)
        self.sink = sink
        self.inputs = list(inputs)
        self.voice = voice
        # live, virtual, file or mixed: stamped on every trial (simulated ones never count)
        self.input = run_input(
            [source.input_kind for source in self.inputs]
            + ([voice.input_kind] if voice is not None else [])
        )
        self.prompt_sounds = prompt_sounds
        self.sample_rate = sample_rate
        self.seed = seed
        self.hooks = hooks or SessionHooks()
        self.responses: list[Response] = []
        self.trials: list[TrialRecord] = []
        self.cues: list[Show] = []
        self._programs: dict[int, tuple[int, int]] = {}
        self._child_programs = child_programs or {}
        level = prompt_level or (lambda: str(self.params.get("prompt_level", "independent")))
        self.ctx: ActivityContext[Any] = ActivityContext(
            params=activity.make_params(self.params),
            sample_rate=sample_rate,
            now_frame=sink.frame,  # activities in one session follow each other on one axis
            rng=random.Random(seed),
            output_latency_frames=sink.output_latency_frames,
            prompt_level=level,
            voice_scoring=voice_scoring,
            base_params={
                "seed": seed,
                "lead_in_ms": self.params.get("lead_in_ms"),
                "soundfont": soundfont or {"name": None, "sha256": None},
                "engine_version": __version__,
                "sample_rate": sample_rate,
            },
        )

    def run(self) -> RunResult:
        """Run the activity to its end; return everything it produced."""
        if self.hooks.on_start:
            self.hooks.on_start(self.input)
        self._setup_child_instruments()
        generator = self.activity.run(self.ctx)
        result: Any = None
        while True:
            try:
                action = generator.send(result)
            except StopIteration:
                break
            result = self._perform(action)
        self.sink.advance_to(self.ctx.now_frame)
        return RunResult(
            self.activity.name,
            self.params,
            self.trials,
            self.cues,
            self.responses,
            self.ctx.now_frame,
            self.sample_rate,
        )

    def _perform(self, action: Any) -> Any:
        if isinstance(action, Play):
            return self._play(action)
        if isinstance(action, Show):
            self._check_cue(action)
            self.cues.append(action)
            for source in self.inputs:
                source.observe(action, self.ctx.now_frame)
            if self.voice is not None:
                self.voice.observe(action, self.ctx.now_frame)
            if self.hooks.on_cue:
                self.hooks.on_cue(action)
            return None
        if isinstance(action, Listen):
            return self._listen(action)
        if isinstance(action, ListenVoice):
            return self._listen_voice(action)
        if isinstance(action, PlaySamples):
            return self._play_samples(action)
        if isinstance(action, RecordTrial):
            return self._record(action.record)
        raise SoundnessError(
            f"activity {self.activity.name!r} yielded {action!r}; "
            "expected Play, Show, Listen, ListenVoice, PlaySamples or RecordTrial"
        )

    def _check_cue(self, action: Show) -> None:
        if not isinstance(action.cue, Cue):
            raise SoundnessError(
                f"activity {self.activity.name!r} showed the cue {action.cue!r}; expected a "
                f"Cue ({', '.join(cue.name for cue in Cue)})"
            )

    def _record(self, proposed: Any) -> TrialRecord:
        """Finalise the proposed record, keep it, hand it to the hooks and return it to the
        activity."""
        if not isinstance(proposed, TrialRecord):
            raise SoundnessError(
                f"activity {self.activity.name!r} recorded {type(proposed).__name__}; expected "
                "a TrialRecord (activities.record.trial_record)"
            )
        final = self.finalise(proposed)
        self.trials.append(final)
        if self.hooks.on_trial:
            self.hooks.on_trial(final)  # the store commits it before anyone is told
        return final

    def finalise(self, proposed: TrialRecord) -> TrialRecord:
        """The final record of a proposed one: session-wide index, activity index, void with
        the reason when the trial was cut short, the goals it was played for, what played it."""
        hooks = self.hooks
        why = hooks.cut_short(proposed) if hooks.cut_short else None
        index = hooks.next_index() if hooks.next_index else len(self.trials)
        final = proposed.finalised(
            index=index,
            activity_index=proposed.index,
            input=self.input,
            simulated=simulated(self.input),
        )
        if why is not None:
            final = final.finalised(outcome=Outcome.VOID, void_reason=why)
        if hooks.goals_for:
            final = final.finalised(goals=tuple(hooks.goals_for(final)))
        return final

    def _play(self, action: Play) -> tuple[PromptNote, ...]:
        """Schedule the notes; return them as they will be heard. When the output has passed
        the first note's frame already, the whole phrase moves on to the earliest frame that
        still plays (its rhythm kept, never a burst of notes at once), and is returned, so
        recorded, where it plays rather than where the activity planned it."""
        late_frames = self._late_frames([n.frame for n in action.notes if n.velocity > 0])
        notes = tuple(_moved(n, late_frames) for n in action.notes)
        sounding = [n for n in notes if n.velocity > 0]
        if action.program is not None and sounding:
            for channel in sorted({n.channel for n in sounding}):
                self._program(min(n.frame for n in sounding), channel, action.program, action.bank)
        for note in sounding:
            self.sink.schedule(NoteOn(note.frame, note.channel, note.note, note.velocity))
            self.sink.schedule(
                NoteOff(note.frame + max(1, note.duration_frames), note.channel, note.note)
            )
        latency = self.sink.output_latency_frames
        return tuple(with_heard(n, latency) for n in notes)

    def _late_frames(self, frames: Sequence[float]) -> int:
        """How far the earliest of ``frames`` lies before the first frame the sink still
        plays on time (0: none is late)."""
        return max(0, self.sink.frame - int(round(min(frames)))) if frames else 0

    def _program(self, frame: int, channel: int, program: int, bank: int) -> None:
        if self._programs.get(channel) != (program, bank):
            self._programs[channel] = (program, bank)
            self.sink.schedule(ProgramChange(max(frame, self.sink.frame), channel, program, bank))

    def _setup_child_instruments(self) -> None:
        for channel, (program, bank) in sorted(self._child_programs.items()):
            self._program(self.sink.frame, channel, program, bank)

    def _listen(self, action: Listen) -> list[Response]:
        until = action.until_frame
        for source in self.inputs:
            taken = source.take_until(until)
            if not source.sounds_itself:  # the engine plays them: late ones move on together
                late_frames = self._late_frames([r.frame for r in taken])
                taken = [_moved(r, late_frames) for r in taken]
            for response in taken:
                self._accept(response, source.sounds_itself)
        self.responses.sort(key=lambda r: r.frame)
        self.sink.advance_to(until)
        self.ctx.now_frame = max(self.ctx.now_frame, until)
        since = action.since_frame if action.since_frame is not None else -1
        return [r for r in self.responses if since <= r.frame < until]

    def _listen_voice(self, action: ListenVoice) -> VoiceTake:
        """Listen (notes too) until the end; then take the voice over the span, or silence.
        The take says from which frame on the source really heard (it may open later)."""
        notes = self._listen(Listen(action.until_frame, action.since_frame))
        since, until = action.since_frame, action.until_frame
        heard_from = since
        if self.voice is None:
            audio, source = np.zeros(max(0, until - since), dtype=np.float32), "none"
        else:
            audio = self.voice.audio(since, until)
            source = self.voice.name
            opened = self.voice.opened_frame()
            if opened is not None:  # +inf: it heard nothing yet
                heard_from = until if opened >= until else max(since, math.ceil(opened))
        take = VoiceTake(
            audio, since, self.sample_rate, source, tuple(notes), heard_from_frame=heard_from
        )
        if self.hooks.on_voice:
            self.hooks.on_voice(take)
        return take

    def _play_samples(self, action: PlaySamples) -> SamplesHeard:
        """A prepared prompt sound, scheduled whole like a note (live and offline alike)."""
        if self.prompt_sounds is None:
            raise SoundnessError(
                f"activity {self.activity.name!r} asked to play the prompt sound "
                f"{action.name!r}, but this run has no prompt sounds; use prompt_source=synth"
            )
        prompt = self.prompt_sounds.get(action.name)
        frame = max(action.frame, self.sink.frame)
        self.sink.schedule(prompt_sound(frame, prompt.samples, action.name))
        return SamplesHeard(
            action.name,
            frame,
            frame + self.sink.output_latency_frames,
            len(prompt.samples),
            prompt.syllables,
            prompt.pitches_hz,
        )

    def _accept(self, response: Response, sounded: bool) -> None:
        """Keep a response; play it when it did not sound on its way in (a virtual child, a
        file: for them the sound is the response, so a late one was moved to where it plays,
        see :meth:`_listen`)."""
        self.responses.append(response)
        if self.hooks.on_response:
            self.hooks.on_response(response)
        if sounded:
            return
        frame = int(round(response.frame))
        note = response.note if response.sounded_note is None else response.sounded_note
        length = int(response.duration_frames or self.sample_rate // 10)
        self.sink.schedule(NoteOn(frame, response.channel, note, response.velocity))
        self.sink.schedule(NoteOff(frame + max(1, length), response.channel, note))


_Timed = TypeVar("_Timed", PromptNote, Response)


def _moved(timed: _Timed, frames: int) -> _Timed:
    """A note or response ``frames`` later (itself when 0)."""
    return replace(timed, frame=timed.frame + frames) if frames else timed
