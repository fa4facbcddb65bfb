"""Tap-to-sound latency and timestamp error, measured through a private JACK loopback.

For each JACK period (64, 128, 256 frames; jackd restarted for each) a probe client sends
note-ons at random offsets of known JACK frames into the engine's MIDI input (MidiInputs,
rtmidi's JACK API); the engine pushes each note to its source on the "thru" path
(``push(event, immediate=True)``); the source plays through sounddevice on JACK; the probe
captures that output. Reported, p50/p99/max:

(a) engine-added tap-to-sound latency = first audible frame on the engine's output port -
    the frame at which the note entered the engine's MIDI input port (both JACK frames);
(b) timestamp error = the engine's timestamp of a note - its true send time, for rtmidi's
    delta times and for arrival time, side by side.

The source is the engine's Renderer with a GM SoundFont when that module is present, else a
click source. Run: ``python bench/bench_latency.py [--notes N] [--periods 64,128,256]``.
Needs jackd (Debian: jackd2), libportaudio2 and the PyPI package JACK-Client.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soundness_live.audio.output import open_output  # noqa: E402
from soundness_live.events import NoteOn  # noqa: E402
from soundness_live.midi.input import InputEvent  # noqa: E402
from soundness_live.midi.ports import MidiInputs  # noqa: E402
from tests.jackserver import ClickSource, JackProbe, jack_connect, jack_server  # noqa: E402

SAMPLE_RATE = 48_000
HIHAT = bytes([0x99, 42, 110])  # a closed hi-hat on the GM drum channel: short, clear onset


@dataclass(frozen=True)
class LoopbackResult:
    """What one loopback run measured (milliseconds; arrays in note order)."""

    period_frames: int
    source: str
    latency_ms: np.ndarray
    delta_error_ms: np.ndarray
    arrival_error_ms: np.ndarray
    notes_sent: int
    underruns: int


def engine_source() -> tuple[Any, str]:
    """The engine's Renderer with a GM SoundFont if available, else a click source."""
    try:
        from soundness_live.audio.renderer import Renderer
        from soundness_live.audio.sf2 import load_soundfont
        from soundness_live.audio.synth import Synth

        try:
            from soundness_live.audio.limiter import OutputStage

            stage: Any = OutputStage(SAMPLE_RATE)
        except (ImportError, TypeError):
            stage = None
        soundfont = load_soundfont("/usr/share/sounds/sf2/TimGM6mb.sf2")
        return Renderer(Synth(soundfont, sample_rate=SAMPLE_RATE), stage), "renderer (TimGM6mb)"
    except (ImportError, OSError, TypeError) as error:
        return ClickSource(), f"click source ({type(error).__name__}: {error})"


def _thru(source: Any) -> Any:
    def on_event(event: InputEvent) -> None:
        if event.kind == "note_on":
            source.push(NoteOn(0, event.channel, event.note, event.velocity), immediate=True)

    return on_event


def _wait(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("loopback did not come up")
        time.sleep(0.01)


def run_loopback(period_frames: int, notes: int, spacing_s: float = 0.15) -> LoopbackResult:
    """Measure one loopback on the JACK server named in the environment (already running)."""
    source, source_name = engine_source()
    output = open_output(source, "sounddevice", "JACK", period_frames, SAMPLE_RATE)
    inputs = MidiInputs(api="jack", on_event=_thru(source), poll_interval_s=0.1)
    inputs.mapping = lambda: output.mapping
    probe = JackProbe("sl-probe", quiet_frames=1200).activate()
    rng = np.random.default_rng(1)
    try:
        output.start()
        inputs.start()
        _wait(lambda: "sl-probe:midi_out" in inputs.ports, 3.0)
        # PortAudio names its ports out_0, out_2... per stream, and connects the left one here
        left = probe.client.get_all_connections("system:playback_1")
        jack_connect(next(p.name for p in left if p.name.startswith("PortAudio")), "sl-probe:in")
        time.sleep(0.3)
        for _ in range(notes):
            probe.send(HIHAT, int(rng.integers(0, period_frames)))
            time.sleep(spacing_s / 2)
            probe.send(bytes([0x89, 42, 0]), 0)
            time.sleep(spacing_s / 2)
        time.sleep(0.2)
    finally:
        inputs.stop()
        output.stop()
        probe.close()
    return _measure(probe, inputs.drain(), period_frames, source_name, output.underruns)


def _measure(
    probe: JackProbe, events: list[InputEvent], period: int, source: str, underruns: int
) -> LoopbackResult:
    with probe.lock:
        sent = [(frame, true_s) for frame, true_s, note in probe.sent if note == 42][::2]
        onsets = np.array(probe.onsets)
    stamps = np.array([(e.time_s, e.arrival_s) for e in events if e.kind == "note_on"])
    latency, delta_err, arrival_err = [], [], []
    for frame, true_s in sent:
        later = onsets[(onsets >= frame) & (onsets < frame + SAMPLE_RATE // 10)]
        if len(later):
            latency.append((later[0] - frame) * 1000 / SAMPLE_RATE)
        # the note's own event: the arrival nearest after the send (notes are 150 ms apart)
        near = stamps[np.abs(stamps[:, 1] - true_s - 0.01) < 0.05] if len(stamps) else stamps
        if len(near) == 1:
            delta_err.append((near[0, 0] - true_s) * 1000)
            arrival_err.append((near[0, 1] - true_s) * 1000)
    as_array = np.array
    return LoopbackResult(
        period, source, as_array(latency), as_array(delta_err), as_array(arrival_err), len(sent),
        underruns,
    )  # fmt: skip


def _stats(values_ms: np.ndarray) -> str:
    if len(values_ms) == 0:
        return "no data"
    p50, p99 = np.percentile(values_ms, [50, 99])
    return f"p50 {p50:6.3f}  p99 {p99:6.3f}  max {values_ms.max():6.3f}  (n={len(values_ms)})"


def report(result: LoopbackResult) -> str:
    """Human-readable lines for one run."""
    jitter = np.ptp(result.latency_ms) if len(result.latency_ms) else float("nan")
    return "\n".join(
        [
            f"period {result.period_frames} frames ({result.period_frames / 48:.2f} ms), "
            f"{result.source}, notes {result.notes_sent}, under-runs {result.underruns}",
            f"  (a) added tap-to-sound latency ms: {_stats(result.latency_ms)}; "
            f"jitter (max-min) {jitter:.3f}",
            f"  (b) timestamp error rtmidi-delta ms: {_stats(result.delta_error_ms)}",
            f"      timestamp error arrival      ms: {_stats(result.arrival_error_ms)}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the loopback for each period and print the figures."""
    parser = argparse.ArgumentParser(prog="soundness-live bench latency", description=__doc__)
    parser.add_argument("--notes", type=int, default=60, help="notes per period (default 60)")
    parser.add_argument("--periods", default="64,128,256", help="JACK periods in frames")
    args = parser.parse_args(argv)
    if shutil.which("jackd") is None:
        print("bench latency: jackd not found (apt-get install jackd2)")
        return 1
    for period in [int(p) for p in args.periods.split(",")]:
        with jack_server(period, SAMPLE_RATE):
            print(report(run_loopback(period, args.notes)), flush=True)
    print("targets at 64 frames: added latency p99 <= 3 ms, jitter <= 0.5 ms; "
          "timestamp error p99 <= 1 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
