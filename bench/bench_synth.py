"""Synth benchmark: CPU seconds per second of audio, ours against FluidSynth, in one run.

Workloads at 48 kHz on one SoundFont (FluidR3_GM when installed, else TimGM6mb, else the
bundled bank): 32 and 128 held voices (string ensemble, looped sustain) and a drum pattern
(16ths at 120 BPM), at 64-frame blocks and at 256. Ours is timed twice: the synth alone
(``Synth.render``: one compiled kernel call a block, plus the note-ons of the drum pattern)
and the whole audio callback (``Renderer.render_into``: command queue, scheduler, synth and
output stage); the note-ons column is the part of the synth's figure spent in ``Synth.handle``
(the drum pattern's note-ons, Python), the rest being the kernel and its call. FluidSynth
(pyfluidsynth + libfluidsynth, reverb and chorus off, its low-pass filters active as always)
renders the same notes into float buffers (``fluid_synth_write_float``: the same work as ours,
no 16-bit conversion). Each figure is the median of ``--repeats`` (5) interleaved runs of
process CPU time, so a busy machine hurts both alike; the load average is printed with them.

Also printed: how long the kernel, the output stage and the note-on took to compile with an
empty cache and to load from a warm one (medians of three fresh processes each: wall clock, this
process's CPU and the CPU of the helper process that compiles the output stage on a cold cache,
:mod:`soundness_live.synth.compile_beside`; then the wall clock of each part: the kernel, the
note-on, waiting for that helper, the output stage), the first note's latency after start (a fresh
process builds the renderer, then times the block that starts the first note against later
ones), the Python cost per block against the number of voices, the callback's Python per
block outside the kernels (the renderer, scheduler, mixer and synth around the kernel and the
output stage, with nothing queued, due or playing), a note-on's cost in
``Synth.handle`` per region it starts (first time, again, again after a volume change), and the
output stage alone per block, at 64-frame blocks and at 256.

Run: ``python bench/bench_synth.py [--soundfont PATH] [--seconds S] [--repeats N]``
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundness_live.core.events import ControlChange, NoteOff, NoteOn, ProgramChange  # noqa: E402
from soundness_live.synth.kernel import render_voices  # noqa: E402
from soundness_live.synth.limiter import OutputStage  # noqa: E402
from soundness_live.synth.renderer import Renderer  # noqa: E402
from soundness_live.synth.sf2.find import default_soundfont_path  # noqa: E402
from soundness_live.synth.sf2.read import load_soundfont  # noqa: E402
from soundness_live.synth.synth import Synth  # noqa: E402

RATE = 48_000
BLOCK = 64  # the brief's block size; --block changes it to show how the overhead amortises
CALLBACK_BLOCK = 256  # where the callback's fixed cost weighs most against the voices' work
TIMGM6MB = "/usr/share/sounds/sf2/TimGM6mb.sf2"
FLUID_R3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
HELD_PROGRAM = 48  # String Ensemble 1: looped, sustains
DRUMS = {0: 36, 4: 38, 8: 36, 10: 36, 12: 38}  # 16th index in the bar -> key; hats on 8ths


def held_notes(font, n_voices: int) -> list[tuple[int, int]]:
    """(channel, key) pairs that make ``n_voices`` voices in our synth."""
    synth = Synth(font, RATE, max_voices=512)
    notes: list[tuple[int, int]] = []
    for channel in range(8):
        synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
    while synth.active_voices < n_voices:
        i = len(notes)
        note = (i % 8, 36 + (i * 7) % 60 + i // 60)
        synth.handle(NoteOn(0, note[0], note[1], 100))
        notes.append(note)
    return notes


def drum_hits(seconds: float) -> list[tuple[int, int]]:
    """(frame, key) of a 16th-note pattern at 120 BPM."""
    sixteenth = RATE * 60 / 120 / 4
    hits = []
    for step in range(int(seconds / (60 / 120 / 4))):
        frame = int(round(step * sixteenth))
        if step % 2 == 0:
            hits.append((frame, 42))
        if step % 16 in DRUMS:
            hits.append((frame, DRUMS[step % 16]))
    return hits


def cpu_seconds(render_block: Callable[[], None], n_blocks: int) -> float:
    start = time.process_time()
    for _ in range(n_blocks):
        render_block()
    return time.process_time() - start


def synth_alone(font, notes, hits, seconds: float, block: int) -> tuple[float, int, float]:
    """CPU seconds per second of audio of ``Synth.render`` (the kernel call) and the note-ons,
    the voices, and the part of the first figure spent in the note-ons (``Synth.handle``)."""
    synth = Synth(font, RATE, max_voices=512)
    for channel in range(8):
        synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
    synth.prepare()  # as the live engine does before its stream starts (build_renderer)
    for channel, key in notes:
        synth.handle(NoteOn(0, channel, key, 100))
    out = np.zeros((block, 2), np.float32)
    for _ in range(int(0.5 * RATE) // block):
        synth.render(out)
    voices = synth.active_voices
    pending = collections.deque((frame + synth.frame, key) for frame, key in hits)
    note_ons = 0.0  # CPU seconds in Synth.handle

    def step() -> None:
        nonlocal note_ons
        if pending and pending[0][0] < synth.frame + block:
            began = time.process_time()
            while pending and pending[0][0] < synth.frame + block:
                synth.handle(NoteOn(synth.frame, 9, pending.popleft()[1], 110))
            note_ons += time.process_time() - began
        synth.render(out)

    cost = cpu_seconds(step, int(seconds * RATE / block)) / seconds
    return cost, voices, note_ons / seconds


def fluid_synth(path: str, notes):
    """pyfluidsynth and a FluidSynth on ``path`` set up as ours is (reverb and chorus off, 512
    voices, the held program on channels 0-7, the drum kit on 10), ``notes`` started; None
    without it."""
    try:
        import fluidsynth
    except (ImportError, OSError):
        return None
    fs = fluidsynth.Synth(samplerate=float(RATE))
    for key, value in (("synth.reverb.active", 0), ("synth.chorus.active", 0)):
        fs.setting(key, value)
    fs.setting("synth.polyphony", 512)
    sfid = fs.sfload(path)
    for channel in range(8):
        fs.program_select(channel, sfid, 0, HELD_PROGRAM)
    fs.program_select(9, sfid, 128, 0)
    for channel, key in notes:
        fs.noteon(channel, key, 100)
    return fluidsynth, fs


def mean_voices(font, path: str, notes, hits, seconds: float, block: int) -> tuple[float, float]:
    """The voices sounding on average over a block of the workload, ours and FluidSynth's
    (NaN without it), in a run of their own: counting in the timed runs would time it too."""
    synth = Synth(font, RATE, max_voices=512)
    for channel in range(8):
        synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
    for channel, key in notes:
        synth.handle(NoteOn(0, channel, key, 100))
    out = np.zeros((block, 2), np.float32)
    for _ in range(int(0.5 * RATE) // block):
        synth.render(out)
    pending = collections.deque((frame + synth.frame, key) for frame, key in hits)
    ours = []
    for _ in range(int(seconds * RATE / block)):
        while pending and pending[0][0] < synth.frame + block:
            synth.handle(NoteOn(synth.frame, 9, pending.popleft()[1], 110))
        synth.render(out)
        ours.append(synth.active_voices)
    made = fluid_synth(path, notes)
    if made is None:
        return float(np.mean(ours)), float("nan")
    fluidsynth, fs = made
    pending, frame, theirs = collections.deque(hits), 0, []
    for _ in range(int(0.5 * RATE) // block):
        fs.get_samples(block)
    for _ in range(int(seconds * RATE / block)):
        while pending and pending[0][0] < frame + block:
            fs.noteon(9, pending.popleft()[1], 110)
        fs.get_samples(block)
        frame += block
        theirs.append(int(fluidsynth.fluid_synth_get_active_voice_count(fs.synth)))
    fs.delete()
    return float(np.mean(ours)), float(np.mean(theirs))


def callback(font, notes, hits, seconds: float, block: int) -> tuple[float, int]:
    """CPU seconds per second of audio of ``Renderer.render_into`` (queue, scheduler, synth,
    output stage: the audio callback's whole work), and the voices."""
    synth = Synth(font, RATE, max_voices=512)
    renderer = Renderer(synth, OutputStage(RATE))
    for channel in range(8):
        renderer.push(ProgramChange(0, channel, HELD_PROGRAM))
        synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
    synth.prepare()  # as the live engine does before its stream starts (build_renderer)
    for channel, key in notes:
        renderer.push(NoteOn(0, channel, key, 100))
    warm = int(0.5 * RATE) // block * block
    for frame, key in hits:
        renderer.push(NoteOn(frame + warm, 9, key, 110))
    out = np.zeros((block, 2), np.float32)
    for _ in range(warm // block):
        renderer.render_into(out)
    voices = synth.active_voices
    n_blocks = int(seconds * RATE / block)
    return cpu_seconds(lambda: renderer.render_into(out), n_blocks) / seconds, voices


def fluid(path: str, notes, hits, seconds: float, block: int) -> tuple[float, int] | None:
    """FluidSynth's figure on the same SoundFont, notes and block size (float output), or
    None without it."""
    made = fluid_synth(path, notes)
    if made is None:
        return None
    fluidsynth, fs = made
    write = fluidsynth._fl.fluid_synth_write_float
    channel_args = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]  # buffer, offset, stride
    write.argtypes = [ctypes.c_void_p, ctypes.c_int, *channel_args, *channel_args]
    out = np.zeros((block, 2), np.float32)
    pointer = out.ctypes.data
    for _ in range(int(0.5 * RATE) // block):
        write(fs.synth, block, pointer, 0, 2, pointer, 1, 2)
    voices = int(fluidsynth.fluid_synth_get_active_voice_count(fs.synth))
    pending = collections.deque(hits)
    frame = 0

    def step() -> None:
        nonlocal frame
        while pending and pending[0][0] < frame + block:
            fs.noteon(9, pending.popleft()[1], 110)
        write(fs.synth, block, pointer, 0, 2, pointer, 1, 2)
        frame += block

    cost = cpu_seconds(step, int(seconds * RATE / block)) / seconds
    fs.delete()
    return cost, voices


COMPILE_SCRIPT = """
from soundness_live.synth.kernel import compile_kernel
ready = compile_kernel()
print(ready.import_s, ready.compile_s, ready.compile_cpu_s, ready.helper_cpu_s, ready.from_cache,
      *ready.parts_s)
"""
COMPILE_RUNS = 3  # fresh processes for the cold figures and for the warm: their medians

FIRST_NOTE_SCRIPT = """
import sys, time
import numpy as np
started = time.perf_counter()
from soundness_live.core.events import NoteOn
from soundness_live.synth.renderer import build_renderer
renderer, _ = build_renderer(sys.argv[1], 48_000)
ready = time.perf_counter() - started
out = np.zeros((64, 2), np.float32)
renderer.render_into(out)
blocks = []
for key in range(60, 72):
    renderer.push(NoteOn(renderer.frame, 0, key, 100), immediate=True)
    began = time.perf_counter()
    renderer.render_into(out)
    blocks.append(time.perf_counter() - began)
    for _ in range(10):
        renderer.render_into(out)
print(ready, blocks[0], float(np.median(blocks[1:])))
"""


def in_fresh_process(script: str, *args: str, cache_dir: str) -> list[str]:
    """The words ``script`` prints, run by a new Python with ``NUMBA_CACHE_DIR=cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def start_up_figures(soundfont: str) -> list[str]:
    """Lines on compile times (cold, warm: medians of fresh processes) and the first note
    after start."""
    cold, warm = [], []
    for _ in range(COMPILE_RUNS):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(in_fresh_process(COMPILE_SCRIPT, cache_dir=cache))
            warm.append(in_fresh_process(COMPILE_SCRIPT, cache_dir=cache))
            first = in_fresh_process(FIRST_NOTE_SCRIPT, soundfont, cache_dir=cache)
    ready_s, first_s, later_s = (float(x) for x in first)
    return [
        _compile_line("kernel compile, empty cache", cold),
        _compile_line("warm cache", warm),
        f"start (load the SoundFont, lay out its samples, load the kernel): {ready_s:.2f} s; the"
        f" block playing the first note: {first_s * 1e3:.2f} ms, later notes' blocks: median"
        f" {later_s * 1e3:.2f} ms (a 64-frame block lasts {64 / RATE * 1e3:.2f} ms)",
    ]


def _compile_line(name: str, runs: list[list[str]]) -> str:
    """Medians of fresh processes' compile figures (import, wall, CPU, a helper's CPU)."""
    import_s, wall_s, cpu_s, helper_s = np.median([[float(x) for x in run[:4]] for run in runs], 0)
    walls = ", ".join(f"{float(run[1]):.2f}" for run in runs)
    cached = "/".join(run[4] for run in runs)
    kernel_s, note_on_s, waiting_s, stage_s = np.median(
        [[float(x) for x in run[5:9]] for run in runs], 0
    )
    return (
        f"{name}: {wall_s:.2f} s wall (median of {walls}), {cpu_s:.2f} s of CPU + {helper_s:.2f}"
        f" s in the helper process; numba import {import_s:.2f} s; from cache: {cached}\n"
        f"  of which, wall: kernel {kernel_s:.2f} s, note-on {note_on_s:.2f} s, waiting for the"
        f" helper {waiting_s:.2f} s, output stage {stage_s:.2f} s"
    )


def traced_events(call: Callable[[], None]) -> int:
    """Python lines, Python calls and C calls made by ``call()`` (a count, not a time)."""
    count = 0

    def tracer(frame, event, arg):  # noqa: ANN001, ANN202 - the sys.settrace signature
        nonlocal count
        count += 1
        return tracer

    def profiler(frame, event, arg):  # noqa: ANN001, ANN202 - the sys.setprofile signature
        nonlocal count
        count += event == "c_call"

    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    collecting = gc.isenabled()
    gc.disable()  # a collection would count whatever finalisers it runs, not the call's work
    sys.settrace(tracer)
    sys.setprofile(profiler)
    try:
        call()
    finally:
        sys.setprofile(old_profile)
        sys.settrace(old_trace)
        if collecting:
            gc.enable()
    return count


def python_cost(font, interpolation: str) -> list[tuple[int, float, float, int]]:
    """(voices, microseconds per 1-frame block, per 64-frame block, traced events per
    64-frame block) of Synth.render, held voices in sustain."""
    rows = []
    for n_voices in (0, 8, 32, 64, 128):
        synth = Synth(font, RATE, max_voices=512, interpolation=interpolation)
        for channel in range(8):
            synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
        for channel, key in held_notes(font, n_voices) if n_voices else []:
            synth.handle(NoteOn(0, channel, key, 100))
        synth.render(np.zeros((int(0.5 * RATE), 2), np.float32))
        costs = []
        for frames in (1, BLOCK):
            block = np.zeros((frames, 2), np.float32)
            n = 2000
            best = min(
                cpu_seconds(lambda s=synth, b=block: s.render(b), n) / n * 1e6 for _ in range(3)
            )
            costs.append(best)
        block = np.zeros((BLOCK, 2), np.float32)
        synth.render(block)  # after the 1-frame calls: refill the per-block-size caches
        events = traced_events(lambda s=synth, b=block: s.render(b))
        rows.append((synth.active_voices, costs[0], costs[1], events))
    return rows


def callback_python(font, block: int, repeats: int) -> list[tuple[int, float, float]]:
    """(voices, microseconds per ``block``-frame block of ``Renderer.render_into``, of its
    kernels alone) with held voices, nothing queued, nothing due and no sound playing: the
    kernels alone are the voice kernel's call and ``OutputStage.process`` on the same blocks,
    timed in the same way; the difference is the callback's own Python (the renderer, the
    scheduler, the mixer and ``Synth.render`` around the kernel). Minima of ``repeats``
    interleaved runs of 500 blocks each: the least a busy machine added."""
    rows = []
    for n_voices in (0, 8):
        synth = Synth(font, RATE, max_voices=512)
        renderer = Renderer(synth, OutputStage(RATE))
        for channel in range(8):
            synth.handle(ProgramChange(0, channel, HELD_PROGRAM))
        synth.prepare()
        for channel, key in held_notes(font, n_voices) if n_voices else []:
            synth.handle(NoteOn(0, channel, key, 100))
        out = np.zeros((block, 2), np.float32)
        for _ in range(int(0.5 * RATE) // block):
            renderer.render_into(out)
        v, stage = synth.voices, renderer.output_stage
        arrays = (v.count, v.state, v.params, v.channels, v.layout.rows, v.mix, float(RATE))

        def kernels(stage=stage, out=out, arrays=arrays) -> None:
            render_voices(out, *arrays)
            stage.process(out)

        whole, alone = [], []
        for _ in range(repeats):
            whole.append(cpu_seconds(lambda r=renderer, o=out: r.render_into(o), 500) / 500)
            alone.append(cpu_seconds(kernels, 500) / 500)
        rows.append((synth.active_voices, min(whole) * 1e6, min(alone) * 1e6))
    return rows


NOTE_ON_PROGRAMS = (0, 48, 73)  # piano, strings, flute: one to a few regions a note


def note_on_cost(font) -> list[tuple[str, float, float]]:
    """(case, median and 90th percentile microseconds per region started) of Synth.handle
    for a note-on: a key and velocity never played before on the font; the same again; and
    again after a volume change (CC7) on the channel. Voices are released and cleared
    between note-ons (not timed), so each note-on finds a bank of a few voices."""
    synth = Synth(font, RATE)
    synth.prepare_bank(1 << 40)
    block = np.zeros((BLOCK, 2), np.float32)
    notes = [(p, k, v) for p in NOTE_ON_PROGRAMS for k in range(36, 96, 5) for v in (50, 90, 120)]
    costs: dict[str, list[float]] = {"first": [], "again": [], "after CC7": []}
    for case in costs:
        for volume, (program, key, velocity) in enumerate(notes):
            synth.handle(ProgramChange(0, 0, program))
            if case == "after CC7":
                synth.handle(ControlChange(0, 0, 7, 64 + volume % 64))
            before = synth.voices.count
            began = time.perf_counter()
            synth.handle(NoteOn(0, 0, key, velocity))
            elapsed = time.perf_counter() - began
            regions = synth.voices.count - before
            if regions:
                costs[case].append(elapsed / regions * 1e6)
            synth.handle(NoteOff(0, 0, key))
            synth.handle(ControlChange(0, 0, 120, 0))  # all sound off: cleared away soon
            for _ in range(4):
                synth.render(block)
            synth.voices.reap()
    return [
        (case, float(np.median(micros)), float(np.percentile(micros, 90)))
        for case, micros in costs.items()
    ]


def output_stage_cost(repeats: int, frames: int) -> list[tuple[str, float]]:
    """(case, microseconds per ``frames``-frame block) of OutputStage.process alone at the
    default cap (-6 dBFS, knee -12 dBFS), each block copied in from a 330 Hz tone first."""
    t = np.arange(frames * (48_000 // frames)) / RATE  # about a second
    cases = [  # name, tone peak, master volume, glide all the time
        ("quiet (-30 dBFS)", 0.03, 1.0, False),
        ("just under the knee", 0.245, 1.0, False),
        ("loud (limiting)", 1.0, 1.0, False),
        ("quiet at volume 0.5", 0.03, 0.5, False),
        ("quiet, gliding", 0.03, 1.0, True),
    ]
    every = max(1, 960 // frames)  # a glide lasts 20 ms, 960 frames: a new one before it ends
    rows = []
    for name, peak, volume, gliding in cases:
        tone = (peak * np.sin(2 * np.pi * 330 * t))[:, None] * np.ones(2)
        source = tone.astype(np.float32).reshape(-1, frames, 2)
        stage, block = OutputStage(RATE, master_volume=volume), np.empty((frames, 2), np.float32)
        blocks = iter(range(1 << 62))

        def step(stage=stage, block=block, source=source, gliding=gliding, blocks=blocks) -> None:
            i = next(blocks)
            if gliding and i % every == 0:  # always gliding
                stage.set_master_volume(0.5 + 0.5 * (i // every % 2))
            block[...] = source[i % len(source)]
            stage.process(block)

        n = len(source)
        best = min(cpu_seconds(step, n) / n * 1e6 for _ in range(max(repeats, 3)))
        rows.append((name, best))
    return rows


def workload_table(font, soundfont: str, seconds: float, repeats: int, block: int) -> None:
    """Print one block size's table: medians of ``repeats`` interleaved runs."""
    print(f"\n{block}-frame blocks: CPU seconds per second of audio, median of {repeats}")
    print("(voices: the mean sounding over a block, counted in a run of their own)")
    print(
        f"{'workload':<14}{'voices':>8}{'synth':>9}{'note-ons':>10}{'callback':>10}"
        f"{'FluidSynth':>12}{'synth/FS':>10}{'callback/FS':>13}"
    )
    workloads = [
        ("32 held", held_notes(font, 32), []),
        ("128 held", held_notes(font, 128), []),
        ("drum pattern", [], drum_hits(seconds + 1.0)),
    ]
    for name, notes, hits in workloads:
        mine, whole, theirs = [], [], []
        for _ in range(repeats):  # interleaved: a busy moment hurts all three alike
            mine.append(synth_alone(font, notes, hits, seconds, block))
            whole.append(callback(font, notes, hits, seconds, block))
            found = fluid(soundfont, notes, hits, seconds, block)
            if found is not None:
                theirs.append(found)
        synth_cost = float(np.median([cost for cost, _, _ in mine]))
        note_on_share = float(np.median([note_ons for _, _, note_ons in mine]))
        callback_cost = float(np.median([cost for cost, _ in whole]))
        ours, fluids = mean_voices(font, soundfont, notes, hits, seconds, block)
        line = f"{name:<14}{ours:>8.1f}{synth_cost:>9.4f}{note_on_share:>10.4f}"
        line += f"{callback_cost:>10.4f}"
        if theirs:
            fluid_cost = float(np.median([cost for cost, _ in theirs]))
            line += f"{fluid_cost:>12.4f}{synth_cost / fluid_cost:>10.2f}"
            line += f"{callback_cost / fluid_cost:>13.2f}  (FluidSynth: {fluids:.1f} voices)"
        else:
            line += f"{'n/a':>12}  (no FluidSynth: pip install pyfluidsynth, and libfluidsynth3)"
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark tables; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = [p for p in (FLUID_R3, TIMGM6MB) if os.path.exists(p)]
    default = found[0] if found else str(default_soundfont_path())
    parser.add_argument("--soundfont", default=default)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--blocks", default="64,256", help="block sizes (default 64,256)")
    parser.add_argument("--interpolation", choices=("cubic", "linear"), default="cubic")
    args = parser.parse_args(argv)
    global BLOCK
    import numba

    print(f"SoundFont: {args.soundfont}; {RATE} Hz; numba {numba.__version__}")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for line in start_up_figures(args.soundfont):
        print(line)
    font = load_soundfont(args.soundfont)
    for block in (int(b) for b in args.blocks.split(",")):
        workload_table(font, args.soundfont, args.seconds, args.repeats, block)
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    BLOCK = 64
    print("\nPython cost per Synth.render call against voices (held, in sustain): time per")
    print(f"1-frame call (~ the fixed Python cost), per {BLOCK}-frame call, and traced Python")
    print("lines + calls + C calls per call (a count: the same at every voice count = flat)")
    print(f"{'voices':>8}{'1-frame us':>12}{f'{BLOCK}-frame us':>12}{'events':>8}")
    for voices, one, per_block, events in python_cost(font, args.interpolation):
        print(f"{voices:>8}{one:>12.1f}{per_block:>12.1f}{events:>8}")
    print(f"\nThe callback's Python per block outside the kernels, {CALLBACK_BLOCK}-frame blocks")
    print("(render_into with nothing queued, due or playing, against its voice kernel call and")
    print("output stage alone; microseconds per block, the least of the runs)")
    print(f"{'voices':>8}{'callback':>10}{'kernels':>10}{'Python':>10}")
    for voices, whole, alone in callback_python(font, CALLBACK_BLOCK, 20):
        print(f"{voices:>8}{whole:>10.2f}{alone:>10.2f}{whole - alone:>10.2f}")
    print("\nNote-on cost in Synth.handle, microseconds per region started (programs 0, 48, 73;")
    print("12 keys x 3 velocities): first time on the font, the same again, again after a CC7")
    print(f"{'case':<12}{'median us':>10}{'p90 us':>10}")
    for case, median, p90 in note_on_cost(font):
        print(f"{case:<12}{median:>10.1f}{p90:>10.1f}")
    for frames in (BLOCK, CALLBACK_BLOCK):
        print(
            f"\nOutput stage alone (master volume, DC blocker, limiter, cap), {frames}-frame blocks"
        )
        print(f"{'case':<24}{'us/block':>10}{'CPU s/s':>10}")
        for name, micros in output_stage_cost(args.repeats, frames):
            print(f"{name:<24}{micros:>10.1f}{micros * 1e-6 * RATE / frames:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
