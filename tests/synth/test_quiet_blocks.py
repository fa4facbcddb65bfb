"""A renderer's quiet blocks rendered by compiled code alone (synth/quiet.py) are the bytes
``render_into`` renders, and every change from another thread sends the next block to Python."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.events import NoteOff, NoteOn, PlaySound
from soundness_live.errors import ParameterError
from soundness_live.synth.quiet import CHANGED, quiet_ready, render_quiet
from soundness_live.synth.renderer import Renderer, build_renderer

RATE = 48_000
BLOCK = 128


def _renderer() -> Renderer:
    renderer = build_renderer(None, RATE)[0]
    renderer.quiet.published = True  # as a compiled callback's output sets it
    return renderer


def _block() -> np.ndarray:
    return np.zeros((BLOCK, 2), dtype=np.float32)


def _next(renderer: Renderer, out: np.ndarray) -> bool:
    """The next block as a compiled callback renders it: quiet when it may be; whether it was."""
    if quiet_ready(renderer.quiet.table, out.shape[0]):
        render_quiet(renderer.quiet.table, out)
        return True
    renderer.render_into(out)
    return False


def _events(rng: np.random.Generator, start: int) -> list[NoteOn | NoteOff]:
    """A hat pattern with a held note and random drums, a little ahead of ``start``."""
    events: list[NoteOn | NoteOff] = []
    for k in range(12):
        at = start + int(rng.integers(0, 6 * BLOCK)) + k * 700
        events.append(
            NoteOn(at, 9, int(rng.choice([36, 38, 42, 46, 49])), int(rng.integers(1, 128)))
        )
    events.append(NoteOn(start + 50, 0, int(rng.integers(40, 80)), 90))
    events.append(NoteOff(start + 9000, 0, events[-1].note))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quiet_blocks_are_the_bytes_render_into_makes(seed: int) -> None:
    python, compiled = _renderer(), _renderer()
    python.quiet.published = False  # Python alone, as before any compiled callback
    rng = np.random.default_rng(seed)
    quiet = reaped_quietly = 0
    for round_ in range(6):
        events = _events(rng, python.frame + BLOCK)
        for renderer in (python, compiled):
            for event in events:
                renderer.push(event, immediate=(round_ == 3 and event.channel == 9))
        for _ in range(140):
            expected, got = _block(), _block()
            python.render_into(expected)
            count_before = compiled.synth.voices.count
            was_quiet = _next(compiled, got)
            quiet += was_quiet
            reaped_quietly += was_quiet and compiled.synth.voices.count < count_before
            assert got.tobytes() == expected.tobytes()
            assert compiled.frame == python.frame == compiled.synth.frame
            assert compiled.synth.voices.count == python.synth.voices.count
    assert quiet > 0.8 * 6 * 140, "most blocks hold no event"
    assert reaped_quietly > 0, "voices that were over were cleared away in a quiet block"


def test_the_pattern_is_heard() -> None:
    renderer = _renderer()
    renderer.push(NoteOn(0, 9, 42, 120))
    loudest = 0.0
    for _ in range(40):
        out = _block()
        _next(renderer, out)
        loudest = max(loudest, float(np.abs(out).max()))
    assert loudest > 0.01


def test_a_queued_command_sends_the_next_block_to_python() -> None:
    renderer = _renderer()
    renderer.render_into(_block())
    assert quiet_ready(renderer.quiet.table, BLOCK)
    renderer.push(NoteOn(renderer.frame, 0, 60, 100))
    assert not quiet_ready(renderer.quiet.table, BLOCK)
    renderer.render_into(_block())  # drains it
    assert quiet_ready(renderer.quiet.table, BLOCK)
    renderer.panic()
    assert not quiet_ready(renderer.quiet.table, BLOCK)


def test_a_due_event_ends_the_quiet_blocks_before_it() -> None:
    renderer = _renderer()
    renderer.push(NoteOn(renderer.frame + 5 * BLOCK + 7, 0, 60, 100))
    renderer.render_into(_block())
    kinds = [_next(renderer, _block()) for _ in range(6)]
    assert kinds == [True, True, True, True, False, True]  # the fifth holds the note
    assert renderer.synth.voices.count > 0


def test_an_event_on_a_blocks_last_frame_is_played_by_python() -> None:
    renderer = _renderer()
    renderer.push(NoteOn(renderer.frame + 3 * BLOCK - 1, 0, 60, 100))
    renderer.render_into(_block())
    assert [_next(renderer, _block()) for _ in range(3)] == [True, False, True]
    assert renderer.synth.voices.count > 0


def test_a_new_cap_or_volume_sends_the_next_block_to_python() -> None:
    renderer = _renderer()
    renderer.push(NoteOn(renderer.frame, 0, 60, 127))
    for _ in range(20):
        _next(renderer, _block())
    renderer.output_stage.set_cap_dbfs(-40.0)
    assert not quiet_ready(renderer.quiet.table, BLOCK)
    renderer.render_into(_block())
    assert quiet_ready(renderer.quiet.table, BLOCK)
    renderer.output_stage.set_master_volume(0.5)
    assert not quiet_ready(renderer.quiet.table, BLOCK)
    renderer.render_into(_block())
    cap = 10 ** (-40 / 20)
    for _ in range(40):  # quiet blocks read the new cap's figures
        out = _block()
        assert _next(renderer, out)
        assert np.abs(out).max() <= cap


def test_a_sound_playing_or_another_block_size_is_never_quiet() -> None:
    renderer = _renderer()
    renderer.push(PlaySound(renderer.frame, np.full(20 * BLOCK, 0.1, dtype=np.float32)))
    renderer.render_into(_block())
    assert not quiet_ready(renderer.quiet.table, BLOCK)
    for _ in range(25):
        renderer.render_into(_block())
    assert quiet_ready(renderer.quiet.table, BLOCK)  # the sound is over
    assert not quiet_ready(renderer.quiet.table, 2 * BLOCK)  # the stage is sized for BLOCK


def test_a_block_that_raised_sends_the_next_to_python() -> None:
    renderer = _renderer()
    renderer.render_into(_block())
    assert renderer.quiet.table[CHANGED] == 0
    with pytest.raises(ParameterError):
        renderer.render_into(np.zeros((BLOCK, 2), dtype=np.float64))
    assert not quiet_ready(renderer.quiet.table, BLOCK)
