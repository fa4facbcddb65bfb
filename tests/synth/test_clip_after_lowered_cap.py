"""A lowered cap can leave the sample before over the new ceiling; the clip must not send it again.

The clip rounds each sample into the interval its held windows allow; a sample rounded just out
of it moves to the nearest float32 inside. That step once went toward the sample before, as if
it always lay in the interval: under the ceiling it was sent with, it does, but when the cap has
just been lowered it may lie beyond the interval on the same side, and the step then gave the
sample before itself, over the new ceiling. Its interval was not empty, so the clip did not count
the higher ceiling as kept, and every later sample, finding no interval under the new ceiling
and none kept above it, was held at that value: the output stayed at -1 dBFS under a -60 dBFS cap
for as long as the cap stayed low.
"""

from __future__ import annotations

import numpy as np

from soundness_live.synth.limiter import OutputStage
from tests.synth.test_limiter_paths import _window_peak

RATE = 48_000
# frame: cap (dBFS): raised to 0 dBFS for one frame while a +18 dBFS tone is limited under
# -6 dBFS, lowered to -1 dBFS the next frame, and to -60 dBFS 75 frames later
CAPS = {624: 0.0, 625: -1.0, 700: -60.0}


def played(shortcuts: bool) -> np.ndarray:
    """A 50 Hz tone at +18 dBFS through the stage one frame a block, the caps at their frames."""
    t = np.arange(2400) / RATE
    tone = 8.0 * np.sin(2 * np.pi * 50 * t)
    out = (tone[:, None] * np.array([1.0, -1.0])).astype(np.float32)
    stage = OutputStage(RATE, -6.0)
    stage._shortcuts = shortcuts
    for frame in range(len(out)):
        if frame in CAPS:
            stage.set_cap_dbfs(CAPS[frame])
        stage.process(out[frame : frame + 1])
    return out


def test_a_lowered_cap_holds_after_a_sample_rounded_out_of_its_interval() -> None:
    cheap, full = played(shortcuts=True), played(shortcuts=False)
    assert cheap.tobytes() == full.tobytes()
    # frame 700 glides toward silence under the ceiling kept before; every window from the
    # one that reads frame 701 first onward holds -60 dBFS (they held -1 dBFS, 59 dB over)
    assert _window_peak(cheap, 712) <= 10 ** (-60 / 20)
    assert float(np.abs(cheap[-1]).max()) < 10 ** (-60 / 20)  # the tone plays on, capped


def tone_then_silence(block: int, shortcuts: bool) -> np.ndarray:
    """A 1 kHz tone at 0.6 (-4.4 dBFS) under a -1 dBFS cap, silence from frame 600, and the
    cap lowered to -6 dBFS 5 frames into the silence, in blocks of ``block``."""
    t = np.arange(1200) / RATE
    tone = np.where(t < 600 / RATE, 0.6 * np.sin(2 * np.pi * 1000 * t), 0.0)
    out = (tone[:, None] * np.ones(2)).astype(np.float32)
    stage = OutputStage(RATE, -1.0)
    stage._shortcuts = shortcuts
    for start in range(0, len(out), block):
        if start == 605:
            stage.set_cap_dbfs(-6.0)
        stage.process(out[start : start + block])
    return out


def test_the_look_ahead_is_sent_under_a_lowered_cap_though_the_limiter_forgot_its_peaks() -> None:
    """Resting, the limiter forgets peaks under its target; the look-ahead still holds them
    when the cap is lowered under them, and the quiet path, had the silence after let the
    limiter rest again, would send them as they are: 1.6 dB over the new cap."""
    for shortcuts in (True, False):
        out = tone_then_silence(1, shortcuts)
        assert _window_peak(out, 605 + 11) <= 10 ** (-6 / 20)  # what the new cap governs
