"""The volume cap is a true-peak ceiling (ITU-R BS.1770-4 Annex 2), measured by the tests' own
meter over the joined output: an fs/4 sine at 45 degrees (its samples sit 3 dB under its peak),
a full-scale square wave read from a WAV file as a recorded prompt, and 128-note velocity-127
chords on FluidR3, at caps of -18, -6 and 0 dBFS and at every block size."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from soundness_live.core.events import NoteOn, PlaySound, ProgramChange
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, build_renderer, render_offline
from soundness_live.synth.synth import Synth
from tests.conftest import require
from tests.synth.test_synth import RATE, tone_font
from tests.true_peak import true_peak_dbfs

FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
CAPS = (-18.0, -6.0, 0.0)
BLOCKS = (1, 64, 65, 256, 512)


def sine_at_45_degrees() -> np.ndarray:
    """A full-scale fs/4 sine at 45 degrees: every sample at +-0.707, the true peak 1.0."""
    return np.cos(np.pi / 2 * np.arange(RATE // 4) + np.pi / 4).astype(np.float32)


def square_prompt(tmp: Path) -> np.ndarray:
    """A full-scale 200 Hz square wave, written to and read back from a 16-bit WAV file."""
    square = np.where(np.arange(RATE // 4) // 120 % 2 == 0, 1.0, -1.0)
    path = tmp / "square.wav"
    soundfile.write(path, square, RATE, subtype="PCM_16")
    samples, rate = soundfile.read(path, dtype="float32")
    assert rate == RATE
    return samples


def play(renderer: Renderer, samples: np.ndarray, block: int) -> np.ndarray:
    """``samples`` as a prompt from frame 0, rendered in blocks of ``block``."""
    renderer.scheduler.add(PlaySound(0, np.ascontiguousarray(samples), "test signal"))
    return render_offline(renderer, len(samples) + 2000, block)


def tone_renderer(cap_dbfs: float) -> Renderer:
    return Renderer(Synth(tone_font(), RATE), OutputStage(RATE, cap_dbfs))


@pytest.mark.parametrize("cap_dbfs", CAPS)
@pytest.mark.parametrize("block", BLOCKS)
def test_an_fs4_sine_at_45_degrees_stays_under_the_cap(cap_dbfs: float, block: int) -> None:
    audio = play(tone_renderer(cap_dbfs), sine_at_45_degrees(), block)
    over_db = true_peak_dbfs(audio) - cap_dbfs
    print(f"\nfs/4 sine, cap {cap_dbfs:g} dBFS, blocks of {block}: {over_db:+.3f} dB")
    assert -1.0 < over_db <= 0.0  # at the cap, not far under it


@pytest.mark.parametrize("cap_dbfs", CAPS)
@pytest.mark.parametrize("block", BLOCKS)
def test_a_full_scale_square_prompt_stays_under_the_cap(
    cap_dbfs: float, block: int, tmp_path: Path
) -> None:
    audio = play(tone_renderer(cap_dbfs), square_prompt(tmp_path), block)
    over_db = true_peak_dbfs(audio) - cap_dbfs
    print(f"\nsquare prompt, cap {cap_dbfs:g} dBFS, blocks of {block}: {over_db:+.3f} dB")
    assert -1.0 < over_db <= 0.0


@pytest.fixture(scope="module")
def fluid_r3() -> Iterator[Callable[[float], Renderer]]:
    require(FLUID_R3.exists(), f"{FLUID_R3} missing (apt-get install fluid-soundfont-gm)")
    renderer, _ = build_renderer(FLUID_R3, RATE, 0.0)
    synth = renderer.synth

    def fresh(cap_dbfs: float) -> Renderer:
        synth.handle(NoteOn(0, 0, 60, 0))  # nothing held over from the last case
        return Renderer(synth, OutputStage(RATE, cap_dbfs))

    yield fresh


@pytest.mark.parametrize("cap_dbfs", CAPS)
@pytest.mark.parametrize("block", BLOCKS)
def test_128_note_chords_at_velocity_127_stay_under_the_cap(
    fluid_r3: Callable[[float], Renderer], cap_dbfs: float, block: int
) -> None:
    renderer = fluid_r3(cap_dbfs)
    start = renderer.frame
    for index in range(128):
        channel = index % 16
        program = (0, 48, 19, 33, 88, 52, 24, 12)[channel % 8]
        renderer.scheduler.add(ProgramChange(start, channel, program))
        renderer.scheduler.add(NoteOn(start + 7, channel, 24 + (index * 5) % 84, 127))
    frames = RATE // 20 if block == 1 else RATE // 4
    audio = render_offline(renderer, frames, block)
    renderer.panic(5.0)
    render_offline(renderer, RATE // 10, 512)  # the chord fades before the next case
    over_db = true_peak_dbfs(audio) - cap_dbfs
    print(f"\nFluidR3 chord, cap {cap_dbfs:g} dBFS, blocks of {block}: {over_db:+.3f} dB")
    assert -1.5 < over_db <= 0.0


def test_nan_and_infinity_in_a_prompt_leave_the_cap_and_the_sound_intact() -> None:
    renderer = tone_renderer(-6.0)
    broken = sine_at_45_degrees() * 4.0
    broken[[100, 2000, 5000]] = [np.nan, np.inf, -np.inf]
    audio = play(renderer, broken, 65)
    assert np.isfinite(audio).all() and true_peak_dbfs(audio) <= -6.0
    assert float(np.abs(audio[6000:10_000]).max()) > 0.3  # it still plays
