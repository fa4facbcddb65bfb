"""``soundness-live play`` end to end: the JSON contract, presets, bad input, --child."""

from __future__ import annotations

import json
import math

import pytest

from soundness_live.cli import main
from soundness_live.commands.sound_commands import BENCHES


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))


#: A trial record's keys, in the order the store keeps them (DESIGN.md's one shape).
STORED_KEYS = [
    "index", "activity", "variant", "params", "prompt", "responses", "metrics", "outcome",
    "prompt_level", "difficulty", "goals", "start_ms", "end_ms", "input", "simulated",
    "activity_index",
]  # fmt: skip


def play_json(tmp_path, *args):
    out = tmp_path / "out.json"
    assert main(["play", *args, "--json", str(out)]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    ("activity", "variant"),
    [
        ("call-and-response", "drums"),
        ("call-and-response", "melodic"),
        ("waiting", "cue"),
        ("waiting", "freeze"),
        ("waiting", "go-no-go"),
        ("waiting", "turns"),
        ("tempo-following", "with-beat"),
        ("tempo-following", "continuation"),
        ("tempo-following", "follow-child"),
    ],
)
def test_json_has_every_trial_with_raw_onsets(tmp_path, activity, variant):
    doc = play_json(tmp_path, activity, "--param", f"variant={variant}", "--param", "trials=2")
    assert doc["activity"] == activity
    assert doc["params"]["variant"] == variant and doc["params"]["lead_in_ms"] == 2000.0
    assert len(doc["trials"]) == 2
    for number, trial in enumerate(doc["trials"]):
        assert list(trial) == STORED_KEYS  # the one shape: as the store keeps it
        assert trial["index"] == trial["activity_index"] == number
        assert trial["params"]["seed"] == 0 and "engine_version" in trial["params"]
        assert trial["prompt_level"] == "independent"
        for onset in trial["prompt"] + trial["responses"]:
            assert isinstance(onset["onset_ms"], float) and onset["onset_ms"] >= 0
            assert onset["onset_frame"] == pytest.approx(onset["onset_ms"] * 48.0)
        for value in trial["metrics"].values():
            assert not (isinstance(value, float) and not math.isfinite(value))
        if trial["responses"]:
            assert trial["responses"][0]["clock"] == "virtual"


def test_same_seed_same_json_other_seed_differs(tmp_path):
    first = play_json(tmp_path, "waiting", "--seed", "5")
    again = play_json(tmp_path, "waiting", "--seed", "5")
    other = play_json(tmp_path, "waiting", "--seed", "6")
    assert first == again and first != other


def test_preset_by_name_and_virtual_traits(tmp_path):
    doc = play_json(tmp_path, "--preset", "freeze-game", "--virtual", "impulsivity=0")
    assert doc["activity"] == "waiting" and doc["params"]["variant"] == "freeze"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["waiting", "--param", "tempo_bpm=500"],
            "parameter 'tempo_bpm': expected float in 30..240 BPM",
        ),
        (["waiting", "--param", "variant=hop"], "expected one of cue, freeze, go-no-go, turns"),
        (["karaoke"], "no activity 'karaoke'"),
        (["waiting", "--input", "nowhere.mid"], "--input expects virtual, live or a MIDI file"),
        (["waiting", "--virtual", "impulsivity=2"], "impulsivity must be in 0..1"),
    ],
)
def test_bad_input_is_a_clear_one_line_error(capsys, args, words):
    assert main(["play", *args]) == 2
    assert words in capsys.readouterr().err


def test_play_for_a_child_stores_the_session(tmp_path, capsys):
    assert main(["child", "add", "S-014", "--name", "Sam", "--preferred-bpm", "80"]) == 0
    doc = play_json(
        tmp_path, "tempo-following", "--param", "trials=1", "--child", "S-014", "--input",
        "virtual",
    )  # fmt: skip
    assert doc["trials"][0]["params"]["trial_tempo_bpm"] == 80.0  # the child's preferred tempo
    capsys.readouterr()
    assert main(["sessions", "--child", "S-014"]) == 0
    assert "complete    1 trials" in capsys.readouterr().out


def test_play_for_a_child_plays_live_and_refuses_to_pass_a_simulation_off_as_the_child(capsys):
    assert main(["child", "add", "S-014"]) == 0
    assert main(["play", "waiting", "--child", "S-014"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input virtual" in err and "--input FILE.mid" in err
    assert "soundness-live run" in err
    assert main(["sessions"]) == 0
    assert "no sessions stored" in capsys.readouterr().out  # nothing was stored


def test_a_virtual_or_file_session_is_stored_and_listed_as_simulated(tmp_path, capsys):
    assert main(["child", "add", "S-014"]) == 0
    doc = play_json(tmp_path, "waiting", "--param", "trials=2", "--child", "S-014",
                    "--input", "virtual")  # fmt: skip
    assert [(t["input"], t["simulated"]) for t in doc["trials"]] == [("virtual", True)] * 2
    assert "SIMULATED: played by the virtual child" in capsys.readouterr().out
    taps = tmp_path / "taps.mid"
    _taps_file(taps)
    doc = play_json(tmp_path, "tempo-following", "--param", "trials=1", "--child", "S-014",
                    "--input", str(taps))  # fmt: skip
    assert [(t["input"], t["simulated"]) for t in doc["trials"]] == [("file", True)]
    capsys.readouterr()
    assert main(["sessions", "--child", "S-014"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("complete    2 trials  SIMULATED (the virtual child)")
    assert lines[1].endswith("complete    1 trials  SIMULATED (a recorded file)")


def test_without_a_child_the_virtual_child_plays_and_its_trials_say_so(tmp_path):
    doc = play_json(tmp_path, "waiting", "--param", "trials=1")
    assert (doc["trials"][0]["input"], doc["trials"][0]["simulated"]) == ("virtual", True)


def _taps_file(path):
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500_000))
    track.append(mido.Message("note_on", channel=9, note=38, velocity=90, time=960))
    for _ in range(24):
        track.append(mido.Message("note_off", channel=9, note=38, velocity=0, time=120))
        track.append(mido.Message("note_on", channel=9, note=38, velocity=90, time=520))
    midi.save(str(path))


def test_the_therapist_comes_from_config_toml_or_the_command_line(tmp_path, capsys):
    home = tmp_path / "home"
    assert main(["child", "add", "S-014"]) == 0
    (home / "config.toml").write_text('therapist = "Mia Berger"\n')
    args = ["play", "waiting", "--param", "trials=1", "--child", "S-014", "--input", "virtual"]
    assert main(args) == 0
    assert main([*args, "--therapist", "Jo Anne Ray"]) == 0
    capsys.readouterr()
    assert main(["sessions"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].endswith("therapist MB") and listed[1].endswith("therapist JAR")
    assert main(["sessions", "--include-names"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("therapist Jo Anne Ray")
    (home / "config.toml").write_text('therapist = "Mia Berger"\nloud = true\n')
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"soundness-live: error: {home / 'config.toml'}: unknown key 'loud'; known keys: "
        "therapist, installation_id, laptop, clinic_url, clinic_auto_sync, clinic_share_notes, "
        "remote\n"
    )
    (home / "config.toml").write_text("therapist = Mia\n")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "config.toml: not valid TOML" in err


@pytest.mark.parametrize("which", sorted(BENCHES))
def test_every_benchmark_loads_through_the_cli(which, monkeypatch):
    import soundness_live.commands.sound_commands as commands

    ran = []

    def fake_exec(loader_exec):
        def run(module):
            loader_exec(module)
            module.main = lambda rest: ran.append((which, rest)) or 0

        return run

    import importlib.util

    real = importlib.util.module_from_spec

    def spy(spec):
        module = real(spec)
        spec.loader.exec_module = fake_exec(spec.loader.exec_module)
        return module

    monkeypatch.setattr(commands.importlib.util, "module_from_spec", spy)
    assert main(["bench", which, "--", "--seconds", "1"]) == 0
    assert ran == [(which, ["--seconds", "1"])]


def test_the_childs_voice_range_narrows_the_pitch_search(tmp_path):
    assert main(["child", "add", "S-020", "--voice-range-hz", "180", "600"]) == 0
    doc = play_json(
        tmp_path, "vocal-prompts", "--param", "trials=1", "--child", "S-020", "--input", "virtual"
    )
    assert doc["params"]["pitch_floor_hz"] == 180.0 and doc["params"]["pitch_ceiling_hz"] == 600.0
    given = play_json(
        tmp_path, "vocal-prompts", "--param", "trials=1", "--param", "pitch_floor_hz=100",
        "--child", "S-020", "--input", "virtual",
    )  # fmt: skip
    assert given["params"]["pitch_floor_hz"] == 100.0  # the therapist's choice wins


def test_a_bad_voice_range_names_the_field(capsys):
    assert main(["child", "add", "S-021", "--voice-range-hz", "600", "180"]) == 2
    assert "voice_range_hz" in capsys.readouterr().err


def test_run_checks_its_therapist_before_it_starts_anything(tmp_path, capsys):
    home = tmp_path / "screen"
    home.mkdir()
    (home / "config.toml").write_text("therapist = [1, 2]\n")
    assert main(["run", "--data-dir", str(home)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"soundness-live: error: {home / 'config.toml'}: key 'therapist' must be a name of "
        "1..64 characters, got [1, 2]\n"
    )
    assert main(["run", "--data-dir", str(home), "--therapist", ""]) == 2
    assert "--therapist must be a name of 1..64 characters, got ''" in capsys.readouterr().err
    assert not (home / "engine.sock").exists()  # no engine was started
