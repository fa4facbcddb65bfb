"""The compiled voice kernel: ready before the first note, cached per user, outside the GIL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import NoteOn
from soundness_live.synth import compile_beside, kernel, numba_cache
from soundness_live.synth.region import Preset, Region, SoundFontData
from soundness_live.synth.synth import Synth

RATE = 48_000


def _one_sine_font() -> SoundFontData:
    t = np.arange(4_800) / RATE
    data = (0.5 * np.sin(2 * np.pi * 480.0 * t)).astype(np.float32)
    region = Region(0, 127, 0, 127, 0, 4_800, 100, 4_700, RATE, 69, loop_mode=1, release_s=0.1)
    return SoundFontData("sine", "0", data, {(0, 0): Preset("sine", 0, 0, (region,))})


def test_a_new_synth_has_the_kernel_ready_before_any_note(caplog):
    caplog.set_level(logging.INFO, logger=kernel.__name__)
    kernel._ready = None  # as in a fresh process
    Synth(_one_sine_font(), RATE)
    assert len(kernel.render_voices.signatures) == 1  # compiled (or loaded) now, not later
    (record,) = [r for r in caplog.records if r.name == kernel.__name__]
    assert record.getMessage().startswith("synth kernel ")
    assert " s of CPU; numba import " in record.getMessage()


def test_the_cache_is_in_the_users_cache_directory_unless_numba_cache_dir_is_set(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    from soundness_live.synth import numba_cache

    monkeypatch.setattr(numba_cache.platformdirs, "user_cache_dir", lambda app: f"/cache/{app}")
    assert numba_cache.kernel_cache_dir() == Path("/cache/soundness-live/numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/elsewhere")
    assert numba_cache.kernel_cache_dir() == Path("/elsewhere")
    assert kernel.CACHE_DIR == numba_cache.CACHE_DIR  # the stage's compiled code shares it


def test_changed_synth_sources_compile_into_a_directory_of_their_own(tmp_path):
    # numba checks a cached function against its own file only: a change to a module it
    # reads rows or helpers from (voice_state, note_on) must not load the old machine code,
    # nor a change to a synth module the JACK callback links in, or to its frame line
    assert numba_cache.CACHE_DIR == numba_cache.CACHE_ROOT / f"synth-{numba_cache.sources_digest()}"
    copies = []
    for directory in numba_cache.COMPILED_SOURCES:
        copy = tmp_path / directory.name
        copy.mkdir()
        for source in directory.glob("*.py"):
            (copy / source.name).write_bytes(source.read_bytes())
        copies.append(copy)
    assert [copy.name for copy in copies] == ["synth", "audio"]
    assert numba_cache.sources_digest(tuple(copies)) == numba_cache.sources_digest()
    for changed in ("synth/voice_state.py", "audio/frame_line.py"):
        with (tmp_path / changed).open("a") as source:
            source.write("\n# another row\n")
        assert numba_cache.sources_digest(tuple(copies)) != numba_cache.sources_digest()
        with (tmp_path / changed).open("rb+") as source:
            source.truncate(source.seek(0, 2) - len("\n# another row\n"))
        assert numba_cache.sources_digest(tuple(copies)) == numba_cache.sources_digest()


def test_other_sources_compiled_code_unused_for_a_month_is_removed(tmp_path):
    chosen, recent, old = (tmp_path / f"synth-{name}" for name in ("now", "recent", "old"))
    elsewhere = tmp_path / "not-ours"
    for directory in (chosen, recent, old, elsewhere):
        directory.mkdir()
        (directory / "entry.nbi").write_bytes(b"")
    month_ago = time.time() - (numba_cache.UNUSED_DAYS + 1) * 86_400
    for directory in (chosen, old, elsewhere):
        os.utime(directory, (month_ago, month_ago))
    numba_cache._remove_unused(tmp_path, chosen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-ours", "synth-now", "synth-recent"]
    assert chosen.stat().st_mtime > month_ago  # in use now: marked so


_COMPILE_SCRIPT = (
    "import logging, sys, numba\n"
    "logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')\n"
    "from soundness_live.synth import compile_beside\n"
    "if len(sys.argv) > 1:\n"
    "    compile_beside.HELPER_SCRIPT = sys.argv[1]\n"
    "from soundness_live.synth.kernel import compile_kernel\n"
    "ready = compile_kernel()\n"
    "from soundness_live.synth import kernel, note_on, stage_kernel, voice_choice\n"
    "print(ready.from_cache, ready.cache_dir, len(stage_kernel.process_block.signatures),"
    " ready.stage_beside, ready.compile_s, *ready.parts_s)\n"
    "for module in (kernel, stage_kernel, note_on, voice_choice):\n"
    "    for name, value in sorted(vars(module).items()):\n"
    "        if isinstance(value, numba.core.registry.CPUDispatcher):\n"
    "            print(f'{module.__name__}.{name}', len(value.signatures))\n"
)


def _compile_in_fresh_process(cache_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(cache_home)
    command = [sys.executable, "-c", _COMPILE_SCRIPT, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_a_fresh_process_writes_its_cache_under_the_user_cache_and_reads_it_back(tmp_path):
    first = _compile_in_fresh_process(tmp_path)
    again = _compile_in_fresh_process(tmp_path)
    cache = tmp_path / "soundness-live" / "numba" / f"synth-{numba_cache.sources_digest()}"
    # the output stage is compiled (or loaded) with the synth, never on the first block: on a
    # cold cache by a helper process into the same cache, loaded from it by this one
    assert first.stdout.split()[:4] == ["False", str(cache), "1", "True"], first.stderr
    assert again.stdout.split()[:4] == ["True", str(cache), "1", "False"], again.stderr
    assert list(cache.rglob("stage_kernel.process_block-*.nbi"))
    assert list(cache.rglob("kernel.render_voices-*.nbc"))
    assert "helper process" not in again.stderr  # a warm start starts none
    # the time is said part by part (kernel, note-on, waiting for the helper, output stage),
    # and the parts are the whole
    for done in (first, again):
        total_s, *parts_s = (float(x) for x in done.stdout.split()[4:9])
        assert min(parts_s) >= 0.0 and sum(parts_s) == pytest.approx(total_s, abs=1e-6)
        assert "kernel " in done.stderr and ", note-on " in done.stderr, done.stderr
    assert float(first.stdout.split()[5]) > float(again.stdout.split()[5])  # the kernel


@pytest.mark.slow
def test_a_failed_helper_process_is_said_once_and_the_stage_compiled_here(tmp_path):
    broken = "import sys\nsys.exit('the helper broke')"
    done = _compile_in_fresh_process(tmp_path, broken)
    assert done.stdout.split()[:4] == [
        "False",
        str(tmp_path / "soundness-live" / "numba" / f"synth-{numba_cache.sources_digest()}"),
        "1",
        "False",
    ], done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING output stage: expected its helper process to compile it, exit code 1: the"
        " helper broke; compiling it here"
    ]
    # a cold compile in one process makes one specialisation of each function, not one more
    # for a literal argument (which envelope, which LFO); none of those numba inlines: the
    # sample interpolation (it takes the sample loop's fast-math flags) and the stage's steps
    # that only pass the block on to deeper ones
    counts = dict(line.split() for line in done.stdout.splitlines()[1:])
    assert {name for name, count in counts.items() if count != "1"} == {
        "soundness_live.synth.kernel._interpolate",
        "soundness_live.synth.stage_kernel._bound_sent_unchanged",
        "soundness_live.synth.stage_kernel._clip_sample",
        "soundness_live.synth.stage_kernel._last_step",
        "soundness_live.synth.stage_kernel._limit",
    }, done.stdout


def test_a_helper_process_that_does_not_finish_is_stopped_and_said(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=compile_beside.__name__)
    helper = compile_beside.start_stage_helper(str(tmp_path), "import time; time.sleep(60)")
    assert helper is not None
    began = time.perf_counter()
    assert not compile_beside.finish_stage_helper(helper, timeout_s=1.0)
    assert time.perf_counter() - began < 10.0
    assert helper.process.returncode is not None  # stopped and reaped, not left running
    assert [r.getMessage() for r in caplog.records] == [
        "output stage: expected its helper process to compile it, still running after 1 s:"
        " stopped; compiling it here"
    ]


def test_a_compile_that_fails_stops_its_helper_process(tmp_path, monkeypatch):
    from soundness_live.synth import voice_choice

    started: list[compile_beside.StageHelper] = []
    start = compile_beside.start_stage_helper

    def slow_helper(cache_dir: str) -> compile_beside.StageHelper | None:
        helper = start(cache_dir, "import time; time.sleep(60)")
        assert helper is not None
        started.append(helper)
        return helper

    def broken_note_on() -> bool:
        raise RuntimeError("the note-on failed to compile")

    monkeypatch.setattr(compile_beside, "stage_in_cache", lambda dispatcher: False)
    monkeypatch.setattr(compile_beside, "start_stage_helper", slow_helper)
    monkeypatch.setattr(voice_choice, "compile_note_on", broken_note_on)
    with pytest.raises(RuntimeError, match="the note-on failed"):
        kernel._compile(helper_process=True)
    (helper,) = started
    assert helper.process.returncode is not None  # stopped and reaped, not left compiling


def test_a_wait_for_the_helper_that_is_interrupted_stops_it(tmp_path, monkeypatch):
    helper = compile_beside.start_stage_helper(str(tmp_path), "import time; time.sleep(60)")
    assert helper is not None
    real_wait = helper.process.wait

    def interrupted(timeout: float | None = None) -> int:
        if timeout is not None:  # the wait for the compile: Ctrl-C comes meanwhile
            raise KeyboardInterrupt
        return real_wait()

    monkeypatch.setattr(helper.process, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        compile_beside.finish_stage_helper(helper)
    assert helper.process.returncode is not None  # stopped and reaped, not left compiling


def test_a_helper_process_gets_the_cache_directory_and_succeeds_quietly(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=compile_beside.__name__)
    script = f"import os, sys\nsys.exit(os.environ['NUMBA_CACHE_DIR'] != {str(tmp_path)!r})"
    helper = compile_beside.start_stage_helper(str(tmp_path), script)
    assert helper is not None
    assert compile_beside.finish_stage_helper(helper)
    assert caplog.records == []


def test_a_frozen_application_starts_no_helper_process(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert compile_beside.start_stage_helper(str(tmp_path)) is None


def test_the_kernel_lets_other_python_threads_run_while_it_renders():
    synth = Synth(_one_sine_font(), RATE, max_voices=64)
    for key in range(40, 104):
        synth.handle(NoteOn(0, 0, key, 100))
    voices = synth.voices
    out = np.zeros((16 * RATE, 2), dtype=np.float32)  # one long call: a tenth of a second or more
    stamps: list[float] = []
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            stamps.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    state, params, rows = voices.state, voices.params, voices.layout.rows
    began = time.perf_counter()
    channels = voices.channels
    kernel.render_voices(out, voices.count, state, params, channels, rows, voices.mix, float(RATE))
    ended = time.perf_counter()
    done.set()
    counter.join()
    # holding the GIL, the call would let the counter in only at its edges (switch interval)
    middle = (began + 0.25 * (ended - began), ended - 0.25 * (ended - began))
    assert ended - began > 0.05
    assert sum(middle[0] < t < middle[1] for t in stamps) > 100


def test_a_note_at_its_samples_own_pitch_and_full_level_sounds_after_a_delay():
    # the kernel keeps what each control step computed (pitch step, level) and computes it
    # again only when its input changes: a voice whose first computed pitch is exactly 0
    # cents and whose attenuation is exactly 0 cB, first computed after a volume-envelope
    # delay, must still get its step and level (nothing kept yet is not "kept as 0")
    t = np.arange(4_800) / RATE
    data = (0.5 * np.sin(2 * np.pi * 480.0 * t)).astype(np.float32)
    region = Region(
        0, 127, 0, 127, 0, 4_800, 100, 4_700, RATE, 69, loop_mode=1, release_s=0.1, delay_s=0.02
    )
    font = SoundFontData("sine", "0", data, {(0, 0): Preset("sine", 0, 0, (region,))})
    synth = Synth(font, RATE)
    synth.handle(NoteOn(0, 0, 69, 127))
    out = np.zeros((RATE // 2, 2), np.float32)
    synth.render(out)
    sounding = out[RATE // 10 :, 0].astype(np.float64)
    assert np.sqrt(np.mean(sounding**2)) > 0.01  # a level, not silence
    spectrum = np.abs(np.fft.rfft(sounding * np.hanning(len(sounding))))
    peak_hz = np.argmax(spectrum) * RATE / len(sounding)
    assert abs(peak_hz - 480.0) < 5.0  # the sample's own pitch: one sample per frame


def test_a_block_longer_than_the_mix_renders_as_the_same_frames_in_short_blocks():
    # the kernel sums voices in float64 MIX_FRAMES at a time: a longer block is mixed in
    # pieces, each summed afresh and rounded once, the same bytes as short blocks give
    from soundness_live.synth.voices import MIX_FRAMES

    n = 2 * MIX_FRAMES + 777
    whole, pieces = Synth(_one_sine_font(), RATE), Synth(_one_sine_font(), RATE)
    for synth in (whole, pieces):
        for key, velocity in ((57, 90), (69, 127), (76, 40)):
            synth.handle(NoteOn(0, 0, key, velocity))
    one = np.zeros((n, 2), np.float32)
    whole.render(one)
    split = np.zeros((n, 2), np.float32)
    for start in range(0, n, 100):
        pieces.render(split[start : start + 100])
    assert np.abs(one).max() > 0.01
    assert np.array_equal(one, split)


def _running_sums(values, sums, n):  # pragma: no cover - compiled
    total = 0.0
    for i in range(n):
        total += values[i]
        sums[i] = total
        if total > 100.0:
            break
    sums[0] = total


def _reference_calls(helper) -> tuple[int, int]:
    """The reference-count raises and lowers in ``helper``'s compiled code, after a compiled
    caller used it."""
    import numba

    caller = numba.njit(lambda values, sums: helper(values, sums, 3))
    sums = np.zeros(4)
    caller(np.arange(4.0), sums)
    assert list(sums) == [3.0, 1.0, 3.0, 0.0]
    code = "\n".join(helper.inspect_llvm().values())
    return code.count("NRT_incref"), code.count("NRT_decref")


def test_the_kernels_helpers_count_no_references_to_the_arrays_they_are_handed():
    # numba raises and lowers the count of each array a compiled function is handed, an
    # atomic operation through a call each time: in the synth's helpers, called per voice
    # every 64 frames, that was over a quarter of the kernel's time
    import numba

    counted = numba.njit(no_cpython_wrapper=True)(_running_sums)
    assert min(_reference_calls(counted)) > 0  # numba's default, which the check sees
    assert _reference_calls(numba_cache.inner_jit()(_running_sums)) == (0, 0)
    for helper in (kernel._render_voice, kernel._render_span, kernel._control_step):
        assert helper.targetoptions.get("_nrt") is False


def test_without_numbas_option_the_helpers_count_references_as_numba_does(monkeypatch):
    monkeypatch.setattr(numba_cache, "counts_references", lambda: True)

    def first(values):
        return values[0]

    helper = numba_cache.inner_jit()(first)
    assert "_nrt" not in helper.targetoptions
