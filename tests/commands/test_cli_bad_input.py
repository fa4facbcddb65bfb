"""Bad input on the command line: one clear line, never a traceback, nothing left behind."""

from __future__ import annotations

import sys

import pytest

from soundness_live.cli import main
from soundness_live.live.commands import handle
from soundness_live.store.records import Store


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))


def one_error_line(capsys) -> str:
    """The single line a refused command printed (and it printed no traceback)."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--param", "tempo_bpm=abc"], "parameter 'tempo_bpm': expected float in 30..240 BPM"),
        (["--param", "loudness=3"], "activity 'waiting' has no parameter 'loudness'"),
        (["--wav", "{tmp}/missing/x.wav"], "the folder {tmp}/missing does not exist"),
        (["--input", "{tmp}/broken.mid"], "not a readable Standard MIDI File"),
        (["--sample-rate", "5"], "sample_rate must be an integer in 8000..192000 Hz, got 5"),
    ],
)
def test_a_bad_option_for_a_child_stores_no_session(tmp_path, capsys, args, words):
    (tmp_path / "broken.mid").write_bytes(b"MThd\x00\x00")
    assert main(["child", "add", "S-014"]) == 0
    capsys.readouterr()
    given = [arg.format(tmp=tmp_path) for arg in args]
    assert main(["play", "waiting", "--child", "S-014", "--input", "virtual", *given]) == 2
    assert words.format(tmp=tmp_path) in one_error_line(capsys)
    with Store.open() as store:
        assert store.sessions("S-014") == []


@pytest.mark.parametrize(
    ("line", "got"),
    [('activity = ["waiting"]', "got list ['waiting']"), ("activity = 3", "got int 3")],
)
def test_a_preset_whose_activity_is_not_a_name_is_one_line(tmp_path, capsys, line, got):
    preset = tmp_path / "preset.toml"
    preset.write_text(f"{line}\n[params]\ntrials = 2\n")
    assert main(["play", "--preset", str(preset)]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: {preset}: 'activity' must be one activity name in quotes, "
        f'e.g. activity = "waiting"; {got}'
    )


def test_a_goal_criterion_nested_too_deep_is_one_line_naming_the_limit(tmp_path, capsys):
    deep = "(" * 200 + "waited_for_turn" + ")" * 200  # within the 500 characters a rule may have
    goals = tmp_path / "goals.toml"
    goals.write_text(
        f'[[goal]]\nid = "deep"\ndomain = "social"\ntext = "waits"\n'
        f'activity = "call-and-response"\nsuccess = "{deep}"\n'
    )
    for command in (["goals", "check", str(goals)], ["child", "add", "S-1", "--goals", str(goals)]):
        assert main(command) == 2
        line = one_error_line(capsys)
        assert line.startswith(f"soundness-live: error: {goals}: goal 'deep': field 'success'")
        assert "expected an expression nested at most 32 levels deep" in line
        assert len(line) < 400  # the 400 parentheses are not echoed back


@pytest.mark.parametrize(
    ("which", "module", "package"),
    [
        ("latency", "jack", "JACK-Client"),
        ("voice", "pytest", "pytest"),
        ("gil", "pytest", "pytest"),
    ],
)
def test_a_benchmark_without_its_package_says_what_to_install(
    monkeypatch, capsys, which, module, package
):
    import importlib.util

    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    ran = []
    real = importlib.util.module_from_spec

    def no_run(spec):  # should the check let it through, load it but do not run it for long
        loaded = real(spec)
        execute = spec.loader.exec_module

        def load(target):
            execute(target)
            target.main = lambda rest: ran.append(rest) or 0

        spec.loader.exec_module = load
        return loaded

    monkeypatch.setattr(importlib.util, "module_from_spec", no_run)
    assert main(["bench", which]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: bench {which} needs the Python package {package} (module "
        f"{module!r} is not installed): pip install {package}, or pip install -e '.[test]' in "
        "the source checkout"
    )
    assert ran == []


def test_an_export_folder_that_cannot_be_made_is_one_line(tmp_path, capsys):
    assert main(["child", "add", "S-014"]) == 0
    (tmp_path / "file.txt").write_text("not a folder")
    out = tmp_path / "file.txt" / "review"
    capsys.readouterr()
    assert main(["export", "--child", "S-014", "--format", "json", "--out", str(out)]) == 2
    assert one_error_line(capsys) == (
        f"soundness-live: error: cannot write into {out}: {tmp_path / 'file.txt'} is not a "
        "folder (choose another folder)"
    )


def test_a_bad_parameter_sent_to_the_engine_opens_no_session(engine_here):
    engine_here.store.add_child({"code": "S-014"})
    start = {"type": "start_activity", "activity": "waiting", "child": "S-014",
             "params": {"tempo_bpm": "fast"}}  # fmt: skip
    reply = handle(engine_here, start)
    assert reply == {
        "ok": False,
        "error": "parameter 'tempo_bpm': expected float in 30..240 BPM, got 'fast'",
    }
    assert engine_here.store.sessions("S-014") == [] and engine_here.stored is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--fps", "0"], "argument --fps: expected 1 to 60 frames a second, got 0"),
        (["child-view", "--fps", "-5"], "argument --fps: expected 1 to 60 frames a second, got -5"),
        (["run", "--fps", "fast"], "expected a whole number of frames a second, got 'fast'"),
    ],
)
def test_a_window_refuses_a_frame_rate_that_would_spin_a_core(capsys, args, words):
    with pytest.raises(SystemExit) as refused:
        main(args)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and words in err.strip().splitlines()[-1], err


def test_a_window_too_small_is_refused_before_any_engine_starts(tmp_path, monkeypatch):
    from soundness_live.live import client as engine_client

    started: list[object] = []
    monkeypatch.setattr(engine_client, "connect_or_start", lambda *a: started.append(a))
    with pytest.raises(SystemExit, match="--size must be at least 640x480, got '10x10'"):
        main(["run", "--data-dir", str(tmp_path / "home"), "--size", "10x10"])
    assert started == []  # no engine was left running behind the refusal
