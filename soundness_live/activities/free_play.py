"""Free play: a hello or goodbye song the child plays along to; nothing is scored.

The engine plays a gentle groove (soft drums and a pentatonic chord pattern) for ``bars`` bars;
the child plays along (their keyboard scale-locked, so every note fits). The trial record keeps
what was played, so the log shows engagement, and its outcome is ``void`` (it counts toward no
goal) with ``engagement`` metrics: notes played, how long the child kept playing.

Outcome rule: always ``void`` — free play is logged, never scored.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from .common import PROMPT_LEVELS
from .contract import Cue, MetricSpec, MetricWords, Outcome
from .params import ActivityParams, param

NAME = "free-play"
VARIANTS = ("hello", "goodbye")
CHORDS = ((60, 64, 67), (57, 60, 64), (62, 65, 69), (55, 59, 62))  # C, Am, Dm, G


@dataclass(frozen=True)
class FreePlayParams(ActivityParams):
    """The parameters of a song played along to."""

    variant: str = param("hello", "which song", choices=VARIANTS)
    trials: int = param(1, "songs in a row", min=1, max=10)
    tempo_bpm: float = param(88.0, "tempo of the groove", "BPM", 40, 160)
    bars: int = param(8, "length of the song", "bars", 2, 64)
    lead_in_ms: float = param(1000.0, "silence before the song", "ms", 0, 30000)
    gap_ms: float = param(1500.0, "pause after the song", "ms", 0, 30000)
    prompt_level: str = param("independent", "help given (therapist)", choices=PROMPT_LEVELS)
    instrument: int = param(4, "GM program of the chords (4 = electric piano)", min=0, max=127)


Ctx = ActivityContext[FreePlayParams]

#: Engagement, logged and never scored; the headline: the notes played.
METRICS = (
    MetricSpec(
        "notes_played",
        "count",
        headline=True,
        live=True,
        words=MetricWords("notes played", rule="plays {bound} notes"),
        meaning="notes the child played during the song",
    ),
    MetricSpec(
        "played_s",
        "s",
        live=True,
        words=MetricWords("played for", rule="keeps playing for {bound}"),
        meaning="from the child's first note to their last",
    ),
    MetricSpec("first_note_ms", "ms", meaning="from the song's start to the child's first note"),
)


def _song(ctx: Ctx, start: int) -> tuple[PromptNote, ...]:
    beat_ms = 60000.0 / ctx.params.tempo_bpm
    notes: list[PromptNote] = []
    for bar in range(ctx.params.bars):
        chord = CHORDS[bar % len(CHORDS)]
        bar_frame = start + ctx.frames(bar * 4 * beat_ms)
        length = ctx.frames(3.8 * beat_ms)
        notes += [PromptNote(bar_frame, n, 52, length, 0) for n in chord]
        for b in range(4):
            frame = start + ctx.frames((bar * 4 + b) * beat_ms)
            drum = 36 if b % 2 == 0 else 42
            notes.append(PromptNote(frame, drum, 50 if b else 64, ctx.frames(100), DRUM_CHANNEL))
    return tuple(notes)


def run(ctx: Ctx) -> ActivityRun:
    """Play the song; keep what the child played."""
    p = ctx.params
    start = ctx.now_frame + ctx.frames(p.lead_in_ms)
    for index in range(p.trials):
        song = _song(ctx, start)
        end = max(n.frame + n.duration_frames for n in song)
        yield Show(Cue.PLAY, start, {"until_frame": end, "ioi_ms": 60000.0 / p.tempo_bpm})
        heard = yield Play(song, program=p.instrument)
        yield Show(Cue.DONE, end, {})
        got = note_ons((yield Listen(end, since_frame=start)))
        metrics = {
            "notes_played": len(got),
            "played_s": ctx.ms(got[-1].frame - got[0].frame) / 1000.0 if got else None,
            "first_note_ms": ctx.ms(got[0].frame - start) if got else None,
        }
        yield RecordTrial(
            trial_record(
                ctx,
                index=index,
                activity=NAME,
                prompt=heard,
                responses=got,
                metrics=metrics,
                outcome=Outcome.VOID,
                difficulty=None,
                start_frame=start,
                end_frame=end,
                extra_params={"scored": False},
            )
        )
        start = end + ctx.frames(p.gap_ms)


ACTIVITY = ActivityDef(
    name=NAME,
    summary="hello and goodbye songs: the child plays along; logged, not scored",
    params=FreePlayParams,
    run=run,
    metrics=METRICS,
    outcome_rule=rule_from_doc(__doc__),
    scored=False,
)
