"""The activity protocol: actions an activity yields, and the context it is given.

An activity is a generator driven by the engine on the frame clock. It yields actions and
receives each action's result back from ``yield``:

- :class:`Play` -> the notes as they will be HEARD (``PromptNote`` with heard frames and ms);
- :class:`Show` -> None (a cue for the child view and the therapist's screen);
- :class:`Listen` -> the responses (child's note-ons) that arrived up to ``until_frame``;
- :class:`ListenVoice` -> a :class:`VoiceTake`: the microphone's audio over a span of frames;
- :class:`PlaySamples` -> a :class:`SamplesHeard` (a spoken or recorded prompt, played whole);
- :class:`RecordTrial` -> the final :class:`~soundness_live.activities.record.TrialRecord`: the
  record the activity proposed, as the Session finalised and stored it (void when the therapist
  cut the trial short), so an adaptive rule sees the outcome as stored.

The activity never calls the synth, the UI or the store, and never reads a clock: the engine
sets :attr:`ActivityContext.now_frame` before resuming it. So it runs the same live, offline with
scripted input, and in tests.

:class:`ActivityDef` is the whole contract of an activity: its parameters (a frozen dataclass),
its metrics (:class:`~soundness_live.activities.contract.MetricSpec`), what the child answers
with and on which instrument, its outcome rule and its variants. The registry validates it when
the activity loads; goals, exports, the report, the live panel, the virtual child and the
command line read an activity's vocabulary from it and from nowhere else.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol

from .contract import DRUM_PAD, Answer, ChildInstrument, Cue, MetricSpec, Outcome
from .frames import frames_to_ms, ms_to_frames
from .params import Params, ParamSpec, param_specs
from .record import TrialRecord

DRUM_CHANNEL = 9  # MIDI channel 10, zero-based: General MIDI drums (bank 128)


@dataclass(frozen=True, slots=True)
class PromptNote:
    """A sound the engine plays. ``frame`` is when it is scheduled; ``heard_frame`` when heard;
    ``channel`` 0..15 (:data:`DRUM_CHANNEL` for General MIDI drums).

    ``flags`` carries markers a reviewer needs (``cue``, ``no_go``, ``event``, ``beat``...).
    """

    frame: int
    note: int
    velocity: int
    duration_frames: int
    channel: int = 0
    heard_frame: float | None = None
    flags: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Response:
    """One note the child played, on the engine's frame axis.

    ``note`` is what was played; ``sounded_note`` what sounded after the playing aids.
    """

    frame: float
    note: int
    velocity: int
    device: str = "virtual"
    player: str = "child"
    clock: str = "virtual"
    channel: int = 0
    sounded_note: int | None = None
    duration_frames: float | None = None


@dataclass(frozen=True, slots=True)
class Play:
    """Schedule these notes; the result is the same notes with their heard frames filled in."""

    notes: tuple[PromptNote, ...]
    program: int | None = None  # GM program for the notes' channel (None: leave as is)
    bank: int = 0


@dataclass(frozen=True, slots=True)
class Show:
    """A cue for the child view and the therapist (:class:`~soundness_live.activities.contract.
    Cue`). ``detail`` carries what a responder needs to know about it (e.g. the beats to tap to,
    the call to echo)."""

    cue: Cue
    frame: int
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Listen:
    """Wait until ``until_frame``; the result is every response from ``since_frame`` on
    (default: since the previous Listen)."""

    until_frame: int
    since_frame: int | None = None


@dataclass(frozen=True, slots=True)
class ListenVoice:
    """Wait until ``until_frame``; the result is a :class:`VoiceTake` of the voice source's
    audio from ``since_frame`` to ``until_frame`` (and the notes that came meanwhile)."""

    until_frame: int
    since_frame: int


@dataclass(frozen=True)
class VoiceTake:
    """Mono float32 audio at the run's sample rate; ``audio[0]`` lies at ``start_frame`` on the
    engine's axis. ``source`` says what heard it (``microphone``, ``wav``, ``virtual``, ``none``).
    ``heard_from_frame``: the first frame the source really heard (the microphone opened, or a
    WAV standing in for it starts); before it the audio is silence that was never heard (None:
    heard from ``start_frame``). The audio lives in memory only: whether it is kept is the
    store's decision (consent)."""

    audio: Any
    start_frame: int
    sample_rate: int
    source: str
    responses: tuple[Response, ...] = ()
    heard_from_frame: int | None = None


@dataclass(frozen=True, slots=True)
class PlaySamples:
    """Play the prepared prompt sound ``name`` (e.g. ``espeak:ba ba``, ``asset:hello``) at
    ``frame``; the result is a :class:`SamplesHeard`."""

    frame: int
    name: str


@dataclass(frozen=True)
class SamplesHeard:
    """A prompt sound as it will be heard: its frames and what its analysis found in it."""

    name: str
    frame: int
    heard_frame: float
    duration_frames: int
    syllables: int | None = None
    pitches_hz: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordTrial:
    """A finished, scored trial as the activity proposes it; the result is the final record
    (``final = yield RecordTrial(record)``)."""

    record: TrialRecord


Action = Play | Show | Listen | ListenVoice | PlaySamples | RecordTrial
ActivityRun = Generator[Action, Any, None]


class VoiceScoring(Protocol):
    """The voice analysis (:mod:`soundness_live.voice`) as a vocal activity is given it by
    whoever runs the activity, so the activity imports no analysis library: ``room_ms`` is how
    long the room is heard to measure its noise before a prompt (METRICS.md §4), ``analyze``
    scores one take (:func:`soundness_live.voice.analysis.analyze_voice`'s arguments)."""

    room_ms: float

    def analyze(self, samples: Any, sample_rate: int, **options: Any) -> Any:
        """The analysis of ``samples`` (mono, at ``sample_rate``)."""
        ...


@dataclass
class ActivityContext(Generic[Params]):
    """What an activity may use: its parameters (``params``, its own frozen dataclass), a
    seeded RNG, the frame clock, the session, and the voice analysis when the run was given one
    (:class:`VoiceScoring`)."""

    params: Params
    sample_rate: int
    rng: random.Random
    now_frame: int = 0
    output_latency_frames: float = 0.0
    prompt_level: Callable[[], str] = lambda: "independent"
    base_params: dict[str, Any] = field(default_factory=dict)  # stored with every trial
    voice_scoring: VoiceScoring | None = None

    @property
    def param_values(self) -> dict[str, Any]:
        """The parameters by name (what a trial record stores)."""
        return self.params.values()

    def frames(self, ms: float) -> int:
        """Milliseconds -> whole frames at this run's sample rate."""
        return ms_to_frames(ms, self.sample_rate)

    def ms(self, frames: float) -> float:
        """Frames -> milliseconds (unrounded)."""
        return frames_to_ms(frames, self.sample_rate)


def prompt_entry(ctx: ActivityContext[Any], note: PromptNote) -> dict[str, Any]:
    """A prompt note as the trial record has it: heard onset in frames and ms."""
    heard = note.heard_frame if note.heard_frame is not None else float(note.frame)
    entry: dict[str, Any] = {
        "onset_ms": ctx.ms(heard),
        "onset_frame": heard,
        "note": note.note,
        "velocity": note.velocity,
        "duration_ms": ctx.ms(note.duration_frames),
        "channel": note.channel,
    }
    entry.update(dict(note.flags))
    return entry


def response_entry(ctx: ActivityContext[Any], response: Response) -> dict[str, Any]:
    """A response as the trial record has it (same axis as the prompts)."""
    return {
        "onset_ms": ctx.ms(response.frame),
        "onset_frame": response.frame,
        "note": response.note,
        "velocity": response.velocity,
        "duration_ms": None
        if response.duration_frames is None
        else ctx.ms(response.duration_frames),
        "device": response.device,
        "player": response.player,
        "clock": response.clock,
        "channel": response.channel,
        "sounded_note": response.note if response.sounded_note is None else response.sounded_note,
    }


def trial_record(
    ctx: ActivityContext[Any],
    *,
    index: int,
    activity: str,
    prompt: Sequence[PromptNote],
    responses: Sequence[Response],
    metrics: Mapping[str, Any],
    outcome: Outcome,
    difficulty: int | float | None,
    start_frame: float,
    end_frame: float,
    extra_params: Mapping[str, Any] | None = None,
    variant: str | None = None,
    void_reason: str | None = None,
) -> TrialRecord:
    """The record an activity proposes for its trial ``index``: the run's parameters (with
    ``extra_params``, what this trial alone had), the prompt as heard, the responses, the
    metrics and the outcome. ``variant``: the trial's own variant when it is not the run's
    (a measurement such as tempo's unpaced tapping)."""
    params = dict(ctx.base_params)
    params.update(ctx.param_values)
    params.update(extra_params or {})
    return TrialRecord(
        index=index,
        activity=activity,
        variant=variant if variant is not None else ctx.param_values.get("variant"),
        params=params,
        prompt=tuple(prompt_entry(ctx, n) for n in prompt),
        responses=tuple(response_entry(ctx, r) for r in responses),
        metrics=metrics,
        outcome=outcome,
        prompt_level=ctx.prompt_level(),
        difficulty=difficulty,
        start_ms=ctx.ms(start_frame),
        end_ms=ctx.ms(end_frame),
        void_reason=void_reason,
    )


def with_heard(note: PromptNote, latency_frames: float) -> PromptNote:
    """``note`` with its heard frame set (scheduled frame + output latency)."""
    return replace(note, heard_frame=note.frame + latency_frames)


def note_ons(responses: Sequence[Response], player: str | None = None) -> list[Response]:
    """Responses in time order, optionally of one player only."""
    chosen = [r for r in responses if player is None or r.player == player]
    return sorted(chosen, key=lambda r: r.frame)


@dataclass(frozen=True)
class ActivityDef(Generic[Params]):
    """An activity: the generator that runs it and everything it tells the rest of the
    program about itself.

    ``params``: its parameters, a frozen :class:`~soundness_live.activities.params.
    ActivityParams` dataclass (its ``variant`` field's choices are the activity's variants);
    ``metrics``: what it measures; ``answers_with``: notes or voice; ``child_instrument``: how
    the child's notes sound, given the parameters; ``outcome_rule``: in words, how metrics
    become an outcome (``play --list`` shows it); ``measurement_variants``: variants of single
    trials that measure the child rather than exercise them (tempo's unpaced tapping), chosen by
    no parameter and left out of a goal that names no variant; ``scored``: False for an activity
    that is logged and never scored (free play), which no goal can name.
    """

    name: str
    summary: str
    params: type[Params]
    run: Callable[[ActivityContext[Params]], ActivityRun]
    metrics: tuple[MetricSpec, ...]
    outcome_rule: str
    answers_with: Answer = Answer.NOTES
    child_instrument: Callable[[Params], ChildInstrument] = lambda params: DRUM_PAD
    measurement_variants: tuple[str, ...] = ()
    scored: bool = True

    @property
    def specs(self) -> tuple[ParamSpec, ...]:
        """Its parameters as :class:`ParamSpec` rows (defaults, units, ranges, help)."""
        return param_specs(self.params)

    @property
    def variants(self) -> tuple[str, ...]:
        """The variants a therapist can choose (its ``variant`` parameter's choices)."""
        chosen = [spec for spec in self.specs if spec.name == "variant"]
        return chosen[0].choices if chosen else ()

    @property
    def trial_variants(self) -> tuple[str, ...]:
        """Every variant a trial record of it can have: the chosen ones and the measurements."""
        return self.variants + self.measurement_variants

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The names of its metrics, in declaration order."""
        return tuple(metric.name for metric in self.metrics)

    def metric(self, name: str) -> MetricSpec | None:
        """The metric called ``name``, or None when it measures none by that name."""
        return next((m for m in self.metrics if m.name == name), None)

    def headline(self, variant: Any) -> MetricSpec | None:
        """The headline measure of ``variant``: the metric naming it among its headline
        variants, else the activity's headline (``headline=True``); None when it has none."""
        named = [m for m in self.metrics if isinstance(m.headline, tuple) and variant in m.headline]
        return named[0] if named else next((m for m in self.metrics if m.headline is True), None)

    def live_metrics(self) -> tuple[MetricSpec, ...]:
        """The metrics the therapist's screen and every trial's line show."""
        return tuple(m for m in self.metrics if m.live)

    def counts_by_default(self, variant: Any) -> bool:
        """Whether a trial of ``variant`` counts toward a goal that names no variant."""
        return variant not in self.measurement_variants

    def make_params(self, values: dict[str, Any]) -> Params:
        """Its parameters dataclass from resolved values (``resolve_params``)."""
        return self.params(**values)


def rule_from_doc(doc: str | None) -> str:
    """The outcome rule an activity module's docstring states after "Outcome rule"."""
    if not doc or "Outcome rule" not in doc:
        return ""
    return " ".join(doc.split("Outcome rule", 1)[1].lstrip(" :").split())
