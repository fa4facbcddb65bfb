"""Output stage shortcuts: quiet blocks, clean input and a steady volume of 1 skip work, and
every skip gives the bytes of the full computation (checked against the stage with its
shortcuts off) on signals that cross between the paths, with glides that end mid-block, at
block sizes 1, 64, 65 and 512; the true-peak cap holds on pathological input at every volume,
measured by the tests' own Annex 2 meter."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from soundness_live.errors import ParameterError
from soundness_live.synth.limiter import MASTER_VOLUME_MAX, RAMP_MS, OutputStage
from tests.true_peak import ANNEX_2_PHASES, true_peak

RATE = 48_000
BLOCKS = (1, 64, 65, 512)


def glide(frames: np.ndarray, volume: float, changes: dict[int, float]) -> np.ndarray:
    """The master gain of each frame: a linear ramp of RAMP_MS to each new volume."""
    ramp = max(1, int(round(RAMP_MS * RATE / 1000.0)))
    start, begin, end = 0, volume, volume

    def gain(at: np.ndarray) -> np.ndarray:
        progress = np.clip((at - start) / ramp, 0.0, 1.0)
        return np.where(progress >= 1.0, end, begin + (end - begin) * progress)

    gains = gain(frames)
    for frame, target in sorted(changes.items()):
        start, begin, end = frame, float(gain(np.array([frame]))[0]), target
        gains[frame:] = gain(frames[frame:])
    return gains


def run(
    audio: np.ndarray,
    block: int,
    cap_dbfs: float,
    volume: float,
    changes: dict[int, float],
    shortcuts: bool = True,
) -> tuple[np.ndarray, collections.Counter[str]]:
    """The stage in blocks of ``block``; each volume change at the first block start at or
    after its frame. Also counts the paths taken: quiet, limited (not quiet)."""
    stage = OutputStage(RATE, cap_dbfs, volume)
    stage._shortcuts = shortcuts
    out, pending = audio.copy(), dict(changes)
    for start in range(0, len(out), block):
        for frame in [f for f in pending if f <= start]:
            stage.set_master_volume(pending.pop(frame))
        stage.process(out[start : start + block])
    paths = collections.Counter(stage.paths)
    paths["blocks"] = -(-len(out) // block)
    assert paths["quiet"] + paths["limited"] == paths["blocks"]  # one path a block
    return out, paths


def crossing_signal() -> np.ndarray:
    """Quiet -> loud -> quiet -> a burst -> silence -> DC -> quiet, 0.3 s."""
    t = np.arange(int(0.3 * RATE)) / RATE
    amplitude = np.interp(t, [0, 0.05, 0.06, 0.12, 0.13, 0.3], [0.02, 0.02, 3.0, 3.0, 0.05, 0.05])
    mono = amplitude * np.sin(2 * np.pi * 330 * t)
    mono[int(0.16 * RATE) : int(0.161 * RATE)] = 1.5  # a click-like burst, then release
    mono[int(0.17 * RATE) : int(0.2 * RATE)] = 0.0
    mono[int(0.2 * RATE) : int(0.25 * RATE)] += 0.3  # DC: the filter state grows
    return np.stack([mono, -0.5 * mono], axis=1).astype(np.float32)


def changes_for(block: int) -> dict[int, float]:
    """Volume changes at block starts near fixed times; a glide is 960 frames, so at blocks
    of 65 and 512 it ends mid-block."""
    return {(at // block) * block: v for at, v in ((2000, 0.5), (4000, 1.0), (9000, 3.0))}


@pytest.mark.parametrize("block", BLOCKS)
def test_shortcuts_give_the_full_computation_sample_for_sample(block: int) -> None:
    audio, changes = crossing_signal(), changes_for(block)
    cheap, paths = run(audio, block, -12.0, 1.0, changes)
    full, full_paths = run(audio, block, -12.0, 1.0, changes, shortcuts=False)
    assert cheap.tobytes() == full.tobytes()
    assert paths["quiet"] > 0 and paths["limited"] > 0  # the signal really crossed between them
    assert full_paths["limited"] == full_paths["blocks"]  # the full path, every block
    assert true_peak(cheap) <= 10 ** (-12 / 20)


def pathological_signal() -> np.ndarray:
    """NaN, infinities, huge and tiny values, +8 DC then +9 (the clamp must act even where
    the filter would bring the difference under the knee), full-scale square waves."""
    rng = np.random.default_rng(11)
    quiet = rng.standard_normal((3000, 2)) * 1e-3
    spikes = quiet.copy()
    spikes[[10, 400, 900, 1500], [0, 1, 0, 1]] = [np.nan, np.inf, -np.inf, 1e30]
    spikes[2000] = np.finfo(np.float32).max
    spikes[2500] = 1e-42  # subnormal in float32
    square = np.sign(np.sin(np.arange(3000) / 7.0))[:, None] * np.array([[8.0, -8.0]])
    dc = np.concatenate([np.full((6000, 2), 8.0), np.full((200, 2), 9.0), np.zeros((800, 2))])
    return np.concatenate([quiet, spikes, square, dc, quiet]).astype(np.float32)


@pytest.mark.parametrize("cap_dbfs", [-60.0, -20.0, 0.0])
@pytest.mark.parametrize("volume", [0.0, 0.01, 1.0, MASTER_VOLUME_MAX])
def test_pathological_input_never_exceeds_the_cap_at_any_volume(
    cap_dbfs: float, volume: float
) -> None:
    audio = pathological_signal()
    for block in (64, 65, 512):
        glide = {(5800 // block) * block: MASTER_VOLUME_MAX - volume}  # over the squares
        for changes in ({}, glide):
            out, _ = run(audio, block, cap_dbfs, volume, changes)
            assert np.isfinite(out).all()
            assert true_peak(out) <= 10 ** (cap_dbfs / 20)
            full, _ = run(audio, block, cap_dbfs, volume, changes, shortcuts=False)
            assert out.tobytes() == full.tobytes()


def test_a_lower_cap_holds_from_the_very_next_block() -> None:
    """Every interpolated sample that reads only samples sent under a cap keeps that cap; the
    11 that also read samples sent under the cap before keep the higher of the two."""
    stage = OutputStage(RATE, cap_dbfs=0.0, master_volume=MASTER_VOLUME_MAX)
    t = np.arange(64 * 40) / RATE
    quiet = (0.1 * np.sin(2 * np.pi * 200 * t))[:, None] * np.ones((1, 2))
    loud = 8.0 * quiet
    sent, caps = [], []
    for audio in (quiet, loud):
        for cap_dbfs in (0.0, -60.0, -30.0, -60.0):
            stage.set_cap_dbfs(cap_dbfs)
            block = audio[:64].astype(np.float32)
            stage.process(block)
            sent.append(block)
            caps.append(cap_dbfs)
    joined = np.concatenate(sent)
    for index, cap_dbfs in enumerate(caps):
        start = 64 * index
        alone = _window_peak(joined, start, start + 64)
        allowed = cap_dbfs if index == 0 else max(cap_dbfs, caps[index - 1])
        assert alone <= 10 ** (allowed / 20)
        assert _window_peak(joined, start + 11, start + 64) <= 10 ** (cap_dbfs / 20)


def _window_peak(audio: np.ndarray, start: int, stop: int | None = None) -> float:
    """The true peak of the interpolated samples whose newest sample lies in start..stop."""
    stop = len(audio) if stop is None else stop
    signal = audio.astype(np.float64)
    peak = 0.0
    for channel in signal.T:
        for taps in ANNEX_2_PHASES:
            values = np.convolve(channel, taps)[: len(channel)]
            peak = max(peak, float(np.abs(values[start:stop]).max()))
    return peak


def test_a_glide_in_blocks_longer_than_its_precomputed_gains() -> None:
    audio, changes = crossing_signal(), {0: 2.0, 6000: 0.25}
    out, _ = run(audio, 6000, -12.0, 1.0, changes)
    small, _ = run(audio, 1000, -12.0, 1.0, changes)
    assert out.tobytes() == small.tobytes()


def test_a_block_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"shape \(n, 2\), got \(64, 1\)"):
        OutputStage(RATE).process(np.zeros((64, 1), np.float32))


def test_a_block_of_another_kind_is_refused_not_compiled_for() -> None:
    stage = OutputStage(RATE)
    with pytest.raises(ParameterError, match="C-contiguous float32, got float64"):
        stage.process(np.zeros((64, 2)))
    with pytest.raises(ParameterError, match=r"got float32 \(a strided view\)"):
        stage.process(np.zeros((64, 4), np.float32)[:, ::2])
    assert stage.frame == 0  # nothing was processed


def loud_signal() -> np.ndarray:
    """A tone 1 dB under a -12 dBFS cap (true peak), then 6 dB over it, a full-scale square,
    a lowered cap's worth of drum-like bursts, 0.4 s."""
    t = np.arange(int(0.4 * RATE)) / RATE
    cap = 10 ** (-12 / 20)
    mono = np.where(t < 0.1, 10 ** (-1 / 20) * cap, 2.0 * cap) * np.sin(2 * np.pi * 330 * t)
    mono[int(0.2 * RATE) : int(0.3 * RATE)] = np.where(
        np.arange(int(0.1 * RATE)) // 120 % 2 == 0, 1.0, -1.0
    )
    bursts = np.exp(-(t % 0.025) * 400) * np.sin(2 * np.pi * 90 * t)
    mono[int(0.3 * RATE) :] = bursts[int(0.3 * RATE) :]
    return np.stack([mono, 0.8 * mono], axis=1).astype(np.float32)


@pytest.mark.parametrize("block", BLOCKS)
def test_skipping_the_clip_and_the_resting_gain_gives_the_full_computation(block: int) -> None:
    """Blocks whose interpolated values the limiter finds under the target pass at gain 1;
    blocks whose output the bound (clip_bound.py) shows under the ceiling skip the clip's
    product: both give the bytes of the full computation, and each happens."""
    audio = loud_signal()
    stage = OutputStage(RATE, -12.0)
    cheap = audio.copy()
    for start in range(0, len(cheap), block):
        stage.process(cheap[start : start + block])
    full, _ = run(audio, block, -12.0, 1.0, {}, shortcuts=False)
    assert cheap.tobytes() == full.tobytes()
    blocks = -(-len(audio) // block)
    paths = stage.paths
    assert paths["clip_skipped"] > blocks // 2  # most blocks skip the clip's values
    assert paths["clip_computed"] > 0  # the others compute them
    assert paths["clip_skipped"] + paths["clip_computed"] == paths["limited"]
    assert true_peak(cheap) <= 10 ** (-12 / 20)
