"""Offline sessions with sound: block-size independence, MIDI-file input, the demo."""

from __future__ import annotations

import json

import mido
import numpy as np
import pytest

from soundness_live.activities.registry import get_activity
from soundness_live.audio.wav import read_wav
from soundness_live.core.events import NoteOn
from soundness_live.core.session import Session
from soundness_live.midi.performance import FilePerformance
from soundness_live.offline.runs import PlayOptions, run_activity
from soundness_live.offline.sink import OfflineRenderSink
from soundness_live.players.virtual_child import ChildTraits, VirtualChild

RATE = 48_000


def render_session(block_size: int):
    sink = OfflineRenderSink.create(sample_rate=RATE, block_size=block_size)
    child = VirtualChild(ChildTraits(), sample_rate=RATE, seed=7)
    params = {"variant": "with-beat", "trials": 2, "beats": 8}
    result = Session(
        get_activity("tempo-following"),
        params,
        sink=sink,
        inputs=[child],
        sample_rate=RATE,
        seed=7,
        soundfont=sink.soundfont_info,
    ).run()
    return result.records, sink.audio()


def test_identical_records_and_audio_at_block_sizes_64_and_256():
    trials_64, audio_64 = render_session(64)
    trials_256, audio_256 = render_session(256)
    assert trials_64 == trials_256
    assert audio_64.shape == audio_256.shape
    assert np.array_equal(audio_64, audio_256)
    assert np.abs(audio_64).max() > 0.01  # it really made sound


def test_beats_sound_at_their_frames():
    trials, audio = render_session(256)
    first_beat = int(trials[0]["prompt"][0]["onset_frame"])
    before = np.abs(audio[first_beat - 480 : first_beat]).max()
    after = np.abs(audio[first_beat : first_beat + 480]).max()
    assert before < 1e-4 < after


def test_an_offline_wav_has_each_sound_on_its_scheduled_frame(tmp_path):
    """Offline is not real time: the output stage's look-ahead is rendered ahead and dropped,
    so the output latency is 0 and frame f of the WAV is the sound scheduled at frame f."""
    sink = OfflineRenderSink.create(sample_rate=RATE, block_size=256)
    assert sink.output_latency_frames == 0.0
    sink.schedule(NoteOn(4800, 0, 60, 100))
    sink.advance_to(9600)
    report = sink.write_wav(tmp_path / "note.wav")
    audio, _ = read_wav(tmp_path / "note.wav")
    assert int(np.flatnonzero(np.abs(audio).max(axis=1) > 0)[0]) == 4800
    assert report["frames"] == len(audio) == len(sink.audio())
    assert np.abs(audio[-480:]).max() < 1e-3  # the release tail was rendered to its end


def test_records_say_a_prompt_is_heard_on_its_scheduled_frame():
    sink = OfflineRenderSink.create(sample_rate=RATE, block_size=256)
    scheduled: list[int] = []
    schedule = sink.schedule
    sink.schedule = lambda event: scheduled.append(event.frame) or schedule(event)  # type: ignore[method-assign]
    result = Session(
        get_activity("tempo-following"),
        {"variant": "with-beat", "trials": 1, "beats": 4},
        sink=sink,
        inputs=[VirtualChild(ChildTraits(), sample_rate=RATE, seed=7)],
        sample_rate=RATE,
        seed=7,
        soundfont=sink.soundfont_info,
    ).run()
    onsets = [int(prompt["onset_frame"]) for prompt in result.records[0]["prompt"]]
    assert len(onsets) == 4 and set(onsets) <= set(scheduled)  # heard when scheduled


def write_two_player_file(path):
    midi = mido.MidiFile(ticks_per_beat=480)  # 120 BPM default: 960 ticks per second
    for name, start_s in (("A", 3.0), ("B", 3.2)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        track.append(
            mido.Message("note_on", note=38, velocity=90, channel=9, time=int(start_s * 960))
        )
        track.append(mido.Message("note_off", note=38, velocity=0, channel=9, time=96))
        midi.tracks.append(track)
    midi.save(path)


def test_midi_file_input_keeps_file_times_and_players(tmp_path):
    path = tmp_path / "two.mid"
    write_two_player_file(path)
    source = FilePerformance.load(path, sample_rate=RATE, players_from_tracks=True)
    notes = source.take_until(10 * RATE)
    assert [(n.player, n.frame, n.clock) for n in notes] == [
        ("A", 3.0 * RATE, "file"),
        ("B", 3.2 * RATE, "file"),
    ]
    assert notes[0].duration_frames == pytest.approx(0.1 * RATE)


def test_play_with_a_midi_file_and_wav(tmp_path):
    path = tmp_path / "two.mid"
    write_two_player_file(path)
    options = PlayOptions(
        activity="waiting",
        params={"variant": "turns", "trials": 1, "players": "A,B"},
        input=str(path),
        wav=tmp_path / "out.wav",
    )
    result, sound = run_activity(options)
    (trial,) = result.records
    assert {r["player"] for r in trial["responses"]} == {"A", "B"}
    assert sound["frames"] > 0 and (tmp_path / "out.wav").stat().st_mode & 0o777 == 0o600
    json.dumps(result.records, allow_nan=False)
