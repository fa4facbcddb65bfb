"""Fault tests: a renderer whose quiet blocks a compiled callback renders plays the same bytes as
one rendered in Python alone, whatever comes between blocks.

Between blocks come random events (notes on and off, controllers, the pitch wheel, pressure,
program changes, all notes off), scheduled ahead or played at once, panics, a new cap or master
volume, prompts' sounds; blocks of random sizes. Each block of the first renderer goes through
``quiet_ready`` / ``render_quiet`` as JACK's compiled callback takes it (a quiet block when it
may, else ``render_into``); the second renders every block in Python. Every block's bytes, the
frames and the voice count must agree (the Python path's cap is tested on its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.core.events import (
    AllNotesOff,
    ChannelPressure,
    ControlChange,
    NoteOff,
    NoteOn,
    PitchBend,
    PlaySound,
    ProgramChange,
)
from soundness_live.synth.quiet import quiet_ready, render_quiet
from soundness_live.synth.renderer import Renderer, build_renderer
from tests.faults import FAULTS

RATE = 48_000
SEEN = {"blocks": 0, "quiet": 0}  # over the examples: the blocks, and those rendered quiet
channels = st.sampled_from((0, 1, 9))
notes = st.integers(30, 90)
# frames after the next block's start; often the last frame of a block to come, or the first
ahead = st.integers(0, 900) | st.sampled_from((0, 63, 64, 127, 128, 191, 255, 256, 383, 511))

events = st.one_of(
    st.tuples(st.just("on"), channels, notes, st.integers(1, 127)),
    st.tuples(st.just("off"), channels, notes, st.just(0)),
    st.tuples(
        st.just("cc"),
        channels,
        st.sampled_from((1, 7, 10, 11, 64, 120, 121, 123)),
        st.integers(0, 127),
    ),  # fmt: skip
    st.tuples(st.just("bend"), channels, st.integers(0, 16383), st.just(0)),
    st.tuples(st.just("pressure"), channels, st.integers(0, 127), st.just(0)),
    st.tuples(st.just("program"), st.sampled_from((0, 1)), st.integers(0, 127), st.just(0)),
    st.tuples(st.just("all_off"), channels, st.just(0), st.just(0)),
)
# what happens before a block: an event (ahead or at once), a panic, a cap, a volume, a sound
steps = st.one_of(
    st.tuples(st.just("event"), events, ahead, st.booleans()),
    st.tuples(st.just("panic"), st.just(None), st.just(0), st.just(False)),
    st.tuples(st.just("cap"), st.floats(-40.0, 0.0), st.just(0), st.just(False)),
    st.tuples(st.just("volume"), st.floats(0.0, 2.0), st.just(0), st.just(False)),
    st.tuples(st.just("sound"), st.integers(64, 3000), ahead, st.just(False)),
)
blocks = st.lists(
    st.tuples(
        st.lists(steps, max_size=2), st.sampled_from((64, 128, 128, 128, 256)), st.integers(1, 6)
    ),  # fmt: skip
    min_size=5,
    max_size=25,
)


def _event(kind: str, channel: int, a: int, b: int, frame: int) -> Any:
    made = {
        "on": lambda: NoteOn(frame, channel, a, b),
        "off": lambda: NoteOff(frame, channel, a),
        "cc": lambda: ControlChange(frame, channel, a, b),
        "bend": lambda: PitchBend(frame, channel, a),
        "pressure": lambda: ChannelPressure(frame, channel, a),
        "program": lambda: ProgramChange(frame, channel, a),
        "all_off": lambda: AllNotesOff(frame, channel, 20.0),
    }
    return made[kind]()


def _apply(renderer: Renderer, step: tuple[str, Any, int, bool]) -> None:
    what, value, frames_ahead, at_once = step
    frame = renderer.frame + frames_ahead
    if what == "event":
        kind, channel, a, b = value
        renderer.push(_event(kind, channel, a, b, frame), immediate=at_once)
    elif what == "panic":
        renderer.panic(15.0)
    elif what == "cap":
        renderer.output_stage.set_cap_dbfs(value)
    elif what == "volume":
        renderer.output_stage.set_master_volume(value)
    else:
        sound = np.sin(np.arange(value, dtype=np.float32) * 0.05).astype(np.float32) * 0.3
        renderer.push(PlaySound(frame, sound, "prompt"))


def _difference(plan: list) -> str | None:
    """Play ``plan`` on both renderers; the first difference, or None. The renderers (some
    80 MB each) go when it returns: a failing example's traceback keeps none of them, so
    hypothesis's search through failing examples cannot exhaust the memory."""
    compiled, python = build_renderer(None, RATE)[0], build_renderer(None, RATE)[0]
    compiled.quiet.published = True  # as a compiled callback's output sets it
    quiet = played = 0
    for before, size, repeat in plan:
        for renderer in (compiled, python):
            for step in before:
                _apply(renderer, step)
        for _ in range(repeat):
            got, expected = (np.zeros((size, 2), dtype=np.float32) for _ in range(2))
            was_quiet = bool(quiet_ready(compiled.quiet.table, size))
            if was_quiet:
                render_quiet(compiled.quiet.table, got)
            else:
                compiled.render_into(got)
            python.render_into(expected)
            quiet += was_quiet
            played += 1
            if got.tobytes() != expected.tobytes():
                worst = float(np.abs(got - expected).max())
                return f"block {played} ({'quiet' if was_quiet else 'Python'}): off by {worst}"
            frames = (compiled.frame, python.frame, compiled.synth.frame, python.synth.frame)
            if len(set(frames)) != 1:
                return f"block {played}: frames {frames}"
            counts = (compiled.synth.voices.count, python.synth.voices.count)
            if counts[0] != counts[1]:
                return f"block {played}: voices {counts}"
    SEEN["blocks"] += played
    SEEN["quiet"] += quiet
    return None


@FAULTS
@given(blocks)
def test_quiet_blocks_play_the_bytes_python_plays(plan: list) -> None:
    difference = _difference(plan)
    assert difference is None, difference


def test_the_examples_had_quiet_blocks_among_python_ones() -> None:
    """Run after the property (file order): a property whose every block ran in Python
    would compare nothing."""
    if SEEN["blocks"]:
        assert 0.2 * SEEN["blocks"] < SEEN["quiet"] < 0.95 * SEEN["blocks"], SEEN
