"""Fault tests: any signal, split into blocks any way, leaves the output stage under its cap.

Signals are joined from random pieces: silence, NaN, infinities, values up to float32's largest,
full-scale squares, the highest frequencies (alternating samples, an fs/4 sine at 45 degrees),
noise and DC, at any master volume. The output's true peak is measured by the tests' own
Annex 2 meter (tests/true_peak.py), and the output is the same, byte for byte, whatever the
block split and whether or not the stage takes its shortcuts.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.synth.limiter import MASTER_VOLUME_MAX, OutputStage
from tests.faults import FAULTS
from tests.true_peak import true_peak

RATE = 48_000
WORST = {"over_db": -np.inf}  # the worst true peak over the cap met, for the report


def piece(kind: str, frames: int, level: float, seed: int) -> np.ndarray:
    """``frames`` of one kind of signal at ``level`` (linear), stereo float64."""
    n = np.arange(frames)
    rng = np.random.default_rng(seed)
    mono = {
        "silence": np.zeros(frames),
        "square": np.where(n // (1 + seed % 200) % 2 == 0, 1.0, -1.0),
        "nyquist": np.where(n % 2 == 0, 1.0, -1.0),
        "fs/4 at 45 degrees": np.cos(np.pi / 2 * n + np.pi / 4),
        "noise": rng.uniform(-1.0, 1.0, frames),
        "dc": np.ones(frames),
    }[kind]
    return np.stack([mono, (-1.0) ** seed * mono[::-1]], axis=1) * level


SPECIALS = (np.nan, np.inf, -np.inf, float(np.finfo(np.float32).max), -1e30, 1e-42)
pieces = st.tuples(
    st.sampled_from(("silence", "square", "nyquist", "fs/4 at 45 degrees", "noise", "dc")),
    st.integers(1, 400),
    st.sampled_from((1e-3, 0.1, 0.5, 1.0, 2.0, 8.0, 1e6)),
    st.integers(0, 1000),
)
faults = st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(SPECIALS)), max_size=4)


def signal_of(parts: list[tuple[str, int, float, int]], specials: list) -> np.ndarray:
    audio = np.concatenate([piece(*part) for part in parts])
    for at, value in specials:
        audio[at % len(audio), at % 2] = value
    with np.errstate(over="ignore", invalid="ignore"):
        return audio.astype(np.float32)


def run(audio: np.ndarray, splits: list[int], cap_dbfs: float, volume: float, shortcuts: bool):
    stage = OutputStage(RATE, cap_dbfs, volume)
    stage._shortcuts = shortcuts
    out, start, index = audio.copy(), 0, 0
    while start < len(out):
        size = splits[index % len(splits)]
        stage.process(out[start : start + size])
        start, index = start + size, index + 1
    return out


@FAULTS
@given(
    parts=st.lists(pieces, min_size=1, max_size=5),
    specials=faults,
    splits=st.lists(st.integers(1, 300), min_size=1, max_size=6),
    cap_dbfs=st.sampled_from((-60.0, -30.0, -18.0, -6.0, -0.5, 0.0)),
    volume=st.sampled_from((0.0, 0.3, 1.0, MASTER_VOLUME_MAX)),
)
def test_no_signal_and_no_block_split_exceed_the_cap(
    parts: list, specials: list, splits: list[int], cap_dbfs: float, volume: float
) -> None:
    audio = signal_of(parts, specials)
    out = run(audio, splits, cap_dbfs, volume, shortcuts=True)
    peak = true_peak(out)
    if peak > 0:
        WORST["over_db"] = max(WORST["over_db"], 20 * np.log10(peak) - cap_dbfs)
    assert peak <= 10 ** (cap_dbfs / 20)
    whole = run(audio, [len(audio)], cap_dbfs, volume, shortcuts=True)
    assert out.tobytes() == whole.tobytes()  # the same bytes whatever the block split
    full = run(audio, [64], cap_dbfs, volume, shortcuts=False)
    assert out.tobytes() == full.tobytes()  # and whatever the shortcuts


def test_zz_report_the_worst_true_peak_over_the_cap() -> None:
    """Printed for the record (pytest -s): how close the random signals came to the cap."""
    print(f"\nworst true peak over the cap, random signals: {WORST['over_db']:+.4f} dB")
    assert WORST["over_db"] <= 0.0
