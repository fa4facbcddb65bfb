"""The JACK output's compiled callback (audio/jack_cycle.py) on a private JACK server.

Quiet cycles render without Python and come out the bytes the renderer makes alone; a cycle
with a MIDI event on any of the engine's ports (one plugged in meanwhile too) runs the Python
reader, so every note is delivered; a source without a quiet table keeps the Python callback.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from soundness_live.audio.jack_output import JackOutput
from soundness_live.core.events import NoteOff, NoteOn
from soundness_live.midi.jack_frames import OutputFrameTap
from soundness_live.midi.jack_input import JackMidiInputs
from soundness_live.synth.renderer import Renderer, build_renderer, render_offline
from tests.audio.test_jack_output import FrameRamp, Recorder
from tests.conftest import wait_until
from tests.jackserver import JackProbe, JackServer, module_jack_server, require_jack_client

pytestmark = pytest.mark.jack
PERIOD = 256  # non-realtime jackd on two busy cores xruns often at 64 frames
RATE = 48_000
jack = module_jack_server(period_frames=PERIOD)


@pytest.fixture(autouse=True)
def jack_client_package(jack: JackServer) -> None:
    """Skip (fail under CI=true) without the JACK-Client package or libjack."""
    require_jack_client()


def _pattern(renderer: Renderer) -> None:
    """Hats, a snare and a held note from 0.1 s on, all queued before the output starts."""
    for k in range(10):
        at = 4800 + k * 3_100 + 37 * k
        renderer.push(NoteOn(at, 9, (42, 38, 46)[k % 3], 60 + 6 * k))
    renderer.push(NoteOn(6000, 0, 62, 100))
    renderer.push(NoteOff(30_000, 0, 62))


def _recorded(recorder: Recorder) -> np.ndarray:
    with recorder.lock:
        return np.concatenate([audio for _frame, audio in recorder.blocks])


def _first_sound(audio: np.ndarray) -> int:
    return int(np.flatnonzero(np.any(audio != 0.0, axis=1))[0])


def test_quiet_cycles_run_compiled_and_play_the_renderers_bytes(jack: JackServer) -> None:
    for _attempt in range(3):  # a server x-run skips a cycle of the recording: again
        renderer, twin = build_renderer(None, RATE)[0], build_renderer(None, RATE)[0]
        _pattern(renderer)
        _pattern(twin)
        recorder = Recorder()
        try:
            with JackOutput(renderer, PERIOD, RATE, device="sl-rec") as out:
                assert out.compiled_note.startswith("compiled"), out.compiled_note
                wait_until(lambda r=renderer: r.frame > 48_000, 10.0)  # type: ignore[misc]
                mapping, now_s, frame = out.mapping, time.monotonic(), renderer.frame
                quiet, cycles, xruns, blocks = out.quiet_cycles, out.cycles, out.xruns, out.blocks
        finally:
            recorder.close()
        if xruns == 0 and recorder.xruns == 0:
            break
    else:
        pytest.skip("the server x-ran in every attempt")

    assert quiet > 0.7 * cycles, (quiet, cycles)  # most cycles hold no event
    # compiled cycles keep the clock mapping as Python ones do: an anchor of the last cycles,
    # heard at its frame's time on the frame line plus the output's latency
    assert abs(blocks - cycles) <= 2
    assert frame - 3 * PERIOD <= mapping.anchor_frame < frame
    assert mapping.output_latency_s == out.latency_s > PERIOD / RATE
    origin_s = mapping.anchor_time - out.latency_s - mapping.anchor_frame / RATE
    assert out._line.origin_s is not None and abs(origin_s - out._line.origin_s) < 1e-4
    assert abs(mapping.time_of(frame) - now_s) < 0.02  # the next block is due about now
    played = _recorded(recorder)
    expected = render_offline(twin, renderer.frame + PERIOD, PERIOD)
    start, begins = _first_sound(played), _first_sound(expected)
    length = min(len(played) - start, len(expected) - begins, 40_000)

    assert length > 30_000
    assert played[start : start + length].tobytes() == expected[begins : begins + length].tobytes()


def test_a_note_on_any_port_runs_the_reader_between_quiet_cycles(jack: JackServer) -> None:
    renderer = build_renderer(None, RATE)[0]
    renderer.push(NoteOn(2400, 0, 60, 90))  # a held note: the voices render on meanwhile
    tap = OutputFrameTap(renderer)
    out = JackOutput(tap, PERIOD, RATE).start()
    heard: list[tuple[str, int]] = []

    def on_event(event: object) -> None:
        if getattr(event, "kind", "") == "note_on":
            heard.append((getattr(event, "device", ""), getattr(event, "note", 0)))
            renderer.push(NoteOn(renderer.frame, 9, 42, 100), immediate=True)

    inputs = JackMidiInputs(on_event, mapping=lambda: out.mapping, frame_tap=tap, host=out)
    inputs.start()
    first = JackProbe("sl-probe").activate()
    second = None
    try:
        wait_until(lambda: "sl-probe:midi_out" in inputs.ports, 10.0)
        time.sleep(0.3)
        assert out.quiet_cycles > 0  # the ports are looked at, quietly
        for note in range(40, 48):
            first.send(bytes([0x90, note, 100]), 17 * (note - 40))
            time.sleep(0.05)
        second = JackProbe("sl-probe-2").activate()  # plugged in while cycles run quiet
        wait_until(lambda: "sl-probe-2:midi_out" in inputs.ports, 10.0)
        time.sleep(0.2)
        for note in range(50, 58):
            second.send(bytes([0x90, note, 100]), 11 * (note - 50))
            time.sleep(0.05)
        wait_until(lambda: len(heard) >= 16, 5.0)
        quiet, cycles = out.quiet_cycles, out.cycles
    finally:
        for probe in (first, second):
            if probe is not None:
                probe.close()
        inputs.stop()
        out.stop()
    assert [note for _device, note in heard] == [*range(40, 48), *range(50, 58)]
    assert {device for device, _note in heard} == {"sl-probe:midi_out", "sl-probe-2:midi_out"}

    assert quiet > 0.5 * cycles, (quiet, cycles)


def test_a_python_cycle_that_raises_lets_no_quiet_cycle_follow(
    jack: JackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = build_renderer(None, RATE)[0]
    with JackOutput(renderer, PERIOD, RATE) as out:
        wait_until(lambda: out.quiet_cycles > 20, 5.0)

        def broken(frames: int) -> None:
            raise OSError("the port's buffer is gone")

        monkeypatch.setattr(out, "_port_arrays", broken)
        renderer.push(NoteOn(renderer.frame, 0, 60, 100))  # the next cycle is Python's: it fails
        wait_until(lambda: out.errors > 0, 5.0)
        quiet = out.quiet_cycles
        time.sleep(0.2)
        assert out.quiet_cycles == quiet  # every cycle since is Python's, and fails
        monkeypatch.undo()
        wait_until(lambda: out.quiet_cycles > quiet, 5.0)  # mended: quiet again
    assert isinstance(out.last_error, OSError)


def test_a_source_without_quiet_blocks_keeps_the_python_callback(jack: JackServer) -> None:
    with JackOutput(FrameRamp(), PERIOD, RATE) as out:
        wait_until(lambda: out.cycles > 10, 5.0)
    assert out.compiled is None and out.quiet_cycles == 0
    assert out.compiled_note == "Python (the source renders no quiet blocks)"


def _counts(**values: int) -> np.ndarray:
    from soundness_live.audio import jack_cycle as jc

    counts = np.zeros(jc.N_COUNTS, dtype=np.int64)
    counts[[jc.ENABLED, jc.PERIOD]] = 1, PERIOD
    for name, value in values.items():
        counts[getattr(jc, name)] = value
    return counts


def test_a_cycle_is_quiet_only_as_the_python_cycle_before_allowed() -> None:
    from soundness_live.audio import jack_cycle as jc

    renderer = build_renderer(None, RATE)[0]
    renderer.quiet.published = True
    renderer.render_into(np.zeros((PERIOD, 2), dtype=np.float32))
    table = np.zeros(jc.TABLE_SIZE, dtype=np.int64)  # no MIDI port: no call into libjack
    source = renderer.quiet.table
    assert jc._quiet(table, _counts(), source, PERIOD)
    assert not jc._quiet(table, _counts(ENABLED=0), source, PERIOD)
    assert not jc._quiet(table, _counts(CHANGED=1), source, PERIOD)  # ports changed meanwhile
    assert not jc._quiet(table, _counts(XRUNS=1), source, PERIOD)  # the frame line moved
    assert jc._quiet(table, _counts(XRUNS=3, XRUNS_SEEN=3), source, PERIOD)
    assert not jc._quiet(table, _counts(), source, 2 * PERIOD)  # JACK's period changed
    renderer.push(NoteOn(renderer.frame, 0, 60, 100))
    assert not jc._quiet(table, _counts(), source, PERIOD)  # the renderer has work


def test_elsewhere_than_linux_the_python_callback_runs(
    jack: JackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.audio import jack_output

    with monkeypatch.context() as patched:
        patched.setattr(jack_output.sys, "platform", "darwin")
        why = jack_output.compiled_cycle_available()
    assert why == "the compiled JACK callback runs on Linux only (this is darwin)"
    monkeypatch.setattr(jack_output, "compiled_cycle_available", lambda: why)
    renderer = build_renderer(None, RATE)[0]
    with JackOutput(renderer, PERIOD, RATE) as out:
        wait_until(lambda: out.cycles > 10, 5.0)
    assert out.compiled is None and out.quiet_cycles == 0
    assert out.compiled_note == f"Python ({why})"


def test_the_midi_reader_is_skipped_only_with_no_rows_waiting() -> None:
    inputs = JackMidiInputs()
    inputs._libjack = object()  # as when libjack's functions are exposed
    inputs._handles = ("port",)
    assert inputs._quiet_ports() == ("port",)
    inputs._ring.put(0, 0, 0.0, 0, bytes([0xB0, 1, 2]), spare=True)  # a flood's row waits
    assert inputs._quiet_ports() is None
    assert inputs._ring.take() is not None
    assert inputs._quiet_ports() == ("port",)
    inputs._libjack = None  # the ports cannot be looked at from compiled code
    assert inputs._quiet_ports() is None


def test_a_tapped_block_is_quiet_only_when_the_reader_notes_its_pair() -> None:
    renderer = build_renderer(None, RATE)[0]
    tap = OutputFrameTap(renderer)
    assert tap.quiet is renderer.quiet and tap.quiet_allowed  # no JACK frame to note
    tap.attach(lambda: 1000)
    tap.render_into(np.zeros((PERIOD, 2), dtype=np.float32))
    assert not tap.quiet_allowed  # noted by the block itself: only Python notes it
    tap.mark()  # the shared client's reader, first in its cycle
    tap.render_into(np.zeros((PERIOD, 2), dtype=np.float32))
    assert tap.quiet_allowed
