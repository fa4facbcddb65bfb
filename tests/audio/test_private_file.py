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


def special_target(kind: str, folder: Path) -> Path:
    """An existing target of ``kind`` in ``folder`` that is not a regular file."""
    target = folder / f"out-{kind}"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (folder / "elsewhere.txt").write_bytes(b"kept")
        target.symlink_to(folder / "elsewhere.txt")
    elif kind == "folder":
        target.mkdir()
    elif kind == "socket":
        import socket

        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(target))
    else:  # a character device like /dev/null (1, 3), made here: never touch /dev itself
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return target


SPECIAL = ["fifo", "symlink", "folder", "socket"] + (["device"] if os.geteuid() == 0 else [])
WORDS = {
    "fifo": "it is a named pipe (FIFO), not a regular file; it is left as it is",
    "symlink": "it is a symbolic link to {folder}/elsewhere.txt, not a regular file",
    "folder": "it is a folder (give a file name)",
    "socket": "it is a socket, not a regular file",
    "device": "it is a character device, not a regular file; it is left as it is",
}


@pytest.mark.parametrize("anonymous", [True, False])
@pytest.mark.parametrize("kind", SPECIAL)
def test_a_target_that_is_not_a_regular_file_is_refused_and_left_as_it_is(
    tmp_path, monkeypatch, kind, anonymous
):
    monkeypatch.setattr(private_file, "USE_TMPFILE", anonymous and hasattr(os, "O_TMPFILE"))
    target = special_target(kind, tmp_path)
    before = os.lstat(target)
    with pytest.raises(OutputFileError) as refused:
        write_private_bytes(target, b"data")
    assert str(refused.value).startswith(f"cannot write {target}: ")
    assert WORDS[kind].format(folder=tmp_path) in str(refused.value)
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (
        before.st_ino,
        before.st_mode,
        before.st_rdev,
    )
    if kind == "symlink":
        assert (tmp_path / "elsewhere.txt").read_bytes() == b"kept"  # not written through
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("kind", SPECIAL)
def test_render_onto_a_special_file_is_one_line_and_replaces_nothing(tmp_path, capsys, kind):
    write_midi(tmp_path / "a.mid")
    target = special_target(kind, tmp_path)
    before = os.lstat(target)
    assert main(["render", str(tmp_path / "a.mid"), "-o", str(target)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"soundness-live: error: cannot write {target}: ")
    assert os.lstat(target).st_ino == before.st_ino and os.lstat(target).st_mode == before.st_mode


@pytest.mark.parametrize("anonymous", [True, False])
def test_a_target_that_becomes_a_special_file_while_writing_is_not_replaced(
    tmp_path, monkeypatch, anonymous
):
    monkeypatch.setattr(private_file, "USE_TMPFILE", anonymous and hasattr(os, "O_TMPFILE"))
    target = tmp_path / "out.wav"
    pending = PendingFile(target)
    pending.write(b"data")
    os.mkfifo(target)  # made by someone else between the open and the commit
    with pytest.raises(OutputFileError, match="it is a named pipe"):
        pending.commit()
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


class FullDisk:
    """A file handle on a disk with no space left: every write fails with ENOSPC."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.handle, name)


@pytest.mark.parametrize("anonymous", [True, False])
@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_full_disk_is_one_line_and_leaves_no_file(tmp_path, monkeypatch, anonymous, failing):
    monkeypatch.setattr(private_file, "USE_TMPFILE", anonymous and hasattr(os, "O_TMPFILE"))
    target = tmp_path / "report.html"
    if failing == "fsync":  # delayed allocation: the disk fills when the data is synced

        def no_space(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(private_file.os, "fsync", no_space)
    with pytest.raises(OutputFileError) as refused, PendingFile(target) as pending:
        if failing == "write":
            pending.handle = FullDisk(pending.handle)
        pending.write(b"<html>")
    assert str(refused.value) == (
        f"cannot write {target}: no space left on the disk of {tmp_path} (free some space)"
    )
    assert list(tmp_path.iterdir()) == []


# Writes a WAV larger than the process may write (RLIMIT_FSIZE): the system refuses with EFBIG,
# as a full disk or a quota would refuse, and the run must say so in one line.
TOO_BIG = """
import resource, signal, sys
from soundness_live.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))
sys.exit(main(["play", "waiting", "--param", "trials=1", "--wav", sys.argv[1]]))
"""


def test_a_file_the_system_will_not_let_grow_is_one_line_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", TOO_BIG, str(out / "session.wav")],
        env=dict(os.environ, PYTHONPATH=str(ROOT), SOUNDNESS_LIVE_HOME=str(tmp_path / "home")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"soundness-live: error: cannot write {out / 'session.wav'}: the file would be larger "
        "than this system allows a file to be"
    ]
    assert list(out.iterdir()) == []


def test_a_folder_that_exists_but_cannot_hold_files_says_so():
    proc = Path("/proc")
    if not proc.is_dir():
        pytest.skip("no /proc on this system")
    with pytest.raises(OutputFileError) as refused:
        write_private_bytes(proc / "x.wav", b"")
    assert str(refused.value) in (
        "cannot write /proc/x.wav: the folder /proc exists but cannot hold new files "
        "(choose another folder)",
        "cannot write /proc/x.wav: no permission to write in /proc (choose a folder you can "
        "write to)",
    )


def test_files_that_belong_together_are_named_only_once_all_are_written(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_bytes(b"old a")
    (tmp_path / "b.csv").write_bytes(b"old b")
    real_write = PendingFile.write

    def fail_on_b(self, data):
        if self.target.name == "b.csv":
            raise OutputFileError(f"cannot write {self.target}: no space left")
        real_write(self, data)

    monkeypatch.setattr(PendingFile, "write", fail_on_b)
    with pytest.raises(OutputFileError):
        private_file.write_private_files({tmp_path / "a.csv": b"new a", tmp_path / "b.csv": b"b"})
    assert (tmp_path / "a.csv").read_bytes() == b"old a"  # not the new a beside the old b
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    monkeypatch.setattr(PendingFile, "write", real_write)
    written = private_file.write_private_files({tmp_path / "a.csv": b"1", tmp_path / "b.csv": b"2"})
    assert [p.read_bytes() for p in written] == [b"1", b"2"]


def test_a_folder_made_for_a_file_is_owner_only_and_a_file_in_the_way_is_one_line(tmp_path):
    made = private_file.private_folder(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFileError) as refused:
        private_file.private_folder(tmp_path / "file" / "c")
    assert str(refused.value) == (
        f"cannot write into {tmp_path / 'file' / 'c'}: {tmp_path / 'file'} is not a folder "
        "(choose another folder)"
    )


def test_a_folder_on_a_drive_that_keeps_no_permissions_is_made_and_written_into(
    tmp_path, monkeypatch
):
    """A FAT or exFAT USB drive mounted without "quiet" refuses chmod with EPERM, even to the
    folder's own maker, and cannot make an unnamed file: the export goes on into the folder."""
    real_chmod = os.chmod

    def fat_chmod(path, mode, *args, **kwargs):
        if Path(path).is_dir():
            raise PermissionError(errno.EPERM, "Operation not permitted", str(path))
        return real_chmod(path, mode, *args, **kwargs)

    monkeypatch.setattr(private_file.os, "chmod", fat_chmod)
    monkeypatch.setattr(private_file, "USE_TMPFILE", False)
    target = tmp_path / "KINGSTON" / "soundness-live" / "S-014-report.html"
    assert private_file.write_private_bytes(target, b"<html>", make_folder=True) == target
    assert target.read_bytes() == b"<html>"


def test_a_folder_whose_mode_cannot_be_set_for_another_reason_is_one_line(tmp_path, monkeypatch):
    def refuse(path, mode, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(private_file.os, "chmod", refuse)
    with pytest.raises(OutputFileError, match=r"cannot make the folder .*new: no permission"):
        private_file.private_folder(tmp_path / "new")
