"""Real-time factor of the voice analysis on a few seconds of espeak-ng speech.

Speaks a phrase with espeak-ng, pads it like a microphone take, and times ``analyze_voice``
(resampling, WebRTC VAD, two Praat pitch tracks, intensity, syllable nuclei) over repeats.
Prints the median CPU seconds per second of audio (target <= 0.02) and the meter's cost per
feed. Run: ``python bench/bench_voice.py [--repeats N] [--text "ba ma da pa"]``.
Needs espeak-ng and sox (Debian packages of the same names).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soundness_live.voice.analysis import VoiceMeter, analyze_voice  # noqa: E402
from tests.voice_audio import espeak, read_mono, sox_pad  # noqa: E402

TARGET_RTF = 0.02


def make_take(directory: Path, text: str) -> tuple[np.ndarray, int]:
    """The phrase spoken slowly, with 0.5 s of silence before and after it."""
    raw = espeak(directory / "raw.wav", text, speed_wpm=100)
    return read_mono(sox_pad(raw, directory / "take.wav", lead_s=0.5, tail_s=0.5))


def time_analysis(samples: np.ndarray, rate: int, repeats: int) -> list[float]:
    """CPU seconds of each of ``repeats`` analyses (after one warm-up run)."""
    analyze_voice(samples, rate)
    costs = []
    for _ in range(repeats):
        start = time.process_time()
        analyze_voice(samples, rate, target_syllables=4, target_hz=120.0)
        costs.append(time.process_time() - start)
    return costs


def time_meter(rate: int = 48000, block: int = 1600, feeds: int = 300) -> float:
    """CPU microseconds per ``VoiceMeter.feed`` of a 220 Hz tone (one 30 fps UI block)."""
    meter = VoiceMeter(rate, update_ms=0.0)
    tone = 0.3 * np.sin(2 * np.pi * 220.0 * np.arange(block * feeds) / rate)
    start = time.process_time()
    for i in range(feeds):
        meter.feed(tone[i * block : (i + 1) * block])
    return 1e6 * (time.process_time() - start) / feeds


def main(argv: list[str] | None = None) -> int:
    """Print the analysis' real-time factor; return 1 if it misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--text", default="ba ma da pa, ba ma da pa")
    args = parser.parse_args(argv)
    for program in ("espeak-ng", "sox"):
        if shutil.which(program) is None:
            print(f"{program} not found (apt-get install {program})", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as folder:
        samples, rate = make_take(Path(folder), args.text)
    seconds = len(samples) / rate
    costs = time_analysis(samples, rate, args.repeats)
    rtf = float(np.median(costs)) / seconds
    result = analyze_voice(samples, rate)
    print(f"audio: {seconds:.2f} s at {rate} Hz, {result.syllables} syllables found")
    print(f"analysis: median {1000 * np.median(costs):.1f} ms CPU, max {1000 * max(costs):.1f} ms")
    print(f"real-time factor: {rtf:.4f} (target <= {TARGET_RTF})")
    print(f"meter: {time_meter():.0f} us CPU per feed (40 ms YIN window, 48 kHz)")
    return 0 if rtf <= TARGET_RTF else 1


if __name__ == "__main__":
    sys.exit(main())
