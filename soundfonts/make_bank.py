"""Build the bundled General MIDI bank, soundfonts/soundness-gm.sf2.

Run ``python soundfonts/make_bank.py [OUTPUT]`` from the repository (the default output is
this folder's soundness-gm.sf2). The synthesis lives in :mod:`soundness_live.synth.bank`, so an
installed package can rebuild the bank too; this script is the command-line entry point.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "soundness-gm.sf2"

if __package__ in (None, ""):
    # Run as a script from a checkout: make the repository's package importable.
    sys.path.insert(0, str(HERE.parent))

from soundness_live.synth.bank import build_bank  # noqa: E402


def make_bank(output: Path = DEFAULT_OUTPUT) -> Path:
    """Build the bank into ``output`` and return its path."""
    return build_bank(output)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the bank and print where it went, its size and the time taken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = make_bank(args.output)
    size_mb = path.stat().st_size / 1e6
    print(f"{path}: {size_mb:.2f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
