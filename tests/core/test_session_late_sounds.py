"""A sound the output has passed already plays late, and is recorded where it played."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundness_live.activities.base import (
    ActivityDef,
    Listen,
    Play,
    PlaySamples,
    PromptNote,
    Response,
    Show,
)
from soundness_live.activities.contract import Cue
from soundness_live.activities.params import ActivityParams
from soundness_live.core.events import NoteOff, NoteOn, PlaySound
from soundness_live.core.session import Session, SilentSink

RATE = 48_000
LATENCY = 240.0  # frames: 5 ms of output latency


def _activity(run) -> ActivityDef:
    return ActivityDef("late-test", "a test activity", ActivityParams, run, (), "")


def _session(run, sink: SilentSink, **kwargs) -> Session:
    return Session(_activity(run), {}, sink=sink, inputs=[], sample_rate=RATE, **kwargs)


def test_a_late_phrase_plays_whole_from_the_first_frame_it_can_and_is_recorded_there():
    sink = SilentSink(frame=10_000, output_latency_frames=LATENCY)  # the output is past 5,000

    played = []

    def run(ctx):
        phrase = (PromptNote(5_000, 60, 90, 480), PromptNote(12_000, 62, 90, 480))
        played.append((yield Play(phrase, program=12)))

    _session(run, sink).run()
    (first, second) = played[0]
    assert (first.frame, first.heard_frame) == (10_000, 10_000 + LATENCY)
    assert (second.frame, second.heard_frame) == (17_000, 17_000 + LATENCY)  # rhythm kept
    notes = [e for e in sink.events if isinstance(e, (NoteOn, NoteOff))]
    assert notes == [
        NoteOn(10_000, 0, 60, 90),
        NoteOff(10_480, 0, 60),
        NoteOn(17_000, 0, 62, 90),
        NoteOff(17_480, 0, 62),
    ]


def test_a_phrase_on_time_is_played_and_recorded_as_planned():
    sink = SilentSink(frame=4_000, output_latency_frames=LATENCY)

    played = []

    def run(ctx):
        played.append((yield Play((PromptNote(5_000, 60, 90, 480),))))

    _session(run, sink).run()
    ((note,),) = played
    assert (note.frame, note.heard_frame) == (5_000, 5_000 + LATENCY)
    assert sink.events[0] == NoteOn(5_000, 0, 60, 90)


@dataclass
class _Sound:
    samples: np.ndarray
    syllables: int | None = 1
    pitches_hz: tuple[float | None, ...] = (None,)


class _Prompts:
    def get(self, name: str) -> _Sound:
        return _Sound(np.ones(4_800, dtype=np.float32))


def test_a_late_prompt_sound_is_recorded_at_the_frame_it_played():
    sink = SilentSink(frame=10_000, output_latency_frames=LATENCY)

    played = []

    def run(ctx):
        played.append((yield PlaySamples(5_000, "asset:hello")))

    _session(run, sink, prompt_sounds=_Prompts()).run()
    (heard,) = played
    assert (heard.frame, heard.heard_frame) == (10_000, 10_000 + LATENCY)
    (sound,) = [e for e in sink.events if isinstance(e, PlaySound)]
    assert sound.frame == 10_000


class _LateChild:
    """A virtual player whose notes come after the output passed the first one's frame."""

    sounds_itself = False
    input_kind = "virtual"

    def observe(self, cue, now_frame):
        pass

    def take_until(self, until_frame):
        notes = [Response(frame=5_000.25, note=38, velocity=100)]
        notes.append(Response(frame=12_000.5, note=40, velocity=100))
        return notes if until_frame == 20_000 else []


def test_notes_the_engine_plays_for_a_virtual_child_are_recorded_where_they_sounded():
    sink = SilentSink(frame=10_000)

    answers = []

    def run(ctx):
        yield Show(Cue.YOUR_TURN, 10_000)
        answers.append((yield Listen(20_000, since_frame=0)))

    session = Session(_activity(run), {}, sink=sink, inputs=[_LateChild()], sample_rate=RATE)
    session.run()
    ((first, second),) = answers
    assert (first.frame, second.frame) == (10_000.25, 17_000.5)  # moved on together
    ons = [e for e in sink.events if isinstance(e, NoteOn)]
    assert ons == [NoteOn(10_000, 0, 38, 100), NoteOn(17_000, 0, 40, 100)]
