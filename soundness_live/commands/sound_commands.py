"""``render``, ``soundfonts``, ``devices``, ``bench`` and ``analyze-voice``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from ..errors import ParameterError
from .output import write_private_json

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
BENCHES = {
    "synth": "bench_synth.py",
    "synth-jack": "bench_synth_jack.py",
    "stage": "bench_output_stage.py",
    "latency": "bench_latency.py",
    "voice": "bench_voice.py",
    "gil": "bench_gil.py",
    "trouble": "bench_trouble.py",
    "scoring": "bench_scoring.py",
    "flood": "bench_flood.py",
    "clinic": "bench_clinic.py",
    "child-view": "bench_child_view.py",
    "remote": "bench_remote.py",
}
# Python packages a benchmark needs beyond the engine's own: import name -> PyPI name. They are
# in the test extra; the system programs (jackd, espeak-ng, sox) each benchmark checks itself.
BENCH_PACKAGES = {
    "synth": {"fluidsynth": "pyfluidsynth"},  # FluidSynth, the reference it is timed against
    "synth-jack": {"jack": "JACK-Client", "fluidsynth": "pyfluidsynth"},
    "latency": {"jack": "JACK-Client"},
    "voice": {"pytest": "pytest"},  # the test speech makers in tests/voice_audio.py
    "gil": {"pytest": "pytest"},  # the fake engine of tests/ui/test_ui.py drives the screen
    "flood": {"jack": "JACK-Client"},  # the flooding source and the JACK-native input
    "clinic": {"psycopg": "psycopg[binary]"},  # and Debian's postgresql for a private server
    # the remote's web server, its load's sockets and the page in chromium (Selenium)
    "remote": {"jack": "JACK-Client", "uvicorn": "uvicorn", "selenium": "selenium"},
}


def _progress_bar(fraction: float) -> None:
    width = 40
    filled = int(round(fraction * width))
    sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f} %")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_render(args: argparse.Namespace) -> int:
    """Render a MIDI file through the live path's scheduler, synth and output stage."""
    from ..offline.render import render_midi_file

    report = render_midi_file(
        args.midi,
        args.output,
        soundfont_path=args.soundfont,
        sample_rate=args.sample_rate,
        block_size=args.block_size,
        progress=_progress_bar if sys.stderr.isatty() else None,
    )
    print(f"wrote {args.output}: {report}")
    return 0


def cmd_soundfonts(args: argparse.Namespace) -> int:
    """List the SoundFonts found (the bundled bank, system folders, paths given)."""
    from ..synth.sf2.find import describe_soundfonts

    print(describe_soundfonts(list(args.paths)))
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """List MIDI inputs and audio outputs, saying why when there are none."""
    from ..audio.devices import describe_audio
    from ..midi.devices import describe_midi

    print("\n".join(describe_midi() + describe_audio()))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark from the source checkout's bench/ folder."""
    path = BENCH_DIR / BENCHES[args.which]
    if not path.is_file():
        raise ParameterError(
            f"benchmark {args.which!r} needs the source checkout: {path} not found"
        )
    for module, package in BENCH_PACKAGES.get(args.which, {}).items():
        if not _importable(module):
            raise _missing_package(args.which, module, package)
    try:
        return _run_bench(args.which, path, [a for a in args.rest if a != "--"])
    except ModuleNotFoundError as error:  # one no list foresaw: still say what to install
        if not error.name:
            raise
        root = error.name.split(".")[0]
        raise _missing_package(args.which, root, root) from error


def _run_bench(which: str, path: Path, rest: list[str]) -> int:
    spec = importlib.util.spec_from_file_location(f"soundness_bench_{which}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the benchmark look their module up
    if str(BENCH_DIR.parent) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR.parent))  # benchmarks share the tests' JACK helpers
    spec.loader.exec_module(module)
    return int(module.main(rest) or 0)


def _importable(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _missing_package(which: str, module: str, package: str) -> ParameterError:
    return ParameterError(
        f"bench {which} needs the Python package {package} (module {module!r} is not "
        f"installed): pip install {package}, or pip install -e '.[test]' in the source checkout"
    )


def cmd_analyze_voice(args: argparse.Namespace) -> int:
    """Analyse a recorded vocal answer; print it or write JSON."""
    from ..voice.file_analysis import analyze_voice_file

    analysis = analyze_voice_file(
        args.wav,
        listen_from_ms=args.listen_from_ms,
        prompt_end_ms=args.prompt_end_ms,
        target_syllables=args.target_syllables,
        target_hz=args.target_hz,
    )
    document = analysis.to_dict()
    if args.json:
        write_private_json(args.json, document)
        print(f"wrote {args.json}")
    else:
        print(json.dumps(document, indent=2, allow_nan=False))
    return 0
