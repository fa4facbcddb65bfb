"""Building and running one activity headless: the inputs, the sound, the records.

Used by ``soundness-live play`` and ``demo`` (and the engine process). The run's timeline: frame
0 is when the run starts; the first prompt follows the lead-in (``lead_in_ms`` in the params);
the run ends after the last trial's response window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..activities.base import ActivityDef
from ..activities.contract import Answer
from ..activities.params import resolve_params
from ..activities.registry import get_activity
from ..core.clock import DEFAULT_SAMPLE_RATE, check_sample_rate
from ..core.session import InputSource, RunResult, Session, SessionHooks, SilentSink, SoundSink
from ..errors import ParameterError
from ..players.child_sound import child_sound, players_of
from ..players.virtual_child import ChildTraits, virtual_inputs
from ..voice.scoring import VOICE_SCORING


def file_inputs(
    path: Path, *, sample_rate: int, activity: ActivityDef, params: dict[str, Any]
) -> list[InputSource]:
    """A MIDI file as the child's playing (group mode: each track is one player)."""
    from ..midi.performance import FilePerformance

    sound = child_sound(activity, params)
    group = len(players_of(activity, params)) > 1
    return [
        FilePerformance.load(
            path, sample_rate=sample_rate, channel=sound.channel, players_from_tracks=group
        )
    ]


@dataclass
class PlayOptions:
    """Options of one headless run."""

    activity: str
    params: dict[str, Any] = field(default_factory=dict)
    input: str = "virtual"  # "virtual", or a .mid file path
    seed: int = 0
    sample_rate: int = DEFAULT_SAMPLE_RATE
    block_size: int = 256
    wav: Path | None = None
    soundfont: Path | None = None
    traits: ChildTraits | None = None
    cap_dbfs: float | None = None
    voice_wav: Path | None = None


@dataclass
class PreparedRun:
    """A run with everything built and checked (parameters, inputs, prompts, the WAV file it
    will write), so a bad option fails before anything is stored; :meth:`run` runs it once."""

    session: Session
    sink: SoundSink
    options: PlayOptions

    def run(self, hooks: SessionHooks | None = None) -> tuple[RunResult, dict[str, Any]]:
        """Run the activity (with ``hooks``); the result and a summary of the sound side.
        A run that fails writes no WAV."""
        if hooks is not None:
            self.session.hooks = hooks
        try:
            result = self.session.run()
            return result, _finish_sink(self.sink, self.options)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Give up the run before (or instead of) running it: no WAV appears."""
        _discard_sink(self.sink)


def _discard_sink(sink: SoundSink) -> None:
    discard = getattr(sink, "discard", None)  # only a sink writing a WAV has something to drop
    if discard is not None:
        discard()


def prepare_run(
    options: PlayOptions,
    hooks: SessionHooks | None = None,
    shared_sink: tuple[SoundSink, dict[str, str | None]] | None = None,
) -> PreparedRun:
    """Build and check one offline run: raises on any bad option, before anything runs.
    ``shared_sink`` (with its SoundFont's name and hash): the sound of runs that follow each
    other on one axis, like a plan's steps (each starts at its frame); else one is made."""
    check_sample_rate(options.sample_rate)
    activity = get_activity(options.activity)
    params = resolve_params(activity.name, activity.specs, options.params)
    inputs = _inputs(activity, params, options)
    prompts, given = None, dict(options.params)
    if activity.answers_with is Answer.VOICE:
        prompts, given = _prompt_sounds(given, params, options.sample_rate)
    voice = voice_source(activity, options)
    sink, soundfont_info = shared_sink or make_sink(options)  # last: it opens the WAV file
    sound = child_sound(activity, params)
    try:
        session = Session(
            activity,
            given,
            sink=sink,
            inputs=inputs,
            sample_rate=options.sample_rate,
            seed=options.seed,
            soundfont=soundfont_info,
            hooks=hooks,
            child_programs={sound.channel: (sound.program, sound.bank)},
            voice=voice,
            prompt_sounds=prompts,
            voice_scoring=VOICE_SCORING,
        )
    except BaseException:
        _discard_sink(sink)
        raise
    return PreparedRun(session, sink, options)


def run_activity(
    options: PlayOptions, hooks: SessionHooks | None = None
) -> tuple[RunResult, dict[str, Any]]:
    """Run one activity offline; return its result and a summary of the sound side."""
    return prepare_run(options, hooks).run()


def _inputs(
    activity: ActivityDef, params: dict[str, Any], options: PlayOptions
) -> list[InputSource]:
    if options.input == "virtual":
        return virtual_inputs(
            activity,
            params,
            seed=options.seed,
            sample_rate=options.sample_rate,
            traits=options.traits,
        )
    if options.input == "live":
        raise ParameterError(
            "--input live runs through the engine process: use 'soundness-live run'"
        )
    return file_inputs(
        Path(options.input), sample_rate=options.sample_rate, activity=activity, params=params
    )


def voice_source(activity: ActivityDef, options: PlayOptions) -> Any:
    """The child's voice for an activity they answer with their voice: ``voice_wav`` standing
    in for the microphone, else the virtual singer for virtual input; None (silence) otherwise
    or for an activity answered with notes."""
    if activity.answers_with is not Answer.VOICE:
        return None
    from ..synth.singing import SyllableSinger
    from ..voice.sources import VirtualSinger, WavVoice

    if options.voice_wav is not None:
        return WavVoice([options.voice_wav], options.sample_rate)
    if options.input == "virtual":
        singer = SyllableSinger(options.sample_rate)
        return VirtualSinger(options.sample_rate, singer, seed=options.seed)
    return None


def _prompt_sounds(
    given: dict[str, Any], params: dict[str, Any], sample_rate: int
) -> tuple[Any, dict[str, Any]]:
    """Spoken or recorded prompt sounds (espeak-ng missing: the synth sings, with a message)."""
    import sys

    from ..voice.prompts import prepare_prompts

    store = None
    if params.get("prompt_source") == "asset":
        from ..store.records import Store

        store = Store.open()
    try:
        prompts, used, message = prepare_prompts(params, sample_rate, store)
    finally:
        if store is not None:
            store.close()
    if message:
        print(message, file=sys.stderr)
    return prompts, dict(given, prompt_source=used["prompt_source"])


def make_sink(options: PlayOptions) -> tuple[SoundSink, dict[str, str | None]]:
    """The sound of a run: rendered into ``options.wav`` when asked, else nothing but the
    clock; with its SoundFont's name and hash (the trial records keep them)."""
    if options.wav is None:
        return SilentSink(), {"name": None, "sha256": None}
    from .sink import OfflineRenderSink

    sink = OfflineRenderSink.create(
        sample_rate=options.sample_rate,
        block_size=options.block_size,
        soundfont=options.soundfont,
        cap_dbfs=options.cap_dbfs,
        wav_path=options.wav,
    )
    return sink, sink.soundfont_info


def _finish_sink(sink: SoundSink, options: PlayOptions) -> dict[str, Any]:
    if options.wav is None:
        return {}
    return sink.write_wav(options.wav)  # type: ignore[attr-defined]


def result_json(result: RunResult) -> dict[str, Any]:
    """The ``--json`` document: every trial record with raw onsets, so scores can be recomputed."""
    return {
        "activity": result.activity,
        "params": result.params,
        "sample_rate": result.sample_rate,
        "end_ms": result.end_frame * 1000.0 / result.sample_rate,
        "trials": result.records,
    }
