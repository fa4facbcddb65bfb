"""The microphone: its ring and clock mapping, finding the input device."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from soundness_live.audio.devices import find_input_device
from soundness_live.audio.mic import InputRing, MicrophoneVoice
from soundness_live.core.clock import ClockMapping
from soundness_live.errors import DeviceError
from tests.conftest import wait_until

RATE = 48_000


def test_input_ring_maps_capture_time_to_engine_frames():
    """A sample captured at monotonic t lies at frame_at(t) on the engine's (heard) axis."""
    ring = InputRing(RATE, buffer_s=1.0)
    mapping = ClockMapping(RATE, anchor_frame=96_000, anchor_time=100.0, output_latency_s=0.01)
    ramp = np.arange(RATE * 3, dtype=np.float32)  # sample value = its capture index
    for start in range(0, len(ramp), 512):  # first sample captured at t = 99 s
        ring.write(ramp[start : start + 512], 99.0 + start / RATE)
    # engine frame F is heard at time_of(F); 1 s of capture is held, older samples are gone
    frame = int(mapping.frame_at(101.5))
    got = ring.span(mapping, frame, frame + 100)
    np.testing.assert_array_equal(got, ramp[int(2.5 * RATE) : int(2.5 * RATE) + 100])
    old = ring.span(mapping, int(mapping.frame_at(99.5)), int(mapping.frame_at(99.5)) + 10)
    assert not old.any()  # overwritten by the ring: silence, not stale audio
    future = ring.span(mapping, int(mapping.frame_at(101.99)), int(mapping.frame_at(102.5)))
    assert future[: int(0.01 * RATE) - 2].all() and not future[int(0.01 * RATE) + 2 :].any()


@pytest.mark.parametrize("block", [1, 64, 65, 1000, 48_000])
def test_input_ring_wraps_for_any_block_size(block):
    ring = InputRing(RATE, buffer_s=0.1)  # 4800 samples
    data = np.random.default_rng(block).standard_normal(20_000).astype(np.float32)
    for start in range(0, len(data), block):
        ring.write(data[start : start + block], start / RATE)
    out = np.zeros(3000, dtype=np.float32)
    ring.read(16_000, out)
    np.testing.assert_array_equal(out, data[16_000:19_000])


def fake_sounddevice(devices):
    return SimpleNamespace(
        query_devices=lambda: devices,
        query_hostapis=lambda index: {"name": "ALSA"},
        default=SimpleNamespace(device=(-1, -1)),
    )


def test_input_device_errors_list_the_candidates():
    with pytest.raises(DeviceError, match="no audio input device"):
        find_input_device(fake_sounddevice([]), None)
    devices = [
        {"name": "USB mic", "max_input_channels": 1, "hostapi": 0},
        {"name": "USB mic 2", "max_input_channels": 2, "hostapi": 0},
        {"name": "Speakers", "max_input_channels": 0, "hostapi": 0},
    ]
    sd = fake_sounddevice(devices)
    assert find_input_device(sd, None) == 0 and find_input_device(sd, "mic 2") == 1
    with pytest.raises(DeviceError, match=r"Multiple input devices.*\n\[0\] USB mic, ALSA"):
        find_input_device(sd, "usb")
    with pytest.raises(DeviceError, match=r"No input devices found for 'zoom'"):
        find_input_device(sd, "zoom")


def test_microphone_without_an_input_device_is_a_device_error():
    try:
        import sounddevice as sd

        has_input = any(d["max_input_channels"] > 0 for d in sd.query_devices())
    except OSError:
        has_input = False
    if has_input:
        pytest.skip("this machine has an audio input; the error path needs none")
    with pytest.raises(DeviceError):
        MicrophoneVoice(RATE, lambda: ClockMapping(RATE))


@pytest.mark.jack
def test_a_microphone_starts_portaudio_again_after_a_release_and_stops_it_after():
    """On the JACK output the engine stops PortAudio once the microphone is found
    (``release_portaudio``): a vocal activity's microphone still opens and hears, and
    PortAudio's JACK client lives only while it is open."""
    from soundness_live.audio.mic import release_portaudio
    from tests.conftest import require, require_program
    from tests.jackserver import jack_server, require_jack_client

    require_program("jackd", "jackd2")
    require_jack_client()
    try:
        import sounddevice as sd
    except OSError as error:
        require(False, f"PortAudio missing ({error}; apt-get install libportaudio2)")
    import jack

    with jack_server(256) as server:  # PortAudio started again: it lists the server's ports
        assert release_portaudio(sd) and not release_portaudio(sd)  # the second: nothing to do
        looking = jack.Client("sl-looking", no_start_server=True)
        try:
            with pytest.raises(jack.JackError):
                looking.get_uuid_for_client_name("PortAudio")
            mic = MicrophoneVoice(RATE, lambda: ClockMapping(RATE), device="system").start()
            assert looking.get_uuid_for_client_name("PortAudio")  # its stream's client
            wait_until(lambda: mic.ring.written >= 4 * server.period_frames, 5.0)
            mic.stop()
            mic.stop()  # idempotent: PortAudio is released once
            assert sd._initialized == 0
            with pytest.raises(jack.JackError):
                looking.get_uuid_for_client_name("PortAudio")
        finally:
            looking.close()
            sd._initialize()  # as jack_server found it: it stops PortAudio before the server


class StandInPortAudio:
    """sounddevice's start and stop of PortAudio, counted."""

    def __init__(self, running: bool) -> None:
        self._initialized = int(running)

    def _initialize(self) -> None:
        self._initialized += 1

    def _terminate(self) -> None:
        self._initialized -= 1


def test_portaudio_is_never_stopped_under_an_open_microphone():
    """The engine's microphone check releases PortAudio on another thread than the one a
    vocal activity opens its microphone on: a release between the two must leave it be."""
    from soundness_live.audio.mic import _give_back_portaudio, _take_portaudio, release_portaudio

    portaudio = StandInPortAudio(running=True)
    _take_portaudio(portaudio)  # a microphone opened while PortAudio ran
    assert not release_portaudio(portaudio) and portaudio._initialized == 1
    _give_back_portaudio(portaudio)  # not started for it: still running, the check may stop it
    assert portaudio._initialized == 1 and release_portaudio(portaudio)
    # released: two microphones start it once, and it stops with the last of them
    _take_portaudio(portaudio)
    _take_portaudio(portaudio)
    assert portaudio._initialized == 1
    _give_back_portaudio(portaudio)
    assert portaudio._initialized == 1
    _give_back_portaudio(portaudio)
    assert portaudio._initialized == 0
