"""Voices that are not a device: placed takes, the WAV stand-in, the virtual singer."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from soundness_live.activities.base import Show
from soundness_live.activities.contract import Cue
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.synth.singing import SyllableSinger
from soundness_live.voice.analysis import analyze_voice
from soundness_live.voice.sources import (
    PlacedVoice,
    SingerTraits,
    VirtualSinger,
    WavVoice,
    shift_pitch,
)

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
    voice.observe(Show(Cue.LISTEN, 0), 0)  # no turn: nothing placed
    for frame in (10_000, 30_000, 50_000):
        voice.observe(Show(Cue.YOUR_TURN, frame), frame)
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


def answer_cue(frame: int, notes=(67, 64)) -> Show:
    detail = {"syllables": ["ba"] * len(notes), "notes": list(notes), "hold_ms": 400.0}
    return Show(Cue.YOUR_TURN, frame, {"answer": dict(detail, ioi_ms=667.0)})


def test_virtual_singer_is_seeded_and_sings_what_it_is_asked():
    exact = SingerTraits(
        onset_ms=800.0, onset_sd_ms=0.0, pitch_bias_cents=30.0, pitch_sd_cents=0.0,
        drop_syllable_rate=0.0, silent_rate=0.0,
    )  # fmt: skip
    takes = []
    for _ in range(2):
        singer = VirtualSinger(RATE, SyllableSinger(RATE), seed=5, traits=exact)
        singer.observe(answer_cue(RATE), RATE)
        takes.append(singer.audio(RATE // 2, 4 * RATE))
    np.testing.assert_array_equal(takes[0], takes[1])
    found = analyze_voice(takes[0], RATE, target_hz=[392.0, 329.63], listen_from_ms=300.0)
    assert found.syllables == 2 and found.contour_correct
    assert found.pitch_error_cents == pytest.approx(30.0, abs=3.0)
    assert found.voice_onset_ms == pytest.approx(500.0 + 800.0, abs=60.0)


def test_virtual_singer_sometimes_drops_a_syllable_or_stays_silent():
    singer = VirtualSinger(
        RATE, SyllableSinger(RATE), seed=1, traits=SingerTraits(drop_syllable_rate=0.5)
    )
    for i in range(12):
        singer.observe(answer_cue(i * 4 * RATE, (67, 64, 67)), i * 4 * RATE)
    three = [len(samples) > 1.7 * RATE for _, samples in singer.placed]  # else two syllables
    assert 0 < sum(three) < len(three)
    quiet = VirtualSinger(RATE, SyllableSinger(RATE), seed=1, traits=SingerTraits(silent_rate=1.0))
    quiet.observe(answer_cue(RATE), RATE)
    assert quiet.placed == [] and np.abs(quiet.audio(0, RATE)).max() < 0.01
