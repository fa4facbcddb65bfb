"""Waiting games (impulse control, turn-waiting), scored per METRICS.md §3.

Variants:
- ``cue``: music builds softly through a randomised foreperiod, then the cue (a sound and the
  "go" picture) comes; the first response is premature / anticipatory (< 100 ms) / valid
  (with reaction time) / omission.
- ``freeze``: play along while the music plays; the music stops (freeze) and the child should
  stop too; counts notes in the freeze and the time to stop.
- ``go-no-go``: after a foreperiod, a go sound (play!) or a no-go sound (don't!).
- ``turns``: rounds of turns between several players (``players``); plays out of turn count.
Waits grow gradually: the foreperiod (or freeze) grows by ``wait_step_ms`` per level, and the
staircase raises the level after 2 successes, lowers it after a failure.

Outcome rule: cue — valid -> ``correct``, anticipatory or premature -> ``premature``, omission ->
``no_response``. freeze — no notes in the freeze -> ``correct``, up to [freeze_partial_notes]
-> ``partial``, more -> ``incorrect``, no notes at all -> ``no_response``. go-no-go — go: valid
-> ``correct``, omission -> ``no_response``, early -> ``premature``; no-go: no play ->
``correct``, a play -> ``incorrect`` (commission). turns — plays only in own turn -> ``correct``;
in own turn and out of turn -> ``partial``; nothing in own turn -> ``no_response``; only out of
turn -> ``incorrect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..metrics.waiting import classify_response, score_freeze, score_go_no_go, score_turns
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
from .common import CommonParams, staircase_from, tempo_param, trials_param, variant_param
from .contract import Cue, MetricSpec, MetricWords, Outcome
from .params import param

NAME = "waiting"
VARIANTS = ("cue", "freeze", "go-no-go", "turns")
MUSIC_CHANNEL = 1


@dataclass(frozen=True)
class WaitingParams(CommonParams):
    """The parameters of the waiting games."""

    variant: str = variant_param(VARIANTS)
    trials: int = trials_param(6)
    tempo_bpm: float = tempo_param(96.0)
    foreperiod_ms: float = param(1500.0, "shortest wait before the cue at level 1", "ms", 0, 60000)
    wait_step_ms: float = param(750.0, "how much longer the wait is per level", "ms", 0, 30000)
    jitter_pct: float = param(
        40.0, "random spread of each wait (so it cannot be timed)", "%", 0, 100
    )
    response_window_ms: float = param(3000.0, "time to respond after the cue", "ms", 300, 30000)
    anticipatory_ms: float = param(
        100.0, "faster than this after the cue is anticipatory", "ms", 0, 500
    )
    cue_note: int = param(56, "GM drum note of the go cue (56 = cowbell)", min=27, max=87)
    no_go_note: int = param(
        41, "GM drum note of the no-go sound (41 = low floor tom)", min=27, max=87
    )
    no_go_pct: float = param(30.0, "share of no-go trials", "%", 0, 100)
    play_ms: float = param(
        4000.0, "freeze: how long the music plays before it stops", "ms", 1000, 60000
    )
    freeze_partial_notes: int = param(
        2, "freeze: at most this many notes is partial", min=0, max=50
    )
    turn_ms: float = param(3000.0, "turns: length of each player's turn", "ms", 500, 30000)
    players: str = param("child,partner", "turns: players in turn order (the first is scored)")
    instrument: int = param(0, "GM program of the building music", min=0, max=127)


Ctx = ActivityContext[WaitingParams]
_CLASSES = (
    ("valid", "waits for the cue and then plays in time"),
    ("premature", "plays before the cue"),
    ("anticipatory", "plays too soon after the cue to be a reaction"),
    ("omission", "does not play after the cue"),
)

#: METRICS.md §3; the headline: the wait, and per variant the notes in the freeze, the
#: reaction time (go/no-go), the plays out of turn (turns).
METRICS = (
    MetricSpec(
        "classification",
        "text",
        live=True,
        words=MetricWords("response", values=_CLASSES),
        meaning="premature / anticipatory / valid / omission",
    ),
    MetricSpec(
        "reaction_time_ms",
        "ms",
        headline=("go-no-go",),
        live=True,
        words=MetricWords("reaction time", rule="plays {bound} after the cue", within=True),
        meaning="first response minus the cue (valid responses only)",
    ),
    MetricSpec(
        "extra_responses",
        "count",
        words=MetricWords("extra responses", rule="plays {bound} extra notes after the first"),
        meaning="responses after the first",
    ),
    MetricSpec(
        "wait_s",
        "s",
        headline=True,
        words=MetricWords("wait", rule="waits {bound} before playing"),
        meaning="time waited before the first play",
    ),
    MetricSpec(
        "notes_in_freeze",
        "count",
        headline=("freeze",),
        live=True,
        words=MetricWords("notes in freeze", rule="plays {bound} notes after the music stops"),
        meaning="notes played after the music stopped",
    ),
    MetricSpec(
        "time_to_stop_ms",
        "ms",
        live=True,
        words=MetricWords("time to stop", rule="stops {bound} after the music stops", within=True),
        meaning="time from the music stopping to the last note",
    ),
    MetricSpec(
        "commission",
        "bool",
        live=True,
        words=MetricWords("commission", yes="plays on a no-go", no="holds back on a no-go"),
        meaning="played on a no-go stimulus",
        kind="any",  # a flag for one stimulus, a count for several
    ),
    MetricSpec("freezes_held", "count", meaning="freezes played into and held without a note"),
    MetricSpec("notes_in_freeze_per_freeze", "count (list)", meaning="notes in each freeze"),
    MetricSpec("time_to_stop_per_freeze_ms", "ms (list)", meaning="time to stop in each freeze"),
    MetricSpec(
        "plays_in_turn",
        "count",
        words=MetricWords("plays in turn", rule="plays {bound} times in their own turn"),
        meaning="turns: notes the scored player played in their own turn",
    ),
    MetricSpec(
        "plays_out_of_turn",
        "count",
        headline=("turns",),
        live=True,
        words=MetricWords("plays out of turn", rule="plays {bound} times out of turn"),
        meaning="turns: notes the scored player played in another's turn",
    ),
    MetricSpec(
        "waited",
        "bool",
        words=MetricWords("waited", yes="plays only in their own turn", no="plays out of turn"),
        meaning="turns: the scored player played only in their own turn",
    ),
    MetricSpec(
        "per_player", "object (list)", meaning="turns: each player's plays in and out of turn"
    ),
)


def every_metric(measured: dict[str, Any]) -> dict[str, Any]:
    """``measured`` with every metric of the activity, null where this variant does not
    measure it (METRICS.md: "null when not that variant"), so each trial has the same names."""
    return {spec.name: None for spec in METRICS} | measured


PENTATONIC = (60, 62, 64, 67, 69, 72)


def _wait_frames(ctx: Ctx, level: int) -> int:
    p = ctx.params
    base = p.foreperiod_ms + (level - 1) * p.wait_step_ms
    spread = base * p.jitter_pct / 100.0
    return ctx.frames(max(0.0, ctx.rng.uniform(base - spread, base + spread)))


def _music(ctx: Ctx, start: int, end: int, *, crescendo: bool) -> tuple[PromptNote, ...]:
    """Soft pentatonic music on every beat from ``start`` to before ``end``."""
    beat = ctx.frames(60000.0 / ctx.params.tempo_bpm)
    count = max(0, (end - start - 1) // beat + 1) if end > start else 0
    notes = []
    for i in range(count):
        velocity = int(40 + 50 * i / max(1, count - 1)) if crescendo else 70
        notes.append(
            PromptNote(
                start + i * beat,
                PENTATONIC[i % len(PENTATONIC)],
                velocity,
                int(beat * 0.8),
                MUSIC_CHANNEL,
                flags=(("music", True),),
            )
        )
    return tuple(notes)


def _marker(frame: int, event: str) -> PromptNote:
    """A prompt entry that marks a moment (no sound): velocity 0 is never played."""
    return PromptNote(frame, 0, 0, 0, MUSIC_CHANNEL, flags=(("event", event),))


def _cue_sound(ctx: Ctx, frame: int, no_go: bool) -> PromptNote:
    p = ctx.params
    flag = ("no_go", True) if no_go else ("cue", True)
    note = p.no_go_note if no_go else p.cue_note
    return PromptNote(frame, note, 110, ctx.frames(300), DRUM_CHANNEL, flags=(flag,))


def run(ctx: Ctx) -> ActivityRun:
    """Run the waiting game chosen by ``variant``; the wait grows with the trials as stored."""
    p = ctx.params
    stairs = staircase_from(p)
    start = ctx.now_frame + ctx.frames(p.lead_in_ms)
    trial = {
        "cue": _cue_trial,
        "go-no-go": _cue_trial,
        "freeze": _freeze_trial,
        "turns": _turns_trial,
    }[p.variant]
    for index in range(p.trials):
        record, end = yield from trial(ctx, index, stairs.level, start)
        final = yield RecordTrial(record)
        stairs.after(final)
        start = end + ctx.frames(p.gap_ms)


def _cue_trial(ctx: Ctx, index: int, level: int, start: int):
    p = ctx.params
    no_go = p.variant == "go-no-go" and ctx.rng.random() * 100.0 < p.no_go_pct
    cue_frame = start + _wait_frames(ctx, level)
    yield Show(Cue.WAIT, start, {})
    music = yield Play(_music(ctx, start, cue_frame, crescendo=True), program=p.instrument)
    (cue,) = yield Play((_cue_sound(ctx, cue_frame, no_go),))
    yield Show(Cue.NO_GO if no_go else Cue.GO, cue_frame, {"heard_frame": cue.heard_frame})
    end = int(cue.heard_frame + ctx.frames(p.response_window_ms))
    got = note_ons((yield Listen(end, since_frame=start)))
    onsets = [ctx.ms(r.frame) for r in got]
    cue_ms = ctx.ms(cue.heard_frame)
    metrics = classify_response(
        cue_ms,
        onsets,
        trial_start_ms=ctx.ms(start),
        window_ms=p.response_window_ms,
        anticipatory_ms=p.anticipatory_ms,
    )
    if p.variant == "go-no-go":
        gng = score_go_no_go([(cue_ms, no_go)], onsets, window_ms=p.response_window_ms)
        metrics["commission"] = gng["commission"]
    outcome = _cue_outcome(metrics, no_go)
    record = trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=tuple(music) + (cue,),
        responses=got,
        metrics=every_metric(metrics),
        outcome=outcome,
        difficulty=level,
        start_frame=start,
        end_frame=end,
        extra_params={"foreperiod_ms": ctx.ms(cue_frame - start)},
    )
    return record, end


def _cue_outcome(metrics: dict[str, Any], no_go: bool) -> Outcome:
    kind = metrics["classification"]
    if no_go:
        return Outcome.INCORRECT if metrics.get("commission") else Outcome.CORRECT
    if kind == "valid":
        return Outcome.CORRECT
    return Outcome.NO_RESPONSE if kind == "omission" else Outcome.PREMATURE


def _freeze_trial(ctx: Ctx, index: int, level: int, start: int):
    p = ctx.params
    stop = start + ctx.frames(ctx.rng.uniform(0.75, 1.25) * p.play_ms)
    restart = stop + _wait_frames(ctx, level)
    yield Show(Cue.PLAY, start, {"until_frame": stop, "ioi_ms": 60000.0 / p.tempo_bpm})
    music = yield Play(
        _music(ctx, start, stop, crescendo=False) + (_marker(start, "start"),),
        program=p.instrument,
    )
    (stop_mark,) = yield Play((_marker(stop, "stop"),))
    yield Show(Cue.STOP, stop, {"until_frame": restart})
    (restart_mark,) = yield Play((_marker(restart, "start"),))
    got = note_ons((yield Listen(restart, since_frame=start)))
    freeze = (ctx.ms(stop_mark.heard_frame), ctx.ms(restart_mark.heard_frame))
    metrics = score_freeze([freeze], [ctx.ms(r.frame) for r in got])
    in_freeze = int(metrics["notes_in_freeze"] or 0)  # type: ignore[arg-type]  # a count
    if not got:
        outcome = Outcome.NO_RESPONSE
    elif in_freeze == 0:
        outcome = Outcome.CORRECT
    elif in_freeze <= p.freeze_partial_notes:
        outcome = Outcome.PARTIAL
    else:
        outcome = Outcome.INCORRECT
    record = trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=tuple(music) + (stop_mark, restart_mark),
        responses=got,
        metrics=every_metric(metrics),
        outcome=outcome,
        difficulty=level,
        start_frame=start,
        end_frame=restart,
        extra_params={"freeze_ms": ctx.ms(restart - stop)},
    )
    return record, restart


def _turns_trial(ctx: Ctx, index: int, level: int, start: int):
    p = ctx.params
    players = [s.strip() for s in p.players.split(",") if s.strip()] or ["child"]
    turn = ctx.frames(p.turn_ms)
    marks, turns = [], []
    for k, player in enumerate(players):
        begin = start + k * turn
        # "scored": the turn of the player the trial scores (the first): the child's own
        yield Show(
            Cue.TURN, begin, {"player": player, "scored": k == 0, "until_frame": begin + turn}
        )
        (mark,) = yield Play(
            (PromptNote(begin, 75, 90, ctx.frames(100), DRUM_CHANNEL, flags=(("turn", player),)),)
        )
        marks.append(mark)
        turns.append((player, ctx.ms(mark.heard_frame), ctx.ms(mark.heard_frame + turn)))
    end = start + len(players) * turn
    got = note_ons((yield Listen(end, since_frame=start)))
    scored = score_turns(turns, [(r.player, ctx.ms(r.frame)) for r in got])
    table: list[dict[str, Any]] = scored["players"]  # type: ignore[assignment]
    child: dict[str, Any] = next((e for e in table if e["player"] == players[0]), {})
    metrics = {
        "plays_in_turn": child.get("plays_in_turn", 0),
        "plays_out_of_turn": child.get("plays_out_of_turn", 0),
        "waited": child.get("waited", True),
        "per_player": scored["players"],
    }
    record = trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=tuple(marks),
        responses=got,
        metrics=every_metric(metrics),
        outcome=_turns_outcome(metrics),
        difficulty=level,
        start_frame=start,
        end_frame=end,
        extra_params={"players": players},
    )
    return record, end


def _turns_outcome(metrics: dict[str, Any]) -> Outcome:
    inside, outside = metrics["plays_in_turn"], metrics["plays_out_of_turn"]
    if inside and not outside:
        return Outcome.CORRECT
    if inside:
        return Outcome.PARTIAL
    return Outcome.INCORRECT if outside else Outcome.NO_RESPONSE


ACTIVITY = ActivityDef(
    name=NAME,
    summary="impulse control: wait for the cue, freeze, go/no-go, wait your turn",
    params=WaitingParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
)
