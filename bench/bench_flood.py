"""MIDI flood: what a stuck controller costs the engine, through a private JACK loopback.

For each MIDI input (python-rtmidi's JACK API, the JACK-native input, and the engine as one
JACK client: the JACK-native input on the JACK output's own client, ``one-client``, its
cycle's MIDI delivered in the output's process callback, at most ``CYCLE_DELIVER_ROWS`` a
cycle, the rest of a flood waiting in the ring for the next cycles) and each flood rate, a
source in its own process sends one control change RATE times a second for SECONDS (a mod wheel
stuck in a loop) and the child's note every quarter second; the engine's thru path
(:class:`~soundness_live.live.input.LiveInput`) feeds the engine's Renderer (TimGM6mb, else a
click source), playing through sounddevice on the same JACK server (``one-client``: through the
JACK output, the thru path constant with no added delay, as ``--thru auto`` is there).
Reported per run:

- messages a second sent, received by the input, taken (passed to the synth), dropped and
  counted (flood limit, full ring); the child's notes sent and sounded;
- the output's under-runs and the server's x-runs during the run (compare rates with each
  other in the same run, never against zero: non-realtime jackd x-runs when idle too);
- this process's CPU time per second of flood, and its resident memory after minus before;
- ``one-client`` only: how many cycles the child's notes waited in the ring (the most: the
  frames from a note's own frame to the block being rendered when it was delivered, over the
  period; 0 when it was delivered in its own cycle), and the output's process callback, mean
  and longest (us), during the flood.

The bounds that hold it: rtmidi's queue (RTMIDI_QUEUE_SIZE), read READ_BATCH at a time; the
JACK event ring (half kept for notes); the flood guard's budgets; the renderer's queue.
Run: ``python bench/bench_flood.py [--rates 0,5000,20000,60000] [--seconds 3] [--period 128]
[--inputs rtmidi,jack,one-client]``.
Needs jackd (Debian: jackd2), libportaudio2 and the PyPI package JACK-Client.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_latency import engine_source  # noqa: E402
from soundness_live.audio.backends import open_output  # noqa: E402
from soundness_live.core.events import NoteOn  # noqa: E402
from soundness_live.live.engine import EngineOptions  # noqa: E402
from soundness_live.live.engine_setup import exact_thru  # noqa: E402
from soundness_live.live.input import LiveInput  # noqa: E402
from soundness_live.midi import flood  # noqa: E402
from soundness_live.midi.jack_frames import OutputFrameTap  # noqa: E402
from soundness_live.midi.jack_input import (  # noqa: E402
    CYCLE_DELIVER_ROWS,
    NOTE_RESERVE_ROWS,
    JackMidiInputs,
)
from soundness_live.midi.ports import READ_BATCH, RTMIDI_QUEUE_SIZE, MidiInputs  # noqa: E402
from soundness_live.synth.renderer import QUEUE_CAPACITY  # noqa: E402
from tests.jack_midi_source import JackMidiSource  # noqa: E402
from tests.jackserver import jack_server  # noqa: E402

SAMPLE_RATE = 48_000
STUCK_WHEEL = bytes([0xB0, 0x01, 0x40])
CHILD_NOTE = bytes([0x90, 60, 101])
INPUTS = ("rtmidi", "jack", "one-client")


@dataclass(frozen=True)
class FloodRun:
    """What one flood run measured."""

    path: str
    rate_per_s: float
    seconds: float
    sent: int
    received: int
    taken: int
    dropped: int
    notes_sent: int
    notes_sounded: int
    underruns: int
    xruns: int
    cpu_s: float
    rss_growth_kb: int
    late_cycles: float | None = None  # one-client: the longest a note waited, in cycles
    callback_us: tuple[float, float] | None = None  # one-client: mean and longest callback

    def row(self) -> str:
        per_s = 1.0 / self.seconds
        return (
            f"{self.path:7s} {self.rate_per_s:8,.0f} {self.sent * per_s:9,.0f} "
            f"{(self.received - self.notes_sounded) * per_s:9,.0f} {self.taken * per_s:7,.0f} "
            f"{self.dropped * per_s:9,.0f}   {self.notes_sounded:2d}/{self.notes_sent:<2d}  "
            f"{self.underruns:9d} {self.xruns:6d} {self.cpu_s * per_s:8.2f} "
            f"{self.rss_growth_kb:9d}{self._one_client()}"
        )

    def _one_client(self) -> str:
        if self.late_cycles is None or self.callback_us is None:
            return ""
        mean_us, longest_us = self.callback_us
        return f" {self.late_cycles:7.1f} {mean_us:7.0f} {longest_us:7.0f}"


def _rss_kb() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _open_input(path: str, on_event: Any, output: Any) -> Any:
    if path == "rtmidi":
        return MidiInputs(
            api="jack", on_event=on_event, mapping=lambda: output.mapping, queue_size=0,
            poll_interval_s=0.1, client_name="sl-bench-in",
        ).start()  # fmt: skip
    if path == "one-client":  # the output's own client, as the engine on JACK runs
        return JackMidiInputs(
            on_event, mapping=lambda: output.mapping, queue_size=0, host=output,
            frame_tap=output.source,
        ).start()  # fmt: skip
    return JackMidiInputs(
        on_event, mapping=lambda: output.mapping, queue_size=0, client_name="sl-bench-jack"
    ).start()


def run_flood(path: str, rate_per_s: float, seconds: float, period: int) -> FloodRun:
    """One run on the JACK server named in the environment (already running)."""
    source, _ = engine_source()
    sounded: list[int] = []
    late_frames: list[int] = []  # one-client: each child note's frames behind its block
    pushes = {"cc": 0}

    class Counting:  # the renderer, counting what the thru path pushes
        frame = property(lambda self: source.frame)

        def push(self, event: Any, immediate: bool = False) -> bool:
            if isinstance(event, NoteOn) and event.velocity == CHILD_NOTE[2]:
                sounded.append(event.note)
            elif not isinstance(event, NoteOn):
                pushes["cc"] += 1
            return bool(source.push(event, immediate))

    one_client = path == "one-client"
    if one_client:
        output = open_output(OutputFrameTap(source), "jack", None, period, SAMPLE_RATE)
    else:
        output = open_output(source, "sounddevice", "JACK", period, SAMPLE_RATE)
    live = LiveInput(Counting(), lambda: output.mapping, SAMPLE_RATE)  # type: ignore[arg-type]
    if one_client:  # constant, no added delay: what --thru auto picks on one client
        live.thru = exact_thru(EngineOptions(Path("."), block_size=period), output)

    def on_event(event: Any) -> None:
        """The thru path's listener; on one client (delivered in the output's callback, before
        the block renders) it notes how far behind that block each child's note was stamped:
        a note delivered in its own cycle is not behind it."""
        child = event.kind == "note_on" and event.velocity == CHILD_NOTE[2]
        if one_client and child and event.frame is not None:
            late_frames.append(source.frame - int(event.frame))
        live.on_event(event)

    with JackMidiSource("sl-bench-kbd") as keyboard:
        output.start()
        inputs = _open_input(path, on_event, output)
        try:
            deadline = time.monotonic() + 5.0
            while keyboard.port not in inputs.ports and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)
            underruns, rss_kb, xruns = output.underruns, _rss_kb(), keyboard.send([])
            cpu_s = time.process_time()
            cycles = _callback_times(output)
            sent, notes = keyboard.flood(rate_per_s, seconds, STUCK_WHEEL, 0.25, CHILD_NOTE)
            cycles = _callback_times(output, cycles)
            time.sleep(0.3)
            cpu_s = time.process_time() - cpu_s
            xruns = keyboard.send([]) - xruns
            figures = (inputs.received, pushes["cc"], inputs.flood_dropped, notes, len(sounded))
            underruns, rss_kb = output.underruns - underruns, _rss_kb() - rss_kb
        finally:
            inputs.stop()  # before any JACK client of ours closes holding the GIL
            output.stop()
    received, taken, dropped, notes, notes_sounded = figures
    late = max(late_frames, default=0) / period if one_client else None
    return FloodRun(
        path, rate_per_s, seconds, sent, received, taken, dropped, notes, notes_sounded,
        underruns, xruns, cpu_s, rss_kb, None if late is None else max(late, 0.0), cycles,
    )  # fmt: skip


def _callback_times(output: Any, since: Any = None) -> Any:
    """The JACK output's (cycles, seconds in its callback) so far, its longest reset; given
    ``since`` (an earlier reading): (mean us, longest us) from then on. None elsewhere."""
    if not hasattr(output, "callback_max_s"):
        return None
    if since is None:
        output.callback_max_s = 0.0
        return output.cycles, output.callback_s
    cycles, spent_s = output.cycles - since[0], output.callback_s - since[1]
    return 1e6 * spent_s / max(cycles, 1), 1e6 * output.callback_max_s


def report(runs: list[FloodRun], period: int) -> str:
    """The runs as a table, with the bounds that held them."""
    lines = [
        f"MIDI flood through a private JACK server, {period}-frame periods, {SAMPLE_RATE} Hz; "
        f"bounds: rtmidi queue {RTMIDI_QUEUE_SIZE} read {READ_BATCH} a pass, JACK ring 1024 "
        f"rows ({NOTE_RESERVE_ROWS:.0%} kept for notes), flood guard notes "
        f"{flood.NOTES_PER_S:.0f}/s (burst {flood.NOTES_BURST:.0f}) controls "
        f"{flood.CONTROLS_PER_S:.0f}/s (burst {flood.CONTROLS_BURST:.0f}), renderer queue "
        f"{QUEUE_CAPACITY}, engine input queue none, one client: {CYCLE_DELIVER_ROWS} rows "
        "delivered a cycle",
        "input   rate/s      sent/s  recv/s   taken/s  dropped/s  notes   underruns xruns  "
        "cpu s/s  rss +kB  late cy  cb us  cb max",
    ]
    return "\n".join(lines + [run.row() for run in runs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0,5000,20000,60000")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--period", type=int, default=128)
    parser.add_argument("--inputs", default=",".join(INPUTS))
    args = parser.parse_args(argv)
    rates = [float(rate) for rate in args.rates.split(",")]
    runs = []
    with jack_server(args.period):
        for path in args.inputs.split(","):
            for rate in rates:
                runs.append(run_flood(path, rate, args.seconds, args.period))
                print(runs[-1].row(), flush=True)
    print(report(runs, args.period))
    return 0


if __name__ == "__main__":
    sys.exit(main())
