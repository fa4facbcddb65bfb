"""Call and response (turn-taking), scored per METRICS.md §2.

The engine (or the therapist, on their own keyboard) plays a call; the child view shows
"listen", then "your turn", and the child echoes. Difficulty = the phrase bank level (notes per
call); the staircase moves it (2 successes up, 1 failure down) within the therapist's bounds.
In group mode (``players`` = "S-014,S-015") children take turns on their own pads: trial i is
for player i mod n, and notes by the others during that turn are counted as out of turn.

Outcome rule (parameters in brackets): no echo note -> ``no_response``; waited for the turn and
notes_correct_pct >= [correct_pct] -> ``correct``; notes_correct_pct >= [partial_pct] ->
``partial`` (this includes an accurate echo that did not wait); otherwise ``incorrect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..metrics.sequences import score_echo
from .base import (
    DRUM_CHANNEL,
    ActivityContext,
    ActivityDef,
    ActivityRun,
    Listen,
    Play,
    PromptNote,
    RecordTrial,
    Response,
    Show,
    note_ons,
    rule_from_doc,
    trial_record,
)
from .common import CommonParams, staircase_from, tempo_param, trials_param, variant_param
from .contract import DRUM_PAD, ChildInstrument, Cue, MetricSpec, MetricWords, Outcome, keyboard
from .params import param
from .phrases import MAX_CALL_NOTES, Phrase, bank_for, phrases_from_midi, pick
from .record import TrialRecord

NAME = "call-and-response"
VARIANTS = ("drums", "melodic")


@dataclass(frozen=True)
class CallResponseParams(CommonParams):
    """The parameters of call and response."""

    variant: str = variant_param(VARIANTS)
    trials: int = trials_param(6)
    tempo_bpm: float = tempo_param(90.0)
    match: str = param(
        "auto",
        "how notes match (auto: drum groups for drums, exact for melodic)",
        choices=("auto", "exact", "pitch_class", "drum_group"),
    )
    tolerance_ms: float = param(50.0, "onset tolerance after tempo alignment", "ms", 10, 500)
    response_window_ms: float = param(
        4000.0, "time to answer after the call ends", "ms", 500, 30000
    )
    correct_pct: float = param(75.0, "notes correct for a correct trial", "%", 0, 100)
    partial_pct: float = param(40.0, "notes correct for a partial trial", "%", 0, 100)
    instrument: int = param(12, "GM program of melodic calls (12 = marimba)", min=0, max=127)
    caller: str = param("engine", "who plays the call", choices=("engine", "therapist"))
    call_gap_ms: float = param(
        1200.0, "therapist's call ends after this much silence", "ms", 300, 5000
    )
    call_wait_ms: float = param(
        20000.0, "therapist's call: give up (void trial) after", "ms", 1000, 600000
    )
    players: str = param("", "group mode: comma-separated player codes taking turns")
    phrases_file: str = param("", "a .mid file to take the calls from (split at rests)")


Ctx = ActivityContext[CallResponseParams]


def _count(name: str, meaning: str, words: MetricWords | None = None) -> MetricSpec:
    return MetricSpec(name, "count", words=words, meaning=meaning)


#: METRICS.md §2; the headline: % notes correct in order.
METRICS = (
    _count("n_target", "notes in the call"),
    _count(
        "hits",
        "call notes echoed (matched one-to-one, in order)",
        MetricWords("hits", rule="echoes {bound} of the call's notes"),
    ),
    _count(
        "omissions",
        "call notes not echoed",
        MetricWords("omissions", rule="leaves out {bound} of the call's notes"),
    ),
    _count(
        "insertions",
        "extra notes in the echo",
        MetricWords("insertions", "adds {bound} extra notes"),
    ),
    _count(
        "substitutions",
        "echo notes with the wrong pitch or drum group",
        MetricWords("substitutions", "plays {bound} wrong notes"),
    ),
    _count("order_errors", "echo notes out of order"),
    MetricSpec(
        "notes_correct_pct",
        "%",
        headline=True,
        live=True,
        words=MetricWords("notes correct", rule="gets {bound} of the notes"),
        meaning="call notes echoed correctly and in order",
    ),
    MetricSpec(
        "rhythm_error",
        "log2 units",
        words=MetricWords("rhythm error", rule="keeps the rhythm (rhythm error {bound})"),
        meaning="mean |log2(child IOI share / call IOI share)|",
    ),
    MetricSpec(
        "median_onset_error_ms",
        "ms",
        words=MetricWords(
            "median onset error",
            rule="plays the notes {bound} off the call's timing",
            size_rule="plays the notes {bound} of the call's timing",
        ),
        meaning="median |onset error| after tempo alignment",
    ),
    MetricSpec(
        "response_latency_ms",
        "ms",
        live=True,
        words=MetricWords(
            "response latency", rule="answers {bound} after the call ends", within=True
        ),
        meaning="first echo onset minus the end of the call",
    ),
    MetricSpec(
        "waited_for_turn",
        "bool",
        live=True,
        words=MetricWords("waited for turn", yes="waits for the turn", no="plays during the call"),
        meaning="no note played during the call",
    ),
    MetricSpec("tempo_ratio", "ratio", meaning="tempo of the echo relative to the call"),
    _count("n_response", "notes in the echo"),
    _count("notes_during_call", "notes played before the call ended"),
    _count("out_of_turn_plays", "group mode: notes by the other players during this turn"),
    MetricSpec("onset_errors_ms", "ms (list)", meaning="onset error per matched note"),
)


def _match_mode(p: CallResponseParams) -> str:
    if p.match != "auto":
        return p.match
    return "drum_group" if p.variant == "drums" else "exact"


def _call_notes(ctx: Ctx, phrase: Phrase, start_frame: int) -> tuple[PromptNote, ...]:
    beat_ms = 60000.0 / ctx.params.tempo_bpm
    drums = ctx.params.variant == "drums"
    return tuple(
        PromptNote(
            frame=start_frame + ctx.frames(n.beat * beat_ms),
            note=n.note,
            velocity=n.velocity,
            duration_frames=ctx.frames(n.length_beats * beat_ms),
            channel=DRUM_CHANNEL if drums else 0,
        )
        for n in phrase
    )


def _engine_call(ctx: Ctx, phrase: Phrase, start: int):
    """Play the call; return the heard notes."""
    notes = _call_notes(ctx, phrase, start)
    yield Show(Cue.LISTEN, start, {"call_start_frame": start})
    program = None if ctx.params.variant == "drums" else ctx.params.instrument
    heard = yield Play(notes, program=program)
    return tuple(heard)


def _therapist_call(ctx: Ctx, start: int):
    """Wait for the therapist to play a call; it ends after ``call_gap_ms`` of silence, or at
    its ``MAX_CALL_NOTES``-th note (the notes after it are the therapist's, not the call)."""
    yield Show(Cue.THERAPIST_CALL, start, {})
    gap = ctx.frames(ctx.params.call_gap_ms)
    give_up = start + ctx.frames(ctx.params.call_wait_ms)
    notes: list[Response] = []
    until = start + gap
    while True:
        got = yield Listen(until, since_frame=start)
        notes = [r for r in note_ons(got) if r.player == "therapist"][:MAX_CALL_NOTES]
        last = notes[-1].frame if notes else None
        if last is not None and (until - last >= gap or len(notes) == MAX_CALL_NOTES):
            break
        if last is None and until >= give_up:
            return ()  # no call came: the trial is void
        until = int(last + gap) if last is not None else until + gap
    return tuple(
        PromptNote(
            int(r.frame),
            r.note,
            r.velocity,
            ctx.frames(200),
            r.channel,
            heard_frame=r.frame,
            flags=(("played_by", "therapist"),),
        )
        for r in notes
    )


def _players(p: CallResponseParams) -> list[str]:
    return [code.strip() for code in p.players.split(",") if code.strip()]


def run(ctx: Ctx) -> ActivityRun:
    """The turn-taking protocol: call, your turn, echo, score, adapt to the trial as stored."""
    p = ctx.params
    bank = phrases_from_midi(Path(p.phrases_file)) if p.phrases_file else bank_for(p.variant)
    stairs = staircase_from(p)
    players = _players(p)
    start = ctx.now_frame + ctx.frames(p.lead_in_ms)
    for index in range(p.trials):
        level = stairs.level
        if p.caller == "therapist":
            heard = yield from _therapist_call(ctx, start)
            if not heard:
                yield RecordTrial(_void_trial(ctx, index, level, start, ctx.now_frame))
                start = ctx.now_frame + ctx.frames(p.gap_ms)
                continue
        else:
            heard = yield from _engine_call(ctx, pick(bank, level, ctx.rng), start)
        call_end = (
            max((n.heard_frame or n.frame) + n.duration_frames for n in heard) if heard else start
        )
        player = players[index % len(players)] if players else None
        call = [
            (ctx.ms(n.heard_frame if n.heard_frame is not None else n.frame), n.note) for n in heard
        ]
        yield Show(
            Cue.YOUR_TURN,
            int(call_end),
            {
                "call": [(f - call[0][0], note) for f, note in call] if call else [],
                "call_end_frame": call_end,
                "player": player,
                "ioi_ms": 60000.0 / p.tempo_bpm,
            },
        )
        end = int(call_end + ctx.frames(p.response_window_ms))
        got = yield Listen(end, since_frame=start)
        record = _score_trial(ctx, index, level, heard, got, start, call_end, end, player)
        final = yield RecordTrial(record)
        stairs.after(final)
        start = end + ctx.frames(p.gap_ms)


def _score_trial(ctx, index, level, heard, got, start, call_end, end, player) -> TrialRecord:
    p = ctx.params
    child = [
        r
        for r in note_ons(got)
        if r.player != "therapist" and (player is None or r.player == player)
    ]
    others = [
        r
        for r in note_ons(got)
        if r.player != "therapist" and player is not None and r.player != player
    ]
    call = [
        (ctx.ms(n.heard_frame if n.heard_frame is not None else n.frame), n.note) for n in heard
    ]
    metrics = score_echo(
        call,
        [(ctx.ms(r.frame), r.note) for r in child],
        call_end_ms=ctx.ms(call_end),
        call_start_ms=call[0][0] if call else ctx.ms(start),
        tolerance_ms=p.tolerance_ms,
        match=_match_mode(p),
    )
    metrics["out_of_turn_plays"] = len(others) if player is not None else None
    return trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=heard,
        responses=child + others,
        metrics=metrics,
        outcome=outcome(metrics, p),
        difficulty=level,
        start_frame=start,
        end_frame=end,
        extra_params={"player": player},
    )


def _void_trial(ctx: Ctx, index: int, level: int, start: int, end: int) -> TrialRecord:
    """A trial that cannot count: the therapist played no call within ``call_wait_ms``."""
    return trial_record(
        ctx,
        index=index,
        activity=NAME,
        prompt=(),
        responses=(),
        metrics=dict.fromkeys(_SCORED),
        outcome=Outcome.VOID,
        difficulty=level,
        start_frame=start,
        end_frame=end,
        void_reason="no call was played",
    )


_SCORED = tuple(
    "hits omissions insertions substitutions order_errors notes_correct_pct rhythm_error "
    "median_onset_error_ms response_latency_ms waited_for_turn tempo_ratio n_target n_response "
    "out_of_turn_plays".split()
)  # a void trial's metrics: these, unmeasured


def outcome(metrics: dict[str, Any], p: CallResponseParams) -> Outcome:
    """The outcome rule in the module docstring."""
    if not metrics.get("n_response"):
        return Outcome.NO_RESPONSE
    pct = metrics.get("notes_correct_pct") or 0.0
    if metrics.get("waited_for_turn") and pct >= p.correct_pct:
        return Outcome.CORRECT
    if pct >= p.partial_pct:
        return Outcome.PARTIAL
    return Outcome.INCORRECT


def child_instrument(p: CallResponseParams) -> ChildInstrument:
    """The child echoes on a keyboard in the call's instrument (melodic), else on a drum pad."""
    return keyboard(p.instrument) if p.variant == "melodic" else DRUM_PAD


ACTIVITY = ActivityDef(
    name=NAME,
    summary="turn-taking: the engine or therapist plays a call, the child echoes it",
    params=CallResponseParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    child_instrument=child_instrument,
)
