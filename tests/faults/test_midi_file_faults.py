"""Random and damaged Standard MIDI Files: read, rendered or played, or refused in one line.

Files drawn by hypothesis: plain noise, a valid header followed by noise, tracks of random
events with any delta times (up to the format's largest), well-formed tracks with any times
and tempos, and valid files with bytes changed, inserted, deleted or cut off. Each goes to the
loader, to ``render`` and to ``play --input``: either it works, or the command exits with
status 2 and one line that names the file and says what was wrong. Never a traceback, never
a hang, never a WAV from a refused file.

The commands run through the whole CLI (its parser alone costs ~30 ms a call), so they take
:data:`CLI_FAULTS` (the same settings, fewer examples); the loader under them takes all of
:data:`~tests.faults.FAULTS`.
"""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import mido
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from soundness_live import cli
from soundness_live.errors import FileFormatError
from soundness_live.midi import files
from soundness_live.midi.files import MAX_LENGTH_S, read_midi_events
from tests.faults import FAULTS

READ_LIMIT_S = 5.0  # far above the slowest file seen (a few ms): more would be a hang
CLI_FAULTS = settings(FAULTS, max_examples=50)


def _saved(midi: mido.MidiFile) -> bytes:
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _seed_type0() -> bytes:
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=400_000)])
    track.append(mido.MetaMessage("track_name", name="S-014"))
    track.append(mido.Message("program_change", program=12))
    for k in range(6):
        track.append(mido.Message("note_on", note=60 + k, velocity=90, time=48))
        track.append(mido.Message("control_change", control=64, value=127 * (k % 2)))
        track.append(mido.Message("pitchwheel", pitch=100 * k))
        track.append(mido.Message("note_on", note=60 + k, velocity=0, time=48))
    track.append(mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01]))
    return _saved(mido.MidiFile(type=0, ticks_per_beat=96, tracks=[track]))


def _seed_type1() -> bytes:
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000)])
    conductor.append(mido.MetaMessage("set_tempo", tempo=750_000, time=192))
    players = []
    for code, channel in (("S-014", 0), ("S-022", 9)):
        player = mido.MidiTrack([mido.MetaMessage("track_name", name=code)])
        for k in range(4):
            player.append(mido.Message("note_on", channel=channel, note=38 + k, time=24))
            player.append(mido.Message("note_off", channel=channel, note=38 + k, time=24))
        players.append(player)
    return _saved(mido.MidiFile(type=1, ticks_per_beat=96, tracks=[conductor, *players]))


SEEDS = [_seed_type0(), _seed_type1()]


def _variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def _smf(tracks: list[bytes], midi_type: int = 1, ticks_per_beat: int = 96) -> bytes:
    header = b"MThd" + struct.pack(">IHHh", 6, midi_type, len(tracks), ticks_per_beat)
    return header + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


EVENT = st.tuples(
    st.one_of(st.integers(0, 200), st.integers(0, 0x0FFFFFFF)),  # delta ticks, up to the largest
    st.one_of(
        st.binary(min_size=1, max_size=4),
        st.sampled_from([b"\x90\x3c\x40", b"\x80\x3c\x00", b"\xff\x51\x03\x07\xa1\x20"]),
    ),
)
RANDOM_TRACKS = st.builds(
    lambda tracks, ticks: _smf(
        [b"".join(_variable_length(d) + e for d, e in t) + b"\x00\xff\x2f\x00" for t in tracks],
        ticks_per_beat=ticks,
    ),
    st.lists(st.lists(EVENT, max_size=6), min_size=1, max_size=3),
    st.integers(-32768, 32767),
)


DATA = st.integers(0, 127)
PLAYABLE_EVENT = st.tuples(
    st.one_of(st.integers(0, 400), st.integers(0, 0x0FFFFFFF)),
    st.one_of(
        st.builds(lambda c, n, v: bytes([0x90 | c, n, v]), st.integers(0, 15), DATA, DATA),
        st.builds(lambda c, n: bytes([0x80 | c, n, 0]), st.integers(0, 15), DATA),
        st.builds(lambda c, k, v: bytes([0xB0 | c, k, v]), st.integers(0, 15), DATA, DATA),
        st.builds(lambda c, p: bytes([0xC0 | c, p]), st.integers(0, 15), DATA),
        st.integers(1, 0xFFFFFF).map(lambda t: b"\xff\x51\x03" + t.to_bytes(3, "big")),
    ),
)
PLAYABLE_TRACKS = st.builds(  # well formed, with any times and tempos: read, or refused as long
    lambda tracks, ticks: _smf(
        [b"".join(_variable_length(d) + e for d, e in t) + b"\x00\xff\x2f\x00" for t in tracks],
        ticks_per_beat=ticks,
    ),
    st.lists(st.lists(PLAYABLE_EVENT, min_size=1, max_size=8), min_size=1, max_size=3),
    st.integers(1, 960),
)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes changed, inserted or deleted, or cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["change", "insert", "delete", "cut"]))
        if edit == "change" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        elif edit == "cut":
            del data[at:]
    return bytes(data)


MIDI_FILES = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=120).map(lambda body: _smf([body])),
    RANDOM_TRACKS,
    PLAYABLE_TRACKS,
    damaged(),
)
ABSURD = _smf([b"\x00\xff\x51\x03\xff\xff\xff\xff\xff\xff\x7f\x90\x3c\x40\x00\xff\x2f\x00"], 0, 1)


def test_the_loader_reads_or_refuses_any_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "child.mid"
    outcomes = {"read": 0, "refused": 0}

    @FAULTS
    @given(MIDI_FILES)
    @example(ABSURD)
    @example(SEEDS[0][:-1])
    def property_(data: bytes) -> None:
        path.write_bytes(data)
        began = time.monotonic()
        try:
            performance = read_midi_events(path)
        except FileFormatError as refused:
            text = str(refused)
            assert text.startswith(f"{path}: ") and "\n" not in text, text
            outcomes["refused"] += 1
        else:
            assert performance.duration_s <= MAX_LENGTH_S
            outcomes["read"] += 1
        assert time.monotonic() - began < READ_LIMIT_S

    property_()
    print(f"\nMIDI file loader: {outcomes}")
    assert outcomes["read"] > 0 and outcomes["refused"] > 0


def test_render_and_play_take_or_refuse_any_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same refusal at 20 s instead of 2 hours, so a file read in full renders in a moment
    monkeypatch.setattr(files, "MAX_LENGTH_S", 20.0)
    path, wav = tmp_path / "child.mid", tmp_path / "child.wav"
    outcomes = {"played": 0, "refused": 0}

    def run(command: list[str]) -> int:
        code = cli.main(command)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        if code == 2:
            assert err.startswith(f"soundness-live: error: {path}: ") and err.count("\n") == 1, err
        else:
            assert code == 0 and err == "", (code, err)
        return code

    @CLI_FAULTS
    @given(MIDI_FILES)
    @example(ABSURD)
    @example(SEEDS[1])
    def property_(data: bytes) -> None:
        path.write_bytes(data)
        wav.unlink(missing_ok=True)
        rendered = run(["render", str(path), "-o", str(wav), "--sample-rate", "8000"])
        assert wav.exists() == (rendered == 0)  # a refused file leaves no WAV
        played = run(["play", "free-play", "--input", str(path), "--sample-rate", "8000"])
        outcomes["refused" if 2 in (rendered, played) else "played"] += 1

    property_()
    print(f"\nrender and play --input: {outcomes}")
    assert outcomes["played"] > 0 and outcomes["refused"] > 0
