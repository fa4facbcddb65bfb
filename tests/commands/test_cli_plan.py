"""``plan save|list|show|delete`` and ``play --plan`` end to end, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soundness_live.cli import main
from soundness_live.store.records import Store

SHORT = [
    "--step",
    "free-play:hello bars=2",
    "--step",
    "waiting:freeze-game trials=2 play_ms=1500",
    "--step",
    "call-and-response:drum-echo-beginner trials=2",
]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(home))
    return home


def stored_sessions(home: Path) -> list[tuple[dict, list[dict]]]:
    store = Store.open(home / "soundness.db")
    try:
        return [(s, store.trials(s["id"])) for s in store.sessions(None)]
    finally:
        store.close()


def test_save_list_show_and_delete_a_plan(home: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["plan", "save", "short", *SHORT, "--description", "three steps"]) == 0
    assert "saved plan 'short' (3 steps)" in capsys.readouterr().out
    assert main(["plan", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in listed] == [
        ["early-years", "starter"],
        ["motor-focus", "starter"],
        ["school-age", "starter"],
        ["short", "shared"],
    ]
    assert main(["plan", "show", "short"]) == 0
    shown = capsys.readouterr().out
    assert "  2. freeze game: waiting:freeze-game trials=2 play_ms=1500.0" in shown
    assert "variant=freeze, play_ms=1500.0, foreperiod_ms=1500, wait_step_ms=750, trials=2" in shown
    assert main(["plan", "delete", "short"]) == 0
    assert not (home / "plans" / "shared" / "short.toml").exists()


def test_a_plan_naming_an_unknown_activity_or_preset_is_refused_naming_the_step(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["plan", "save", "bad", "--step", "free-play:hello", "--step", "drums"]) == 2
    assert "plan 'bad': step 2: no activity 'drums'" in capsys.readouterr().err
    assert main(["plan", "save", "bad", "--step", "waiting:beat-90"]) == 2
    err = capsys.readouterr().err
    assert "plan 'bad': step 1: preset 'beat-90' is for 'tempo-following', not 'waiting'" in err
    assert not (home / "plans" / "shared" / "bad.toml").exists()


def test_a_plan_for_a_child_not_stored_is_refused(home: Path, capsys) -> None:
    assert main(["plan", "save", "mine", "--child", "S-404", *SHORT]) == 2
    assert "no child with code 'S-404'" in capsys.readouterr().err
    assert main(["plan", "list", "--child", "../x"]) == 2


def test_play_plan_stores_one_session_with_every_steps_trials_in_order(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["child", "add", "S-014"]) == 0
    assert main(["plan", "save", "short", *SHORT]) == 0
    out = tmp_path / "plan.json"
    play = ["play", "--plan", "short", "--child", "S-014", "--input", "virtual"]
    assert main([*play, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "step 3 of 3: drum echo beginner" in printed
    assert "SIMULATED: played by the virtual child" in printed
    document = json.loads(out.read_text())
    assert [step["activity"] for step in document["steps"]] == [
        "free-play",
        "waiting",
        "call-and-response",
    ]
    assert [step["trials"] for step in document["steps"]] == [1, 2, 2]
    trials = document["trials"]
    assert [t["activity"] for t in trials] == ["free-play"] + ["waiting"] * 2 + [
        "call-and-response"
    ] * 2
    assert [t["index"] for t in trials] == [0, 1, 2, 3, 4]
    starts = [t["start_ms"] for t in trials]
    assert starts == sorted(starts)  # one timeline: each step after the last one's end
    ends = [step["end_ms"] for step in document["steps"]]
    assert [step["start_ms"] for step in document["steps"]][1:] == [e + 5000.0 for e in ends[:-1]]
    [(session, stored)] = stored_sessions(home)
    assert session["status"] == "complete" and session["input"] == "virtual"
    assert session["params"]["plan"] == "short"
    assert [(t["index"], t["activity"]) for t in stored] == [
        (t["index"], t["activity"]) for t in trials
    ]
    assert all(t["simulated"] for t in stored)


def test_a_childs_plan_wins_in_play_plan(home: Path, tmp_path: Path) -> None:
    assert main(["child", "add", "S-014"]) == 0
    assert main(["plan", "save", "short", *SHORT]) == 0
    assert main(["plan", "save", "short", "--child", "S-014", "--step", "free-play bars=2"]) == 0
    out = tmp_path / "plan.json"
    play = ["play", "--plan", "short", "--child", "S-014", "--input", "virtual"]
    assert main([*play, "--json", str(out)]) == 0
    assert [t["activity"] for t in json.loads(out.read_text())["trials"]] == ["free-play"]


def test_a_plan_file_broken_since_it_was_saved_stores_nothing(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["child", "add", "S-014"]) == 0
    assert main(["plan", "save", "short", *SHORT]) == 0
    path = home / "plans" / "shared" / "short.toml"
    path.write_text(path.read_text().replace('"drum-echo-beginner"', '"drum-echo"'))
    play = ["play", "--plan", "short", "--child", "S-014", "--input", "virtual"]
    assert main(play) == 2
    assert f"{path}: step 3: no preset 'drum-echo'; presets of call-and-response:" in (
        capsys.readouterr().err
    )
    assert stored_sessions(home) == []


def test_play_plan_refuses_what_only_one_activity_can_take(home: Path, capsys) -> None:
    assert main(["play", "waiting", "--plan", "school-age"]) == 2
    assert "--plan runs the plan's own steps" in capsys.readouterr().err
    assert main(["child", "add", "S-014"]) == 0
    assert main(["play", "--plan", "school-age", "--child", "S-014"]) == 2
    assert "give --input virtual" in capsys.readouterr().err
    assert stored_sessions(home) == []


def test_deleting_a_child_deletes_their_plans(home: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["child", "add", "S-014"]) == 0
    assert main(["plan", "save", "short", "--child", "S-014", *SHORT]) == 0
    assert main(["plan", "save", "short", *SHORT]) == 0
    assert main(["child", "delete", "S-014", "--yes"]) == 0
    assert "1 plan)" in capsys.readouterr().out
    assert not (home / "plans" / "S-014").exists()
    assert (home / "plans" / "shared" / "short.toml").is_file()
