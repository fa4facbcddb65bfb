"""Exclusive class: a General MIDI font's closed hi-hat cuts its open one, in our synth as in
FluidSynth playing the same font (pyfluidsynth, reverb and chorus off).

The open hi-hat (46) sounds, then at 0.1 s the closed one (42); the open hat's remainder is
that render less the closed hat rendered alone, measured 20-100 ms after the cut. FluidSynth
releases the cut voice over -200 timecents (0.89 s for 96 dB), so the remainder is some 8 dB
under the open hat's level before the cut, where a snare (38, another class) leaves it ringing;
ours is within 1 dB of FluidSynth's in both cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import DRUM_CHANNEL, NoteOn
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.conftest import require
from tests.synth.fluid_reference import float_writer, reference_synth

RATE = 48_000
FONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2"))
CUT_AT, LENGTH = RATE // 10, int(0.4 * RATE)
OPEN_HAT, CLOSED_HAT, SNARE = 46, 42, 38


def ours(path: Path, hits: list[tuple[int, int]]) -> np.ndarray:
    """Our synth playing drum ``hits`` (frame, key) at velocity 100."""
    synth = Synth(load_soundfont(path), RATE)
    out, done = np.zeros((LENGTH, 2), np.float32), 0
    for frame, key in hits:
        synth.render(out[done:frame])
        synth.handle(NoteOn(frame, DRUM_CHANNEL, key, 100))
        done = frame
    synth.render(out[done:])
    return out


def theirs(path: Path, hits: list[tuple[int, int]]) -> np.ndarray:
    """FluidSynth playing the same hits."""
    fluidsynth, synth = reference_synth(RATE)
    synth.program_select(DRUM_CHANNEL, synth.sfload(str(path)), 128, 0)
    write = float_writer(fluidsynth)
    out, done = np.zeros((LENGTH, 2), np.float32), 0

    def render(until: int) -> None:
        part = np.zeros((until - done, 2), np.float32)
        write(synth.synth, len(part), part.ctypes.data, 0, 2, part.ctypes.data, 1, 2)
        out[done:until] = part

    for frame, key in hits:
        render(frame)
        synth.noteon(DRUM_CHANNEL, key, 100)
        done = frame
    render(LENGTH)
    synth.delete()
    return out


def remainder_db(render, path: Path, second: int) -> tuple[float, float]:  # noqa: ANN001
    """(the open hat's level just before the second hit, what is left of it 20-100 ms after
    it), dB, the second hit's own sound taken away."""
    both = render(path, [(0, OPEN_HAT), (CUT_AT, second)]).astype(np.float64)
    alone = render(path, [(CUT_AT, second)]).astype(np.float64)
    rest = both - alone

    def level(part: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(part**2) + 1e-30))

    before = level(both[CUT_AT - RATE // 50 : CUT_AT])
    return before, level(rest[CUT_AT + RATE // 50 : CUT_AT + RATE // 10])


@pytest.mark.parametrize("path", FONTS, ids=lambda p: p.stem)
def test_the_closed_hat_cuts_the_open_one_as_fluidsynth_does_and_a_snare_does_not(
    path: Path,
) -> None:
    require(path.is_file(), f"{path} (apt-get install fluid-soundfont-gm timgm6mb-soundfont)")
    before, cut = remainder_db(ours, path, CLOSED_HAT)
    _, rings = remainder_db(ours, path, SNARE)
    their_before, their_cut = remainder_db(theirs, path, CLOSED_HAT)
    _, their_rings = remainder_db(theirs, path, SNARE)
    print(
        f"\n{path.stem}: open hat {before:.2f} dB; left after the closed hat {cut:.2f} dB "
        f"(FluidSynth {their_cut:.2f}), after a snare {rings:.2f} dB ({their_rings:.2f})"
    )
    assert before > -60.0 and abs(before - their_before) <= 0.5  # the open hat sounded alike
    assert abs(cut - their_cut) <= 1.0
    assert abs(rings - their_rings) <= 1.0
    assert cut < rings - 3.0  # the closed hat cut it; the snare did not
