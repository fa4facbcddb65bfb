"""Privacy actions: deleting a child for good, withdrawing consent to keep voice, editing a
profile, exporting kept voice, goal files with their own ids."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from soundness_live.cli import main
from soundness_live.live.commands import handle
from soundness_live.store.records import Store
from soundness_live.voice.sources import VirtualSinger
from tests.conftest import until_state

NAME, CODE, DOB = "Zelphina Quorrel", "S-7Q2", "2016-03-04"
GOALS = """
[[goal]]
id = "zq-echoes"
domain = "social"
activity = "call-and-response"
text = "{name} waits for the end of the call and echoes it"
success = "waited_for_turn and notes_correct_pct >= 75"
"""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(autouse=True)
def singer_at_a_microphone(monkeypatch) -> None:
    """The virtual singer heard through a stand-in microphone: these tests need a child's voice
    kept, and a simulated voice never is (no microphone on a headless machine)."""
    monkeypatch.setattr(VirtualSinger, "name", "microphone")


def add_child_with_everything(
    tmp_path: Path, code: str = CODE, name: str = NAME, seed: int = 0
) -> None:
    """A child with a name, birth date, own goals, consent, sessions, notes, voice kept and a
    plan of their own."""
    goals = tmp_path / f"{code}-goals.toml"
    goals.write_text(GOALS.format(name=name))
    assert main(["child", "add", code, "--name", name, "--dob", DOB, "--voice-consent",
                 "--goals", str(goals)]) == 0  # fmt: skip
    assert main(["plan", "save", "ours", "--child", code, "--step", "free-play:hello"]) == 0
    for activity in ("call-and-response", "vocal-prompts"):
        play = [
            "play",
            activity,
            "--param",
            "trials=2",
            "--seed",
            str(seed),
            "--child",
            code,
            "--input",
            "virtual",
        ]
        assert main(play) == 0
    with Store.open() as store:
        session = store.sessions(code)[-1]["id"]
    assert main(["note", str(session), f"{name} sang well; {code} was calm"]) == 0


def files_holding(folder: Path, *secrets: bytes) -> dict[str, list[bytes]]:
    """Every file under ``folder`` that holds any of ``secrets``, with the ones it holds."""
    found: dict[str, list[bytes]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            held = [secret for secret in secrets if secret in data]
            if held:
                found[path.name] = held
    return found


def a_kept_recording(code: str) -> bytes:
    """64 bytes from the middle of one of the child's kept voice recordings."""
    with Store.open() as store:
        for session in store.sessions(code):
            for trial in store.trials(session["id"]):
                wav = store.voice_recording(session["id"], trial["index"])
                if wav:
                    return wav[len(wav) // 2 : len(wav) // 2 + 64]
    raise AssertionError(f"no voice kept for {code}")


def test_child_delete_leaves_no_byte_of_them_in_any_file_of_the_data_folder(tmp_path, home, capsys):
    add_child_with_everything(tmp_path)
    add_child_with_everything(tmp_path, "A-1", "Other Child", seed=1)
    voice = a_kept_recording(CODE)
    secrets = (NAME.split()[0].encode(), NAME.split()[1].encode(), CODE.encode(), voice)
    log = home / "engine.log"  # what an engine might have written about them
    log.write_text(f"engine ready\nactivity failed for {CODE} ({NAME})\nA-1 stopped\n")
    assert files_holding(home, *secrets)  # before: the store holds all of them
    capsys.readouterr()
    assert main(["child", "delete", CODE, "--yes"]) == 0
    assert capsys.readouterr().out == (
        f"deleted child {CODE} (2 sessions, 4 trials, 4 input events, 1 note, "
        "2 voice recordings, 1 goal, 1 plan) and erased them from the store's files\n"
    )
    assert files_holding(home, *secrets) == {}
    assert not [path for path in home.rglob("*") if CODE in path.name]  # plans/CODE/ too
    assert (home / "plans" / "A-1" / "ours.toml").is_file()  # the other child's stay
    assert log.read_text() == (
        "engine ready\nactivity failed for [deleted child] ([deleted child])\nA-1 stopped\n"
    )
    with Store.open() as store:  # the other child keeps everything
        assert [child.code for child in store.list_children()] == ["A-1"]
        assert store.holdings("A-1") == {
            "sessions": 2, "trials": 4, "input events": 8, "notes": 1,
            "voice recordings": 2, "goals": 1,
        }  # fmt: skip
        assert store.integrity_check() == "ok"
    assert main(["child", "show", CODE]) == 2


@pytest.mark.parametrize("answer", ["", "no\n", "s-7q2\n", "yes\n"])
def test_child_delete_asks_for_the_code_and_keeps_the_child_otherwise(
    tmp_path, capsys, monkeypatch, answer
):
    assert main(["child", "add", CODE, "--name", NAME]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    assert main(["child", "delete", CODE]) == 2
    captured = capsys.readouterr()
    assert captured.out == (
        f"Delete {CODE} ({NAME}) and everything kept of them (0 sessions, 0 trials, "
        f"0 input events, 0 notes, 0 voice recordings, 0 goals)? This cannot be undone. "
        f"Type {CODE} to confirm: "
    )
    got = "no answer" if not answer else repr(answer.strip())
    assert captured.err == (
        f"soundness-live: error: not deleted: expected {CODE!r} as confirmation, got {got} "
        "(add --yes to delete without asking)\n"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{CODE}\n"))
    assert main(["child", "delete", CODE]) == 0
    assert "deleted child S-7Q2" in capsys.readouterr().out


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    """The command in its own process, as a therapist would run it beside the engine."""
    env = dict(os.environ, SOUNDNESS_LIVE_HOME=str(home), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "soundness_live.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


QUICK = {"variant": "cue", "trials": 1, "lead_in_ms": 0, "foreperiod_ms": 150,
         "wait_step_ms": 0, "jitter_pct": 0, "response_window_ms": 300}  # fmt: skip


def test_a_child_whose_session_is_open_in_the_engine_is_not_deleted_until_it_ends(
    engine_here, tmp_path
):
    home = tmp_path  # the engine's data folder
    engine_here.store.add_child({"code": CODE, "display_name": NAME})
    engine_here.store.add_child({"code": "A-1"})
    start = {"type": "start_activity", "activity": "waiting", "params": QUICK, "child": CODE}
    assert handle(engine_here, start)["ok"]
    state = until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    refused = cli(home, "child", "delete", CODE, "--yes")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        f"soundness-live: error: session {state['session_id']} of {CODE} is still open in a "
        f"running Soundness Live program (process {os.getpid()}); end that session on the "
        "therapist's screen (or stop the program), then delete again\n"
    )
    assert handle(engine_here, {"type": "end_session"})["ok"]
    deleted = cli(home, "child", "delete", CODE, "--yes")  # the engine still holds the store
    assert deleted.returncode == 0, deleted.stderr
    assert files_holding(home, NAME.split()[0].encode(), CODE.encode()) == {}
    catalog = handle(engine_here, {"type": "catalog"})
    assert [child["code"] for child in catalog["children"]] == ["A-1"]
    again = handle(engine_here, start)
    assert again == {
        "ok": False,
        "error": f"no child with code {CODE!r} in {home / 'soundness.db'}",
    }
    other = dict(start, child="A-1")
    assert handle(engine_here, other)["ok"]  # the engine goes on with the others
    until_state(engine_here, lambda s: s["activity"] is None and s["trials_done"], 10.0)
    assert handle(engine_here, {"type": "end_session"})["ok"]
    assert engine_here.store.holdings("A-1")["trials"] == 1


def test_withdrawn_consent_deletes_and_erases_the_kept_voice(tmp_path, home, capsys):
    add_child_with_everything(tmp_path)
    voice = a_kept_recording(CODE)
    capsys.readouterr()
    assert main(["child", "consent", CODE, "--voice", "no"]) == 0
    assert capsys.readouterr().out == (
        f"{CODE}: consent to keep voice withdrawn; 2 recordings deleted and erased from the "
        "store's files\n"
    )
    assert files_holding(home, voice) == {}
    with Store.open() as store:
        assert store.holdings(CODE)["voice recordings"] == 0
        assert store.holdings(CODE)["trials"] == 4  # the scores stay
        assert store.get_child(CODE).consent.voice_recording is False
    play = ["play", "vocal-prompts", "--param", "trials=1", "--child", CODE, "--input", "virtual"]
    assert main(play) == 0
    with Store.open() as store:
        assert store.holdings(CODE)["voice recordings"] == 0  # no longer kept
    assert main(["child", "consent", CODE, "--voice", "yes"]) == 0
    assert capsys.readouterr().out.endswith(f"{CODE}: voice recordings may be kept from now on\n")
    assert main(play) == 0
    with Store.open() as store:
        assert store.get_child(CODE).consent.voice_recording is True
        assert store.holdings(CODE)["voice recordings"] == 1


def test_child_edit_takes_the_options_of_child_add(tmp_path, capsys):
    goals = tmp_path / "goals.toml"
    goals.write_text(GOALS.format(name=NAME))
    assert main(["child", "add", CODE, "--name", NAME, "--dob", DOB]) == 0
    edit = ["child", "edit", CODE, "--name", "Zel Q", "--volume-cap-dbfs", "-24",
            "--preferred-bpm", "84", "--voice-range-hz", "180", "600", "--voice-consent",
            "--goals", str(goals), "--clear", "dob"]  # fmt: skip
    assert main(edit) == 0
    with Store.open() as store:
        child = store.get_child(CODE)
        assert (child.display_name, child.date_of_birth) == ("Zel Q", None)
        assert (child.volume_cap_dbfs, child.preferred_tempo_bpm) == (-24.0, 84.0)
        assert child.voice_range_hz == (180.0, 600.0) and child.consent.voice_recording
        assert child.goal_ids == ("zq-echoes",)
        assert [goal.id for goal in store.goals_for(CODE)] == ["zq-echoes"]
    assert main(["child", "edit", CODE, "--volume-cap-dbfs", "-12"]) == 0
    with Store.open() as store:
        child = store.get_child(CODE)
        assert child.volume_cap_dbfs == -12.0 and child.display_name == "Zel Q"  # others kept
        assert child.goal_ids == ("zq-echoes",)
    capsys.readouterr()
    assert main(["child", "edit", CODE]) == 2
    assert "child edit expects at least one change" in capsys.readouterr().err
    assert main(["child", "edit", CODE, "--volume-cap-dbfs", "6"]) == 2
    assert capsys.readouterr().err == (
        "soundness-live: error: profile field 'volume_cap_dbfs' must be a number in -60..0, "
        "got 6.0\n"
    )
    assert main(["child", "edit", "S-404", "--name", "Nobody"]) == 2


def test_child_add_takes_a_goal_file_with_its_own_ids(tmp_path, capsys):
    goals = tmp_path / "goals.toml"
    goals.write_text(GOALS.format(name=NAME))
    assert main(["child", "add", CODE, "--goals", str(goals)]) == 0
    assert capsys.readouterr().out == f"added child {CODE} with 1 goals\n"
    assert main(["play", "call-and-response", "--param", "trials=1", "--child", CODE,
                 "--input", "virtual", "--json", str(tmp_path / "run.json")]) == 0  # fmt: skip
    with Store.open() as store:
        (trial,) = store.trials(store.sessions(CODE)[0]["id"])
    assert trial["goals"] == ["zq-echoes"]


def test_export_include_voice_writes_the_kept_recordings_named_by_code(tmp_path, capsys):
    add_child_with_everything(tmp_path)
    out = tmp_path / "review"
    assert main(["export", "--child", CODE, "--format", "json", "--out", str(out)]) == 0
    assert not (out / f"{CODE}-voice").exists()  # not without asking
    capsys.readouterr()
    assert main(["export", "--child", CODE, "--format", "json", "--out", str(out),
                 "--include-voice"]) == 0  # fmt: skip
    with Store.open() as store:
        vocal = store.sessions(CODE)[-1]["id"]
        kept = [store.voice_recording(vocal, i) for i in (0, 1)]
    names = [f"{CODE}-session-{vocal}-trial-{i}.wav" for i in (0, 1)]
    assert capsys.readouterr().out == "".join(
        f"wrote {path}\n"
        for path in (out / f"{CODE}.json", *(out / f"{CODE}-voice" / n for n in names))
    )
    for name, wav in zip(names, kept, strict=True):
        path = out / f"{CODE}-voice" / name
        assert path.read_bytes() == wav and path.stat().st_mode & 0o777 == 0o600
        assert soundfile.info(path).samplerate > 0
    assert main(["child", "consent", CODE, "--voice", "no"]) == 0
    capsys.readouterr()
    again = tmp_path / "again"
    assert main(["export", "--child", CODE, "--format", "csv", "--out", str(again),
                 "--include-voice"]) == 0  # fmt: skip
    assert f"no voice recordings exported: {CODE} has no consent to keep voice" in (
        capsys.readouterr().out
    )
    assert not (again / f"{CODE}-voice").exists()


NOTE = (
    "ZELPHINA sang; zelphina's brother and Zelphína Quorrel's mum came (Zelphi\u0301na too). "
    "Born 4 March 2016, or 4th of March 2016, March 4, 2016, Mar. 4th 2016, 04/03/2016, "
    "03/04/2016, 4.3.16 and 2016-03-04; her birthday is on 4 March. "
    "Next review 4 March 2027; Zelphinas and Quorrels are other words."
)
SCRUBBED = (
    "S-7Q2 sang; S-7Q2's brother and S-7Q2's mum came (S-7Q2 too). "
    "Born [removed], or [removed], [removed], [removed], [removed], "
    "[removed], [removed] and [removed]; her birthday is on [removed]. "
    "Next review 4 March 2027; Zelphinas and Quorrels are other words."
)


def test_exported_notes_lose_every_spelling_of_the_name_and_birth_date(tmp_path):
    import json

    assert main(["child", "add", CODE, "--name", "Zelphína Quorrel", "--dob", DOB]) == 0
    play = ["play", "waiting", "--param", "trials=1", "--child", CODE, "--input", "virtual"]
    assert main(play) == 0
    assert main(["note", "1", NOTE]) == 0
    out = tmp_path / "review"
    assert main(["export", "--child", CODE, "--format", "json", "--out", str(out),
                 "--include-notes"]) == 0  # fmt: skip
    exported = json.loads((out / f"{CODE}.json").read_text(encoding="utf-8"))
    assert [note["text"] for note in exported["sessions"][0]["notes"]] == [SCRUBBED]
    named = tmp_path / "named"
    assert main(["export", "--child", CODE, "--format", "json", "--out", str(named),
                 "--include-notes", "--include-names"]) == 0  # fmt: skip
    exported = json.loads((named / f"{CODE}.json").read_text(encoding="utf-8"))
    assert [note["text"] for note in exported["sessions"][0]["notes"]] == [NOTE]


def test_csv_export_carries_notes_and_voice_when_asked_as_the_other_formats_do(tmp_path, capsys):
    import csv

    add_child_with_everything(tmp_path)
    with Store.open() as store:
        vocal = store.sessions(CODE)[-1]["id"]
        kept = [store.voice_recording(vocal, i) for i in (0, 1)]
    assert main(["note", str(vocal), NOTE]) == 0
    plain = tmp_path / "plain"
    assert main(["export", "--child", CODE, "--format", "csv", "--out", str(plain)]) == 0
    assert not (plain / f"{CODE}-csv" / "notes.csv").exists()  # not without asking
    assert not (plain / f"{CODE}-voice").exists()
    out = tmp_path / "review"
    capsys.readouterr()
    assert main(["export", "--child", CODE, "--format", "csv", "--out", str(out),
                 "--include-notes", "--include-voice"]) == 0  # fmt: skip
    written = capsys.readouterr().out
    notes = out / f"{CODE}-csv" / "notes.csv"
    assert f"wrote {notes}\n" in written
    with notes.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(row["child_code"], row["session_id"], row["text"]) for row in rows][-1] == (
        CODE, str(vocal), SCRUBBED
    )  # fmt: skip
    assert notes.stat().st_mode & 0o777 == 0o600
    assert "## notes.csv" in (out / f"{CODE}-csv" / "columns.md").read_text(encoding="utf-8")
    for index, wav in enumerate(kept):
        path = out / f"{CODE}-voice" / f"{CODE}-session-{vocal}-trial-{index}.wav"
        assert f"wrote {path}\n" in written and path.read_bytes() == wav
    assert main(["export", "--child", CODE, "--format", "csv", "--out", str(out)]) == 0
    assert not notes.exists()  # exported again without notes: the earlier ones do not stay


def test_consent_withdrawn_by_another_program_mid_trial_keeps_nothing(tmp_path):
    from soundness_live.players.profiles import ChildProfile, Consent

    with Store.open(tmp_path / "store.db") as store, Store.open(tmp_path / "store.db") as other:
        store.add_child(ChildProfile(code=CODE, consent=Consent(voice_recording=True)))
        session = store.start_session(CODE)
        asked = store.get_child(CODE)  # the engine read consent when the trial began ...
        assert other.set_voice_consent(CODE, False) == 0  # ... and the therapist withdrew it
        store.get_child = lambda code: asked  # type: ignore[method-assign]
        assert store.add_voice_recording(session, 0, b"RIFF....WAVE") is False
        assert store.voice_recording(session, 0) is None
