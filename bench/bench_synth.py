"""Synth benchmark: CPU seconds per second of audio, ours against FluidSynth.

Workloads at 64-frame blocks, 48 kHz, on one SoundFont (TimGM6mb when installed, else the
bundled bank): 32 and 128 held voices (string ensemble, looped sustain) and a drum pattern
(16ths at 120 BPM). Ours is timed through ``Renderer.render_into`` (scheduler, synth and
output stage: the audio callback's whole work) and through ``Synth.render`` alone; FluidSynth
(pyfluidsynth + libfluidsynth, reverb and chorus off) through ``get_samples(64)``. Each figure
is the best of a few interleaved runs (process CPU time), so a busy machine hurts both alike.
Also prints the Python cost per block against the number of voices: time per call and the
number of traced Python events per call, which stays the same at 0 to 128 voices; and the
output stage alone per block: quiet, just under the limiter's knee, limiting, at a lowered
master volume and while the volume glides.

Run: ``python bench/bench_synth.py [--soundfont PATH] [--seconds S] [--repeats N]``
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundness_live.core.events import NoteOn, ProgramChange  # noqa: E402
from soundness_live.synth.limiter import OutputStage  # noqa: E402
from soundness_live.synth.renderer import Renderer  # noqa: E402
from soundness_live.synth.sf2.find import default_soundfont_path  # noqa: E402
from soundness_live.synth.sf2.read import load_soundfont  # noqa: E402
from soundness_live.synth.synth import Synth  # noqa: E402

RATE = 48_000
BLOCK = 64  # the brief's block size; --block changes it to show how the overhead amortises
TIMGM6MB = "/usr/share/sounds/sf2/TimGM6mb.sf2"
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


class _PassThrough:
    """An output stage that does nothing: times scheduler + synth alone."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate

    def process(self, block: np.ndarray) -> None:
        """Leave ``block`` as it is."""


def ours(font, notes, hits, seconds: float, synth_only: bool, interpolation: str):
    """CPU seconds per second of audio, and the voice count, for our engine."""
    stage = _PassThrough(RATE) if synth_only else OutputStage(RATE)
    synth = Synth(font, RATE, interpolation=interpolation)
    renderer = Renderer(synth, stage)  # type: ignore[arg-type]
    for channel in range(8):
        renderer.push(ProgramChange(0, channel, HELD_PROGRAM))
    for channel, key in notes:
        renderer.push(NoteOn(0, channel, key, 100))
    warm = int(0.5 * RATE)
    for frame, key in hits:
        renderer.push(NoteOn(frame + warm, 9, key, 110))
    block = np.zeros((BLOCK, 2), np.float32)
    for _ in range(warm // BLOCK):
        renderer.render_into(block)
    voices = synth.active_voices
    n_blocks = int(seconds * RATE / BLOCK)
    return cpu_seconds(lambda: renderer.render_into(block), n_blocks) / seconds, voices


def fluid(path: str, notes, hits, seconds: float) -> tuple[float, int] | None:
    """FluidSynth's figure on the same SoundFont and workload, or None without it."""
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
    fs.get_samples(int(0.5 * RATE))
    voices = int(fluidsynth.fluid_synth_get_active_voice_count(fs.synth))
    pending = list(hits)
    frame = 0

    def step() -> None:
        nonlocal frame
        while pending and pending[0][0] < frame + BLOCK:
            fs.noteon(9, pending.pop(0)[1], 110)
        fs.get_samples(BLOCK)
        frame += BLOCK

    cost = cpu_seconds(step, int(seconds * RATE / BLOCK)) / seconds
    fs.delete()
    return cost, voices


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


def output_stage_cost(repeats: int) -> list[tuple[str, float]]:
    """(case, microseconds per block) of OutputStage.process alone at the default cap
    (-6 dBFS, knee -12 dBFS), each block copied in from a 330 Hz tone first."""
    t = np.arange(BLOCK * 750) / RATE
    cases = [  # name, tone peak, master volume, glide all the time
        ("quiet (-30 dBFS)", 0.03, 1.0, False),
        ("just under the knee", 0.245, 1.0, False),
        ("loud (limiting)", 1.0, 1.0, False),
        ("quiet at volume 0.5", 0.03, 0.5, False),
        ("quiet, gliding", 0.03, 1.0, True),
    ]
    rows = []
    for name, peak, volume, gliding in cases:
        tone = (peak * np.sin(2 * np.pi * 330 * t))[:, None] * np.ones(2)
        source = tone.astype(np.float32).reshape(-1, BLOCK, 2)
        stage, block = OutputStage(RATE, master_volume=volume), np.empty((BLOCK, 2), np.float32)
        blocks = iter(range(1 << 62))

        def step(stage=stage, block=block, source=source, gliding=gliding, blocks=blocks) -> None:
            i = next(blocks)
            if gliding and i % 15 == 0:  # a glide lasts 15 blocks of 64: always gliding
                stage.set_master_volume(0.5 + 0.5 * (i // 15 % 2))
            block[...] = source[i % len(source)]
            stage.process(block)

        n = len(source)
        best = min(cpu_seconds(step, n) / n * 1e6 for _ in range(max(repeats, 3)))
        rows.append((name, best))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark tables; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = TIMGM6MB if os.path.exists(TIMGM6MB) else str(default_soundfont_path())
    parser.add_argument("--soundfont", default=default)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--interpolation", choices=("cubic", "linear"), default="cubic")
    parser.add_argument("--block", type=int, default=64, help="frames per block (default 64)")
    args = parser.parse_args(argv)
    global BLOCK
    BLOCK = args.block
    font = load_soundfont(args.soundfont)
    print(f"SoundFont: {args.soundfont}; {BLOCK}-frame blocks at {RATE} Hz; {args.interpolation}")
    print("CPU seconds per second of audio ('ours' = scheduler + synth + output stage)")
    print(f"{'workload':<16}{'voices':>8}{'ours':>9}{'synth':>9}{'FluidSynth':>12}{'ratio':>8}")
    workloads = [
        ("32 held", held_notes(font, 32), []),
        ("128 held", held_notes(font, 128), []),
        ("drum pattern", [], drum_hits(args.seconds + 1.0)),
    ]
    for name, notes, hits in workloads:
        best_ours, best_synth, best_fluid = [], [], []
        for _ in range(args.repeats):
            best_ours.append(ours(font, notes, hits, args.seconds, False, args.interpolation))
            best_synth.append(ours(font, notes, hits, args.seconds, True, args.interpolation))
            theirs = fluid(args.soundfont, notes, hits, args.seconds)
            if theirs is not None:
                best_fluid.append(theirs)
        cost, voices = min(best_ours)
        synth_cost = min(best_synth)[0]
        line = f"{name:<16}{voices:>8}{cost:>9.4f}{synth_cost:>9.4f}"
        if best_fluid:
            fluid_cost, fluid_voices = min(best_fluid)
            line += (
                f"{fluid_cost:>12.4f}{cost / fluid_cost:>8.2f}  (FluidSynth: {fluid_voices} voices)"
            )
        else:
            line += f"{'n/a':>12}  (no FluidSynth: pip install pyfluidsynth, and libfluidsynth3)"
        print(line)
    print("\nPython cost per Synth.render call against voices (held, in sustain): time per")
    print(f"1-frame call (~ the fixed Python cost), per {BLOCK}-frame call, and traced Python")
    print("lines + calls + C calls per call (a count: the same at every voice count = flat)")
    print(f"{'voices':>8}{'1-frame us':>12}{f'{BLOCK}-frame us':>12}{'events':>8}")
    for voices, one, per_block, events in python_cost(font, args.interpolation):
        print(f"{voices:>8}{one:>12.1f}{per_block:>12.1f}{events:>8}")
    print(f"\nOutput stage alone (master volume, DC blocker, limiter, cap), {BLOCK}-frame blocks")
    print(f"{'case':<24}{'us/block':>10}{'CPU s/s':>10}")
    for name, micros in output_stage_cost(args.repeats):
        print(f"{name:<24}{micros:>10.1f}{micros * 1e-6 * RATE / BLOCK:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
