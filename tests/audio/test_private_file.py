"""Files written whole or not at all: a killed run leaves nothing, a bad place is one line."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import mido
import pytest

import soundness_live.audio.private_file as private_file
from soundness_live.audio.private_file import PendingFile, write_private_bytes
from soundness_live.cli import main
from soundness_live.errors import OutputFileError

ROOT = Path(__file__).resolve().parents[2]

# Runs `play --wav` and stops inside the WAV writing, once a second of sound is in the file:
# the parent then SIGKILLs it, as a power button or an out-of-memory killer would.
KILLED_PLAY = """
import sys, time
from pathlib import Path
import soundness_live.audio.private_file as private_file
from soundness_live.audio import wav
from soundness_live.cli import main

target, marker, mode = sys.argv[1:4]
private_file.USE_TMPFILE = mode == "anonymous"
real_write = wav.WavWriter.write

def write_then_wait(self, audio):
    real_write(self, audio)
    if self.frames >= 48_000:
        Path(marker).touch()
        time.sleep(120)

wav.WavWriter.write = write_then_wait
main(["play", "waiting", "--param", "trials=2", "--wav", target])
"""


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))


def kill_play_while_writing(tmp_path: Path, mode: str) -> Path:
    """The output folder after a `play --wav` SIGKILLed in the middle of its WAV."""
    out, marker = tmp_path / "out", tmp_path / "writing"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_PLAY, str(out / "session.wav"), str(marker), mode],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the run never reached its WAV"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stderr.close()  # type: ignore[union-attr]
    return out


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux-only")
def test_a_sigkilled_play_wav_leaves_no_file_at_all(tmp_path):
    out = kill_play_while_writing(tmp_path, "anonymous")
    assert sorted(p.name for p in out.iterdir()) == []


def test_where_files_must_be_named_the_next_write_removes_a_killed_runs_partial(
    tmp_path, monkeypatch
):
    out = kill_play_while_writing(tmp_path, "named")
    left = sorted(p.name for p in out.iterdir())
    assert len(left) == 1 and left[0].startswith(".session.wav.") and left[0].endswith(".partial")
    monkeypatch.setattr(private_file, "USE_TMPFILE", False)
    write_private_bytes(out / "next.json", b"{}")
    assert sorted(p.name for p in out.iterdir()) == ["next.json"]


@pytest.mark.parametrize("anonymous", [True, False])
def test_a_pending_file_appears_whole_owner_only_and_replaces_the_old_one(
    tmp_path, monkeypatch, anonymous
):
    monkeypatch.setattr(private_file, "USE_TMPFILE", anonymous and hasattr(os, "O_TMPFILE"))
    target = tmp_path / "a.json"
    target.write_bytes(b"old")
    with PendingFile(target) as pending:
        pending.handle.write(b"new")
        assert target.read_bytes() == b"old"  # nothing shows before the commit
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(RuntimeError), PendingFile(target) as pending:
        pending.handle.write(b"half")
        raise RuntimeError("the run failed")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def write_midi(path: Path) -> None:
    track = mido.MidiTrack([mido.Message("note_on", note=60, velocity=100, time=0)])
    track.append(mido.Message("note_off", note=60, velocity=0, time=480))
    midi = mido.MidiFile()
    midi.tracks.append(track)
    midi.save(path)


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_render_of_a_missing_midi_file_is_one_line(tmp_path, capsys):
    assert main(["render", str(tmp_path / "nowhere.mid"), "-o", str(tmp_path / "x.wav")]) == 2
    line = one_error_line(capsys)
    assert "nowhere.mid" in line and "expected a Standard MIDI File, found no such file" in line
    assert list(tmp_path.iterdir()) == []


def test_render_into_a_read_only_folder_is_one_line_and_leaves_nothing(
    tmp_path, capsys, monkeypatch
):
    write_midi(tmp_path / "a.mid")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the file system refuse as it would
        real_open = os.open

        def refuse(path, flags, *args, **kwargs):
            if Path(path).parent == folder or Path(path) == folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(private_file.os, "open", refuse)
    assert main(["render", str(tmp_path / "a.mid"), "-o", str(folder / "x.wav")]) == 2
    line = one_error_line(capsys)
    assert line == (
        f"soundness-live: error: cannot write {folder / 'x.wav'}: no permission to write in "
        f"{folder} (choose a folder you can write to)"
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("missing/x.wav", "the folder {tmp}/missing does not exist"),
        ("file.txt/x.wav", "{tmp}/file.txt is not a folder"),
        (".", "it is a folder (give a file name)"),
    ],
)
def test_play_wav_to_a_bad_place_is_one_line_before_anything_runs(tmp_path, capsys, where, why):
    (tmp_path / "file.txt").write_text("not a folder")
    assert main(["play", "waiting", "--wav", str(tmp_path / where)]) == 2
    assert why.format(tmp=tmp_path) in one_error_line(capsys)
    assert capsys.readouterr().out == ""  # refused before the activity ran


def test_an_output_file_error_is_also_an_os_error():
    with pytest.raises(OSError):
        raise OutputFileError("cannot write x")
