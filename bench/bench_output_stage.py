"""Output stage benchmark: CPU microseconds per block of ``OutputStage.process``, by case.

The stage runs on every block of the audio callback, beside the synth (FluidSynth's whole synth
costs ~57 us per 64-frame block at 128 voices), so its cost is measured on its own, per case:

- silence, and a 330 Hz tone at -30 dBFS (quiet: the stage's shortcut);
- a tone whose true peak is 1 dB under the cap (loud, yet nothing to limit);
- a tone 6 dB over the cap and a full-scale 200 Hz square (limiting; the square also meets the
  last step's clip);
- the demo piece (drums, bass, marimba) rendered without an output stage and played 12 dB
  louder under a -18 dBFS cap (music that is limited now and then).

Each case feeds the same blocks of 64 frames, then of 256 (``--blocks``), at 48 kHz to a fresh
stage and takes the process CPU time of a second of audio. Runs are interleaved (every case and
every version of the stage in turn, ``--repeats`` rounds) and the median of the rounds is
printed, so a busy machine hurts every column alike. ``--against REV`` (repeatable) also times
the stage of a git revision of this checkout in the same run, side by side.

Run: ``python bench/bench_output_stage.py [--against REV ...] [--repeats N] [--blocks 64,256]``
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soundness_live.offline.render import demo_events  # noqa: E402
from soundness_live.synth import limiter  # noqa: E402
from soundness_live.synth.renderer import Renderer  # noqa: E402
from soundness_live.synth.sf2.find import default_soundfont_path  # noqa: E402
from soundness_live.synth.sf2.read import load_soundfont  # noqa: E402
from soundness_live.synth.synth import Synth  # noqa: E402

RATE = 48_000


class _PassThrough:
    """An output stage that does nothing: the demo piece as the synth made it."""

    sample_rate = RATE
    delay_frames = 0

    def process(self, block: np.ndarray) -> None:
        """Leave ``block`` as it is."""


def demo_music(seconds: float) -> np.ndarray:
    """The first ``seconds`` of the demo piece before any output stage, float32 (n, 2)."""
    synth = Synth(load_soundfont(default_soundfont_path()), RATE)
    renderer = Renderer(synth, _PassThrough())  # type: ignore[arg-type]
    renderer.scheduler.extend(demo_events(RATE))
    out = np.zeros((int(seconds * RATE), 2), np.float32)
    for start in range(0, len(out), 512):
        renderer.render_into(out[start : start + 512])
    return out


def cases(seconds: float) -> list[tuple[str, float, np.ndarray]]:
    """(name, cap in dBFS, signal) of every case."""
    t = np.arange(int(seconds * RATE)) / RATE
    sine = np.sin(2 * np.pi * 330 * t)
    square = np.where(np.arange(len(t)) // 120 % 2 == 0, 1.0, -1.0)
    stereo = lambda mono: (mono[:, None] * np.ones(2)).astype(np.float32)  # noqa: E731
    music = demo_music(seconds)
    return [
        ("silence", -6.0, np.zeros((len(t), 2), np.float32)),
        ("quiet tone (-30 dBFS)", -6.0, stereo(10 ** (-30 / 20) * sine)),
        ("tone 1 dB under the cap", -6.0, stereo(10 ** (-7 / 20) * sine)),
        ("tone 6 dB over the cap", -6.0, stereo(sine)),
        ("full-scale square", -6.0, stereo(square)),
        ("demo music +12 dB, cap -18", -18.0, music * np.float32(4.0)),
    ]


def stage_of(revision: str) -> ModuleType:
    """The output stage's module (``soundness_live.synth.limiter``, ``audio.limiter`` before the
    synth moved) of a git revision of this checkout, imported from a copy of that revision's
    package under its own name."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "soundness_live"],
        check=True,
        capture_output=True,
    ).stdout
    where = Path(tempfile.mkdtemp(prefix="stage-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)  # the copy goes with the run
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    name = f"soundness_live_{len(sys.modules)}"
    package = where / "soundness_live"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    where_it_is = "synth" if (package / "synth" / "limiter.py").is_file() else "audio"
    return importlib.import_module(f"{name}.{where_it_is}.limiter")  # audio/ before the move


def micros_per_block(make: Callable[[], object], signal: np.ndarray, block: int) -> float:
    """CPU microseconds per ``block``-frame block through a fresh stage from ``make()``."""
    stage = make()
    blocks = signal[: len(signal) // block * block].reshape(-1, block, 2)
    work = np.empty((block, 2), np.float32)
    start = time.process_time()
    for source in blocks:
        work[...] = source
        stage.process(work)  # type: ignore[attr-defined]
    return (time.process_time() - start) / len(blocks) * 1e6


def print_table(
    versions: dict[str, ModuleType],
    table: list[tuple[str, float, np.ndarray]],
    block: int,
    repeats: int,
    seconds: float,
) -> None:
    """Time every case on every version in ``block``-frame blocks and print the medians."""
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for name, cap_dbfs, signal in table:
            for version, module in versions.items():
                make = lambda m=module, c=cap_dbfs: m.OutputStage(RATE, c)  # noqa: E731
                cost = micros_per_block(make, signal, block)
                times.setdefault((name, version), []).append(cost)
    print(f"Output stage, CPU us per {block}-frame block at {RATE} Hz (median of ", end="")
    print(f"{repeats} interleaved runs of {seconds:g} s)")
    print(f"{'case':<28}" + "".join(f"{version[:12]:>14}" for version in versions))
    for name, _, _ in table:
        row = [statistics.median(times[(name, version)]) for version in versions]
        print(f"{name:<28}" + "".join(f"{cost:>14.1f}" for cost in row))


def main(argv: list[str] | None = None) -> int:
    """Print the table; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=[], metavar="REV")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--blocks", default="64,256", help="block sizes (default 64,256)")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    versions = {"this": limiter, **{rev: stage_of(rev) for rev in args.against}}
    table = cases(args.seconds)
    for block in (int(frames) for frames in args.blocks.split(",")):
        print_table(versions, table, block, args.repeats, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
