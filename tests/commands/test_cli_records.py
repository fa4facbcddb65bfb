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
    capsys.readouterr()
    assert main(["child", "show", "S-014"]) == 0
    shown = capsys.readouterr().out
    assert shown.endswith(
        "goal wait-turn [social] call-and-response (every variant): Given a drum call, waits "
        "for the end of the call and echoes it\n"
        "    succeeds when it waits for the turn and gets at least 75 % of the notes, in 4 of 5 "
        "trials, in 3 sessions in a row\n"
        "    most help allowed: no help (independent)\n"
        "    rule: waited_for_turn and notes_correct_pct >= 75\n"
    )
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


def test_a_simulated_session_is_marked_in_every_export_and_never_counts(tmp_path, capsys):
    import json

    import mido
    import pandas as pd

    from soundness_live.goals.goal import builtin_goals

    goals = tmp_path / "goals.toml"
    goals.write_text(
        '[[goal]]\nid = "wait-turn"\ndomain = "social"\ntext = "Echoes a drum call"\n'
        'activity = "call-and-response"\nvariant = "drums"\nsuccess = "hits >= 0"\n'
        "mastery = { trials = 1, successes = 1, consecutive_sessions = 1 }\n"
    )
    assert builtin_goals()  # the library loads with its variants
    assert main(["child", "add", "S-014", "--goals", str(goals)]) == 0
    (tmp_path / "home" / "config.toml").write_text('therapist = "Mia Berger"\n')
    play = ["play", "call-and-response", "--param", "trials=2", "--child", "S-014"]
    assert main([*play, "--input", "virtual"]) == 0  # every trial meets "hits >= 0"
    out = tmp_path / "review"
    for fmt in ("csv", "json", "midi"):
        assert main(["export", "--child", "S-014", "--format", fmt, "--out", str(out)]) == 0
    assert main(["report", "--child", "S-014", "--out", str(out)]) == 0

    trials = pd.read_csv(out / "S-014-csv" / "trials.csv")
    assert trials["simulated"].tolist() == [True, True] and set(trials["input"]) == {"virtual"}
    assert set(trials["session_simulated"]) == {True} and set(trials["therapist"]) == {"MB"}
    events = pd.read_csv(out / "S-014-csv" / "events.csv")
    assert len(events) and set(events["simulated"]) == {True}
    assert set(pd.read_csv(out / "S-014-csv" / "responses.csv")["simulated"]) == {True}

    document = json.loads((out / "S-014.json").read_text())
    (session,) = document["sessions"]
    assert (session["input"], session["simulated"], session["therapist"]) == ("virtual", True, "MB")
    assert {t["simulated"] for t in session["trials"]} == {True}
    (progress,) = document["progress"]
    assert progress["mastered_on"] is None and progress["sessions"][0]["met"] is None

    midi = mido.MidiFile(out / "S-014-session-1.mid")
    names = [m.name for track in midi.tracks for m in track if m.type == "track_name"]
    texts = [m.text for m in midi.tracks[0] if m.type == "text"]
    assert names[0] == "S-014 session 1 SIMULATED"
    assert texts == ["input: SIMULATED (the virtual child); therapist MB"]
    assert any(name.endswith("SIMULATED") for name in names if name.startswith("Responses"))

    html = (out / "S-014-report.html").read_text()
    assert "<strong>SIMULATED.</strong> Every session in this report was played by" in html
    assert "Mia Berger" not in html and "<td>MB</td>" in html
    named = tmp_path / "named"
    assert main(["report", "--child", "S-014", "--out", str(named), "--include-names"]) == 0
    assert "<td>Mia Berger</td>" in (named / "S-014-report.html").read_text()


def test_sessions_of_a_code_that_is_not_there_is_one_line_not_an_empty_history(tmp_path, capsys):
    assert main(["child", "add", "S-014"]) == 0
    capsys.readouterr()
    assert main(["sessions", "--child", "S-014"]) == 0
    assert capsys.readouterr().out == "no sessions stored for S-014\n"
    assert main(["sessions", "--child", "NOPE"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    store = tmp_path / "home" / "soundness.db"
    assert captured.err == f"soundness-live: error: no child with code 'NOPE' in {store}\n"


def test_a_midi_export_with_no_sessions_says_so(tmp_path, capsys):
    assert main(["child", "add", "E-0"]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["export", "--child", "E-0", "--format", "midi", "--out", str(out)]) == 0
    assert capsys.readouterr().out == "no MIDI file written: no sessions stored for E-0\n"
    assert list(out.iterdir()) == []


def test_a_soundfont_without_wav_is_refused_as_unused(tmp_path, capsys):
    font = tmp_path / "missing.sf2"
    assert main(["play", "waiting", "--param", "trials=1", "--soundfont", str(font)]) == 2
    assert capsys.readouterr().err == (
        f"soundness-live: error: --soundfont {font} sounds the run written with --wav OUT.wav; "
        "without --wav nothing is rendered and it would go unused (add --wav, or leave it out)\n"
    )
