"""Voice sources: the microphone's ring and clock mapping, the WAV stand-in, the virtual singer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile

from soundness_live.activities.base import Show
from soundness_live.audio.mic import (
    InputRing,
    MicrophoneVoice,
    PlacedVoice,
    SingerTraits,
    VirtualSinger,
    WavVoice,
    find_input_device,
    shift_pitch,
)
from soundness_live.core.clock import ClockMapping
from soundness_live.errors import DeviceError, FileFormatError, ParameterError
from soundness_live.voice.analysis import analyze_voice

RATE = 48_000


def test_placed_takes_read_back_exactly_on_the_engine_axis():
    voice = PlacedVoice(RATE)
    voice.place(1000, np.ones(500, dtype=np.float32))
    voice.place(1400, np.full(200, 2.0, dtype=np.float32))
    got = voice.audio(900, 1700)
    assert got.dtype == np.float32 and len(got) == 800
    assert not got[:100].any() and (got[100:500] == 1).all()
    assert (got[500:600] == 3).all() and (got[600:700] == 2).all() and not got[700:].any()


def test_wav_voice_places_each_file_at_its_turn_cue(tmp_path):
    first, second = tmp_path / "one.wav", tmp_path / "two.wav"
    soundfile.write(first, np.full(1600, 0.5), 16_000)  # 100 ms at 16 kHz
    soundfile.write(second, np.full(800, -0.25), 16_000)
    voice = WavVoice([first, second], RATE)
    voice.observe(Show("listen", 0), 0)  # no turn: nothing placed
    for frame in (10_000, 30_000, 50_000):
        voice.observe(Show("your_turn", frame), frame)
    audio = voice.audio(0, 60_000)
    assert [f for f, _ in voice.placed] == [10_000, 30_000, 50_000]
    assert len(voice.placed[0][1]) == 4800  # resampled to the engine's rate
    assert audio[10_100:14_700].mean() == pytest.approx(0.5, abs=0.01)
    assert audio[30_100:32_300].mean() == pytest.approx(-0.25, abs=0.01)
    assert audio[50_100:52_300].mean() == pytest.approx(-0.25, abs=0.01)  # the last one reused
    assert not audio[:9_900].any()


def test_wav_voice_errors_name_the_problem(tmp_path):
    with pytest.raises(ParameterError, match="at least one WAV"):
        WavVoice([], RATE)
    with pytest.raises(FileFormatError, match="missing.wav"):
        WavVoice([tmp_path / "missing.wav"], RATE)


def test_shift_pitch_moves_a_tone_by_the_cents_asked():
    tone = np.sin(2 * np.pi * 440.0 * np.arange(RATE) / RATE).astype(np.float32)
    shifted = shift_pitch(tone, 100.0)
    found = analyze_voice(shifted, RATE, target_hz=440.0 * 2 ** (1 / 12))
    assert abs(found.pitch_error_cents) < 1.0


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


def answer_cue(frame: int, notes=(67, 64)) -> Show:
    detail = {"syllables": ["ba"] * len(notes), "notes": list(notes), "hold_ms": 400.0}
    return Show("your_turn", frame, {"answer": dict(detail, ioi_ms=667.0)})


def test_virtual_singer_is_seeded_and_sings_what_it_is_asked():
    exact = SingerTraits(
        onset_ms=800.0, onset_sd_ms=0.0, pitch_bias_cents=30.0, pitch_sd_cents=0.0,
        drop_syllable_rate=0.0, silent_rate=0.0,
    )  # fmt: skip
    takes = []
    for _ in range(2):
        singer = VirtualSinger(RATE, seed=5, traits=exact)
        singer.observe(answer_cue(RATE), RATE)
        takes.append(singer.audio(RATE // 2, 4 * RATE))
    np.testing.assert_array_equal(takes[0], takes[1])
    found = analyze_voice(takes[0], RATE, target_hz=[392.0, 329.63], listen_from_ms=300.0)
    assert found.syllables == 2 and found.contour_correct
    assert found.pitch_error_cents == pytest.approx(30.0, abs=3.0)
    assert found.voice_onset_ms == pytest.approx(500.0 + 800.0, abs=60.0)


def test_virtual_singer_sometimes_drops_a_syllable_or_stays_silent():
    singer = VirtualSinger(RATE, seed=1, traits=SingerTraits(drop_syllable_rate=0.5))
    for i in range(12):
        singer.observe(answer_cue(i * 4 * RATE, (67, 64, 67)), i * 4 * RATE)
    three = [len(samples) > 1.7 * RATE for _, samples in singer.placed]  # else two syllables
    assert 0 < sum(three) < len(three)
    quiet = VirtualSinger(RATE, seed=1, traits=SingerTraits(silent_rate=1.0))
    quiet.observe(answer_cue(RATE), RATE)
    assert quiet.placed == [] and np.abs(quiet.audio(0, RATE)).max() < 0.01
