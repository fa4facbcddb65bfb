"""Tempo-following (motor control), scored per METRICS.md §1.

Variants:
- ``with-beat``: a metronome or drum groove at the target tempo; the child taps along. Taps are
  matched to the HEARD beats (REPP), and the tempo steps up by ``step_pct`` only after a trial
  meets the criterion (rhythmic auditory stimulation progression, Thaut), within the band.
- ``continuation``: synchronisation, then the beat fades out and the child keeps going; the
  continuation taps are scored against the beats that would have come.
- ``follow-child``: the music follows the child: each next beat is placed by phase correction
  (alpha) and period correction (beta) from the child's taps, tempo clamped to the band (GEM
  adaptive metronome); the tempo curve is logged.
With ``start_from_preferred`` the first trial is unpaced tapping ("tap at your own speed"); the
child's preferred tempo, clamped to the band, becomes the starting tempo.

Which taps are a paced trial's (METRICS.md §1, ``tap_stream.py``): double taps are removed over
the run's whole tap stream; a tap belongs to the trial whose heard beat is nearest (a tie: the
later trial), inside that trial's window [first beat - half its interval, last beat (silent ones
included) + half its interval], so a tap anticipating beat 1 counts. A trial is recorded when
its window closes; taps in no window reach the session as input events and count in no trial.
Every tap of the window feeds the trial's measures, over every beat of the window: in
continuation the heard and the silent beats, with ``continuation_*`` for the silent ones alone.

Outcome rule: no taps -> ``no_response``; hit_rate >= [criterion_hit_rate] and resultant_length
>= [criterion_r] -> ``correct``; hit_rate >= 0.5 -> ``partial``; otherwise ``incorrect``.
Unpaced trials: >= 3 kept taps -> ``correct``, else ``no_response``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..metrics.tap_windows import trial_window_ms
from ..metrics.timing import FollowChild, preferred_tempo, score_kept_taps, tempo_step
from .base import (
    DRUM_CHANNEL,
    ActivityContext,
    ActivityDef,
    ActivityRun,
    Listen,
    Play,
    PromptNote,
    RecordTrial,
    Show,
    note_ons,
    rule_from_doc,
    trial_record,
)
from .common import CommonParams, tempo_param, trials_param, variant_param
from .contract import Cue, MetricSpec, MetricWords, Outcome
from .params import param
from .record import TrialRecord
from .tap_stream import TapStream

NAME = "tempo-following"
VARIANTS = ("with-beat", "continuation", "follow-child")
#: The variant of the tapping trial that measures a child's own tempo ("tap at your own
#: speed", ``start_from_preferred``): a measurement, not the exercise, so a goal that names no
#: variant leaves it out.
UNPACED = "unpaced"
WOODBLOCK_HIGH, WOODBLOCK_LOW, KICK, SNARE, HAT = 76, 77, 36, 38, 42


@dataclass(frozen=True)
class TempoParams(CommonParams):
    """The parameters of tempo-following."""

    variant: str = variant_param(VARIANTS)
    trials: int = trials_param(4)
    tempo_bpm: float = tempo_param(90.0)
    beats: int = param(16, "beats per trial (with-beat, follow-child)", min=4, max=256)
    sync_beats: int = param(8, "continuation: beats heard before the fade", min=4, max=64)
    continue_beats: int = param(8, "continuation: silent beats to keep going", min=2, max=64)
    accompaniment: str = param("groove", "what plays the beat", choices=("groove", "metronome"))
    timing_window_ms: float = param(15.0, "a tap within this of the beat is 'on it'", "ms", 1, 200)
    match_window: float = param(
        0.4, "tap-to-beat matching window, fraction of the IOI", min=0.1, max=0.5
    )
    double_tap_ms: float = param(
        180.0, "a tap this soon after the last is a double tap", "ms", 0, 400
    )
    criterion_hit_rate: float = param(0.8, "hit rate a correct trial needs", min=0, max=1)
    criterion_r: float = param(0.8, "resultant length a correct trial needs", min=0, max=1)
    step_pct: float = param(5.0, "tempo step after a trial meets the criterion", "%", 0, 20)
    min_bpm: float = param(75.0, "lowest tempo (IOI 800 ms)", "BPM", 30, 240)
    max_bpm: float = param(150.0, "highest tempo (IOI 400 ms)", "BPM", 30, 240)
    alpha: float = param(
        0.3, "follow-child: phase correction (0 none .. 1 chases the child)", min=0, max=1
    )
    beta: float = param(0.2, "follow-child: period correction", min=0, max=1)
    start_from_preferred: bool = param(False, "first trial: unpaced tapping sets the tempo")
    unpaced_ms: float = param(8000.0, "length of the unpaced tapping trial", "ms", 3000, 60000)


Ctx = ActivityContext[TempoParams]
CONTINUATION_METRICS = ("median_iti_ms", "iti_cv", "tempo_ratio", "hit_rate", "mean_asynchrony_ms")


def _ms(name: str, meaning: str, **more: Any) -> MetricSpec:
    return MetricSpec(name, "ms", meaning=meaning, **more)


def _count(name: str, meaning: str, **more: Any) -> MetricSpec:
    return MetricSpec(name, "count", meaning=meaning, **more)


#: METRICS.md §1; the headline: the hit rate (the unpaced trial: the child's own tempo).
METRICS = (
    _ms(
        "mean_asynchrony_ms",
        "mean tap minus heard beat; negative = early",
        live=True,
        words=MetricWords(
            "mean asynchrony",
            rule="taps {bound} from the beat on average (below 0: early)",
            size_rule="taps on average {bound} of the beat (early or late)",
            below="early by {value} on average",
            above="late by {value} on average",
        ),
    ),
    _ms(
        "sd_asynchrony_ms",
        "sample SD of asynchronies",
        words=MetricWords("sd asynchrony", rule="taps with a spread of {bound} around the beat"),
    ),
    MetricSpec(
        "resultant_length",
        "0-1",
        live=True,
        words=MetricWords(
            "locked to the beat (0 to 1)",
            rule="locks to the beat (phase locking {bound}; 0 random, 1 locked)",
        ),
        meaning="phase locking R (0 random, 1 locked)",
    ),
    _ms(
        "circular_mean_ms",
        "circular mean asynchrony",
        words=MetricWords(
            "circular mean",
            size_rule="taps on average {bound} of the beat (circular mean, early or late)",
        ),
    ),
    MetricSpec("circular_sd", "rad", meaning="circular SD of relative phase"),
    MetricSpec("rayleigh_p", "p", meaning="Rayleigh test p; < .05 = synchronised"),
    MetricSpec(
        "iti_cv",
        "ratio",
        words=MetricWords("iti cv", rule="taps evenly (interval variation {bound})"),
        meaning="SD / mean of inter-tap intervals",
    ),
    _ms("median_iti_ms", "median inter-tap interval"),
    MetricSpec(
        "tapping_bpm",
        "BPM",
        headline=(UNPACED,),
        live=True,
        words=MetricWords("tapping", rule="taps at {bound}"),
        meaning="60000 / median inter-tap interval",
    ),
    MetricSpec("tempo_ratio", "ratio", meaning="child's tempo relative to the target"),
    MetricSpec(
        "hit_rate",
        "ratio",
        headline=True,
        live=True,
        words=MetricWords("hit rate", rule="taps on {bound} of the beats", percent=True),
        meaning="matched beats / beats",
    ),
    _count(
        "missed_beats",
        "beats without a matched tap",
        words=MetricWords("missed beats", rule="misses {bound} beats"),
    ),
    _count(
        "extra_taps",
        "taps without a matched beat",
        words=MetricWords("extra taps", rule="adds {bound} extra taps"),
    ),
    MetricSpec(
        "within_window_pct",
        "%",
        words=MetricWords(
            "within window", rule="taps within the timing window on {bound} of the beats"
        ),
        meaning="beats with a tap within the timing window",
    ),
    _count(
        "longest_run",
        "longest run of beats with a tap within the window",
        words=MetricWords("longest run", rule="keeps {bound} beats in a row in time"),
    ),
    _count("matched_taps", "taps matched to beats"),
    MetricSpec(
        "reliable",
        "bool",
        words=MetricWords(
            "reliable",
            yes="taps reliably (at least 6 taps on beats, 50–150 % as many taps as beats)",
            no="taps unreliably",
        ),
        meaning="taps within 50-150 % of beats and >= 6 matched",
    ),
    MetricSpec(
        "asynchronies_ms",
        "ms (list)",
        meaning="asynchrony per matched beat, ';'-joined",
        plot="asynchrony",
    ),
    MetricSpec(
        "tempo_curve_bpm",
        "BPM (list)",
        meaning="accompaniment tempo per beat, ';'-joined",
        plot="tempo_curve",
    ),
    MetricSpec(
        "final_bpm",
        "BPM",
        live=True,
        words=MetricWords("tempo at the end", rule="ends at {bound}"),
        meaning="accompaniment tempo at the end of the trial",
    ),
    _count("double_taps", "taps within the double-tap time of the one before (dropped)"),
    _count("kept_taps", "taps left once double taps are dropped"),
    *(
        MetricSpec(
            f"continuation_{name}",
            "ms" if name.endswith("_ms") else "ratio",
            meaning=f"continuation: {name.replace('_', ' ')} over the silent beats alone",
        )
        for name in CONTINUATION_METRICS
    ),
)


def _beat_notes(ctx: Ctx, frame: int, index: int, velocity: int) -> tuple[PromptNote, ...]:
    """The sound of beat ``index``; the first note is the beat itself (the one recorded)."""
    short = ctx.frames(120)
    if ctx.params.accompaniment == "metronome":
        note = WOODBLOCK_HIGH if index % 4 == 0 else WOODBLOCK_LOW
        return (PromptNote(frame, note, velocity, short, DRUM_CHANNEL, flags=(("beat", index),)),)
    main = KICK if index % 2 == 0 else SNARE
    return (
        PromptNote(frame, main, velocity, short, DRUM_CHANNEL, flags=(("beat", index),)),
        PromptNote(frame, HAT, max(1, velocity * 3 // 5), short, DRUM_CHANNEL),
    )


def _play_beats(ctx: Ctx, start: int, ioi_ms: float, count: int, fade_from: int | None = None):
    """Schedule ``count`` beats; return the heard beat notes (one per beat)."""
    notes: list[PromptNote] = []
    for i in range(count):
        velocity = 100
        if fade_from is not None and i >= fade_from:
            velocity = max(20, int(100 * (1 - (i - fade_from + 1) / (count - fade_from + 1))))
        notes.extend(_beat_notes(ctx, start + ctx.frames(i * ioi_ms), i, velocity))
    heard = yield Play(tuple(notes))
    return [n for n in heard if dict(n.flags).get("beat") is not None]


def run(ctx: Ctx) -> ActivityRun:
    """Trials of the chosen variant, with tempo progression between them: the tempo moves
    (and the unpaced trial sets it) only by a trial as stored, never by a void one."""
    p = ctx.params
    tempo = min(max(p.tempo_bpm, p.min_bpm), p.max_bpm)
    stream = TapStream(ctx.now_frame, ctx.sample_rate, p.double_tap_ms)
    start = end = ctx.now_frame + ctx.frames(p.lead_in_ms)
    for index in range(p.trials):
        # the next trial's first beat, planned now: a tap nearer to it is not this trial's
        after = None if index + 1 == p.trials else ctx.frames(p.gap_ms)
        if index == 0 and p.start_from_preferred:
            record, end = yield from _unpaced_trial(ctx, index, start)
            stream.claim_until(end)
            final = yield RecordTrial(record)
            tempo = _preferred(final, tempo, p)
        else:
            trial = _follow_trial if p.variant == "follow-child" else _paced_trial
            record, end = yield from trial(ctx, index, start, tempo, stream, after)
            final = yield RecordTrial(record)
            if p.variant != "follow-child" and final.outcome is not Outcome.VOID:
                tempo = tempo_step(
                    tempo,
                    criterion_met=final.outcome is Outcome.CORRECT,
                    step_pct=p.step_pct,
                    min_bpm=p.min_bpm,
                    max_bpm=p.max_bpm,
                )
        start = end + ctx.frames(p.gap_ms)
    # taps after the last window reach the session as input events; they count in no trial
    yield Listen(end, since_frame=end)


def _preferred(final: TrialRecord, tempo_bpm: float, p: TempoParams) -> float:
    """The tempo after the unpaced trial as stored: the child's own, clamped to the band (the
    tempo as it was when the trial was void or found no tempo)."""
    bpm = final.metrics.get("tapping_bpm")
    if final.outcome is Outcome.VOID or bpm is None:
        return tempo_bpm
    return float(min(max(bpm, p.min_bpm), p.max_bpm))


def _score(
    ctx: Ctx,
    beats_ms: list[float],
    kept_ms: Sequence[float],
    double_taps: int,
    ioi_ms: float,
) -> dict:
    p = ctx.params
    return score_kept_taps(
        beats_ms,
        kept_ms,
        double_taps=double_taps,
        ioi_ms=ioi_ms,
        timing_window_ms=p.timing_window_ms,
        match_window=p.match_window,
    )


def outcome(metrics: dict[str, Any], params: TempoParams, n_taps: int) -> Outcome:
    """The outcome rule in the module docstring."""
    if n_taps == 0:
        return Outcome.NO_RESPONSE
    hit_rate, r = metrics.get("hit_rate") or 0.0, metrics.get("resultant_length") or 0.0
    if hit_rate >= params.criterion_hit_rate and r >= params.criterion_r:
        return Outcome.CORRECT
    return Outcome.PARTIAL if hit_rate >= 0.5 else Outcome.INCORRECT


def _window_taps(ctx: Ctx, stream: TapStream, beat_frames: list[float], after: int | None):
    """Listen until the trial's window closes (METRICS.md §1); return its window in frames,
    its end (one heard interval after the last beat) and its taps. ``after``: frames from the
    end to the next trial's first beat (None for the last trial)."""
    end = beat_frames[-1] + (beat_frames[-1] - beat_frames[-2])
    beats_ms = [ctx.ms(f) for f in beat_frames]
    window = _window_frames(ctx, beat_frames)
    got = yield Listen(math.floor(window[1]) + 1, since_frame=stream.since_frame)
    next_first = None if after is None else ctx.ms(int(end) + after + ctx.output_latency_frames)
    taps = stream.trial_taps(got, beats_ms, next_first)
    return (max(window[0], stream.since_frame), window[1]), int(end), taps


def _window_frames(ctx: Ctx, beat_frames: list[float]) -> list[float]:
    """The trial's window (``trial_window_ms``) in frames; it closes just after its end."""
    return [ms * ctx.sample_rate / 1000.0 for ms in trial_window_ms(map(ctx.ms, beat_frames))]


def _paced_trial(
    ctx: Ctx,
    index: int,
    start: int,
    tempo_bpm: float,
    stream: TapStream,
    after: int | None,
):
    p = ctx.params
    ioi_ms = 60000.0 / tempo_bpm
    continuation = p.variant == "continuation"
    heard_count = p.sync_beats if continuation else p.beats
    heard = yield from _play_beats(
        ctx, start, ioi_ms, heard_count, fade_from=heard_count - 3 if continuation else None
    )
    beat_frames = [float(n.heard_frame) for n in heard]
    silent = [
        beat_frames[-1] + ctx.frames((k + 1) * ioi_ms)
        for k in range(p.continue_beats if continuation else 0)
    ]
    yield Show(
        Cue.BEAT,
        start,
        {"beats": beat_frames + silent, "ioi_ms": ioi_ms, "silent_from": len(beat_frames)},
    )
    window, end, got = yield from _window_taps(ctx, stream, beat_frames + silent, after)
    every_beat_ms = [ctx.ms(f) for f in beat_frames + silent]
    metrics = _score(ctx, every_beat_ms, got.kept_ms, got.double_taps, ioi_ms)
    prompt = list(heard)
    if continuation:
        split = ctx.ms(beat_frames[-1] + ctx.frames(ioi_ms / 2))
        cont = _score(
            ctx, [ctx.ms(f) for f in silent], [t for t in got.kept_ms if t >= split], 0, ioi_ms
        )
        metrics.update({f"continuation_{k}": cont[k] for k in CONTINUATION_METRICS})
        prompt += [
            PromptNote(
                int(f),
                0,
                0,
                0,
                DRUM_CHANNEL,
                heard_frame=f,
                flags=(("beat", heard_count + k), ("silent", True)),
            )
            for k, f in enumerate(silent)
        ]
    return _paced_record(ctx, index, prompt, got.taps, metrics, window, tempo_bpm), end


def _unpaced_trial(ctx: Ctx, index: int, start: int):
    end = start + ctx.frames(ctx.params.unpaced_ms)
    yield Show(Cue.TAP, start, {"until_frame": end})
    taps = note_ons((yield Listen(end, since_frame=start)))
    metrics = preferred_tempo(
        [ctx.ms(t.frame) for t in taps], double_tap_ms=ctx.params.double_tap_ms
    )
    found = metrics.get("median_iti_ms") is not None
    outcome_ = Outcome.CORRECT if found else Outcome.NO_RESPONSE
    record = trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=(),
        responses=taps,
        metrics=metrics,
        outcome=outcome_,
        difficulty=None,
        start_frame=start,
        end_frame=end,
        extra_params={"variant_trial": UNPACED},
        variant=UNPACED,
    )
    return record, end


def _follow_trial(
    ctx: Ctx,
    index: int,
    start: int,
    tempo_bpm: float,
    stream: TapStream,
    after: int | None,
):
    p = ctx.params
    follower = FollowChild(
        60000.0 / tempo_bpm,
        alpha=p.alpha,
        beta=p.beta,
        min_bpm=p.min_bpm,
        max_bpm=p.max_bpm,
    )
    yield Show(
        Cue.LEAD,
        start,
        {
            "until_frame": start + ctx.frames(p.beats * 60000.0 / tempo_bpm),
            "ioi_ms": 60000.0 / tempo_bpm,
        },
    )
    beat_ms, ioi_ms, heard_beats = ctx.ms(start), 60000.0 / tempo_bpm, []
    # the child's own taps for this trial: from half a beat before its first beat on
    since = max(start - ctx.frames(ioi_ms / 2), stream.since_frame)
    for k in range(p.beats):
        (beat,) = yield from _play_beats_at(ctx, ctx.frames(beat_ms), k)
        heard_beats.append(beat)
        window = p.match_window * ioi_ms
        got = yield Listen(int(beat.heard_frame + ctx.frames(window)), since_frame=since)
        kept = stream.kept_ms(got, since)
        heard_ms = ctx.ms(beat.heard_frame)
        near = [t - heard_ms for t in kept if abs(t - heard_ms) <= window]
        asyncs = [min(near, key=abs)] if near else []
        iti = kept[-1] - kept[-2] if len(kept) >= 2 else None
        beat_ms, ioi_ms = follower.next_beat(beat_ms, asyncs, iti)
    beat_frames = [float(b.heard_frame) for b in heard_beats]
    # the trial is over (and scored) when its window closes
    yield Show(Cue.DONE, math.floor(_window_frames(ctx, beat_frames)[1]) + 1, {})
    span, end, got = yield from _window_taps(ctx, stream, beat_frames, after)
    beats_ms = [ctx.ms(f) for f in beat_frames]
    metrics = _score(ctx, beats_ms, got.kept_ms, got.double_taps, _median_gap(beats_ms))
    metrics.update(follower.metrics())
    return _paced_record(ctx, index, heard_beats, got.taps, metrics, span, tempo_bpm), end


def _paced_record(ctx, index, prompt, taps, metrics, window, tempo_bpm) -> TrialRecord:
    """The record of a paced trial (with-beat, continuation, follow-child); it spans the
    trial's window (METRICS.md §1), opened no earlier than the run."""
    return trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=prompt,
        responses=taps,
        metrics=metrics,
        outcome=outcome(metrics, ctx.params, len(taps)),
        difficulty=round(tempo_bpm, 3),
        start_frame=window[0],
        end_frame=window[1],
        extra_params={"trial_tempo_bpm": tempo_bpm},
    )


def _play_beats_at(ctx: Ctx, frame: int, index: int):
    heard = yield Play(_beat_notes(ctx, frame, index, 100))
    return [n for n in heard if dict(n.flags).get("beat") is not None]


def _median_gap(times: list[float]) -> float:
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    return gaps[len(gaps) // 2] if gaps else 500.0


ACTIVITY = ActivityDef(
    name=NAME,
    summary="motor control: play with the beat, keep the beat, or the music follows the child",
    params=TempoParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    measurement_variants=(UNPACED,),
)
