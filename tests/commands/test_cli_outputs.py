"""Every command that writes or reads a file answers a bad place or a bad file in one line
(what was expected, what came), never a traceback, and leaves nothing behind."""

from __future__ import annotations

import errno
import os
import wave
from pathlib import Path

import pytest

from soundness_live.cli import main
from soundness_live.config import TOML_NESTING_LIMIT


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))


def one_error_line(capsys) -> str:
    """The single line a refused command printed (and it printed no traceback)."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


@pytest.fixture()
def read_only(tmp_path, monkeypatch) -> Path:
    """A folder nobody may write in. Root may write anywhere, so for root the file system is
    made to refuse as it would refuse anyone else (EACCES)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real_open, real_mkdir = os.open, os.mkdir

        def inside(path) -> bool:
            return Path(path) == folder or folder in Path(path).parents

        def refuse_open(path, flags, *args, **kwargs):
            if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        def refuse_mkdir(path, *args, **kwargs):
            if inside(Path(path).parent):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse_open)
        monkeypatch.setattr(os, "mkdir", refuse_mkdir)
    yield folder
    folder.chmod(0o755)


@pytest.fixture()
def one_session(capsys) -> str:
    """A child with one stored (simulated) session; their code."""
    assert main(["child", "add", "S-014"]) == 0
    play = ["play", "waiting", "--param", "trials=1", "--child", "S-014", "--input", "virtual"]
    assert main(play) == 0
    capsys.readouterr()
    return "S-014"


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "json"],
        ["export", "--format", "midi"],
        ["export", "--format", "html"],
        ["export", "--format", "csv"],
        ["report"],
    ],
)
def test_exports_and_the_report_into_a_read_only_folder_are_one_line(
    read_only, one_session, capsys, command
):
    assert main([*command, "--child", one_session, "--out", str(read_only)]) == 2
    line = one_error_line(capsys)
    assert line.startswith("soundness-live: error: cannot ")
    assert line.endswith(
        f"no permission to write in {read_only} (choose a folder you can write to)"
    )
    assert list(read_only.iterdir()) == []


def test_demo_into_a_folder_it_cannot_make_is_one_line_before_it_runs(read_only, capsys):
    assert main(["demo", "--quick", "--out", str(read_only / "d")]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: cannot make the folder {read_only / 'd'}: no permission to "
        f"write in {read_only} (choose a folder you can write to)"
    )
    assert list(read_only.iterdir()) == []


def test_demo_onto_a_file_is_one_line_and_leaves_the_file(tmp_path, capsys):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    assert main(["demo", "--quick", "--out", str(existing)]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: cannot write into {existing}: {existing} is not a folder "
        "(choose another folder)"
    )
    assert existing.read_text() == "mine"


def test_prompt_add_with_a_wav_it_may_not_read_is_one_line(tmp_path, monkeypatch, capsys):
    wav = tmp_path / "hello.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000)
    wav.chmod(0o000)
    if os.geteuid() == 0:  # root reads anything: refuse as the file system would refuse others
        real_read = Path.read_bytes

        def refuse(path):
            if path == wav:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_read(path)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    assert main(["prompt", "add", "p1", str(wav)]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: {wav}: expected an audio file (WAV) we may read, got no "
        "permission to read it"
    )


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_prompt_add_with_no_wav_is_one_line(tmp_path, capsys, where):
    wav = tmp_path / "hello.wav"
    if where == "folder":
        wav.mkdir()
    assert main(["prompt", "add", "p1", str(wav)]) == 2
    found = "found no such file" if where == "missing" else "found a folder"
    assert one_error_line(capsys) == (
        f"soundness-live: error: {wav}: expected an audio file (WAV), {found}"
    )


DEEP = {
    "arrays": "x = " + "[" * 5000 + "]" * 5000,
    "inline tables": "x = " + "{a=" * 5000 + "1" + "}" * 5000,
    "dotted keys": ".".join(["a"] * 5000) + " = 1",
    "just too deep": "x = " + "[" * TOML_NESTING_LIMIT + "]" * TOML_NESTING_LIMIT,
}


@pytest.mark.parametrize("shape", list(DEEP))
@pytest.mark.parametrize("reader", ["goals check", "play --preset", "config.toml"])
def test_toml_nested_too_deep_is_one_line_naming_the_file_and_the_limit(
    tmp_path, capsys, shape, reader
):
    path = tmp_path / "deep.toml"
    if reader == "config.toml":
        assert main(["child", "add", "S-014"]) == 0
        path = tmp_path / "home" / "config.toml"
        command = ["play", "waiting", "--child", "S-014", "--input", "virtual"]
    else:
        command = ["goals", "check", str(path)] if reader == "goals check" else []
        command = command or ["play", "--preset", str(path)]
    path.write_text(DEEP[shape] + "\n")
    capsys.readouterr()
    assert main(command) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: {path}: expected TOML nested at most {TOML_NESTING_LIMIT} "
        "levels deep (arrays and tables), got more"
    )


def test_toml_nested_as_deep_as_allowed_is_read(tmp_path, capsys):
    preset = tmp_path / "preset.toml"
    depth = TOML_NESTING_LIMIT - 1  # the document itself is a level
    preset.write_text("x = " + "[" * depth + "]" * depth + "\n[params]\ntrials = 1\n")
    assert main(["play", "waiting", "--preset", str(preset)]) == 0
