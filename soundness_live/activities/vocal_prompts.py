"""Vocal prompts (articulation), scored per METRICS.md §4.

The engine sings a prompt (melodic-intonation style: syllables on two or more pitches, one per
beat, optionally a drum tap per syllable), the child view shows "listen", then "your turn", and
the voice source (microphone, a WAV standing in for it, or the virtual singer) is analysed from
300 ms before the prompt starts (or ``pre_roll_ms`` before the turn, if earlier) to the end of
the response window. A room is never silent (METRICS.md §4): the VAD is fed from there (or from
when the source opened, if later), and a voiced frame must clear the room's noise floor,
measured over those 300 ms before the prompt, by 6 dB. The first prompt comes at least
``ROOM_LEAD_MS`` after the activity starts, so a microphone opened with it hears the room first.
Variants:

- ``echo-syllables`` (default): echo "ba ba ba"; the count matters. Level = syllables (1..8);
  from level 4 on the pitches move a semitone further from the first one per level.
- ``match-pitch``: sing the note; level L picks a target up to L-1 semitones from the first pitch.
- ``sustain-vowel``: hold "aah"; the target length is ``sustain_ms`` + ``sustain_step_ms`` per
  level above 1 (the engine holds its own prompt that long).
- ``sung-question``: a two-note rising question ("hel-lo?"); the answer falls back to the tonic.
  The interval widens with the level (``pitches`` gives the tonic and the level-2 interval).

Metrics: the METRICS.md vocal names. ``voice_onset_latency_ms`` is from the prompt's end as
heard; ``pitch_error_cents`` is this trial's mean signed error (per syllable against its note);
``pitch_sd_cents`` is the SD of the session's per-trial errors so far (precision ACROSS
attempts; null before two), the within-trial SD is ``syllable_pitch_sd_cents``.

Outcome rule (parameters in brackets): no voice -> ``no_response``. echo-syllables: syllables ==
target (and, with [require_pitch], |pitch_error_cents| <= [partial_cents]) -> ``correct``; at
least one syllable and at most one off -> ``partial``. match-pitch: |pitch_error_cents| <=
[pitch_tolerance_cents] -> ``correct``, <= [partial_cents] -> ``partial``. sustain-vowel:
duration_ms >= the target -> ``correct``, >= [sustain_partial_pct] % of it -> ``partial``.
sung-question: contour_correct and |pitch_error_cents| <= [partial_cents] -> ``correct``, one of
the two -> ``partial``. Anything else with a voice -> ``incorrect``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError, SoundnessError
from .base import (
    ActivityContext,
    ActivityDef,
    ActivityRun,
    ListenVoice,
    Play,
    PlaySamples,
    PromptNote,
    RecordTrial,
    Response,
    Show,
    VoiceScoring,
    VoiceTake,
    rule_from_doc,
    trial_record,
)
from .common import CommonParams, staircase_from, tempo_param, trials_param, variant_param
from .contract import Answer, Cue, MetricSpec, MetricWords, Outcome
from .params import param
from .sung_prompts import sung_prompt

NAME = "vocal-prompts"
VARIANTS = ("echo-syllables", "match-pitch", "sustain-vowel", "sung-question")
DEFAULT_SYLLABLES = {VARIANTS[0]: "ba", VARIANTS[1]: "la", VARIANTS[2]: "a", VARIANTS[3]: "hel lo"}
DEFAULT_PITCHES = {VARIANTS[0]: "67 64", VARIANTS[1]: "64", VARIANTS[2]: "64", VARIANTS[3]: "60 67"}


@dataclass(frozen=True)
class VocalParams(CommonParams):
    """The parameters of the vocal prompts."""

    variant: str = variant_param(VARIANTS)
    trials: int = trials_param(4)
    tempo_bpm: float = tempo_param(90.0)
    syllables: str = param("", "prompt syllables, space-separated ('' = the variant's)")
    pitches: str = param("", "MIDI keys the syllables are sung on, cycled ('' = variant's)")
    hold_pct: float = param(60.0, "each syllable is held this much of a beat", "%", 20, 100)
    response_window_ms: float = param(5000.0, "time to answer", "ms", 1000, 30000)
    pre_roll_ms: float = param(
        500.0, "the take starts at least this long before the turn", "ms", 300, 5000
    )
    listen_after_ms: float = param(150.0, "microphone: the prompt's tail", "ms", 0, 1000)
    pitch_floor_hz: float = param(
        50.0, "lowest pitch searched (narrow it per child)", "Hz", 50, 800
    )
    pitch_ceiling_hz: float = param(1000.0, "highest pitch searched", "Hz", 200, 2000)
    pitch_tolerance_cents: float = param(50.0, "on pitch within", "cents", 5, 600)
    partial_cents: float = param(150.0, "near the pitch within", "cents", 5, 1200)
    require_pitch: bool = param(False, "echo-syllables: correct needs the pitch too")
    sustain_ms: float = param(1500.0, "sustain-vowel: target at level 1", "ms", 300, 20000)
    sustain_step_ms: float = param(500.0, "sustain-vowel: added per level", "ms", 0, 5000)
    sustain_partial_pct: float = param(50.0, "sustain-vowel: partial from", "%", 0, 100)
    tap_per_syllable: bool = param(False, "a drum tap with every prompt syllable")
    instrument: int = param(-1, "-1: syllable voices (bank 1); 52: choir aah; any GM", "", -1, 127)
    prompt_source: str = param("synth", "who says the prompt", choices=("synth", "espeak", "asset"))
    prompt_asset: str = param("", "prompt_source=asset: the recorded prompt's name")
    vad_mode: int = param(2, "WebRTC VAD aggressiveness", "", 0, 3)


Ctx = ActivityContext[VocalParams]

#: The METRICS.md vocal names first; then what a reviewer needs to recompute them. The
#: headline: the voice onset latency, and per variant the syllables (echo), the pitch error
#: (match-pitch), the voice's length (sustain).
METRICS = (
    MetricSpec(
        "voice_onset_latency_ms",
        "ms",
        headline=True,
        live=True,
        words=MetricWords(
            "voice onset latency",
            rule="starts to answer {bound} after the prompt ends",
            within=True,
        ),
        meaning="voice onset minus the end of the prompt",
    ),
    MetricSpec(
        "syllables",
        "count",
        headline=("echo-syllables",),
        live=True,
        words=MetricWords(
            "syllables",
            rule="says {bound} syllables",
            versus=(("target_syllables", "says {how} syllables as the prompt has"),),
        ),
        meaning="syllable nuclei detected",
    ),
    MetricSpec("target_syllables", "count", live=True, meaning="syllables in the prompt"),
    MetricSpec(
        "median_f0_hz",
        "Hz",
        words=MetricWords("median f0", rule="sings at {bound}"),
        meaning="median voice pitch",
    ),
    MetricSpec(
        "pitch_error_cents",
        "cents",
        headline=("match-pitch",),
        live=True,
        words=MetricWords(
            "pitch error",
            rule="sings {bound} from the prompt's pitch (below 0: flat)",
            size_rule="sings {bound} of the prompt's pitch (sharp or flat)",
            below="flat by {value}",
            above="sharp by {value}",
        ),
        meaning="mean signed pitch deviation from the target",
    ),
    MetricSpec(
        "pitch_sd_cents",
        "cents",
        words=MetricWords("pitch sd", rule="sings with a pitch spread of {bound} across attempts"),
        meaning="SD of the session's per-trial pitch errors so far (across attempts)",
    ),
    MetricSpec(
        "contour_correct",
        "bool",
        words=MetricWords(
            "contour correct",
            yes="sings the prompt's rise and fall",
            no="sings the contour the wrong way",
        ),
        meaning="high/low contour matches the prompt",
    ),
    MetricSpec(
        "duration_ms",
        "ms",
        headline=("sustain-vowel",),
        words=MetricWords("duration", rule="holds the voice for {bound}"),
        meaning="voiced duration",
    ),
    MetricSpec(
        "intensity_db",
        "dB",
        words=MetricWords("intensity", rule="sings at {bound}"),
        meaning="intensity re calibration",
    ),
    MetricSpec("voice_onset_ms", "ms", meaning="voice onset on the engine's axis"),
    MetricSpec("syllable_pitches_hz", "Hz (list)", meaning="pitch of each syllable"),
    MetricSpec("contour", "text (list)", meaning="up / down between syllables"),
    MetricSpec("syllable_pitch_sd_cents", "cents", meaning="SD of pitch within the trial"),
    MetricSpec("target_duration_ms", "ms", meaning="sustain-vowel: the length asked for"),
    MetricSpec("noise_floor_db", "dB", meaning="the room's noise floor before the prompt"),
)
_FROM_ANALYSIS = (
    "voice_onset_latency_ms syllables target_syllables median_f0_hz pitch_error_cents "
    "contour_correct duration_ms intensity_db syllable_pitches_hz contour "
    "noise_floor_db".split()
)
#: The least time from the activity's start to its first prompt: the room's 300 ms
#: (``VoiceScoring.room_ms``) and the microphone's first blocks (it opens as the activity starts).
ROOM_LEAD_MS = 500.0


def voice_scoring(ctx: Ctx) -> VoiceScoring:
    """The voice analysis the run gave this activity (SoundnessError when it gave none)."""
    if ctx.voice_scoring is None:
        raise SoundnessError(
            "vocal-prompts scores the child's voice: expected the run to give it the voice "
            "analysis (voice_scoring), got none"
        )
    return ctx.voice_scoring


def midi_hz(key: float) -> float:
    """Equal-tempered frequency of MIDI key ``key`` (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((key - 69.0) / 12.0)


def score_take(
    ctx: Ctx,
    take: VoiceTake,
    prompt: tuple[float, float],
    targets: dict[str, Any],
    errors: list[float],
) -> tuple[dict[str, Any], list[Response]]:
    """Metrics of one take (times on the engine's axis) and its syllables as responses;
    ``prompt``: the frames at which the prompt starts and ends as heard.

    The analysis starts where the source began to hear (the VAD is fed from there); the noise
    floor is measured over the 300 ms before the prompt starts, or over the first 300 ms the
    source heard when it opened later (a WAV standing in for the microphone opens at the turn).
    ``errors`` holds the session's per-trial pitch errors; this trial's is appended to it.
    """
    scoring = voice_scoring(ctx)
    p = ctx.params
    heard_from = take.start_frame if take.heard_from_frame is None else take.heard_from_frame
    offset_ms = ctx.ms(heard_from)
    room_from_ms = max(ctx.ms(prompt[0]) - scoring.room_ms, offset_ms) - offset_ms
    found = scoring.analyze(
        take.audio[heard_from - take.start_frame :],
        take.sample_rate,
        noise_floor_ms=(room_from_ms, room_from_ms + scoring.room_ms),
        prompt_end_ms=ctx.ms(prompt[1]) - offset_ms,
        listen_from_ms=ctx.ms(prompt[1]) + _guard_ms(p, take) - offset_ms,
        target_syllables=targets["syllables"],
        target_hz=targets["hz"],
        pitch_floor_hz=p.pitch_floor_hz,
        pitch_ceiling_hz=p.pitch_ceiling_hz,
        vad_mode=p.vad_mode,
    ).to_dict()
    metrics = {name: found[name] for name in _FROM_ANALYSIS}
    if found["pitch_error_cents"] is not None:
        errors.append(found["pitch_error_cents"])
    across = found["pitch_error_cents"] is not None and len(errors) >= 2
    metrics["pitch_sd_cents"] = statistics.stdev(errors) if across else None
    metrics["syllable_pitch_sd_cents"] = found["pitch_sd_cents"]
    onset = found["voice_onset_ms"]
    metrics["voice_onset_ms"] = None if onset is None else offset_ms + onset
    metrics["target_duration_ms"] = targets["target_ms"]
    return metrics, _syllable_responses(ctx, take, found)


def _guard_ms(params: VocalParams, take: VoiceTake) -> float:
    """How long after the prompt's end a voice onset is not yet the answer: a microphone also
    hears the prompt's release and the room; a WAV stand-in or the virtual singer does not."""
    return float(params.listen_after_ms) if take.source == "microphone" else 0.0


def _syllable_responses(ctx: Ctx, take: VoiceTake, found: dict[str, Any]) -> list[Response]:
    """One response per syllable nucleus: its time, and its pitch as the nearest MIDI key."""
    clock = "audio_input" if take.source == "microphone" else "virtual"
    heard_from = take.start_frame if take.heard_from_frame is None else take.heard_from_frame
    responses = []
    for time_ms, hz in zip(found["nuclei_ms"], found["syllable_pitches_hz"], strict=False):
        key = 0 if not hz else int(round(69 + 12 * math.log2(hz / 440.0)))
        frame = heard_from + time_ms * take.sample_rate / 1000.0
        responses.append(Response(frame, key, 64, device=take.source, clock=clock))
    return responses


def outcome(metrics: dict[str, Any], params: VocalParams, target_ms: float | None) -> Outcome:
    """The outcome rule in the module docstring."""
    if metrics["voice_onset_ms"] is None:
        return Outcome.NO_RESPONSE
    variant, error = params.variant, metrics["pitch_error_cents"]
    near = error is not None and abs(error) <= params.partial_cents
    if variant == "echo-syllables":
        count, want = metrics["syllables"] or 0, metrics["target_syllables"] or 0
        if count == want and (near or not params.require_pitch):
            return Outcome.CORRECT
        return _graded(False, count >= 1 and abs(count - want) <= 1)
    if variant == "match-pitch":
        on_pitch = error is not None and abs(error) <= params.pitch_tolerance_cents
        return _graded(on_pitch, near)
    if variant == "sustain-vowel":
        held, want_ms = metrics["duration_ms"] or 0.0, float(target_ms or 0.0)
        enough = held >= want_ms * params.sustain_partial_pct / 100.0
        return _graded(held >= want_ms, enough)
    shaped = bool(metrics["contour_correct"])
    return _graded(shaped and near, shaped or near)


def _graded(correct: bool, partial: bool) -> Outcome:
    """Correct, else partial, else incorrect."""
    if correct:
        return Outcome.CORRECT
    return Outcome.PARTIAL if partial else Outcome.INCORRECT


def parse_syllables(params: VocalParams) -> list[str]:
    """The prompt's syllables (the variant's default when ``syllables`` is empty)."""
    text = str(params.syllables).strip() or DEFAULT_SYLLABLES[params.variant]
    return text.replace("-", " ").split()


def parse_pitches(params: VocalParams) -> list[int]:
    """The ``pitches`` parameter as MIDI keys 36..96 (ParameterError names a bad one)."""
    text = str(params.pitches).strip() or DEFAULT_PITCHES[params.variant]
    try:
        keys = [int(item) for item in text.replace(",", " ").split()]
    except ValueError:
        keys = []
    if not keys or not all(36 <= k <= 96 for k in keys):
        raise ParameterError(
            f"parameter 'pitches': expected MIDI keys 36..96 separated by spaces, got {text!r}"
        )
    if params.variant == "sung-question" and len(keys) < 2:
        raise ParameterError(f"parameter 'pitches': sung-question needs two keys, got {text!r}")
    return keys


def _widened(keys: list[int], extra: int) -> list[int]:
    """Every key but the first moved ``extra`` semitones further from the first."""
    return [keys[0]] + [k + extra * (1 if k >= keys[0] else -1) for k in keys[1:]]


def plan_trial(ctx: Ctx, level: int) -> dict[str, Any]:
    """What this trial's prompt sings and what a perfect answer is, at ``level``."""
    p, beat_ms = ctx.params, 60000.0 / ctx.params.tempo_bpm
    syllables, keys = parse_syllables(p), parse_pitches(p)
    hold_ms, target_ms, variant = beat_ms * p.hold_pct / 100.0, None, p.variant
    if variant == "echo-syllables":
        keys = _widened(keys, max(0, level - 3))
        sung = [syllables[i % len(syllables)] for i in range(level)]
        notes = answer = [keys[i % len(keys)] for i in range(level)]
    elif variant == "match-pitch":
        sung, notes = syllables[:1], [keys[0] + ctx.rng.randint(-(level - 1), level - 1)]
        answer = notes
    elif variant == "sustain-vowel":
        target_ms = p.sustain_ms + p.sustain_step_ms * (level - 1)
        sung, notes, answer = syllables[:1], keys[:1], keys[:1]
        hold_ms = beat_ms = target_ms
    else:
        tonic, step = keys[0], max(1, min(12, abs(keys[1] - keys[0]) + level - 2))
        sung, notes, answer = (syllables * 2)[:2], [tonic, tonic + step], [tonic + step, tonic]
    return {
        "prompt": (sung, notes),
        "answer": (sung, answer),
        "hold_ms": hold_ms,
        "beat_ms": beat_ms,
        "target_ms": target_ms,
    }


def _sung(ctx: Ctx, plan: dict[str, Any], start: int):
    """Sing the prompt through the synth; return (prompt notes as heard, heard end frame)."""
    prompt = sung_prompt(
        *plan["prompt"],
        start_frame=start,
        ioi_frames=ctx.frames(plan["beat_ms"]),
        hold_frames=ctx.frames(plan["hold_ms"]),
        instrument=ctx.params.instrument,
        taps=ctx.params.tap_per_syllable,
    )
    heard: list[PromptNote] = []
    for program, bank, notes in prompt.groups:
        heard += yield Play(notes, program=program, bank=bank)
    if prompt.taps:
        heard += yield Play(prompt.taps, program=0, bank=128)
    heard.sort(key=lambda n: (n.frame, n.channel))
    end = max(
        (n.heard_frame or n.frame) + n.duration_frames for n in heard if "tap" not in dict(n.flags)
    )
    return heard, end


def _spoken(ctx: Ctx, plan: dict[str, Any], start: int):
    """Play a spoken or recorded prompt; return (one prompt entry, heard end, its analysis)."""
    p = ctx.params
    name = "espeak:" + " ".join(plan["prompt"][0])
    if p.prompt_source == "asset":
        name = f"asset:{p.prompt_asset}"
    got = yield PlaySamples(start, name)
    flags = (("spoken", name), ("syllables", got.syllables))
    entry = PromptNote(
        got.frame, 0, 0, got.duration_frames, heard_frame=got.heard_frame, flags=flags
    )
    return [entry], got.heard_frame + got.duration_frames, got


def run(ctx: Ctx) -> ActivityRun:
    """Prompt, your turn, listen to the voice, score, adapt to the trial as stored."""
    room_ms = voice_scoring(ctx).room_ms  # no voice analysis: stops before the first prompt
    p = ctx.params
    parse_pitches(p)  # a bad parameter stops the run before the first prompt
    stairs = staircase_from(p)
    errors: list[float] = []  # this session's per-trial pitch errors: precision across attempts
    start = ctx.now_frame + ctx.frames(max(p.lead_in_ms, ROOM_LEAD_MS))
    for index in range(p.trials):
        level = stairs.level
        plan = plan_trial(ctx, level)
        yield Show(Cue.LISTEN, start, {"syllables": plan["prompt"][0]})
        spoken = None
        if p.prompt_source == "synth":
            heard, prompt_end = yield from _sung(ctx, plan, start)
        else:
            heard, prompt_end, spoken = yield from _spoken(ctx, plan, start)
        turn = int(round(prompt_end))
        answer = dict(zip(("syllables", "notes"), plan["answer"], strict=True))
        answer.update(hold_ms=plan["hold_ms"], ioi_ms=plan["beat_ms"])
        yield Show(Cue.YOUR_TURN, turn, {"answer": answer, "prompt_end_frame": prompt_end})
        end = turn + ctx.frames(p.response_window_ms)
        prompt_start = min(n.frame if n.heard_frame is None else n.heard_frame for n in heard)
        since = min(prompt_start - ctx.frames(room_ms), turn - ctx.frames(p.pre_roll_ms))
        take = yield ListenVoice(end, since_frame=int(math.floor(since)))
        targets = _targets(plan, spoken)
        metrics, voice = score_take(ctx, take, (prompt_start, prompt_end), targets, errors)
        yield Show(Cue.DONE, end, {})  # shown with the outcome as stored
        final = yield RecordTrial(
            trial_record(
                ctx,
                index=index,
                activity=NAME,
                prompt=heard,
                responses=voice,
                metrics=metrics,
                outcome=outcome(metrics, p, plan.get("target_ms")),
                difficulty=level,
                start_frame=start,
                end_frame=end,
                # what was asked stays in the record when no voice came (its metric is null)
                extra_params={"voice_source": take.source, "syllables_asked": targets["syllables"]},
            )
        )
        stairs.after(final)
        start = end + ctx.frames(p.gap_ms)


def _targets(plan: dict[str, Any], spoken: Any) -> dict[str, Any]:
    """Target syllables and pitches: the answer's notes; a spoken prompt's own analysis."""
    syllables, notes = plan["answer"]
    hz: Any = [midi_hz(n) for n in notes] if len(notes) > 1 else midi_hz(notes[0])
    count = len(syllables)
    if spoken is not None:
        count = spoken.syllables if spoken.name.startswith("asset:") else count
        hz = None  # a spoken prompt sets no pitch to match
    return {"syllables": count, "hz": hz, "target_ms": plan.get("target_ms")}


ACTIVITY = ActivityDef(
    name=NAME,
    summary="articulation: the engine sings a syllable prompt, the child answers with their voice",
    params=VocalParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    answers_with=Answer.VOICE,
)
