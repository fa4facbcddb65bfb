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
    "latency": "bench_latency.py",
    "voice": "bench_voice.py",
    "gil": "bench_gil.py",
    "trouble": "bench_trouble.py",
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
    from ..render import render_midi_file

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
    from ..audio.soundfonts import describe_soundfonts

    print(describe_soundfonts(list(args.paths)))
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """List MIDI inputs and audio outputs, saying why when there are none."""
    from ..audio.devices import describe_devices

    print(describe_devices())
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark from the source checkout's bench/ folder."""
    path = BENCH_DIR / BENCHES[args.which]
    if not path.is_file():
        raise ParameterError(
            f"benchmark {args.which!r} needs the source checkout: {path} not found"
        )
    spec = importlib.util.spec_from_file_location(f"soundness_bench_{args.which}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the benchmark look their module up
    if str(BENCH_DIR.parent) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR.parent))  # benchmarks share the tests' JACK helpers
    spec.loader.exec_module(module)
    rest = [a for a in args.rest if a != "--"]
    return int(module.main(rest) or 0)


def cmd_analyze_voice(args: argparse.Namespace) -> int:
    """Analyse a recorded vocal answer; print it or write JSON."""
    from ..voice_report import analyze_voice_file

    analysis = analyze_voice_file(
        args.wav,
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
