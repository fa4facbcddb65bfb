"""Output backends without a sound card: offline, null, SDL dummy; fallbacks and errors."""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from soundness_live.audio import output
from soundness_live.audio.backends import open_output
from soundness_live.audio.devices import describe_audio, find_output_device
from soundness_live.audio.output import FrameLine
from soundness_live.errors import DeviceError, ParameterError
from tests.jackserver import ClickSource


class SineSource:
    """A 440 Hz sine whose phase follows the frame counter (so any block split is identical)."""

    def __init__(self, sample_rate: int = 48_000) -> None:
        self.frame = 0
        self.sample_rate = sample_rate

    def render_into(self, out: np.ndarray) -> None:
        frames = np.arange(self.frame, self.frame + len(out))
        out[:] = (0.25 * np.sin(2 * np.pi * 440.0 * frames / self.sample_rate))[:, None]
        self.frame += len(out)


class BrokenSource(SineSource):
    def render_into(self, out: np.ndarray) -> None:
        out.fill(1.0)
        raise RuntimeError("synth bug")


@pytest.mark.parametrize("block_size", [1, 64, 65, 128, 8192])
def test_offline_output_is_identical_whatever_the_block_size(block_size: int) -> None:
    reference = open_output(SineSource(), "offline", block_size=4800).render(4800)
    out = open_output(SineSource(), "offline", block_size=block_size)
    audio = out.render(4800)
    assert audio.dtype == np.float32 and audio.shape == (4800, 2)
    np.testing.assert_array_equal(audio, reference)
    assert out.latency_s == 0.0 and out.mapping.frame_at(0.05) == pytest.approx(2400)


def test_offline_mapping_follows_the_last_block() -> None:
    out = open_output(SineSource(), "offline", block_size=100)
    out.render(1000)
    assert (out.mapping.anchor_frame, out.mapping.anchor_time) == (900, 900 / 48_000)
    assert out.blocks == 10 and out.underruns == 0


def test_render_error_gives_silence_and_is_counted() -> None:
    out = open_output(BrokenSource(), "offline", block_size=64)
    audio = out.render(128)
    assert out.errors == 2 and not audio.any()


def test_click_source_clicks_once_per_note_on() -> None:
    source = ClickSource(click_frames=8)
    out = open_output(source, "offline", block_size=64)
    source.push(type("On", (), {"velocity": 100, "kind": "note_on"})())
    audio = out.render(128)
    assert np.flatnonzero(audio[:, 0]).tolist() == list(range(8))


def test_null_output_paces_blocks_by_the_monotonic_clock() -> None:
    source = SineSource()
    with open_output(source, "null", block_size=128) as out:
        time.sleep(0.3)
        mapping, now = out.mapping, time.monotonic()
    blocks_expected = 0.3 * 48_000 / 128
    assert 0.7 * blocks_expected < out.blocks < 1.3 * blocks_expected
    # the block being rendered now is heard one block later
    assert abs(mapping.frame_at(now) - mapping.latency_frames - source.frame) < 3 * 128
    assert out.name == "null" and out.latency_s == pytest.approx(128 / 48_000)


def test_sdl_dummy_driver_runs_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    source = SineSource()
    with open_output(source, "sdl", block_size=128) as out:
        time.sleep(0.3)
    assert out.blocks > 20 and source.frame == out.blocks * 128
    assert out.name.startswith("sdl") and out.errors == 0


# a block that takes SDL's device lock and then lets the GIL go (as a slow block does when
# the machine is loaded): the stop comes while the audio thread holds the lock
STOP_DURING_A_BLOCK = """
import threading, time
from soundness_live.audio.output import SdlOutput

class SlowSource:
    frame = 0
    def __init__(self):
        self.slow = threading.Event()
        self.in_block = threading.Event()
    def render_into(self, out):
        if self.slow.is_set():
            self.in_block.set()
            time.sleep(0.2)
        out[:] = 0
        self.frame += len(out)

source = SlowSource()
out = SdlOutput(source, 128, 48000, None).start()
time.sleep(0.1)
source.slow.set()
assert source.in_block.wait(5)
out.stop()
print("stopped", flush=True)
"""

PLAY_UNTIL_STOPPED = """
import time
from soundness_live.audio.output import SdlOutput

class Silence:
    frame = 0
    def render_into(self, out):
        out[:] = 0
        self.frame += len(out)

out = SdlOutput(Silence(), 128, 48000, None).start()
print("playing", flush=True)
time.sleep(30)
"""


def run_sdl_script(script: str = STOP_DURING_A_BLOCK) -> subprocess.Popen[str]:
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy"}
    command = [sys.executable, "-c", script]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def test_sdl_output_stops_while_a_block_is_being_made() -> None:
    with run_sdl_script() as process:
        try:
            stdout, _ = process.communicate(timeout=30)  # before the fix: never returned
        finally:
            process.kill()
    assert stdout.strip() == "stopped"
    assert process.returncode == 0


def test_a_process_with_sdl_output_stops_on_sigterm() -> None:
    with run_sdl_script(PLAY_UNTIL_STOPPED) as process:
        try:
            assert process.stdout is not None
            assert select.select([process.stdout], [], [], 30)[0], "the output did not start"
            assert process.stdout.readline().strip() == "playing"
            process.send_signal(signal.SIGTERM)  # before the fix: SDL took it and nothing read it
            assert process.wait(timeout=10) == -signal.SIGTERM
        finally:
            process.kill()


def test_auto_falls_back_to_sdl_when_portaudio_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_portaudio(*args: object) -> None:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(output.SoundDeviceOutput, "__init__", no_portaudio)
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    with caplog.at_level(logging.WARNING):
        out = open_output(SineSource(), "auto")
    assert isinstance(out, output.SdlOutput)
    assert "PortAudio output unavailable (PortAudio library not found)" in caplog.text
    out.stop()
    with pytest.raises(DeviceError, match="sounddevice output unavailable"):
        open_output(SineSource(), "sounddevice")


@pytest.mark.parametrize(
    "kwargs", [{"backend": "pulse"}, {"block_size": 0}, {"block_size": 64.0}, {"sample_rate": 7}]
)
def test_bad_parameters_raise(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        open_output(SineSource(), **kwargs)


class FakeSoundDevice:
    class default:
        device = (-1, -1)

    devices = [
        {"name": "USB Audio", "hostapi": 0, "max_output_channels": 2},
        {"name": "USB Audio Mic", "hostapi": 0, "max_output_channels": 0},
        {"name": "HDMI 0", "hostapi": 0, "max_output_channels": 8},
        {"name": "system", "hostapi": 1, "max_output_channels": 2},
    ]

    def query_devices(self) -> list[dict]:
        return self.devices

    def query_hostapis(self, index: int) -> dict:
        return {"name": ["ALSA", "JACK Audio Connection Kit"][index]}


def test_find_output_device_by_name_index_and_default() -> None:
    sd = FakeSoundDevice()
    assert find_output_device(sd, "jack") == 3
    assert find_output_device(sd, "hdmi") == 2
    assert find_output_device(sd, 0) == 0 and find_output_device(sd, None) == 0
    with pytest.raises(DeviceError, match=r"Multiple output devices found for 'a'"):
        find_output_device(sd, "a")
    with pytest.raises(DeviceError, match=r"\[3\] system, JACK"):
        find_output_device(sd, "bluetooth")
    with pytest.raises(DeviceError, match="not a stereo output"):
        find_output_device(sd, 1)


def test_frame_line_takes_the_most_punctual_callback_and_drifts_slowly() -> None:
    line = FrameLine(48_000)
    assert line.time_of(0, 100.0010) == pytest.approx(100.0010)  # a late first callback
    assert line.time_of(480, 100.0105) == pytest.approx(100.0105)  # punctual: new origin
    assert line.time_of(960, 100.0250) == pytest.approx(100.0005 + 0.02 + 0.0145 * 200e-6)
    # 1000 s later the sample clock ran 100 ppm slow: the origin follows within the allowance
    assert line.time_of(48_000_000, 1100.1005) == pytest.approx(1100.1005)
    line.reset()
    assert line.time_of(48_000_480, 2000.0) == pytest.approx(2000.0)


def test_describe_says_why_there_is_no_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    monkeypatch.setattr(sd, "query_devices", lambda: [])
    monkeypatch.setattr(sd, "query_hostapis", lambda: ({"name": "ALSA"},))
    assert describe_audio() == [
        "Audio outputs (PortAudio): none - no sound card found, and JACK is not running; "
        "output falls back to SDL audio, else to the null output"
    ]
