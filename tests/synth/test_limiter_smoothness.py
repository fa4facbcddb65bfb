"""The limiter neither clicks nor pumps on ordinary music.

The demo piece (kick, snare, hats, a crash, bass and marimba) is rendered without an output
stage, then played through it under a -24 dBFS cap, 11 dB under the music's own true peak, so
every drum hit is limited. The limiter's gain, sample by sample, is read from the stage. Measured
on the whole piece (12 s, 64-frame blocks, 48 kHz):

========================================================  ========  =========
figure                                                    measured  test says
========================================================  ========  =========
largest gain reduction (dB)                                  11.4   (what the hits need)
largest gain step between two samples (dB)                   0.48   <= 0.75
gain reduction's variance above 2 kHz (clicks, zipper)     0.002 %   < 0.1 %
gain reduction's variance, 200 Hz .. 2 kHz                   0.4 %   < 2 %
time the gain is reduced by more than 0.1 dB                  17 %   < 25 %
time the gain is reduced by more than 3 dB                    7.7 %   < 10 %
mean gain reduction (dB)                                     0.52   < 1.0
loudness (RMS) lost against the music at gain 1 (dB)         1.94   < 2.5
========================================================  ========  =========

A step of 0.75 dB is an 8 % change of amplitude: the attack spreads even the deepest reduction
over 13 samples, so the gain's motion stays under 200 Hz (a click puts it across the spectrum),
and between hits the gain comes back (60 ms release): the music between the drums is not
pumped down.
"""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.offline.render import demo_events
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer
from soundness_live.synth.sf2.find import default_soundfont_path
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.true_peak import true_peak_dbfs

RATE = 48_000
CAP_DBFS = -25.0  # the demo music peaks about 11 dB above it
SECONDS = 12.0


class _PassThrough:
    """No output stage: the music as the synth made it."""

    sample_rate = RATE
    delay_frames = 0

    def process(self, block: np.ndarray) -> None:
        """Leave ``block`` as it is."""


@pytest.fixture(scope="module")
def limited() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(music, output, the limiter's gain per output sample)."""
    renderer = Renderer(Synth(load_soundfont(default_soundfont_path()), RATE), _PassThrough())  # type: ignore[arg-type]
    renderer.scheduler.extend(demo_events(RATE))
    music = np.zeros((int(SECONDS * RATE), 2), np.float32)
    for start in range(0, len(music), 512):
        renderer.render_into(music[start : start + 512])
    stage = OutputStage(RATE, CAP_DBFS)
    gains: list[np.ndarray] = []
    out = music.copy()
    for start in range(0, len(out), 64):
        stage.process(out[start : start + 64])
        gains.append(stage.last_gains.copy())
    assert stage.paths["quiet"] > 0 and stage.paths["limited"] > 0  # both paths are in it
    assert stage.clipped_samples == 0  # the limiter, not the clip, held the cap
    return music, out, np.concatenate(gains)


def test_the_music_is_really_limited(limited: tuple[np.ndarray, ...]) -> None:
    music, out, gain = limited
    assert true_peak_dbfs(music) - CAP_DBFS > 10.0
    assert true_peak_dbfs(out) <= CAP_DBFS
    assert 10.0 < -20 * np.log10(gain.min()) < 12.0


def test_the_gain_moves_without_clicks(limited: tuple[np.ndarray, ...]) -> None:
    _, _, gain = limited
    reduction_db = -20 * np.log10(gain)
    steps_db = np.abs(np.diff(reduction_db))
    print(f"\nlargest gain step: {steps_db.max():.3f} dB per sample")
    assert steps_db.max() <= 0.75
    power = np.abs(np.fft.rfft(reduction_db - reduction_db.mean())) ** 2
    hz = np.fft.rfftfreq(len(reduction_db), 1 / RATE)
    above_2k = power[hz >= 2000].sum() / power.sum()
    mid = power[(hz >= 200) & (hz < 2000)].sum() / power.sum()
    print(f"gain variance above 2 kHz {above_2k:.2e}, 200 Hz..2 kHz {mid:.2e}")
    assert above_2k < 1e-3 and mid < 2e-2


def test_the_music_between_the_hits_is_not_pumped(limited: tuple[np.ndarray, ...]) -> None:
    music, out, gain = limited
    reduction_db = -20 * np.log10(gain)
    delayed = np.concatenate([np.zeros((24, 2), np.float32), music])[: len(music)]
    lost_db = 10 * np.log10(np.mean(delayed.astype(float) ** 2) / np.mean(out.astype(float) ** 2))
    print(
        f"\nreduced by > 0.1 dB {np.mean(reduction_db > 0.1):.1%} of the time, mean "
        f"{reduction_db.mean():.2f} dB, loudness lost {lost_db:.2f} dB"
    )
    print(f"reduced by > 3 dB {np.mean(reduction_db > 3.0):.2%} of the time")
    assert np.mean(reduction_db > 0.1) < 0.25
    assert reduction_db.mean() < 1.0
    assert np.mean(reduction_db > 3.0) < 0.10
    assert lost_db < 2.5
