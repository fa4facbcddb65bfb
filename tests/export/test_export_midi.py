"""Session MIDI file: reloads with mido; the right notes at the right times (within 1 ms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mido
import pytest

from soundness_live.errors import ParameterError
from soundness_live.export.midi import PROMPT_TRACK_NAME, write_session_midi
from tests.export.test_export_bundle import make_bundle


def _notes_ms(
    track: mido.MidiTrack, tempo_us: int, tpb: int
) -> list[tuple[float, float, int, int]]:
    """(onset_ms, duration_ms, note, channel) of every note in ``track``."""
    ms_per_tick = tempo_us / 1000.0 / tpb
    now, open_notes, notes = 0, {}, []
    for message in track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            open_notes[(message.channel, message.note)] = now
        elif message.type in ("note_off", "note_on"):
            start = open_notes.pop((message.channel, message.note))
            notes.append((start * ms_per_tick, (now - start) * ms_per_tick, message.note,
                          message.channel))  # fmt: skip
    assert not open_notes, "every note-on has its note-off"
    return sorted(notes)


def _by_name(midi: mido.MidiFile) -> dict[str, mido.MidiTrack]:
    return {track.name: track for track in midi.tracks}


def _expected(session: dict[str, Any], key: str) -> list[tuple[float, int]]:
    return sorted(
        (n["onset_ms"], n.get("sounded_note", n.get("note")))
        for t in session["trials"]
        for n in t[key]
        if n.get("note") is not None
    )


@pytest.mark.parametrize(("tpb", "bpm"), [(480, 120), (1000, 60), (96, 90)])
def test_notes_reload_at_their_onsets(tmp_path: Path, tpb: int, bpm: float) -> None:
    session = make_bundle()["sessions"][0]
    path = write_session_midi(session, tmp_path / "s.mid", ticks_per_beat=tpb, tempo_bpm=bpm)
    midi = mido.MidiFile(path)
    assert midi.type == 1 and midi.ticks_per_beat == tpb
    tempo_us = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    tolerance_ms = tempo_us / 1000.0 / tpb / 2 + 1e-9
    tracks = _by_name(midi)
    prompts = _notes_ms(tracks[PROMPT_TRACK_NAME], tempo_us, tpb)
    expected = _expected(session, "prompt")
    assert len(prompts) == len(expected)
    for (onset, _, note, _), (want_onset, want_note) in zip(prompts, expected, strict=True):
        assert note == want_note
        assert abs(onset - want_onset) <= tolerance_ms
    responses = [
        n for name, track in tracks.items() if name.startswith("Responses")
        for n in _notes_ms(track, tempo_us, tpb)
    ]  # fmt: skip
    expected = _expected(session, "responses")
    assert [n[2] for n in sorted(responses)] == [n for _, n in expected]
    assert all(
        abs(a[0] - b[0]) <= tolerance_ms for a, b in zip(sorted(responses), expected, strict=True)
    )


def test_default_resolution_is_within_one_ms(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][1]
    midi = mido.MidiFile(write_session_midi(session, tmp_path / "s.mid"))
    tracks = _by_name(midi)
    got = _notes_ms(tracks[PROMPT_TRACK_NAME], 500_000, 480)
    errors = [abs(g[0] - w[0]) for g, w in zip(got, _expected(session, "prompt"), strict=True)]
    assert max(errors) < 1.0
    durations = {round(g[1]) for g in got}
    assert {250, 350, 100, 500} <= durations


def test_tracks_title_channels_and_markers(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][0]
    midi = mido.MidiFile(write_session_midi(session, tmp_path / "s.mid"))
    names = [track.name for track in midi.tracks]
    assert names == [
        "S-014 session 12", PROMPT_TRACK_NAME,
        "Responses S-014 (pad-1)", "Responses S-014 (keys-1)",
    ]  # fmt: skip
    tracks = _by_name(midi)
    drum_notes = _notes_ms(tracks["Responses S-014 (pad-1)"], 500_000, 480)
    assert {channel for *_, channel in drum_notes} == {9}
    keys = _notes_ms(tracks["Responses S-014 (keys-1)"], 500_000, 480)
    assert {channel for *_, channel in keys} == {0}
    markers, now = [], 0
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker":
            markers.append((now * 500 / 480, message.text))
    assert [text for _, text in markers][:2] == [
        "Trial 0 call-and-response",
        "Trial 1 call-and-response",
    ]
    assert len(markers) == 12
    for (time_ms, _), trial in zip(markers, session["trials"], strict=True):
        assert abs(time_ms - trial["start_ms"]) <= 0.53


def test_bad_notes_and_times_are_refused_by_name(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][0]
    session["trials"][2]["responses"][0]["sounded_note"] = 130
    with pytest.raises(ParameterError, match="trial 2: expected a MIDI note 0..127, got 130"):
        write_session_midi(session, tmp_path / "s.mid")
    session = make_bundle()["sessions"][0]
    session["trials"][1]["prompt"][0]["onset_ms"] = -5.0
    with pytest.raises(ParameterError, match="trial 1 prompt onset_ms"):
        write_session_midi(session, tmp_path / "s.mid")
    with pytest.raises(ParameterError, match="ticks_per_beat"):
        write_session_midi(session, tmp_path / "s.mid", ticks_per_beat=0)
    assert not (tmp_path / "s.mid").exists()


def test_a_null_channel_is_the_tracks_own_and_a_channel_not_0_to_15_is_refused(
    tmp_path: Path,
) -> None:
    session = make_bundle()["sessions"][0]
    for trial in session["trials"]:
        for entry in [*trial["prompt"], *trial["responses"]]:
            entry["channel"] = None  # stored as null: no channel known
    midi = mido.MidiFile(write_session_midi(session, tmp_path / "s.mid"))
    tracks = _by_name(midi)
    assert {c for *_, c in _notes_ms(tracks["Responses S-014 (pad-1)"], 500_000, 480)} == {9}
    assert {c for *_, c in _notes_ms(tracks["Responses S-014 (keys-1)"], 500_000, 480)} == {0}
    for bad in (3.5, True, "9"):
        session = make_bundle()["sessions"][0]
        session["trials"][2]["responses"][0]["channel"] = bad
        with pytest.raises(
            ParameterError, match=f"trial 2: expected a MIDI channel 0..15, got {bad!r}"
        ):
            write_session_midi(session, tmp_path / "bad.mid")
    assert not (tmp_path / "bad.mid").exists()


def test_repeated_key_is_cut_at_the_next_onset(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][0]
    trial = session["trials"][0]
    trial["prompt"] = [
        {"onset_ms": 1000.0, "note": 36, "velocity": 100, "duration_ms": 900.0, "channel": 9},
        {"onset_ms": 1500.0, "note": 36, "velocity": 100, "duration_ms": 200.0, "channel": 9},
        {"onset_ms": 1500.0, "note": 36, "velocity": 100, "duration_ms": 200.0, "channel": 9},
    ]
    session["trials"] = [trial]
    midi = mido.MidiFile(write_session_midi(session, tmp_path / "s.mid", 1000, 60))
    got = _notes_ms(_by_name(midi)[PROMPT_TRACK_NAME], 1_000_000, 1000)
    assert got == [(1000.0, 500.0, 36, 9), (1500.0, 200.0, 36, 9)]


def test_what_was_played_between_activities_is_on_the_players_track(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][0]
    responses = [r for t in session["trials"] for r in t["responses"]]
    events = [
        {
            "kind": "note_on",
            "onset_ms": r["onset_ms"],
            "note": r["note"],
            "velocity": 90,
            "device": r.get("device"),
            "player": r.get("player"),
        }
        for r in responses
    ]  # fmt: skip  (the trials' own notes, as the store keeps them too)
    between = {"note": 42, "device": "pad-1", "player": "S-014", "channel": 9}
    events += [
        dict(between, kind="note_on", onset_ms=90_000.0, velocity=70),
        dict(between, kind="note_off", onset_ms=90_150.0, velocity=0),
    ]
    session["events"] = events
    before = mido.MidiFile(write_session_midi(make_bundle()["sessions"][0], tmp_path / "a.mid"))
    after = mido.MidiFile(write_session_midi(session, tmp_path / "b.mid"))
    pad = "Responses S-014 (pad-1)"
    old = _notes_ms(_by_name(before)[pad], 500_000, 480)
    new = _notes_ms(_by_name(after)[pad], 500_000, 480)
    assert len(new) == len(old) + 1  # the trials' notes once, and the one played between
    (extra,) = [n for n in new if n not in old]
    assert extra[0] == pytest.approx(90_000.0, abs=0.53) and extra[2:] == (42, 9)
    assert extra[1] == pytest.approx(150.0, abs=1.1)


def test_a_trial_notes_release_does_not_end_a_note_held_from_before(tmp_path: Path) -> None:
    session = make_bundle()["sessions"][0]
    trial_note = next(r for t in session["trials"] for r in t["responses"] if r["note"] == 38)
    pad = {"note": 38, "device": trial_note.get("device"), "player": trial_note.get("player")}
    onset = trial_note["onset_ms"]
    session["events"] = [
        dict(pad, kind="note_on", onset_ms=onset - 3000.0, velocity=60),  # held, never released
        dict(pad, kind="note_on", onset_ms=onset, velocity=90),  # the trial's own note
        dict(pad, kind="note_off", onset_ms=onset + 100.0, velocity=0),  # ...and its release
    ]
    midi = mido.MidiFile(write_session_midi(session, tmp_path / "s.mid"))
    track = _by_name(midi)[f"Responses {pad['player']} ({pad['device']})"]
    held = [n for n in _notes_ms(track, 500_000, 480) if abs(n[0] - (onset - 3000.0)) < 1]
    assert len(held) == 1 and held[0][1] == pytest.approx(200.0, abs=1.1)  # the default length
