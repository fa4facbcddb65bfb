"""The synth on a JACK server against FluidSynth on the same server: x-runs and tap-to-sound.

For each JACK period (128 and 64 frames; a private jackd on the dummy driver, started afresh
for each) a probe client plays a closed hi-hat 8 times a second for 30 s (note-on at a random
offset of its cycle, note-off half-way to the next), in turn into each synth, ``--rounds`` (3)
times each, interleaved (engine, FluidSynth, engine, ...) so a busy moment of the machine
falls on both alike; each run is a row with the load average when it ended, then the median
of the rounds. The synths: the engine (its
JACK-native MIDI input -> the live thru path, immediate mode -> the Renderer with its output
stage -> sounddevice on JACK) and into FluidSynth (pyfluidsynth's libfluidsynth with its JACK
audio and MIDI drivers, reverb and chorus off). Both play the same SoundFont (FluidR3_GM when
installed, else TimGM6mb). The probe counts the server's x-runs while each plays (JACK's
x-run callback) and hears its output: tap-to-sound = the first audible frame after a note-on
minus the frame the note-on was written at, both JACK frames.

Run: ``python bench/bench_synth_jack.py [--seconds S] [--rate-hz N] [--periods 128,64]``.
Needs jackd (Debian: jackd2), libportaudio2, libfluidsynth3 and the PyPI packages JACK-Client
and pyfluidsynth.
"""

from __future__ import annotations

import argparse
import os
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
from soundness_live.live.input import LiveInput  # noqa: E402
from soundness_live.live.thru import ThruTiming  # noqa: E402
from soundness_live.midi.jack_frames import OutputFrameTap  # noqa: E402
from soundness_live.midi.jack_input import JackMidiInputs  # noqa: E402
from soundness_live.players.roles import DeviceRole  # noqa: E402
from soundness_live.synth.renderer import build_renderer  # noqa: E402
from tests.jackserver import JackProbe, jack_connect, jack_server  # noqa: E402

RATE = 48_000
FONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2")
HAT_ON, HAT_OFF = bytes([0x99, 42, 110]), bytes([0x89, 42, 0])
# an onset: the first frame above -40 dBFS after 25 ms below it (a hat's tail 125 ms on is
# below -40 dBFS on both synths, so every note is heard apart)
PROBE_THRESHOLD, QUIET_FRAMES = 0.01, 1200


@dataclass(frozen=True)
class Run:
    """What one synth did on the server: x-runs while it played, tap-to-sound (ms)."""

    name: str
    notes: int
    xruns: int
    latency_ms: np.ndarray  # NaN where no sound was found
    load: float = float("nan")  # the 1-minute load average when it ended

    @property
    def heard(self) -> np.ndarray:
        """Tap-to-sound (ms) of the notes whose sound was found."""
        return self.latency_ms[~np.isnan(self.latency_ms)]

    def figures(self) -> tuple[float, float, float]:
        """Tap-to-sound p50, p99 and max (ms); NaN when nothing was heard."""
        if not len(self.heard):
            return (float("nan"),) * 3
        p50, p99 = np.percentile(self.heard, [50, 99])
        return float(p50), float(p99), float(self.heard.max())

    def row(self, label: str) -> str:
        """One table row."""
        figures = "".join(f"{x:8.2f}" for x in self.figures())
        return (
            f"  {self.name:<12}{label:>7}{self.notes:>6}{len(self.heard):>7}{self.xruns:>7}"
            f"{figures}{self.load:>7.2f}"
        )


HEADER = (
    f"  {'synth':<12}{'run':>7}{'notes':>6}{'heard':>7}{'xruns':>7}{'p50 ms':>8}{'p99 ms':>8}"
    f"{'max':>8}{'load':>7}"
)


def median_row(runs: list[Run]) -> str:
    """The median over ``runs`` of one synth: x-runs, tap-to-sound p50, p99, max, load."""
    figures = np.array([run.figures() for run in runs])
    p50, p99, top = np.nanmedian(figures, axis=0) if len(runs) else (np.nan,) * 3
    xruns = float(np.median([run.xruns for run in runs]))
    heard = int(np.median([len(run.heard) for run in runs]))
    load = float(np.median([run.load for run in runs]))
    return (
        f"  {runs[0].name:<12}{'median':>7}{runs[0].notes:>6}{heard:>7}{xruns:>7g}"
        f"{p50:8.2f}{p99:8.2f}{top:8.2f}{load:>7.2f}"
    )


def _probe() -> tuple[JackProbe, list[int]]:
    """A probe counting the server's x-runs from now on."""
    probe = JackProbe("sl-probe", threshold=PROBE_THRESHOLD, quiet_frames=QUIET_FRAMES)
    xruns = [0]

    def on_xrun(delay_us: float) -> None:
        xruns[0] += 1

    probe.client.set_xrun_callback(on_xrun)
    return probe.activate(), xruns


def play_hats(probe: JackProbe, seconds: float, rate_hz: float, period: int) -> int:
    """Send the hi-hat pattern (``rate_hz`` notes a second for ``seconds``, each on at a
    random frame of its cycle, off half a note later); returns the notes sent."""
    rng = np.random.default_rng(1)
    notes = int(seconds * rate_hz)
    for _ in range(notes):
        probe.send(HAT_ON, int(rng.integers(0, period)))
        time.sleep(0.5 / rate_hz)
        probe.send(HAT_OFF, 0)
        time.sleep(0.5 / rate_hz)
    time.sleep(0.3)
    return notes


def _latencies(probe: JackProbe) -> np.ndarray:
    """Tap-to-sound (ms) of every note-on: the first onset within 100 ms of it."""
    with probe.lock:
        sent = [frame for frame, _, note in probe.sent if note == 42][::2]
        onsets = np.array(probe.onsets)
    found = []
    for frame in sent:
        later = onsets[(onsets >= frame) & (onsets < frame + RATE // 10)] if len(onsets) else []
        found.append((later[0] - frame) * 1000 / RATE if len(later) else np.nan)
    return np.array(found, dtype=float)


def _wait(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the JACK ports did not come up")
        time.sleep(0.01)


def run_engine(font: str, period: int, seconds: float, rate_hz: float) -> Run:
    """The engine's live thru path and renderer on the server."""
    renderer, _ = build_renderer(font, RATE)
    tap = OutputFrameTap(renderer)
    output = open_output(tap, "sounddevice", "JACK", period, RATE)
    live = LiveInput(renderer, lambda: output.mapping, RATE)
    live.set_role(DeviceRole("sl-probe", "child", "pad"))
    live.thru = ThruTiming.for_output(period, RATE, "immediate")
    inputs = JackMidiInputs(live.on_event, mapping=lambda: output.mapping, frame_tap=tap)
    probe, xruns = _probe()
    try:
        output.start()
        inputs.start()
        _wait(lambda: "sl-probe:midi_out" in inputs.ports, 3.0)
        left = probe.client.get_all_connections("system:playback_1")
        jack_connect(next(p.name for p in left if p.name.startswith("PortAudio")), "sl-probe:in")
        time.sleep(0.5)
        xruns[0] = 0
        notes = play_hats(probe, seconds, rate_hz, period)
        counted = xruns[0]
    finally:
        inputs.stop()
        output.stop()
        probe.close()
    return Run("engine", notes, counted, _latencies(probe), os.getloadavg()[0])


def run_fluidsynth(font: str, period: int, seconds: float, rate_hz: float) -> Run:
    """FluidSynth with its own JACK drivers on the server."""
    import fluidsynth

    synth = fluidsynth.Synth(samplerate=float(RATE))
    for key, value in (
        ("synth.reverb.active", 0),
        ("synth.chorus.active", 0),
        ("audio.jack.autoconnect", 0),
    ):
        synth.setting(key, value)
    synth.setting("audio.jack.id", "sl-fluid")
    synth.setting("midi.jack.id", "sl-fluid")
    font_id = synth.sfload(font)
    synth.program_select(9, font_id, 128, 0)  # the GM drum channel: the standard kit
    synth.start(driver="jack", midi_driver="jack")
    probe, xruns = _probe()
    try:
        _wait(lambda: any(p.name == "sl-fluid:left" for p in probe.client.get_ports()), 3.0)
        jack_connect("sl-probe:midi_out", "sl-fluid:midi_00")
        jack_connect("sl-fluid:left", "sl-probe:in")
        time.sleep(0.5)
        xruns[0] = 0
        notes = play_hats(probe, seconds, rate_hz, period)
        counted = xruns[0]
    finally:
        probe.close()
        synth.delete()
    return Run("FluidSynth", notes, counted, _latencies(probe), os.getloadavg()[0])


def main(argv: list[str] | None = None) -> int:
    """Both synths at each period; prints a table per period."""
    parser = argparse.ArgumentParser(prog="soundness-live bench synth-jack", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate-hz", type=float, default=8.0, help="notes a second (default 8)")
    parser.add_argument("--periods", default="128,64", help="JACK periods in frames")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each synth (default 3)")
    args = parser.parse_args(argv)
    if shutil.which("jackd") is None:
        print("bench synth-jack: jackd not found (apt-get install jackd2)")
        return 1
    font = next((f for f in FONTS if os.path.exists(f)), None)
    if font is None:
        print("bench synth-jack: no GM SoundFont (apt-get install fluid-soundfont-gm)")
        return 1
    print(f"SoundFont {font}; {args.rate_hz:g} notes/s for {args.seconds:g} s; {RATE} Hz")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for period in [int(p) for p in args.periods.split(",")]:
        print(f"\n{period}-frame periods (dummy driver, one server)\n{HEADER}", flush=True)
        engine: list[Run] = []
        fluid: list[Run] = []
        with jack_server(period, RATE):
            for index in range(args.rounds):  # interleaved: engine, FluidSynth, engine, ...
                engine.append(run_engine(font, period, args.seconds, args.rate_hz))
                print(engine[-1].row(str(index + 1)), flush=True)
                fluid.append(run_fluidsynth(font, period, args.seconds, args.rate_hz))
                print(fluid[-1].row(str(index + 1)), flush=True)
        print(median_row(engine))
        print(median_row(fluid), flush=True)
    print("\nload average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
