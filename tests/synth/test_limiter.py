"""Output stage: the true-peak cap holds exactly, the limiter keeps normal playing off it
(unchanged but for the DC blocker and its look-ahead delay), no zipper or clicks, DC removed,
and the same bytes whatever the block split."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.events import NoteOn, ProgramChange
from soundness_live.errors import ParameterError
from soundness_live.synth.limiter import MASTER_VOLUME_MAX, OutputStage, cap_amplitude
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.sf2.find import default_soundfont_path
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.true_peak import true_peak

RATE = 48_000


def tone(seconds: float, hz: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    mono = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def process(stage: OutputStage, audio: np.ndarray, block: int) -> np.ndarray:
    out = audio.copy()
    for start in range(0, len(out), block):
        stage.process(out[start : start + block])
    return out


@pytest.mark.parametrize("master", [1.0, MASTER_VOLUME_MAX])
def test_cap_holds_with_128_loud_notes(master: float) -> None:
    font = load_soundfont(default_soundfont_path())
    renderer = Renderer(Synth(font, RATE), OutputStage(RATE, -12.0, master_volume=master))
    for i in range(128):
        channel = i % 16
        renderer.push(ProgramChange(0, channel, (0, 48, 19, 33, 88, 52, 24, 12)[channel % 8]))
        renderer.push(NoteOn(0, channel, 24 + (i * 5) % 84, 127))
    audio = render_offline(renderer, RATE // 2, 256)
    cap = 10 ** (-12 / 20)
    assert true_peak(audio) <= cap
    assert float(np.abs(audio).max()) > 0.9 * cap  # it really was driven into the cap


def test_pathological_input_stays_at_or_below_the_cap() -> None:
    stage = OutputStage(RATE, cap_dbfs=-20.0, master_volume=MASTER_VOLUME_MAX)
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((4800, 2)) * 1e4).astype(np.float32)
    audio[100] = np.inf
    audio[200] = -np.inf
    audio[300] = np.nan
    out = process(stage, audio, 480)
    assert np.isfinite(out).all()
    assert true_peak(out) <= 10 ** (-20 / 20)
    later = process(stage, tone(0.5, 440, 0.01), 480)  # state stayed finite: sound returns
    assert np.abs(later[-4800:]).max() > 0.009


def test_normal_playing_is_untouched_under_the_cap() -> None:
    stage = OutputStage(RATE, cap_dbfs=-6.0)
    audio = tone(1.0, 440, 0.4)  # -8 dBFS, true peak under the cap
    out = process(stage, audio, 64)
    assert stage.delay_frames == 24  # 0.5 ms of look-ahead
    delayed = np.concatenate([np.zeros((24, 2), np.float32), audio])[: len(audio)]
    rms_in = np.sqrt(np.mean(delayed[RATE // 2 :].astype(np.float64) ** 2))
    rms_out = np.sqrt(np.mean(out[RATE // 2 :].astype(np.float64) ** 2))
    assert 20 * np.log10(rms_out / rms_in) == pytest.approx(0.0, abs=0.01)  # DC blocker only
    # in step: only the 5 Hz DC filter's phase differs
    assert np.abs(out[RATE // 2 :] - delayed[RATE // 2 :]).max() < 0.006


def test_loud_playing_is_limited_smoothly_below_the_cap() -> None:
    stage = OutputStage(RATE, cap_dbfs=-6.0)
    out = process(stage, tone(1.0, 220, 2.0), 64)
    cap = float(cap_amplitude(-6.0))
    steady = out[RATE // 4 :]
    assert true_peak(out) <= cap and stage.clipped_samples == 0  # the limiter holds it
    assert float(np.abs(steady).max()) > 0.9 * cap
    gain_steps = np.abs(np.diff(steady[:, 0]))
    assert gain_steps.max() < 2 * np.pi * 220 / RATE * cap * 1.05  # no zipper, no jumps


def test_master_volume_glides_without_a_step() -> None:
    stage = OutputStage(RATE, cap_dbfs=0.0)
    first = process(stage, tone(0.5, 100, 0.3), 64)
    stage.set_master_volume(0.1)
    second = process(stage, tone(0.5, 100, 0.3)[:4800], 64)
    joined = np.concatenate([first[-480:], second])
    tone_step = 2 * np.pi * 100 / RATE * 0.3
    assert np.abs(np.diff(joined[:, 0])).max() < 1.05 * tone_step
    assert np.abs(second[-960:]).max() == pytest.approx(0.03, rel=0.05)


def test_dc_is_removed() -> None:
    stage = OutputStage(RATE, cap_dbfs=0.0)
    audio = np.full((RATE, 2), 0.25, np.float32)
    out = process(stage, audio, 512)
    assert abs(float(out[-4800:].mean())) < 1e-3


def test_same_bytes_whatever_the_block_split() -> None:
    rng = np.random.default_rng(7)
    audio = rng.standard_normal((33_280 + 4000, 2)) * np.linspace(0.0, 3.0, 37_280)[:, None]
    audio = audio.astype(np.float32)
    results = []
    for block in (1, 64, 65, 512):
        stage = OutputStage(RATE, cap_dbfs=-12.0)
        out = audio.copy()
        for start in range(0, len(out), block):
            if start == 33_280:  # a multiple of every block size
                stage.set_master_volume(2.5)
            stage.process(out[start : start + block])
        results.append(out.tobytes())
    assert results[1:] == results[:1] * 3


@pytest.mark.parametrize("cap", [-60.5, 0.5, "loud"])
def test_cap_range_is_validated(cap: object) -> None:
    expected = r"volume cap \(dBFS\) must be a number in -60..0, got"
    with pytest.raises(ParameterError, match=expected):
        OutputStage(RATE, cap_dbfs=cap)  # type: ignore[arg-type]
    stage = OutputStage(RATE)
    with pytest.raises(ParameterError, match=expected):
        stage.set_cap_dbfs(cap)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="master_volume"):
        stage.set_master_volume(-1.0)
