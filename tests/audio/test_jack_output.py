"""The JACK output through a private JACK server: one client for the sound and the MIDI ports.

Blocks come out at their frames, a server x-run is an under-run, a block that raises plays
silence and is counted, a MIDI port plugged in later is connected to a port of the output's
own client, and stopping leaves no port of the engine on the server.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from soundness_live.audio.backends import open_output
from soundness_live.audio.jack_output import JackOutput
from soundness_live.audio.output import NullOutput
from soundness_live.core.events import DeviceChange
from soundness_live.errors import DeviceError
from soundness_live.midi.jack_input import JackMidiInputs
from tests.conftest import wait_until
from tests.jackserver import JackServer, module_jack_server, require_jack_client

pytestmark = pytest.mark.jack
PERIOD = 256  # non-realtime jackd on two busy cores xruns often at 64 frames
RATE = 48_000
jack = module_jack_server(period_frames=PERIOD)
FRAME_STEP = 1.0 / 65536  # FrameRamp's value per frame: exact in float32 below 2**16 frames


@pytest.fixture(autouse=True)
def jack_client_package(jack: JackServer) -> None:
    """Skip (fail under CI=true) without the JACK-Client package or libjack."""
    require_jack_client()


class FrameRamp:
    """A block source whose every frame says its number: left ``k * FRAME_STEP``, right the
    negative (frames counted modulo 2**16); ``raise_at``: the block that raises instead."""

    def __init__(self, raise_at: int | None = None, stall_at: int | None = None) -> None:
        self.frame = 0
        self.blocks = 0
        self.raise_at = raise_at
        self.stall_at = stall_at

    def render_into(self, out: np.ndarray) -> None:
        """The ramp, or the failure this source was made for."""
        self.blocks += 1
        if self.blocks == self.raise_at:
            raise ZeroDivisionError("a block that fails")
        if self.blocks == self.stall_at:
            time.sleep(8 * PERIOD / RATE)  # the server waits for no one: an x-run
        values = ((self.frame + np.arange(len(out))) % 65536) * FRAME_STEP
        out[:, 0] = values
        out[:, 1] = -values
        self.frame += len(out)


class Recorder:
    """A JACK client with two audio inputs: every cycle's frame and samples, and x-runs."""

    def __init__(self, name: str = "sl-rec") -> None:
        import jack as jack_client

        self.client = jack_client.Client(name, no_start_server=True)
        self.inputs = [self.client.inports.register(f"in_{k}") for k in (1, 2)]
        self.blocks: list[tuple[int, np.ndarray]] = []
        self.xruns = 0
        self.lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.set_xrun_callback(self._xrun)
        self.client.activate()

    def _process(self, frames: int) -> None:
        audio = np.stack([port.get_array() for port in self.inputs], axis=1)  # a copy
        with self.lock:
            self.blocks.append((self.client.last_frame_time, audio))

    def _xrun(self, _delay_us: float) -> None:
        self.xruns += 1

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


@pytest.fixture
def recorder(jack: JackServer) -> Iterator[Recorder]:
    made = Recorder()
    yield made
    made.close()


def server_ports(*options: str) -> str:
    return subprocess.run(["jack_lsp", *options], capture_output=True, text=True).stdout


def ramp_blocks(recorder: Recorder) -> list[tuple[int, np.ndarray]]:
    """The recorded cycles that carry the ramp, as (JACK frame, frame numbers)."""
    with recorder.lock:
        blocks = list(recorder.blocks)
    return [
        (jack_frame, np.round(audio[:, 0] / FRAME_STEP).astype(np.int64))
        for jack_frame, audio in blocks
        if np.any(audio[:, 0] != 0.0)
    ]


def test_blocks_play_whole_at_their_frames_into_the_ports_the_device_names(
    recorder: Recorder,
) -> None:
    with JackOutput(FrameRamp(), PERIOD, RATE, device="sl-rec") as out:
        assert out.name == "jack: soundness-live -> sl-rec:in_1, sl-rec:in_2"
        time.sleep(0.6)
    blocks = ramp_blocks(recorder)
    assert len(blocks) >= 20 and out.errors == 0
    for _jack_frame, frames in blocks[1:]:  # each block: consecutive frames, right = -left
        assert np.all(np.diff(frames) % 65536 == 1)
    with recorder.lock:
        for _jack_frame, audio in recorder.blocks:
            assert np.array_equal(audio[:, 1], -audio[:, 0])
    # a block plays in its own cycle: engine frame - JACK frame changes only at an x-run
    offsets = {int(frames[0] - jack_frame) % 65536 for jack_frame, frames in blocks[1:]}
    assert len(offsets) <= 1 + recorder.xruns


def test_a_server_xrun_is_an_underrun(recorder: Recorder) -> None:
    with JackOutput(FrameRamp(stall_at=40), PERIOD, RATE, device="sl-rec") as out:
        wait_until(lambda: out.blocks > 80, 10.0)
        time.sleep(0.2)  # the notification thread has told everyone
        # the stall made one at least; the recorder, there since before the output, heard
        # every one the output heard (a loaded machine adds its own)
        assert 1 <= out.xruns <= recorder.xruns
        assert out.underruns == out.xruns  # each one an under-run, counted by the callback


def test_a_block_that_raises_plays_silence_and_is_counted(recorder: Recorder) -> None:
    with JackOutput(FrameRamp(raise_at=40), PERIOD, RATE, device="sl-rec") as out:
        wait_until(lambda: out.blocks > 80, 10.0)
    assert out.errors == 1 and isinstance(out.last_error, ZeroDivisionError)
    with recorder.lock:
        loud = [bool(np.any(audio != 0.0)) for _frame, audio in recorder.blocks]
    first, last = loud.index(True), len(loud) - 1 - loud[::-1].index(True)
    silences = [k for k in range(first + 1, last) if not loud[k] and loud[k - 1]]
    # the failed block is one stretch of silence amid the ramp (a cycle the server skipped,
    # as an x-run of the loaded machine, may leave another, or lengthen it)
    assert 1 <= len(silences) <= 1 + recorder.xruns


def test_a_midi_port_plugged_in_later_is_connected_to_the_output_client(
    jack: JackServer,
) -> None:
    import jack as jack_client

    changes: list[DeviceChange] = []
    out = JackOutput(FrameRamp(), PERIOD, RATE).start()
    inputs = JackMidiInputs(on_device_change=changes.append, host=out, poll_interval_s=0.2)
    inputs.start()
    try:
        pad = jack_client.Client("sl-pad", no_start_server=True)
        pad.midi_outports.register("midi_out")
        pad.activate()
        wait_until(lambda: "sl-pad:midi_out" in inputs.ports, 10.0)
        connections = server_ports("-c")
        assert "sl-pad:midi_out\n   soundness-live:in_0" in connections
        pad.deactivate()
        pad.close()
        wait_until(lambda: len(changes) == 2, 10.0)  # told once the port list changed
        wait_until(lambda: inputs.status == "ok: 0 JACK MIDI input(s)", 5.0)
        assert "sl-pad:midi_out" not in inputs.ports
        assert [(c.device, c.connected) for c in changes] == [
            ("sl-pad:midi_out", True),
            ("sl-pad:midi_out", False),
        ]
    finally:
        inputs.stop()
        out.stop()


def test_stopping_leaves_no_port_of_the_engine_on_the_server(jack: JackServer) -> None:
    import jack as jack_client

    pad = jack_client.Client("sl-pad2", no_start_server=True)
    pad.midi_outports.register("midi_out")
    pad.activate()
    out = JackOutput(FrameRamp(), PERIOD, RATE).start()
    inputs = JackMidiInputs(host=out).start()
    try:
        wait_until(lambda: "sl-pad2:midi_out" in inputs.ports, 10.0)
        listed = server_ports()
        assert "soundness-live:in_0" in listed and "soundness-live:out_1" in listed
        inputs.stop()  # the MIDI ports go; the sound plays on
        listed = server_ports()
        assert "soundness-live:in_" not in listed and "soundness-live:out_1" in listed
        blocks = out.blocks
        time.sleep(0.1)
        assert out.blocks > blocks
    finally:
        inputs.stop()
        out.stop()
        pad.deactivate()
        pad.close()
    assert "soundness-live" not in server_ports()
    out.stop()  # a second stop does nothing


def test_auto_prefers_jack_when_a_server_answers(jack: JackServer) -> None:
    out = open_output(FrameRamp(), "auto", block_size=PERIOD)
    try:
        assert isinstance(out, JackOutput) and out.backend == "jack"
        # JACK's playback latency of the dummy driver's ports, and the source's delay (none)
        assert out.latency_s == pytest.approx(2 * PERIOD / RATE)
    finally:
        out.stop()


def test_without_a_server_jack_is_one_line_and_auto_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "sl-no-such-server")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    with pytest.raises(DeviceError, match="^JACK output unavailable: no JACK server answered"):
        open_output(FrameRamp(), "jack", block_size=PERIOD)
    below: list[str] = []

    def portaudio_or_below(source: FrameRamp, backend: str, *args: object) -> NullOutput:
        below.append(backend)
        return NullOutput(source, PERIOD, RATE)

    monkeypatch.setattr(
        "soundness_live.audio.backends._open_portaudio_or_below", portaudio_or_below
    )
    with caplog.at_level(logging.INFO, logger="soundness_live.audio.backends"):
        out = open_output(FrameRamp(), "auto", block_size=PERIOD)
    assert isinstance(out, NullOutput) and below == ["auto"]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and said[0].startswith("JACK output unavailable (no JACK server")
    assert said[0].endswith("trying PortAudio")


def test_a_sample_rate_the_server_does_not_run_is_refused(jack: JackServer) -> None:
    with pytest.raises(DeviceError, match="runs at 48000 Hz, the engine at 44100 Hz"):
        JackOutput(FrameRamp(), PERIOD, 44_100)
    assert "soundness-live" not in server_ports()


def test_the_port_arrays_follow_the_buffers_libjack_gives(jack: JackServer) -> None:
    cffi = pytest.importorskip("cffi")  # JACK-Client's own dependency
    ffi = cffi.FFI()
    areas = [ffi.new("float[]", PERIOD) for _ in range(3)]
    given = [areas[0], areas[1]]  # what libjack answers for the left and right port
    out = JackOutput(FrameRamp(), PERIOD, RATE)
    try:
        out._get_buffer = lambda port, frames: ffi.cast("void *", given[port])
        out._ffi_buffer, out._port_ptrs = ffi.buffer, (0, 1)
        left, right = out._port_arrays(PERIOD)
        left[:], right[:] = 1.0, 2.0
        assert (areas[0][PERIOD - 1], areas[1][0]) == (1.0, 2.0)
        again = out._port_arrays(PERIOD)  # the same addresses: the same arrays
        assert again[0] is left and again[1] is right
        given[0] = areas[2]  # the left port's buffer moved
        moved, _ = out._port_arrays(PERIOD)
        moved[:] = 3.0
        assert moved is not left and areas[2][0] == 3.0 and areas[0][0] == 1.0
        shorter, _ = out._port_arrays(PERIOD // 2)  # a smaller period at the same address
        assert len(shorter) == PERIOD // 2
    finally:
        out.stop()
