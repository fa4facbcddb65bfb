"""Standard MIDI File reader: frames through the tempo map, all tracks, track names, errors."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from soundness_live.core.events import (
    ChannelPressure,
    ControlChange,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
)
from soundness_live.errors import FileFormatError
from soundness_live.midi.files import read_midi_events


def two_track_file(path: Path, midi_type: int = 1) -> None:
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=96)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("set_tempo", tempo=500_000, time=0))  # 120 BPM
    conductor.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=192))  # 60 BPM at beat 2
    player = mido.MidiTrack([mido.MetaMessage("track_name", name="S-014", time=0)])
    player.append(mido.Message("control_change", channel=2, control=0, value=1, time=0))
    player.append(mido.Message("program_change", channel=2, program=12, time=0))
    player.append(mido.Message("note_on", channel=2, note=60, velocity=90, time=96))
    player.append(mido.Message("note_on", channel=2, note=60, velocity=0, time=96))
    player.append(mido.Message("note_on", channel=2, note=62, velocity=80, time=48))
    player.append(mido.Message("note_off", channel=2, note=62, velocity=64, time=96))
    midi.tracks += [conductor, player]
    midi.save(path)


def test_events_land_on_frames_through_the_tempo_map(tmp_path: Path) -> None:
    path = tmp_path / "two.mid"
    two_track_file(path)
    performance = read_midi_events(path, 48_000)
    events = performance.synth_events()
    assert events == [
        ControlChange(0, 2, 0, 1),
        ProgramChange(0, 2, 12, 1),
        NoteOn(24_000, 2, 60, 90),  # beat 1 at 120 BPM = 0.5 s
        NoteOff(48_000, 2, 60),  # velocity 0 = note off; beat 2 = 1.0 s
        NoteOn(72_000, 2, 62, 80),  # half a beat at 60 BPM later
        NoteOff(120_000, 2, 62),
    ]
    assert performance.track_names == ("", "S-014")
    assert {t.track_name for t in performance.events} == {"S-014"}
    assert {t.track for t in performance.events} == {1}
    assert performance.end_frame == 120_000 and performance.duration_s == 2.5


def test_type0_file_at_another_rate(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack([mido.Message("note_on", note=64, velocity=100, time=480)])
    track.append(mido.Message("note_off", note=64, time=240))
    midi.tracks.append(track)
    path = tmp_path / "zero.mid"
    midi.save(path)
    events = read_midi_events(path, 44_100).synth_events()
    assert events == [NoteOn(22_050, 0, 64, 100), NoteOff(33_075, 0, 64)]  # 120 BPM default


def test_a_files_pitch_wheel_and_pressure_play(tmp_path: Path) -> None:
    track = mido.MidiTrack([mido.Message("note_on", note=64, velocity=100, time=0)])
    track.append(mido.Message("pitchwheel", channel=0, pitch=8191, time=480))
    track.append(mido.Message("aftertouch", channel=0, value=70, time=0))
    track.append(mido.Message("pitchwheel", channel=0, pitch=-8192, time=480))
    path = tmp_path / "bend.mid"
    mido.MidiFile(type=0, ticks_per_beat=480, tracks=[track]).save(path)
    events = read_midi_events(path, 48_000).synth_events()
    assert events == [
        NoteOn(0, 0, 64, 100),
        PitchBend(24_000, 0, 16383),
        ChannelPressure(24_000, 0, 70),
        PitchBend(48_000, 0, 0),
    ]


def test_corrupt_file_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.mid"
    two_track_file(good)
    data = good.read_bytes()
    for name, content in (("junk.mid", b"not midi at all"), ("cut.mid", data[: len(data) - 9])):
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(FileFormatError, match=name):
            read_midi_events(bad, 48_000)


def test_type2_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "type2.mid"
    two_track_file(path, midi_type=2)
    with pytest.raises(FileFormatError, match="type 2"):
        read_midi_events(path, 48_000)


def one_note_after(path: Path, delta_ticks: int, tempo_us: int, ticks_per_beat: int = 1) -> Path:
    """A type 0 file: a tempo, then one note ``delta_ticks`` after the start."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo_us, time=0)])
    track.append(mido.Message("note_on", note=60, velocity=64, time=delta_ticks))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat, tracks=[track])
    midi.save(path)
    return path


def test_a_tiny_file_that_lasts_a_million_hours_is_refused(tmp_path: Path) -> None:
    path = one_note_after(tmp_path / "absurd.mid", 0x0FFFFFFF, 0xFFFFFF)  # the largest both
    assert path.stat().st_size == 40
    with pytest.raises(FileFormatError) as refused:
        read_midi_events(path)
    assert str(refused.value) == (
        f"{path}: expected a MIDI file of at most 2 hours, got one that lasts "
        "4,503,599,342.158 s (1,250,999.8 hours) (its delta times and tempos add up to that)"
    )


def test_two_hours_is_the_longest_file_read(tmp_path: Path) -> None:
    two_hours = read_midi_events(one_note_after(tmp_path / "a.mid", 7200, 1_000_000))
    assert two_hours.duration_s == 7200.0
    with pytest.raises(FileFormatError, match=r"lasts 7,200\.001 s \(2\.0 hours\)"):
        read_midi_events(one_note_after(tmp_path / "b.mid", 7_200_001, 1000))  # 1 ms more


@pytest.mark.parametrize(
    ("cut", "reason"),
    [
        (-3, "the file ends in the middle of its data: cut short"),
        (10, "the file ends in the middle of its data: cut short"),
    ],
)
def test_a_cut_file_says_it_was_cut(tmp_path: Path, cut: int, reason: str) -> None:
    whole = tmp_path / "whole.mid"
    two_track_file(whole)
    path = tmp_path / "cut.mid"
    path.write_bytes(whole.read_bytes()[:cut])
    with pytest.raises(FileFormatError) as refused:
        read_midi_events(path)
    assert str(refused.value) == f"{path}: not a readable Standard MIDI File ({reason})"
