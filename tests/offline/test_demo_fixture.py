"""The demo, run again, plays and records what the fixture in ``tests/fixtures/demo/`` holds.

``soundness-live demo --quick --seed 0`` is one whole simulated session through every activity,
the synth, the output stage and the store. Its trial records and its sound were kept when the
fixture was made (see the README there); a change meant to keep behaviour must reproduce them:

- the trial JSON: the same keys, strings, integers and flags; every float within 1e-6;
- the session WAV: the same 16-bit samples as the fixture's FLAC (the audio bytes identical),
  and the float render within 1e-7 a sample, checked through its sums over blocks of
  ``BLOCK_FRAMES`` frames (a block's sum may move by at most ``BLOCK_FRAMES`` x 1e-7).

Run this module as a script with ``--write`` to make the fixture again (only for a change that
changes the sound or the records on purpose, committed with a message that says why).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from soundness_live.commands import demo

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
TRIALS = FIXTURE / "demo-trials.json"
SOUND = FIXTURE / "demo-session.flac"
BLOCK_SUMS = FIXTURE / "demo-session-block-sums.npy"
SEED = 0
BLOCK_FRAMES = 480  # 10 ms at 48 kHz
FLOAT_TOLERANCE = 1e-6  # trial JSON
SAMPLE_TOLERANCE = 1e-7  # float render, per sample


def run_quick_demo(out: Path) -> tuple[Path, Path, np.ndarray]:
    """``demo --quick --seed 0`` into ``out``: (trial JSON, WAV, float render (n, 2))."""
    sinks: list[Any] = []
    make_sink = demo._make_sink

    def keep_sink(wav: bool) -> Any:
        sink, soundfont = make_sink(wav)
        sinks.append(sink)
        return sink, soundfont

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "_make_sink", keep_sink)
        written = demo.run_demo(out, seed=SEED, quick=True)
    (sink,) = sinks
    return written["json"], written["wav"], sink.audio()


def block_sums(audio: np.ndarray) -> np.ndarray:
    """Float64 sums of ``audio`` (n, channels) over blocks of BLOCK_FRAMES (the last short)."""
    starts = np.arange(0, len(audio), BLOCK_FRAMES)
    return np.add.reduceat(audio.astype(np.float64), starts, axis=0)


def differences(expected: Any, found: Any, where: str = "") -> Iterator[str]:
    """Where ``found`` differs from ``expected``: floats by more than FLOAT_TOLERANCE, anything
    else at all (one line each, naming the place)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        if list(expected) != list(found):
            yield f"{where or 'top'}: expected keys {list(expected)}, got {list(found)}"
            return
        for key in expected:
            yield from differences(expected[key], found[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            yield f"{where}: expected {len(expected)} items, got {len(found)}"
            return
        for index, (one, other) in enumerate(zip(expected, found, strict=True)):
            yield from differences(one, other, f"{where}[{index}]")
    elif isinstance(expected, float) and isinstance(found, float):
        same = expected == found or (math.isnan(expected) and math.isnan(found))
        if not same and not abs(expected - found) <= FLOAT_TOLERANCE:
            yield f"{where}: expected {expected!r}, got {found!r}"
    elif type(expected) is not type(found) or expected != found:
        yield f"{where}: expected {expected!r}, got {found!r}"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """The quick demo, run once for this module."""
    return run_quick_demo(tmp_path_factory.mktemp("demo"))


def test_demo_trial_records_are_the_fixtures(demo_run):
    trials_json, _, _ = demo_run
    expected = json.loads(TRIALS.read_text())
    found = json.loads(Path(trials_json).read_text())
    assert len(found["trials"]) == 10
    assert list(differences(expected, found)) == []


def test_demo_session_wav_has_the_fixtures_samples(demo_run):
    _, wav, _ = demo_run
    expected, expected_rate = soundfile.read(str(SOUND), dtype="int16", always_2d=True)
    found, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
    assert (rate, found.shape) == (expected_rate, expected.shape)
    differing = np.flatnonzero(np.any(found != expected, axis=1))
    assert differing.size == 0, f"{differing.size} frames differ, the first at {differing[:5]}"


def test_demo_float_render_is_the_fixtures_within_1e_7_a_sample(demo_run):
    _, _, audio = demo_run
    expected = np.load(BLOCK_SUMS)
    found = block_sums(audio)
    assert found.shape == expected.shape
    error = np.abs(found - expected)
    worst = int(np.argmax(error.max(axis=1)))
    assert error.max() <= BLOCK_FRAMES * SAMPLE_TOLERANCE, (
        f"block {worst} (from frame {worst * BLOCK_FRAMES}) moved by {error[worst].max():.3g}"
    )


def test_differences_name_the_place_and_let_floats_move_by_1e_6_only():
    def trial(onset_ms: float, note: float, flag: object) -> dict[str, Any]:
        return {"trials": [{"onset_ms": onset_ms, "note": note, "flags": [flag]}]}

    expected = trial(1.0, 60, True)
    assert list(differences(expected, trial(1.0000009, 60, True))) == []
    assert list(differences(expected, trial(1.000002, 60, True))) == [
        ".trials[0].onset_ms: expected 1.0, got 1.000002"
    ]
    assert list(differences(expected, trial(1.0, 60.0, 1))) == [
        ".trials[0].note: expected 60, got 60.0",
        ".trials[0].flags[0]: expected True, got 1",
    ]
    assert list(differences(expected, {"trials": []})) == [".trials: expected 1 items, got 0"]


def write_fixture() -> None:
    """Make the fixture again from today's code (see the README beside it)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        trials_json, wav, audio = run_quick_demo(Path(folder))
        FIXTURE.mkdir(parents=True, exist_ok=True)
        TRIALS.write_text(Path(trials_json).read_text())
        samples, rate = soundfile.read(str(wav), dtype="int16", always_2d=True)
        soundfile.write(str(SOUND), samples, rate, subtype="PCM_16", format="FLAC")
        np.save(BLOCK_SUMS, block_sums(audio))
    for path in (TRIALS, SOUND, BLOCK_SUMS):
        path.chmod(0o644)
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: python -m tests.offline.test_demo_fixture --write (got {sys.argv[1:]})")
    write_fixture()
