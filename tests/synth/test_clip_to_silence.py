"""A sample the clip sends as 0.0 is a clipped sample.

When a lowered cap leaves a sample no value that keeps its held windows under the ceiling, the
clip moves it toward silence, often to exactly 0.0. The bound that lets later blocks skip the
clip assumes the last 11 samples went out as gain x delayed input; a sample sent as 0.0 instead
must end that assumption as any clipped sample does. When it was not counted (its output was
compared with the 0.0 aimed at, not with the sample it replaced), the bound skipped the clip
a few frames on where the clip would have held the ceiling, and a held-window value went
7 % over it. Here the stage with its shortcuts is held to the full computation (the clip on
every block) through such a moment.
"""

from __future__ import annotations

import numpy as np

from soundness_live.synth.limiter import OutputStage

RATE = 48_000
# frame: ("volume" | "cap", value): the cap lowered to -60 dBFS while a glide to silence and
# back passes, on a tone 1 dB under the first cap
EVENTS = {
    3: ("volume", 1.0),
    15: ("cap", -60.0),
    18: ("volume", 2.5),
    56: ("volume", 4.0),
    59: ("volume", 4.0),
    210: ("cap", -20.0),
    279: ("volume", 0.0),
    296: ("volume", 1.0),
    305: ("volume", 0.0),
    337: ("cap", -60.0),
    371: ("volume", 1.0),
}


def played(shortcuts: bool) -> tuple[np.ndarray, OutputStage]:
    """The tone through the stage one frame a block, the events at their frames."""
    t = np.arange(600) / RATE
    tone = 10 ** (-7 / 20) * np.sin(2 * np.pi * 330 * t)
    out = (tone[:, None] * np.ones(2)).astype(np.float32)
    stage = OutputStage(RATE, -6.0)
    stage._shortcuts = shortcuts
    for frame in range(len(out)):
        kind, value = EVENTS.get(frame, ("", 0.0))
        if kind == "volume":
            stage.set_master_volume(value)
        elif kind == "cap":
            stage.set_cap_dbfs(value)
        stage.process(out[frame : frame + 1])
    return out, stage


def test_a_sample_clipped_to_silence_keeps_the_clip_computed_where_it_holds_the_ceiling():
    cheap, stage = played(shortcuts=True)
    full, full_stage = played(shortcuts=False)
    assert cheap.tobytes() == full.tobytes()
    assert stage.clipped_samples == full_stage.clipped_samples
    assert stage.paths["clip_skipped"] > 0  # the bound did skip the clip elsewhere
