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
from .common import common_params
from .contract import Cue
from .params import ParamSpec
from .tap_stream import TapStream

NAME = "tempo-following"
VARIANTS = ("with-beat", "continuation", "follow-child")
WOODBLOCK_HIGH, WOODBLOCK_LOW, KICK, SNARE, HAT = 76, 77, 36, 38, 42

PARAMS = common_params(trials=4, tempo_bpm=90.0, variants=VARIANTS) + (
    ParamSpec("beats", int, 16, "beats per trial (with-beat, follow-child)", min=4, max=256),
    ParamSpec("sync_beats", int, 8, "continuation: beats heard before the fade", min=4, max=64),
    ParamSpec("continue_beats", int, 8, "continuation: silent beats to keep going", min=2, max=64),
    ParamSpec(
        "accompaniment", str, "groove", "what plays the beat", choices=("groove", "metronome")
    ),
    ParamSpec(
        "timing_window_ms", float, 15.0, "a tap within this of the beat is 'on it'", "ms", 1, 200
    ),
    ParamSpec(
        "match_window",
        float,
        0.4,
        "tap-to-beat matching window, fraction of the IOI",
        min=0.1,
        max=0.5,
    ),
    ParamSpec(
        "double_tap_ms",
        float,
        180.0,
        "a tap this soon after the last is a double tap",
        "ms",
        0,
        400,
    ),
    ParamSpec("criterion_hit_rate", float, 0.8, "hit rate a correct trial needs", min=0, max=1),
    ParamSpec("criterion_r", float, 0.8, "resultant length a correct trial needs", min=0, max=1),
    ParamSpec("step_pct", float, 5.0, "tempo step after a trial meets the criterion", "%", 0, 20),
    ParamSpec("min_bpm", float, 75.0, "lowest tempo (IOI 800 ms)", "BPM", 30, 240),
    ParamSpec("max_bpm", float, 150.0, "highest tempo (IOI 400 ms)", "BPM", 30, 240),
    ParamSpec(
        "alpha",
        float,
        0.3,
        "follow-child: phase correction (0 none .. 1 chases the child)",
        min=0,
        max=1,
    ),
    ParamSpec("beta", float, 0.2, "follow-child: period correction", min=0, max=1),
    ParamSpec("start_from_preferred", bool, False, "first trial: unpaced tapping sets the tempo"),
    ParamSpec(
        "unpaced_ms", float, 8000.0, "length of the unpaced tapping trial", "ms", 3000, 60000
    ),
)
METRICS = (
    "mean_asynchrony_ms",
    "sd_asynchrony_ms",
    "resultant_length",
    "circular_mean_ms",
    "rayleigh_p",
    "iti_cv",
    "median_iti_ms",
    "tapping_bpm",
    "tempo_ratio",
    "hit_rate",
    "missed_beats",
    "extra_taps",
    "within_window_pct",
    "longest_run",
    "reliable",
    "tempo_curve_bpm",
    "final_bpm",
)


def _beat_notes(
    ctx: ActivityContext, frame: int, index: int, velocity: int
) -> tuple[PromptNote, ...]:
    """The sound of beat ``index``; the first note is the beat itself (the one recorded)."""
    short = ctx.frames(120)
    if ctx.params["accompaniment"] == "metronome":
        note = WOODBLOCK_HIGH if index % 4 == 0 else WOODBLOCK_LOW
        return (PromptNote(frame, note, velocity, short, DRUM_CHANNEL, flags=(("beat", index),)),)
    main = KICK if index % 2 == 0 else SNARE
    return (
        PromptNote(frame, main, velocity, short, DRUM_CHANNEL, flags=(("beat", index),)),
        PromptNote(frame, HAT, max(1, velocity * 3 // 5), short, DRUM_CHANNEL),
    )


def _play_beats(
    ctx: ActivityContext, start: int, ioi_ms: float, count: int, fade_from: int | None = None
):
    """Schedule ``count`` beats; return the heard beat notes (one per beat)."""
    notes: list[PromptNote] = []
    for i in range(count):
        velocity = 100
        if fade_from is not None and i >= fade_from:
            velocity = max(20, int(100 * (1 - (i - fade_from + 1) / (count - fade_from + 1))))
        notes.extend(_beat_notes(ctx, start + ctx.frames(i * ioi_ms), i, velocity))
    heard = yield Play(tuple(notes))
    return [n for n in heard if dict(n.flags).get("beat") is not None]


def run(ctx: ActivityContext) -> ActivityRun:
    """Trials of the chosen variant, with tempo progression between them."""
    p = ctx.params
    tempo = min(max(p["tempo_bpm"], p["min_bpm"]), p["max_bpm"])
    stream = TapStream(ctx.now_frame, ctx.sample_rate, p["double_tap_ms"])
    start = end = ctx.now_frame + ctx.frames(p["lead_in_ms"])
    for index in range(p["trials"]):
        # the next trial's first beat, planned now: a tap nearer to it is not this trial's
        after = None if index + 1 == p["trials"] else ctx.frames(p["gap_ms"])
        if index == 0 and p["start_from_preferred"]:
            record, end = yield from _unpaced_trial(ctx, index, start)
            stream.claim_until(end)
            bpm = record["metrics"].get("tapping_bpm")
            tempo = tempo if bpm is None else min(max(bpm, p["min_bpm"]), p["max_bpm"])
        else:
            trial = _follow_trial if p["variant"] == "follow-child" else _paced_trial
            record, end = yield from trial(ctx, index, start, tempo, stream, after)
            met = record["outcome"] == "correct"
            if p["variant"] != "follow-child":
                tempo = tempo_step(
                    tempo,
                    criterion_met=met,
                    step_pct=p["step_pct"],
                    min_bpm=p["min_bpm"],
                    max_bpm=p["max_bpm"],
                )
        yield RecordTrial(record)
        start = end + ctx.frames(p["gap_ms"])
    # taps after the last window reach the session as input events; they count in no trial
    yield Listen(end, since_frame=end)


def _score(
    ctx: ActivityContext,
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
        timing_window_ms=p["timing_window_ms"],
        match_window=p["match_window"],
    )


def outcome(metrics: dict, params: dict, n_taps: int) -> str:
    """The outcome rule in the module docstring."""
    if n_taps == 0:
        return "no_response"
    hit_rate, r = metrics.get("hit_rate") or 0.0, metrics.get("resultant_length") or 0.0
    if hit_rate >= params["criterion_hit_rate"] and r >= params["criterion_r"]:
        return "correct"
    return "partial" if hit_rate >= 0.5 else "incorrect"


def _window_taps(
    ctx: ActivityContext, stream: TapStream, beat_frames: list[float], after: int | None
):
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


def _window_frames(ctx: ActivityContext, beat_frames: list[float]) -> list[float]:
    """The trial's window (``trial_window_ms``) in frames; it closes just after its end."""
    return [ms * ctx.sample_rate / 1000.0 for ms in trial_window_ms(map(ctx.ms, beat_frames))]


def _paced_trial(
    ctx: ActivityContext,
    index: int,
    start: int,
    tempo_bpm: float,
    stream: TapStream,
    after: int | None,
):
    p = ctx.params
    ioi_ms = 60000.0 / tempo_bpm
    continuation = p["variant"] == "continuation"
    heard_count = p["sync_beats"] if continuation else p["beats"]
    heard = yield from _play_beats(
        ctx, start, ioi_ms, heard_count, fade_from=heard_count - 3 if continuation else None
    )
    beat_frames = [float(n.heard_frame) for n in heard]
    silent = [
        beat_frames[-1] + ctx.frames((k + 1) * ioi_ms)
        for k in range(p["continue_beats"] if continuation else 0)
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


CONTINUATION_METRICS = ("median_iti_ms", "iti_cv", "tempo_ratio", "hit_rate", "mean_asynchrony_ms")


def _unpaced_trial(ctx: ActivityContext, index: int, start: int):
    end = start + ctx.frames(ctx.params["unpaced_ms"])
    yield Show(Cue.TAP, start, {"until_frame": end})
    taps = note_ons((yield Listen(end, since_frame=start)))
    metrics = preferred_tempo(
        [ctx.ms(t.frame) for t in taps], double_tap_ms=ctx.params["double_tap_ms"]
    )
    outcome_ = "correct" if metrics.get("median_iti_ms") is not None else "no_response"
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
        extra_params={"variant_trial": "unpaced"},
    )
    record["variant"] = "unpaced"
    return record, end


def _follow_trial(
    ctx: ActivityContext,
    index: int,
    start: int,
    tempo_bpm: float,
    stream: TapStream,
    after: int | None,
):
    p = ctx.params
    follower = FollowChild(
        60000.0 / tempo_bpm,
        alpha=p["alpha"],
        beta=p["beta"],
        min_bpm=p["min_bpm"],
        max_bpm=p["max_bpm"],
    )
    yield Show(
        Cue.LEAD,
        start,
        {
            "until_frame": start + ctx.frames(p["beats"] * 60000.0 / tempo_bpm),
            "ioi_ms": 60000.0 / tempo_bpm,
        },
    )
    beat_ms, ioi_ms, heard_beats = ctx.ms(start), 60000.0 / tempo_bpm, []
    # the child's own taps for this trial: from half a beat before its first beat on
    since = max(start - ctx.frames(ioi_ms / 2), stream.since_frame)
    for k in range(p["beats"]):
        (beat,) = yield from _play_beats_at(ctx, ctx.frames(beat_ms), k)
        heard_beats.append(beat)
        window = p["match_window"] * ioi_ms
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


def _paced_record(ctx, index, prompt, taps, metrics, window, tempo_bpm) -> dict:
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


def _play_beats_at(ctx: ActivityContext, frame: int, index: int):
    heard = yield Play(_beat_notes(ctx, frame, index, 100))
    return [n for n in heard if dict(n.flags).get("beat") is not None]


def _median_gap(times: list[float]) -> float:
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    return gaps[len(gaps) // 2] if gaps else 500.0


ACTIVITY = ActivityDef(
    name=NAME,
    summary="motor control: play with the beat, keep the beat, or the music follows the child",
    params=PARAMS,
    run=run,
    metric_names=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    variants=VARIANTS,
)
