"""The synth on a JACK server against FluidSynth on the same server: x-runs and tap-to-sound.

For each JACK period (128 and 64 frames; a private jackd on the dummy driver, started afresh
for each) a probe plays a closed hi-hat 8 times a second for 30 s (note-on at a random offset
of its cycle, note-off half-way to the next) into each synth in turn, ``--rounds`` (3) times
each, interleaved (engine, FluidSynth, engine, ...) so a busy moment of the machine falls on
all alike; each run is a row with the load average when it ended, then the median of the
rounds. The probe runs in a process of its own (this file with ``--probe``), so that no synth
shares a GIL with it, and its process callback is compiled (``tests/jack_probe_cycle.py``: a
few microseconds a cycle, where a Python one took 24-28 and, downstream of the synth in the
graph, made x-runs of its own that befell either synth): it counts the server's x-runs while
a synth plays (JACK's x-run callback), samples the server's DSP load (``cpu_load``, every
client's share of the period) and hears the synth's output: tap-to-sound = the first audible
frame after a note-on minus the frame the note-on was written at, both JACK frames.

Each row also says whom the server found late while the probe played, from jackd's own log
(one line per late party; one x-run can name several): ``drv``, the dummy driver's cycle
began past its deadline (the server's thread got no CPU in time); ``synth``, the synth's
client had not finished when the next cycle began; ``probe``, the probe's client had not.
The x-runs a synth causes itself are under ``synth``, and some of those under ``probe``: the
probe runs after the synth in each cycle, so a stall that holds up the synth without making
it late can leave the probe unfinished; ``drv`` befall whichever synth plays.
``cpu us`` is the CPU time of the synth's busiest thread (its JACK process thread) per
period while the probe played: how long in each cycle a stall of the machine (another
process, the hypervisor) can catch the synth running and make it late.

The synths (``--engine`` picks the engine's paths):

- ``engine``: a real engine process (``soundness-live engine``) as it runs on JACK with JACK
  MIDI: ``--audio jack --midi jack``, one JACK client whose process callback reads the MIDI,
  lets the live thru path place the notes (``--thru auto``: constant, at their own frames)
  and renders the block (the Renderer with its output stage);
- ``engine-pa``: the path before it, ``--audio sounddevice --audio-device JACK --midi jack``:
  PortAudio's JACK client for the sound and the JACK MIDI input's own client;
- ``FluidSynth``: pyfluidsynth's libfluidsynth with its JACK audio and MIDI drivers (one client,
  C threads only), the drum kit on channel 10, reverb and chorus off.

All play the same SoundFont (FluidR3_GM when installed, else TimGM6mb). The engine's rows also
give its own under-run count (its snapshot).

The server runs ``--no-realtime`` by default, as the tests run it (CI has no right to real-time
scheduling); ``--servers realtime`` runs it ``-R -P 70`` as real installs do (jackd2's
default), which makes every client's process thread real-time too, and ``--servers
non-realtime,realtime`` runs both, interleaved round by round, the realtime rows named "... rt".

Run: ``python bench/bench_synth_jack.py [--seconds S] [--rate-hz N] [--periods 128,64]
[--rounds 3] [--engine one-client,portaudio] [--servers non-realtime,realtime]``;
``--cycles``: where a cycle of the engine's JACK output goes, with nothing else on the server
(see :func:`cycle_split`). Needs jackd
(Debian: jackd2), libportaudio2, libfluidsynth3 and the PyPI packages JACK-Client and
pyfluidsynth.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.jackserver import JackProbe, jack_server  # noqa: E402

RATE = 48_000
FONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2")
HAT_ON, HAT_OFF = bytes([0x99, 42, 110]), bytes([0x89, 42, 0])
# an onset: the first frame above -40 dBFS after 25 ms below it (a hat's tail 125 ms on is
# below -40 dBFS on both synths, so every note is heard apart)
PROBE_THRESHOLD, QUIET_FRAMES = 0.01, 1200
# the probe's JACK client; its lines when it starts and stops counting x-runs
PROBE, PLAYING, PLAYED = "sl-probe", "playing", "played"


@dataclass(frozen=True)
class Run:
    """What one synth did on the server: x-runs while it played, tap-to-sound (ms)."""

    name: str
    notes: int
    xruns: int
    latency_ms: np.ndarray  # NaN where no sound was found
    load: float = float("nan")  # the 1-minute load average when it ended
    dsp_percent: float = float("nan")  # the server's mean DSP load while it played
    underruns: int | None = None  # the engine's own count (None: FluidSynth does not say)
    late: tuple[int, int, int] = (0, 0, 0)  # who the server found late: driver, synth, probe
    thread_us: float = float("nan")  # CPU of the synth's busiest thread per period (us)

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
        underruns = "-" if self.underruns is None else str(self.underruns)
        late = "".join(f"{count:>6}" for count in self.late)
        return (
            f"  {self.name:<14}{label:>7}{self.notes:>6}{len(self.heard):>7}{self.xruns:>7}"
            f"{late}{self.thread_us:>7.1f}{underruns:>7}{figures}{self.dsp_percent:>7.1f}"
            f"{self.load:>7.2f}"
        )


HEADER = (
    f"  {'synth':<14}{'run':>7}{'notes':>6}{'heard':>7}{'xruns':>7}{'drv':>6}{'synth':>6}"
    f"{'probe':>6}{'cpu us':>7}{'under':>7}{'p50 ms':>8}"
    f"{'p99 ms':>8}{'max':>8}{'dsp %':>7}{'load':>7}"
)


def median_row(runs: list[Run]) -> str:
    """The median over ``runs`` of one synth: x-runs, tap-to-sound p50, p99, max, load."""
    figures = np.array([run.figures() for run in runs])
    p50, p99, top = np.nanmedian(figures, axis=0) if len(runs) else (np.nan,) * 3
    xruns = float(np.median([run.xruns for run in runs]))
    heard = int(np.median([len(run.heard) for run in runs]))
    load = float(np.median([run.load for run in runs]))
    dsp = float(np.median([run.dsp_percent for run in runs]))
    counted = [run.underruns for run in runs if run.underruns is not None]
    underruns = f"{np.median(counted):g}" if counted else "-"
    late = "".join(f"{x:>6g}" for x in np.median([run.late for run in runs], axis=0))
    thread_us = float(np.median([run.thread_us for run in runs]))
    return (
        f"  {runs[0].name:<14}{'median':>7}{runs[0].notes:>6}{heard:>7}{xruns:>7g}"
        f"{late}{thread_us:>7.1f}{underruns:>7}{p50:8.2f}{p99:8.2f}{top:8.2f}{dsp:>7.1f}{load:>7.2f}"
    )


def late_counts(server_log: str, synth_client: str) -> tuple[int, int, int]:
    """Who jackd found late in ``server_log`` (its lines while the probe played): its driver
    (the dummy driver's own cycle ran past its deadline), the synth's client, the probe's
    client (not finished when the next cycle began, or finished after it)."""

    def late(client: str) -> int:
        said = (f"client = {client} was not finished", f"client {client} finished after")
        return sum(any(words in line for words in said) for line in server_log.splitlines())

    return server_log.count("JackTimedDriver::Process XRun"), late(synth_client), late(PROBE)


def thread_cpu_ns(pid: int) -> dict[int, int]:
    """CPU time (ns) of each thread of process ``pid`` so far (Linux's schedstat; empty
    where there is none)."""
    cpu: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            cpu[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return cpu


def busiest_thread_us(
    before: dict[int, int], after: dict[int, int], seconds: float, period: int
) -> float:
    """CPU (us) per period of the thread that ran most between two :func:`thread_cpu_ns`
    readings ``seconds`` apart: a synth's JACK process thread, the time a stall of the
    machine can catch it running in each cycle; NaN without readings."""
    grown = [after[tid] - before.get(tid, 0) for tid in after]
    if not grown or seconds <= 0:
        return float("nan")
    return max(grown) / 1e3 / (seconds * RATE / period)


def play_hats(
    probe: JackProbe, seconds: float, rate_hz: float, period: int, loads: list[float] | None = None
) -> int:
    """Send the hi-hat pattern (``rate_hz`` notes a second for ``seconds``, each on at a
    random frame of its cycle, off half a note later); returns the notes sent. ``loads``
    takes the server's DSP load (%) at each note."""
    rng = np.random.default_rng(1)
    notes = int(seconds * rate_hz)
    for _ in range(notes):
        if loads is not None:
            loads.append(float(probe.client.cpu_load()))
        probe.send(HAT_ON, int(rng.integers(0, period)))
        time.sleep(0.5 / rate_hz)
        probe.send(HAT_OFF, 0)
        time.sleep(0.5 / rate_hz)
    time.sleep(0.3)
    return notes


def _latencies(probe: JackProbe) -> np.ndarray:
    """Tap-to-sound (ms) of every note-on: the first onset within 100 ms of it."""
    sent = [frame for frame, _, note in probe.sent if note == 42][::2]
    onsets = np.array(probe.onsets)
    found = []
    for frame in sent:
        later = onsets[(onsets >= frame) & (onsets < frame + RATE // 10)] if len(onsets) else []
        found.append((later[0] - frame) * 1000 / RATE if len(later) else np.nan)
    return np.array(found, dtype=float)


# -- the probe, in a process of its own -----------------------------------------------------------
def probe_main(argv: list[str]) -> int:
    """``--probe AUDIO_PORT [MIDI_PORT] SECONDS RATE_HZ PERIOD``: hear ``AUDIO_PORT``, connect
    the probe's MIDI out to ``MIDI_PORT`` (or wait for the synth to connect it), play the
    hats; prints the figures as one JSON line."""
    audio_port, midi_port = argv[0], argv[1] or None
    seconds, rate_hz, period = float(argv[2]), float(argv[3]), int(argv[4])
    probe = JackProbe(PROBE, threshold=PROBE_THRESHOLD, quiet_frames=QUIET_FRAMES)
    xruns = [0]
    probe.client.set_xrun_callback(lambda _delay_us: xruns.__setitem__(0, xruns[0] + 1))
    probe.activate()
    try:
        probe.client.connect(audio_port, "sl-probe:in")
        if midi_port is not None:
            probe.client.connect("sl-probe:midi_out", midi_port)
        _wait(lambda: bool(probe.client.get_all_connections("sl-probe:midi_out")), 10.0)
        time.sleep(0.5)
        xruns[0], loads = 0, []
        print(PLAYING, flush=True)  # the bench notes where the server's log stands
        notes = play_hats(probe, seconds, rate_hz, period, loads)
        counted = xruns[0]
        print(PLAYED, flush=True)
    finally:
        probe.close()
    figures = {
        "notes": notes,
        "xruns": counted,
        "latency_ms": [None if np.isnan(x) else float(x) for x in _latencies(probe)],
        "dsp_percent": float(np.mean(loads)) if loads else float("nan"),
    }
    print(json.dumps(figures), flush=True)
    return 0


def run_probe(
    name: str,
    audio_port: str,
    midi_port: str | None,
    args: Any,
    server: Any,
    synth_client: str,
    synth_pid: int,
) -> Run:
    """Play the pattern from a probe process into a synth; the probe's figures as a run, with
    who the server found late while it played (its log from the probe's start to its end)
    and the CPU per period of the synth's busiest thread (of process ``synth_pid``)."""
    command = [sys.executable, __file__, "--probe", audio_port, midi_port or ""]
    command += [str(args.seconds), str(args.rate_hz), str(server.period_frames)]
    probe = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        marks: dict[str, int] = {}
        cpu: dict[str, tuple[float, dict[int, int]]] = {}
        assert probe.stdout is not None
        for line in probe.stdout:
            if line.strip() in (PLAYING, PLAYED):
                marks[line.strip()] = server.log_size()
                cpu[line.strip()] = (time.monotonic(), thread_cpu_ns(synth_pid))
            if PLAYED in marks:
                break
        stdout, stderr = probe.communicate(timeout=args.seconds + 60)
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.wait()
    if probe.returncode != 0 or len(marks) != 2:
        raise RuntimeError(f"the probe failed ({probe.returncode}): {stderr[-2000:]}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    latency = np.array([np.nan if x is None else x for x in figures["latency_ms"]], dtype=float)
    late = late_counts(server.log_text(marks[PLAYING], marks[PLAYED]), synth_client)
    (began_s, before), (ended_s, after) = cpu[PLAYING], cpu[PLAYED]
    thread_us = busiest_thread_us(before, after, ended_s - began_s, server.period_frames)
    return Run(
        name, figures["notes"], figures["xruns"], latency, os.getloadavg()[0],
        figures["dsp_percent"], late=late, thread_us=thread_us,
    )  # fmt: skip


def _wait(condition: Any, timeout_s: float, what: str = "the JACK ports") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout_s:g} s")
        time.sleep(0.05)


def _jack_ports() -> list[str]:
    """Every port of the server (jack_lsp: no JACK client in this process)."""
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, timeout=10)
    return [line.strip() for line in listed.stdout.splitlines() if line.strip()]


# -- the synths ------------------------------------------------------------------------------
SCHEDULES = ("non-realtime", "realtime")
ENGINE_PATHS = {  # --engine name -> (row name, the engine's options for its path)
    "one-client": ("engine", ["--audio", "jack"]),
    "portaudio": ("engine-pa", ["--audio", "sounddevice", "--audio-device", "JACK"]),
}


def run_engine(font: str, server: Any, args: Any, path: str = "one-client") -> Run:
    """A real engine process on the server (its MIDI input on JACK, ``path``'s output)."""
    from soundness_live.live.client import EngineClient, start_engine

    name, audio = ENGINE_PATHS[path]
    home = Path(tempfile.mkdtemp(prefix="sl-bench-jack-"))
    os.chmod(home, 0o700)
    period = server.period_frames
    options = [*audio, "--midi", "jack", "--block-size", str(period), "--soundfont", font]
    engine = start_engine(home, [*options, "--snapshot-hz", "4"])
    client = None
    try:
        deadline = time.monotonic() + 120
        while client is None:
            try:
                client = EngineClient.connect(home)
            except Exception:
                if engine.poll() is not None or time.monotonic() > deadline:
                    log = (home / "engine.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the engine did not start:\n{log}") from None
                time.sleep(0.2)
        port = "soundness-live:out_1" if path == "one-client" else None
        _wait(lambda: _engine_port(port) is not None, 30, "the engine's sound output")
        before = client.request("snapshot")["state"]
        client_name = "soundness-live" if path == "one-client" else "PortAudio"
        run = run_probe(name, str(_engine_port(port)), None, args, server, client_name, engine.pid)
        after = client.request("snapshot")["state"]
    finally:
        _stop_engine(engine, client)
        shutil.rmtree(home, ignore_errors=True)
    underruns = int(after["underruns"]) - int(before["underruns"])
    if after.get("output_cycles"):  # the JACK output times its callback
        cycles = after["output_cycles"] - before["output_cycles"]
        quiet = (after.get("output_quiet_cycles") or 0) - (before.get("output_quiet_cycles") or 0)
        spent_s = after["output_callback_s"] - before["output_callback_s"]
        print(
            f"    {name}: process callback {1e6 * spent_s / max(cycles, 1):.0f} us mean over "
            f"{cycles} cycles ({100 * spent_s * RATE / max(cycles * period, 1):.1f} % of the "
            f"period; {quiet} of them quiet, compiled), longest "
            f"{after['output_callback_max_us']:.0f} us since start",
            flush=True,
        )
    return replace(run, underruns=underruns)


def _engine_port(name: str | None) -> str | None:
    """The engine's left output port: ``name``, or PortAudio's first output port."""
    ports = _jack_ports()
    if name is not None:
        return name if name in ports else None
    return next((p for p in ports if p.startswith("PortAudio") and "out" in p), None)


def _stop_engine(engine: subprocess.Popen, client: Any) -> None:
    if client is not None:
        try:
            client.request("shutdown")
        except Exception:
            pass
        client.close()
    try:
        engine.wait(20)
    except subprocess.TimeoutExpired:
        engine.kill()
        engine.wait()


def run_fluidsynth(font: str, server: Any, args: Any) -> Run:
    """FluidSynth with its own JACK drivers on the server (C threads; the probe elsewhere)."""
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
    try:
        _wait(lambda: "sl-fluid:left" in _jack_ports(), 5.0)
        left, midi = "sl-fluid:left", "sl-fluid:midi_00"
        return run_probe("FluidSynth", left, midi, args, server, "sl-fluid", os.getpid())
    finally:
        synth.delete()


# -- where a cycle of the engine's JACK output goes (--cycles) ------------------------------------
class _Silent:
    """A block source rendering silence: the output's and the MIDI reader's own cost alone."""

    frame, delay_frames = 0, 0

    def render_into(self, out: np.ndarray) -> None:
        out.fill(0.0)
        self.frame += len(out)


class _TimedSource:
    """A block source that times each block its wrapped source renders (perf counter, s)."""

    def __init__(self, source: Any) -> None:
        self.source, self.spent_s = source, np.zeros(1 << 18)
        self.blocks = 0

    @property
    def frame(self) -> int:
        return int(self.source.frame)

    @property
    def delay_frames(self) -> int:
        return int(getattr(self.source, "delay_frames", 0))

    def render_into(self, out: np.ndarray) -> None:
        began_s = time.perf_counter()
        self.source.render_into(out)
        self.spent_s[self.blocks % len(self.spent_s)] = time.perf_counter() - began_s
        self.blocks += 1


def cycle_split(font: str, period: int, seconds: float, silent: bool) -> str:
    """The JACK output with its MIDI reader on one client, nothing else on the server, for
    ``seconds``: when its callback began after the cycle did (JACK's frames since the cycle
    began, read first in the callback), how long it ran, how long rendering took, and how
    many cycles the two together ran past the period, beside the server's x-runs."""
    from soundness_live.audio.jack_output import JackOutput
    from soundness_live.midi.jack_frames import OutputFrameTap
    from soundness_live.midi.jack_input import JackMidiInputs

    if silent:
        source: Any = _Silent()
    else:
        from soundness_live.synth.renderer import build_renderer

        source, _ = build_renderer(font, RATE)
    timed = _TimedSource(source)
    tap = OutputFrameTap(timed)
    with jack_server(period, RATE, portaudio=False):
        out = JackOutput(tap, period, RATE)
        began, spent, cycles = np.zeros(1 << 18), np.zeros(1 << 18), [0]
        process = out._process

        def timed_process(frames: int) -> None:
            since = out.jack_client.frames_since_cycle_start
            started_s = time.perf_counter()
            process(frames)
            index = cycles[0] % len(began)
            began[index], spent[index] = since / RATE, time.perf_counter() - started_s
            cycles[0] += 1

        out.jack_client.set_process_callback(timed_process)
        out.start()
        midi = JackMidiInputs(host=out, frame_tap=tap, mapping=lambda: out.mapping).start()
        time.sleep(seconds)
        midi.stop()
        out.stop()
    n = min(cycles[0], len(began))
    began_us, spent_us = began[:n] * 1e6, spent[:n] * 1e6
    render_us = timed.spent_s[: min(timed.blocks, len(timed.spent_s))] * 1e6
    past = 100 * float(np.mean(began_us + spent_us > 1e6 * period / RATE))
    return (
        f"  {'silence' if silent else 'synth idle':<11}{n:>8}{out.xruns:>7}"
        f"{np.percentile(began_us, 50):>8.0f}{np.percentile(began_us, 99):>8.0f}"
        f"{np.percentile(spent_us, 50):>8.0f}{np.percentile(spent_us, 99):>8.0f}"
        f"{np.percentile(render_us, 50):>8.0f}{np.percentile(render_us, 99):>8.0f}"
        f"{past:>8.2f}{os.getloadavg()[0]:>7.2f}"
    )


CYCLE_HEADER = (
    f"  {'source':<11}{'cycles':>8}{'xruns':>7}{'late50':>8}{'late99':>8}{'call50':>8}"
    f"{'call99':>8}{'rend50':>8}{'rend99':>8}{'past %':>8}{'load':>7}"
)


def main(argv: list[str] | None = None) -> int:
    """The synths in turn at each period; prints a table per period."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--probe"]:
        return probe_main(argv[1:])
    parser = argparse.ArgumentParser(prog="soundness-live bench synth-jack", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate-hz", type=float, default=8.0, help="notes a second (default 8)")
    parser.add_argument("--periods", default="128,64", help="JACK periods in frames")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each synth (default 3)")
    parser.add_argument(
        "--engine", default="one-client,portaudio",
        help="the engine's paths: one-client (--audio jack), portaudio (sounddevice + a JACK "
        "MIDI client of its own); default both",
    )  # fmt: skip
    parser.add_argument(
        "--servers", default="non-realtime",
        help="how jackd is scheduled: non-realtime (--no-realtime, as the tests run it: the "
        "default), realtime (-R, as real installs run it; its clients' process threads are "
        "real-time too), or both, interleaved round by round",
    )  # fmt: skip
    parser.add_argument(
        "--rt-priority", type=int, default=70, help="a realtime jackd's priority (default 70)"
    )
    parser.add_argument(
        "--cycles", action="store_true",
        help="instead: where a cycle of the engine's JACK output goes (late = its callback's "
        "start after the cycle's, call = its time, rend = rendering's, in us; past = cycles "
        "whose start and time ran past the period), silence and the synth idle in turn",
    )  # fmt: skip
    args = parser.parse_args(argv)
    paths = [p for p in args.engine.split(",") if p]
    unknown = [p for p in paths if p not in ENGINE_PATHS]
    if unknown:
        print(f"bench synth-jack: --engine takes {', '.join(ENGINE_PATHS)}, got {unknown}")
        return 2
    if shutil.which("jackd") is None:
        print("bench synth-jack: jackd not found (apt-get install jackd2)")
        return 1
    font = next((f for f in FONTS if os.path.exists(f)), None)
    if font is None:
        print("bench synth-jack: no GM SoundFont (apt-get install fluid-soundfont-gm)")
        return 1
    schedules = [x for x in args.servers.split(",") if x]
    if not schedules or any(x not in SCHEDULES for x in schedules):
        print(f"bench synth-jack: --servers takes {', '.join(SCHEDULES)}, got {args.servers!r}")
        return 2
    if args.cycles:
        return print_cycles(font, args)
    print(f"SoundFont {font}; {args.rate_hz:g} notes/s for {args.seconds:g} s; {RATE} Hz")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for period in [int(p) for p in args.periods.split(",")]:
        print(f"\n{period}-frame periods (dummy driver)\n{HEADER}", flush=True)
        runs: dict[str, list[Run]] = {}
        for run in period_runs(font, period, args, paths, schedules):
            runs.setdefault(run.name, []).append(run)
        for each in runs.values():
            print(median_row(each), flush=True)
    print("\nload average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


def period_runs(
    font: str, period: int, args: Any, paths: list[str], schedules: list[str]
) -> Iterator[Run]:
    """Every run at ``period``, each printed as it ends: the engine's paths and FluidSynth in
    turn, ``args.rounds`` times. One server for them all when it is one schedule; with both,
    a fresh server for each round of each (non-realtime, realtime, non-realtime, ...), so a
    busy moment of the machine falls on both alike. A realtime run's name ends in " rt"."""

    def one_round(server: Any, schedule: str) -> Iterator[Run]:
        suffix = "" if schedule == "non-realtime" else " rt"
        for path in paths:
            run = run_engine(font, server, args, path)
            yield replace(run, name=run.name + suffix)
        yield replace(run_fluidsynth(font, server, args), name="FluidSynth" + suffix)

    def served(schedule: str) -> Any:
        priority = args.rt_priority if schedule == "realtime" else None
        # no PortAudio here: on a running server its JACK host API would add a client of this
        # process to the graph, woken every cycle, beside whichever synth plays
        return jack_server(period, RATE, portaudio=False, realtime_priority=priority)

    if len(schedules) == 1:
        with served(schedules[0]) as server:
            for index in range(args.rounds):
                for run in one_round(server, schedules[0]):
                    print(run.row(str(index + 1)), flush=True)
                    yield run
        return
    for index in range(args.rounds):
        for schedule in schedules:
            with served(schedule) as server:
                for run in one_round(server, schedule):
                    print(run.row(str(index + 1)), flush=True)
                    yield run


def print_cycles(font: str, args: Any) -> int:
    """The --cycles table: each period, silence and the synth idle in turn, ``--rounds``."""
    print(f"the JACK output alone on the server, {args.seconds:g} s a run; {font}")
    for period in [int(p) for p in args.periods.split(",")]:
        print(f"\n{period}-frame periods\n{CYCLE_HEADER}", flush=True)
        for _ in range(args.rounds):
            for silent in (True, False):
                print(cycle_split(font, period, args.seconds, silent), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
