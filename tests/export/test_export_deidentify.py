"""De-identification and the export() entry point: nothing names the child unless asked."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path

import pytest

from soundness_live.errors import ParameterError
from soundness_live.export import FORMATS, deidentify, export
from tests.export.test_export_bundle import CHILD_DOB, CHILD_NAME, NOTE_TEXT, SECRETS, make_bundle


def _small_bundle() -> dict:
    """Two sessions keep the HTML report (its plots) quick to draw."""
    bundle = make_bundle()
    bundle["sessions"] = bundle["sessions"][:2]
    return bundle


def test_deidentify_is_pure_and_drops_names_birth_date_and_notes() -> None:
    bundle = make_bundle()
    before = copy.deepcopy(bundle)
    safe = deidentify(bundle)
    assert bundle == before, "the input bundle must not change"
    assert safe["child"]["code"] == "S-014"
    assert safe["child"]["display_name"] is None and safe["child"]["date_of_birth"] is None
    assert all(session["notes"] == [] for session in safe["sessions"])
    assert safe["privacy"] == {"names_included": False, "notes_included": False}
    text = json.dumps(safe, ensure_ascii=False)
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), secret
    # Goal wording keeps its meaning, with the code in place of the name.
    assert safe["goals"][0]["text"].startswith("Given a 4-beat drum call, S-014 waits")
    # Settings survive; free text in the profile does not.
    profile = safe["child"]["profile"]
    assert profile["volume_cap_dbfs"] == -18.0 and "comment" not in profile
    assert profile["devices"] == {"pad-1": {"role": "child", "kind": "pad"}}


def test_deidentify_keeps_what_was_asked_for() -> None:
    bundle = make_bundle()
    named = deidentify(bundle, include_names=True, include_notes=True)
    assert named["child"]["display_name"] == CHILD_NAME
    assert named["child"]["date_of_birth"] == CHILD_DOB
    assert named["sessions"][0]["notes"][0]["text"] == NOTE_TEXT
    notes_only = deidentify(bundle, include_notes=True)
    assert notes_only["sessions"][0]["notes"][0]["text"] == (
        "S-014 covered his ears once; Joy (mum) says he slept badly."
    )
    assert notes_only["child"]["display_name"] is None


def test_the_therapist_is_shown_by_initials_unless_names_are_asked_for() -> None:
    bundle = make_bundle()
    bundle["sessions"][0]["therapist"] = "Mia Hartley"
    safe = deidentify(bundle)
    assert safe["sessions"][0]["therapist"] == "MH"
    assert safe["sessions"][1]["therapist"] == "T-01"  # a code stays a code
    assert deidentify(bundle, include_names=True)["sessions"][0]["therapist"] == "Mia Hartley"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Mia Berger", "MB"),
        ("Anne-Marie O'Neil", "AMO"),
        ("BERGER", "B"),  # one word of capitals is a surname, not initials
        ("李明", "李"),
        ("M.B.", "MB"),
        ("MB", "M"),  # the same rule for every word: never the whole word
        ("T-01", "T-01"),  # a code names no one
        ("S014", "S014"),
    ],
)
def test_initials_are_one_letter_a_word_never_the_whole_name(name: str, shown: str) -> None:
    bundle = make_bundle()
    bundle["sessions"][0]["therapist"] = name
    assert deidentify(bundle)["sessions"][0]["therapist"] == shown


@pytest.fixture(scope="module")
def default_exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("exports") / "out"
    return [path for fmt in FORMATS for path in export(_small_bundle(), fmt, out)]


def test_no_name_birth_date_or_note_in_any_default_export_file(default_exports: list[Path]) -> None:
    suffixes = {path.suffix for path in default_exports}
    assert suffixes == {".csv", ".md", ".json", ".mid", ".html"}
    for path in default_exports:
        data = path.read_bytes().lower()
        for secret in SECRETS:
            for encoding in ("utf-8", "latin-1"):
                assert secret.lower().encode(encoding) not in data, (path.name, secret)


def test_export_writes_owner_only_files_with_stable_names(default_exports: list[Path]) -> None:
    names = sorted(path.name for path in default_exports)
    assert names == sorted(
        ["trials.csv", "events.csv", "prompts.csv", "responses.csv", "columns.md", "S-014.json",
         "S-014-session-12.mid", "S-014-session-13.mid", "S-014-report.html"]
    )  # fmt: skip
    for path in default_exports:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent


def test_export_with_names_and_notes_carries_them(tmp_path: Path) -> None:
    bundle = _small_bundle()
    [path] = export(bundle, "json", tmp_path, include_names=True, include_notes=True)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded["child"]["display_name"] == CHILD_NAME
    assert loaded["export"]["privacy"] == {"names_included": True, "notes_included": True}
    assert loaded["sessions"][0]["notes"][0]["text"] == NOTE_TEXT


def test_unknown_format_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="one of csv, json, midi, html, got 'pdf'"):
        export(make_bundle(), "pdf", tmp_path)
    assert not list(tmp_path.iterdir())


def _notes_scrubbed(name: str, dob: str, text: str) -> str:
    """``text`` as a note of a child named ``name``, born ``dob``, exported with notes."""
    bundle = make_bundle()
    bundle["child"].update(display_name=name, date_of_birth=dob)
    bundle["sessions"][0]["notes"] = [{"created_at": "2026-11-12T10:00:00Z", "text": text}]
    return deidentify(bundle, include_notes=True)["sessions"][0]["notes"][0]["text"]


@pytest.mark.parametrize(
    ("name", "text", "scrubbed"),
    [
        ("李明", "李明今天很开心", "S-014今天很开心"),  # a name inside a sentence without spaces
        ("李明", "李明 played", "S-014 played"),
        ("Ayşe Yılmaz", "AYŞE YILMAZ and ayse yilmaz", "S-014 and S-014"),  # dotless ı
        ("Søren Łukasz", "Soren Lukasz came", "S-014 came"),  # ø, ł
        ("Jürgen Strauß", "jurgen strauss, JÜRGEN STRAUSS", "S-014, S-014"),  # ß
        ("Ægir Đorđević", "Aegir Dordevic sang", "S-014 sang"),  # æ, đ
        ("Seán O'Brien", "O’Brien, OBrien, O'Brien and O Brien", "S-014, S-014, S-014 and S-014"),
        ("Mary-Kate Lee", "MaryKate, Mary Kate and Mary-Kate", "S-014, S-014 and S-014"),
        ("Mary Kate Lee", "marykate and Mary-Kate Lee", "S-014 and S-014"),
    ],
)
def test_notes_lose_the_name_however_it_is_spelled_or_joined(
    name: str, text: str, scrubbed: str
) -> None:
    assert _notes_scrubbed(name, CHILD_DOB, text) == scrubbed


def test_notes_lose_the_birth_date_written_with_dashes_or_as_one_number() -> None:
    text = "Born 4-Mar-2016 (20160304, 04-Mar-16); seen 4-Mar-2017 and 20170304."
    assert _notes_scrubbed("Ann Lee", "2016-03-04", text) == (
        "Born [removed] ([removed], [removed]); seen 4-Mar-2017 and 20170304."
    )


def test_a_name_that_is_a_word_rewrites_free_text_only_never_keys_or_the_programs_words() -> None:
    from soundness_live.goals.goal import builtin_goals

    bundle = make_bundle()
    bundle["child"]["display_name"] = "May Go"
    go_cue = next(g for g in builtin_goals("waiting") if g.id == "wait-for-cue").to_dict()
    assert "the go cue" in go_cue["text"]
    bundle["goals"].append(go_cue)
    trial = bundle["sessions"][0]["trials"][0]
    trial.update(variant="go-no-go", outcome="no_response")
    trial["params"]["go"] = "Go and May, go!"  # a value a therapist typed: free text
    trial["metrics"]["go"] = 1
    bundle["sessions"][0]["notes"] = [{"created_at": "2026-11-12", "text": "May went; go Go!"}]
    safe = deidentify(bundle, include_notes=True)
    goal = next(g for g in safe["goals"] if g["id"] == go_cue["id"])
    assert goal == go_cue  # the built-in wording, variant and rule as they were
    exported = safe["sessions"][0]["trials"][0]
    assert (exported["variant"], exported["outcome"]) == ("go-no-go", "no_response")
    assert exported["metrics"]["go"] == 1 and "go" in exported["params"]  # keys stay
    assert exported["params"]["go"] == "S-014 and S-014, S-014!"
    assert safe["sessions"][0]["notes"][0]["text"] == "S-014 went; S-014 S-014!"


def test_a_goal_id_naming_the_child_is_scrubbed_alike_wherever_it_appears() -> None:
    bundle = make_bundle()
    bundle["goals"][0]["id"] = "samuel-waits"
    bundle["progress"][0]["goal_id"] = "samuel-waits"
    for session in bundle["sessions"]:
        for trial in session["trials"]:
            trial["goals"] = ["samuel-waits" if g == "wait-turn" else g for g in trial["goals"]]
    safe = deidentify(bundle)
    assert safe["goals"][0]["id"] == safe["progress"][0]["goal_id"] == "S-014-waits"
    listed = {g for s in safe["sessions"] for t in s["trials"] for g in t["goals"]}
    assert "S-014-waits" in listed and "samuel-waits" not in listed
