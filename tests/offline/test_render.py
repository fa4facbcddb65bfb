"""Renderer (queue, late events, thru), WAV files, and offline rendering of MIDI files."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import mido
import numpy as np
import pytest

from soundness_live.audio.wav import read_wav, write_wav
from soundness_live.core.events import NoteOn
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.offline.render import demo_events, render_demo_piece, render_midi_file
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_as_scheduled, render_offline
from tests.synth.test_synth import RATE, STAGE_DELAY, first_sound, tone_font


def make_renderer(capacity: int = 1024) -> Renderer:
    from soundness_live.synth.synth import Synth

    return Renderer(Synth(tone_font(), RATE), OutputStage(RATE, 0.0), queue_capacity=capacity)


def test_late_events_are_counted_and_play_at_the_next_block_start() -> None:
    renderer = make_renderer()
    render_offline(renderer, 1024, 256)
    renderer.push(NoteOn(900, 0, 69, 100))  # frame 900 was rendered already
    block = np.zeros((256, 2), np.float32)
    renderer.render_into(block)
    assert renderer.late_events == 1
    assert renderer.max_late_frames == 124
    assert first_sound(block) == STAGE_DELAY


def test_thru_events_play_at_the_next_block_start_and_are_not_late() -> None:
    renderer = make_renderer()
    render_offline(renderer, 1000, 250)
    assert renderer.push(NoteOn(0, 0, 69, 100), immediate=True)
    block = np.zeros((250, 2), np.float32)
    renderer.render_into(block)
    assert renderer.late_events == 0
    assert first_sound(block) == STAGE_DELAY


def test_scheduled_events_land_inside_the_block() -> None:
    renderer = make_renderer()
    renderer.push(NoteOn(1300, 0, 69, 100))
    audio = render_offline(renderer, 2048, 512)
    assert first_sound(audio) == 1300 + STAGE_DELAY
    assert renderer.frame == 2048 == renderer.synth.frame


def test_command_queue_overflow_is_refused_and_counted() -> None:
    renderer = make_renderer(capacity=4)
    accepted = [renderer.push(NoteOn(10, 0, 60 + i, 100)) for i in range(6)]
    assert accepted == [True] * 4 + [False] * 2
    assert renderer.dropped_commands == 2
    assert renderer.panic()  # never refused
    render_offline(renderer, 512, 512)
    assert renderer.push(NoteOn(600, 0, 60, 100))  # drained: room again


def test_renderer_rejects_mismatched_rates() -> None:
    from soundness_live.synth.synth import Synth

    with pytest.raises(ParameterError, match="44100"):
        Renderer(Synth(tone_font(), RATE), OutputStage(44_100))


def test_wav_round_trip_is_private_and_atomic(tmp_path: Path) -> None:
    t = np.arange(4800) / RATE
    audio = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), -0.25 * np.ones_like(t)], axis=1)
    path = write_wav(tmp_path / "a.wav", audio, RATE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]
    back, rate = read_wav(path)
    assert rate == RATE and back.shape == (4800, 2) and back.dtype == np.float32
    assert np.abs(back - audio).max() < 1.0 / 32767
    dithered = write_wav(tmp_path / "b.wav", audio, RATE, dither_seed=3).read_bytes()
    assert write_wav(tmp_path / "c.wav", audio, RATE, dither_seed=3).read_bytes() == dithered


def test_bad_wav_files_raise_file_format_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(FileFormatError, match="bad.wav"):
        read_wav(bad)
    with pytest.raises(ParameterError, match="shape"):
        write_wav(tmp_path / "x.wav", np.zeros((2, 2, 2)), RATE)


def _write_midi(path: Path) -> None:
    midi = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=600_000, time=0)])
    piano = mido.MidiTrack([mido.MetaMessage("track_name", name="P1", time=0)])
    piano += [mido.Message("program_change", program=0, time=0)]
    for key in (60, 64, 67):
        piano += [mido.Message("note_on", note=key, velocity=100, time=0)]
        piano += [mido.Message("note_on", note=key, velocity=0, time=480)]
    drums = mido.MidiTrack([mido.Message("note_on", channel=9, note=36, velocity=120, time=240)])
    drums += [mido.Message("note_off", channel=9, note=36, time=240)]
    midi.tracks += [conductor, piano, drums]
    midi.save(path)


@pytest.mark.parametrize("block", [1, 64, 512])
def test_rendered_as_scheduled_a_note_sounds_on_its_own_frame(block: int) -> None:
    renderer = make_renderer()
    renderer.push(NoteOn(1300, 0, 69, 100))
    audio = render_as_scheduled(renderer, 2048, block)
    assert audio.shape == (2048, 2) and first_sound(audio) == 1300  # the look-ahead dropped
    assert renderer.frame == 2048 + STAGE_DELAY  # rendered ahead


def test_render_midi_file_to_wav(tmp_path: Path) -> None:
    midi_path, wav_path = tmp_path / "song.mid", tmp_path / "song.wav"
    _write_midi(midi_path)
    seen: list[float] = []
    report = render_midi_file(midi_path, wav_path, block_size=256, progress=seen.append)
    audio, rate = read_wav(wav_path)
    assert rate == RATE and audio.shape == (report.frames, 2)
    assert 3 * 0.6 <= report.seconds < 3 * 0.6 + 5.0  # three beats at 100 BPM, then the tail
    onset = int(np.flatnonzero(np.abs(audio).max(axis=1) > 1e-4)[0])
    assert onset <= 24  # the note starts at frame 0 (its sample begins near a zero crossing)
    assert first_sound(audio) == 0  # offline, the output stage's look-ahead is not heard
    assert report.late_events == 0 and report.voices_max >= 2
    assert -40.0 < report.peak_dbfs <= -6.0  # default cap
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert "soundness-gm.sf2" in str(report)


def test_demo_piece_renders_about_twelve_seconds(tmp_path: Path) -> None:
    events = demo_events()
    assert {e.channel for e in events if isinstance(e, NoteOn)} == {0, 1, 9}
    report = render_demo_piece(tmp_path / "demo.wav", block_size=512)
    assert 11.5 <= report.seconds <= 17.5
    assert math.isfinite(report.peak_dbfs) and report.peak_dbfs <= -6.0
    audio, _ = read_wav(tmp_path / "demo.wav")
    second = [np.abs(audio[i * RATE : (i + 1) * RATE]).max() for i in range(11)]
    assert min(second) > 0.01  # music all the way through
