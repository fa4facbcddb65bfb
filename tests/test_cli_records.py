"""The record commands end to end: children, goals, recorded prompts, sessions, exports."""

from __future__ import annotations

import pytest

from soundness_live.cli import main
from tests.conftest import require_program


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))


def test_child_goals_session_export_and_report(tmp_path, capsys):
    goals = tmp_path / "goals.toml"
    goals.write_text(
        '[[goal]]\nid = "wait-turn"\ndomain = "social"\n'
        'text = "Given a drum call, waits for the end of the call and echoes it"\n'
        'activity = "call-and-response"\nsuccess = "waited_for_turn and notes_correct_pct >= 75"\n'
        "mastery = { trials = 5, successes = 4, consecutive_sessions = 3 }\n"
    )
    assert main(["goals", "check", str(goals)]) == 0
    assert (
        main(
            [
                "child",
                "add",
                "S-014",
                "--name",
                "Zelphina Quorrel",
                "--dob",
                "2019-03-01",
                "--goals",
                str(goals),
            ]
        )
        == 0
    )
    assert main(["child", "show", "S-014"]) == 0
    assert "goal wait-turn [social]" in capsys.readouterr().out
    play = ["play", "call-and-response", "--param", "trials=3", "--child", "S-014"]
    assert main([*play, "--input", "virtual"]) == 0
    assert main(["note", "1", "Zelphina waited well today."]) == 0
    out = tmp_path / "review"
    for fmt in ("csv", "json", "midi"):
        assert main(["export", "--child", "S-014", "--format", fmt, "--out", str(out)]) == 0
    assert main(["report", "--child", "S-014", "--out", str(out)]) == 0
    noted = tmp_path / "noted"
    assert main(["report", "--child", "S-014", "--out", str(noted), "--include-notes"]) == 0
    assert "waited well today" in (noted / "S-014-report.html").read_text()
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".csv", ".json", ".mid", ".html"}
    for path in written:
        data = path.read_bytes()
        assert b"Zelphina" not in data and b"2019-03-01" not in data  # de-identified by default
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_bad_goal_file_names_file_goal_and_field(tmp_path, capsys):
    goals = tmp_path / "bad.toml"
    goals.write_text(
        '[[goal]]\nid = "x"\ndomain = "social"\ntext = "t"\nactivity = "waiting"\n'
        "success = \"classification == 'valid'\"\n"
        "mastery = { trials = 5, successes = 6, consecutive_sessions = 1 }\n"
    )
    assert main(["goals", "check", str(goals)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "'x'" in err and "mastery.successes" in err


def test_a_recorded_prompt_is_stored_with_its_analysis(tmp_path, capsys):
    espeak = require_program("espeak-ng", "espeak-ng")
    import subprocess

    wav = tmp_path / "hello.wav"
    subprocess.run([espeak, "-s", "120", "-w", str(wav), "ba ba"], check=True)
    assert main(["prompt", "add", "baba", str(wav)]) == 0
    assert "2 syllables" in capsys.readouterr().out
    assert main(["prompt", "show", "baba"]) == 0
    assert "syllables: 2" in capsys.readouterr().out
    assert main(["prompt", "show", "nothing"]) == 2
