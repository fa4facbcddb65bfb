"""Tap-to-sound latency of both thru modes and timestamp error, through a private JACK loopback.

For each JACK period (64, 128, 256 frames; jackd restarted for each) a probe client sends
note-ons at random offsets of known JACK frames into the engine's MIDI input (MidiInputs,
rtmidi's JACK API) -> the engine's LiveInput (the thru path) -> the engine's Renderer, which
plays through sounddevice on JACK; the probe captures that output. The notes take turns
between the thru modes (:mod:`soundness_live.live.thru`: ``immediate`` = next block,
``constant`` = timestamp + a fixed delay, on rtmidi's stamps; ``constant-exact`` = on the
probe's true send time; ``constant-jack`` = on the JACK-native input's ``jack-frame`` stamps,
:mod:`soundness_live.midi.jack_input`, which reads the same notes on its own JACK port), so
all are measured in the same run, under the same load and the same xruns. Reported per mode,
in ms:

(a) engine-added tap-to-sound latency = first audible frame on the engine's output port -
    the frame at which the note entered the engine's MIDI input port (both JACK frames):
    p50 / p99 / max, jitter p99 - p1 and SD; late = constant-mode notes that missed their
    frame and played at the next block instead;
(b) timestamp error = the engine's timestamp of a note - its true send time (the probe's
    cycle start on the monotonic clock + offset / rate), for jack-frame stamps, rtmidi's
    delta times and arrival time, side by side (same statistics); for jack-frame stamps also
    the JACK frame error (frames) and the gap between the two ways of placing a JACK frame on
    the engine's axis: through the monotonic clock (``jack-time``) minus the exact offset
    read in the audio callback (``output-frame``), see :mod:`soundness_live.midi.jack_frames`.

Then the ratios constant / immediate. The source is the engine's Renderer with TimGM6mb
(a closed hi-hat: short, clear onset), else a click source (immediate only).
Run: ``python bench/bench_latency.py [--notes N] [--periods 64,128,256] [--thru-delay-ms MS]``.
Needs jackd (Debian: jackd2), libportaudio2 and the PyPI package JACK-Client.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soundness_live.audio.backends import open_output  # noqa: E402
from soundness_live.core.events import InputEvent  # noqa: E402
from soundness_live.live.input import LiveInput  # noqa: E402
from soundness_live.live.thru import THRU_MODES, ThruTiming  # noqa: E402
from soundness_live.midi.jack_frames import OutputFrameTap  # noqa: E402
from soundness_live.midi.jack_input import JackMidiInputs  # noqa: E402
from soundness_live.midi.ports import MidiInputs  # noqa: E402
from soundness_live.players.roles import DeviceRole  # noqa: E402
from tests.jack_midi_source import JackMidiSource  # noqa: E402
from tests.jackserver import ClickSource, JackProbe, jack_connect, jack_server  # noqa: E402

SAMPLE_RATE = 48_000
# constant mode fed the note's true send time instead of rtmidi's stamp: what the mode gives
# when the platform stamps notes exactly (a JACK MIDI port read inside the process callback)
EXACT = "constant-exact"
JACK = "constant-jack"  # constant mode on the JACK-native input's jack-frame stamps
MODES = (*THRU_MODES, EXACT, JACK)
HIHAT = bytes([0x99, 42, 110])  # a closed hi-hat on the GM drum channel: short, clear onset


@dataclass(frozen=True)
class LoopbackResult:
    """What one loopback run measured (milliseconds; arrays in note order).

    ``modes[i]`` is the thru mode note ``i`` was played with; ``latency_ms`` has NaN for a
    note whose sound was not found, ``delta_error_ms`` and ``arrival_error_ms`` for one whose
    rtmidi event was not found (so they line up with ``modes``). ``redone[i]`` marks a note
    played again (see :func:`run_loopback`'s ``redo``): it is left out of :meth:`latency_of`.
    """

    period_frames: int
    source: str
    modes: tuple[str, ...]
    latency_ms: np.ndarray
    delta_error_ms: np.ndarray
    arrival_error_ms: np.ndarray
    notes_sent: int
    underruns: int
    thru_late: int
    added_delay_ms: float
    jack_error_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    jack_frame_error: np.ndarray = field(default_factory=lambda: np.zeros(0))
    route_gap_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    late_by_mode: dict[str, int] = field(default_factory=dict)
    redone: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    late_kept: int = 0  # notes too late for their frame among those not played again

    def latency_of(self, mode: str) -> np.ndarray:
        """Latencies (ms) of the notes found that were played in ``mode`` (not played again)."""
        kept = ~self.redone[: len(self.modes)] if len(self.redone) else True
        picked = self.latency_ms[(np.array(self.modes) == mode) & kept]
        return picked[~np.isnan(picked)]


def engine_source() -> tuple[Any, str]:
    """The engine's Renderer with a GM SoundFont if available, else a click source."""
    try:
        from soundness_live.synth.limiter import OutputStage
        from soundness_live.synth.renderer import Renderer
        from soundness_live.synth.sf2.read import load_soundfont
        from soundness_live.synth.synth import Synth

        soundfont = load_soundfont("/usr/share/sounds/sf2/TimGM6mb.sf2")
        stage = OutputStage(SAMPLE_RATE)
        return Renderer(Synth(soundfont, sample_rate=SAMPLE_RATE), stage), "renderer (TimGM6mb)"
    except (ImportError, OSError, TypeError) as error:
        return ClickSource(), f"click source ({type(error).__name__}: {error})"


def _routed(live: LiveInput, probe: JackProbe, mode: Callable[[], str], jack: bool) -> Any:
    """The thru path of one input: the JACK input plays :data:`JACK` notes, rtmidi the rest;
    for :data:`EXACT` notes the stamp is the probe's true send time."""

    def on_event(event: InputEvent) -> None:
        if (mode() == JACK) != jack:
            return
        if event.kind == "note_on" and mode() == EXACT:
            true_s = probe.sent[-1][1]
            event = event.replace(time_s=true_s, clock="jack-frame")
        live.on_event(event)

    return on_event


def _wait(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("loopback did not come up")
        time.sleep(0.01)


def run_loopback(
    period_frames: int,
    notes: int,
    spacing_s: float = 0.15,
    modes: tuple[str, ...] = MODES,
    delay_ms: float | None = None,
    redo: int = 0,
) -> LoopbackResult:
    """Measure one loopback on the JACK server named in the environment (already running).

    ``notes`` notes in all, taking turns through ``modes``; ``delay_ms`` is constant mode's
    added delay (None: the engine's default for the block size). ``redo``: up to that many
    notes are played again, each when the server x-ran while it played (a client late for a
    cycle loses that cycle's events or sound; the note before is played again too, as the
    x-run may be its own, told late) or the engine counted it too late for its frame (its
    thread was held up: a loaded machine), so the figures are of ``notes`` undisturbed notes;
    the bench itself plays every note once.
    """
    source, source_name = engine_source()
    if isinstance(source, ClickSource):
        modes = ("immediate",)  # a click source knows no frames
    tap = OutputFrameTap(source)
    output = open_output(tap, "sounddevice", "JACK", period_frames, SAMPLE_RATE)
    timings = {
        m: ThruTiming.for_output(period_frames, SAMPLE_RATE, m.split("-")[0], delay_ms)
        for m in modes
    }
    live = LiveInput(source, lambda: output.mapping, SAMPLE_RATE)
    live.set_role(DeviceRole("sl-probe", "child", "pad"))
    probe = JackProbe("sl-probe", quiet_frames=1200).activate()
    played: list[str] = []
    redone: list[bool] = []
    note_late: list[int] = []  # events of each note that came too late for their frame
    late: dict[str, int] = {}

    def mode() -> str:
        return played[-1] if played else ""

    inputs = MidiInputs(api="jack", on_event=_routed(live, probe, mode, False), poll_interval_s=0.1)
    inputs.on_device_change = live.on_device_change
    inputs.mapping = lambda: output.mapping
    jack_inputs = JackMidiInputs(
        _routed(live, probe, mode, True), mapping=lambda: output.mapping, frame_tap=tap
    )
    rng = np.random.default_rng(1)
    # the server's x-runs, counted in a process of its own (an x-run callback in this one
    # would wait for the GIL while python-rtmidi closes its JACK client holding it)
    xrun_watch = JackMidiSource("sl-xrun-watch").__enter__() if redo else None
    try:
        output.start()
        inputs.start()
        jack_inputs.start()
        _wait(lambda: "sl-probe:midi_out" in inputs.ports + jack_inputs.ports, 3.0)
        # PortAudio names its ports out_0, out_2... per stream, and connects the left one here
        left = probe.client.get_all_connections("system:playback_1")
        jack_connect(next(p.name for p in left if p.name.startswith("PortAudio")), "sl-probe:in")
        time.sleep(0.3)
        while len(played) - sum(redone) < notes:
            late_before = live.thru_late
            xruns_before = xrun_watch.send([]) if xrun_watch is not None else 0
            played.append(modes[(len(played) - sum(redone)) % len(modes)])
            live.thru = timings[played[-1]]
            probe.send(HIHAT, int(rng.integers(0, period_frames)))
            time.sleep(spacing_s / 2)
            probe.send(bytes([0x89, 42, 0]), 0)
            time.sleep(spacing_s / 2)
            was_late = live.thru_late - late_before
            late[played[-1]] = late.get(played[-1], 0) + was_late
            note_late.append(was_late)
            xran = xrun_watch is not None and xrun_watch.send([]) > xruns_before
            redone.append((was_late > 0 or xran) and sum(redone) < redo)
            if xran and len(redone) > 1 and not redone[-2] and sum(redone) < redo:
                redone[-2] = True  # the x-run may be the last note's, told late: that one too
        time.sleep(0.2)
    finally:
        # first: rtmidi closes its JACK client holding the GIL, waiting for a JACK cycle
        # that would wait for this Python process callback (deadlock)
        jack_inputs.stop()
        inputs.stop()
        output.stop()
        probe.close()
        if xrun_watch is not None:
            xrun_watch.__exit__()
    added_ms = next((t.delay_ms(SAMPLE_RATE) for t in timings.values() if t.constant), 0.0)
    counts = (output.underruns, live.thru_late, added_ms)
    result = _measure(probe, inputs.drain(), period_frames, source_name, tuple(played), counts)
    result = replace(result, redone=np.array(redone, dtype=bool))
    late_kept = sum(n for n, again in zip(note_late, redone, strict=True) if not again)
    result = replace(result, late_by_mode=late, late_kept=late_kept)
    return _with_jack_stamps(result, probe, jack_inputs)


def _with_jack_stamps(result: LoopbackResult, probe: JackProbe, jack: JackMidiInputs) -> Any:
    """The jack-frame stamps' errors: time (ms), JACK frame, and jack-time - output-frame.

    A note is matched to the stamp nearest its frame within 4 periods (an xrun can make a
    late probe's note reach the input a cycle later); a note with none is left out.
    """
    sent = [(frame, true_s) for frame, true_s, note in probe.sent if note == 42][::2]
    stamps = [s for s in jack.stamps if s.route == "output-frame"]
    frames = np.array([s.jack_frame for s in stamps])
    errors_ms, frame_errors, gaps_ms = [], [], []
    for frame, true_s in sent:
        if len(frames) == 0:
            break
        nearest = int(np.argmin(np.abs(frames - frame)))
        stamp = stamps[nearest]
        if abs(stamp.jack_frame - frame) > 4 * result.period_frames:
            continue
        frame_errors.append(stamp.jack_frame - frame)
        errors_ms.append((stamp.time_s - true_s) * 1000)
        gaps_ms.append((stamp.jack_time_s - stamp.time_s) * 1000)
    return replace(
        result, jack_error_ms=np.array(errors_ms), jack_frame_error=np.array(frame_errors),
        route_gap_ms=np.array(gaps_ms),
    )  # fmt: skip


def _measure(
    probe: JackProbe,
    events: list[InputEvent],
    period: int,
    source: str,
    modes: tuple[str, ...],
    counts: tuple[int, int, float],
) -> LoopbackResult:
    sent = [(frame, true_s) for frame, true_s, note in probe.sent if note == 42][::2]
    onsets = np.array(probe.onsets)
    stamps = np.array([(e.time_s, e.arrival_s) for e in events if e.kind == "note_on"])
    latency, delta_err, arrival_err = [], [], []
    for frame, true_s in sent:
        later = onsets[(onsets >= frame) & (onsets < frame + SAMPLE_RATE // 10)]
        latency.append((later[0] - frame) * 1000 / SAMPLE_RATE if len(later) else np.nan)
        # the note's own event: the arrival nearest after the send (notes are 150 ms apart)
        near = stamps[np.abs(stamps[:, 1] - true_s - 0.01) < 0.05] if len(stamps) else stamps
        if len(near) == 1:
            delta_err.append((near[0, 0] - true_s) * 1000)
            arrival_err.append((near[0, 1] - true_s) * 1000)
        else:  # NaN: the stamp errors line up with the notes too
            delta_err.append(np.nan)
            arrival_err.append(np.nan)
    underruns, late, added_ms = counts
    as_array = np.array
    return LoopbackResult(
        period, source, modes[: len(latency)], as_array(latency, dtype=float), as_array(delta_err),
        as_array(arrival_err), len(sent), underruns, late, added_ms,
    )  # fmt: skip


@dataclass(frozen=True)
class Stats:
    """Summary of one set of figures (ms)."""

    n: int
    p50: float
    p99: float
    max: float
    jitter: float  # p99 - p1
    sd: float

    @classmethod
    def of(cls, values_ms: np.ndarray) -> Stats:
        """Statistics of ``values_ms`` without its NaNs (NaN everywhere when none is left)."""
        values_ms = values_ms[~np.isnan(values_ms)]
        if len(values_ms) == 0:
            return cls(0, *([float("nan")] * 5))
        p1, p50, p99 = np.percentile(values_ms, [1, 50, 99])
        return cls(len(values_ms), p50, p99, float(np.max(values_ms)), p99 - p1, np.std(values_ms))

    def row(self, label: str) -> str:
        """One table row."""
        figures = (self.p50, self.p99, self.max, self.jitter, self.sd)
        return f"  {label:<30}" + "".join(f"{x:8.3f}" for x in figures) + f"{self.n:6d}"


HEADER = f"  {'ms':<30}" + "".join(f"{h:>8}" for h in ("p50", "p99", "max", "p99-p1", "SD", "n"))


def report(result: LoopbackResult) -> str:
    """A table for one run: latency per thru mode, timestamp errors, ratios."""
    lines = [
        f"period {result.period_frames} frames ({result.period_frames / 48:.2f} ms), "
        f"{result.source}, notes {result.notes_sent}, under-runs {result.underruns}, "
        f"constant delay {result.added_delay_ms:.2f} ms, late (played at once) {result.thru_late}",
        HEADER,
    ]
    stats = {m: Stats.of(result.latency_of(m)) for m in dict.fromkeys(result.modes)}
    if result.late_by_mode:
        lines[0] += " (" + ", ".join(f"{m} {n}" for m, n in result.late_by_mode.items()) + ")"
    if result.redone.any():
        lines[0] += f"; played again after an x-run or a late note: {int(result.redone.sum())}"
    lines += [s.row(f"(a) latency, {m}") for m, s in stats.items()]
    lines.append(Stats.of(result.jack_error_ms).row("(b) stamp error, jack-frame"))
    lines.append(Stats.of(result.delta_error_ms).row("(b) stamp error, rtmidi-delta"))
    lines.append(Stats.of(result.arrival_error_ms).row("(b) stamp error, arrival"))
    lines.append(Stats.of(result.route_gap_ms).row("(b) jack-time - output-frame"))
    errors = np.abs(result.jack_frame_error)
    if len(errors):
        lines.append(
            f"  jack-frame stamps: JACK frame exact {int(np.sum(errors == 0))}/"
            f"{result.notes_sent}, off {sorted(set(errors[errors > 0].tolist()))} frames "
            f"(the probe missed a cycle), not found {result.notes_sent - len(errors)}"
        )
    for mode in ("constant", JACK):
        if {mode, "immediate"} <= set(stats):
            c, i = stats[mode], stats["immediate"]
            lines.append(
                f"  {mode} / immediate: p50 {c.p50 / i.p50:.2f}, p99 {c.p99 / i.p99:.2f}, "
                f"jitter {c.jitter / i.jitter:.2f}, SD {c.sd / i.sd:.2f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the loopback for each period and print the figures."""
    parser = argparse.ArgumentParser(prog="soundness-live bench latency", description=__doc__)
    parser.add_argument("--notes", type=int, default=60, help="notes per mode (default 60)")
    parser.add_argument("--periods", default="64,128,256", help="JACK periods in frames")
    parser.add_argument(
        "--thru-delay-ms", type=float, help="constant mode's added delay (default: block + 1 ms)"
    )
    args = parser.parse_args(argv)
    if shutil.which("jackd") is None:
        print("bench latency: jackd not found (apt-get install jackd2)")
        return 1
    for period in [int(p) for p in args.periods.split(",")]:
        with jack_server(period, SAMPLE_RATE):
            result = run_loopback(period, len(MODES) * args.notes, delay_ms=args.thru_delay_ms)
            print(report(result), flush=True)
    print("targets at 64 frames: added latency p99 <= 3 ms, jitter <= 0.5 ms; "
          "timestamp error p99 <= 1 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
