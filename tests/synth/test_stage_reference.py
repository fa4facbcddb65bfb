"""The output stage against its kept output: signals that drive every part of it (the quiet
path, the limiter, the clip after a lowered cap, NaN and infinities, master-volume glides) give
the samples kept in tests/fixtures/output_stage/reference.npz within 1e-6.

The kept output was made by the numpy output stage the compiled one replaced, so this holds the
compiled stage to it (it is the same, sample for sample); make it again
(``python -m tests.synth.test_stage_reference --write``) only in a change that changes the
stage's output on purpose, in a commit that says why.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from soundness_live.synth.limiter import MASTER_VOLUME_MAX, OutputStage
from soundness_live.synth.stage_kernel import _toward_held
from tests.synth.test_limiter_paths import crossing_signal, loud_signal, pathological_signal

RATE = 48_000
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "output_stage" / "reference.npz"


def lowered_cap(stage: OutputStage, audio: np.ndarray) -> np.ndarray:
    """A loud 200 Hz tone and a square, the cap lowered from 0 to -60 dBFS and back in
    steps while they play (the clip acts where the history keeps a higher cap)."""
    out = audio.copy()
    caps = (0.0, -60.0, -30.0, -60.0, -6.0, 0.0)
    for index, start in enumerate(range(0, len(out), 64)):
        if index % 5 == 0:
            stage.set_cap_dbfs(caps[index // 5 % len(caps)])
        stage.process(out[start : start + 64])
    return out


def in_blocks(block: int, volumes: dict[int, float]) -> Callable[..., np.ndarray]:
    """A run in blocks of ``block`` frames, the master volume glided at the frames given."""

    def run(stage: OutputStage, audio: np.ndarray) -> np.ndarray:
        out = audio.copy()
        for start in range(0, len(out), block):
            if start in volumes:
                stage.set_master_volume(volumes[start])
            stage.process(out[start : start + block])
        return out

    return run


def loud_tones() -> np.ndarray:
    """0.2 s: a 200 Hz tone at +12 dBFS on the left, a square on the right."""
    t = np.arange(int(0.2 * RATE)) / RATE
    left = 4.0 * np.sin(2 * np.pi * 200 * t)
    right = np.where(np.arange(len(t)) // 60 % 2 == 0, 1.0, -1.0)
    return np.stack([left, right], axis=1).astype(np.float32)


CASES = {  # name: (signal, cap dBFS, master volume, how it is run)
    "crossing": (crossing_signal, -12.0, 1.0, in_blocks(65, {1950: 0.5, 3900: 1.0, 9035: 3.0})),
    "loud": (loud_signal, -12.0, 1.0, in_blocks(64, {})),
    "pathological": (pathological_signal, -20.0, MASTER_VOLUME_MAX, in_blocks(512, {})),
    "lowered cap": (loud_tones, 0.0, 1.0, lowered_cap),
}


def render(name: str) -> np.ndarray:
    """The stage's output on case ``name``."""
    signal, cap_dbfs, volume, run = CASES[name]
    return run(OutputStage(RATE, cap_dbfs, volume), signal())


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_stage_gives_its_kept_output_within_1e_6(name: str) -> None:
    kept = np.load(REFERENCE)[name]
    out = render(name)
    assert out.shape == kept.shape
    assert float(np.max(np.abs(out.astype(np.float64) - kept))) <= 1e-6


def test_the_kept_output_has_the_clip_acting_and_the_limiter_holding() -> None:
    """What makes the comparison worth having: the clip really changed samples in one case
    and the limiter worked in the others."""
    stage = OutputStage(RATE, 0.0)
    lowered_cap(stage, loud_tones())
    assert stage.clipped_samples > 0
    loud = OutputStage(RATE, -12.0)
    in_blocks(64, {})(loud, loud_signal())
    assert loud.paths["limited"] > 0 and loud.clipped_samples == 0


def stepped(sample: np.float32, held: np.float32, low: float, high: float) -> np.float32:
    """The clip's rule for a sample rounded out of its interval, written out: step one float32
    at a time toward the interval until inside it; if it holds none, the held sample (a step
    onto zero keeps the sign of the side it came from)."""
    toward = np.float32(np.inf if float(sample) < low else -np.inf)
    start = sample
    while not low <= float(sample) <= high:
        sample = np.nextafter(sample, toward)
        if (toward > 0 and float(sample) > high) or (toward < 0 and float(sample) < low):
            return np.float32(np.copysign(0.0, start)) if held == 0.0 else held
    return sample


def test_a_sample_rounded_out_of_its_interval_moves_as_stepping_would_at_once() -> None:
    rng = np.random.default_rng(4)
    for _ in range(2000):
        held = np.float32(rng.uniform(-1.0, 1.0))
        low = float(rng.uniform(-1.0, 1.0))
        width = float(rng.choice([0.0, 1e-9, 1e-7, 1e-3]))  # narrow: may hold no float32
        sample = np.float32(low + rng.choice([-1.0, 1.0]) * 3e-8 * rng.integers(0, 4))
        if low <= float(sample) <= low + width:
            continue  # inside: the clip keeps it without asking
        found = _toward_held(sample, held, low, low + width)
        assert np.float32(found).tobytes() == stepped(sample, held, low, low + width).tobytes()
    # an interval holding no float32, the held sample far: stepping took millions of steps
    assert _toward_held(np.float32(0.1), np.float32(0.9), 0.3 + 1e-12, 0.3 + 2e-12) == np.float32(
        0.9
    )


def test_a_sample_rounded_over_a_lowered_interval_stays_in_it_whatever_was_held() -> None:
    """Under a lowered cap the sample before may lie beyond the interval on the sample's side:
    the float32 just inside is sent, not the sample before."""
    high = float(np.float32(0.5)) - 1e-12  # 0.5 rounds just over it
    found = _toward_held(np.float32(0.5), np.float32(0.9), 0.1, high)
    assert found == np.nextafter(np.float32(0.5), np.float32(0.0))


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(REFERENCE, **{name: render(name) for name in CASES})
    print(f"wrote {REFERENCE}")
