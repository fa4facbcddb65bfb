"""HTML report: self-contained, its plots and criterion text, accessible, renders in Chromium."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from soundness_live.export.deidentify import deidentify
from soundness_live.export.goal_words import criterion_words, measure_threshold
from soundness_live.export.report import render_report, write_report
from soundness_live.export.report_goals import goal_rule_judge, goal_trials, mastery_status
from tests.conftest import require_program
from tests.test_export_bundle import CHILD_NAME, GOALS, NOTE_TEXT, make_bundle


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(deidentify(make_bundle()), out)


class _Tags(HTMLParser):
    """Collects start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, Any]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def test_report_contains_its_plots_and_criterion_text(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    # 4 goal plots + 3 sessions' asynchronies + 3 tempo curves.
    assert text.count('<img src="data:image/png;base64,') == 10
    assert "waits for turn, ≥ 75 % notes correct, in 4 of 5 trials across 3 sessions" in text
    assert "Criterion met in 1 of 3 sessions needed in a row." in text
    assert "Timing with the beat" in text and "All trials" in text
    assert "voice onset latency 1250 ms" in text
    assert "Therapist's notes" not in text and NOTE_TEXT not in text
    assert CHILD_NAME.split()[0] not in text
    # Rows: 3 sessions, 4 goals x 3 sessions, 36 trials, and 6 tables' header rows.
    assert text.count("<tr>") == 3 + 4 * 3 + 36 + 6


def test_report_is_self_contained_without_scripts_or_motion(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    for tag, attrs in _tags(text):
        assert tag not in ("script", "iframe", "object", "embed", "link", "video", "audio")
        for name in ("src", "href"):
            if attrs.get(name) is not None:
                assert attrs[name].startswith(("data:image/png;base64,", "#")), attrs[name][:40]
    assert "animation" not in text and "@keyframes" not in text and "<marquee" not in text
    assert "default-src 'none'" in text


def test_report_is_accessible(report: Path) -> None:
    tags = _tags(report.read_text(encoding="utf-8"))
    names = [tag for tag, _ in tags]
    assert names.count("h1") == 1 and names.index("h1") < names.index("h2")
    assert ("html", {"lang": "en"}) in tags
    for tag, attrs in tags:
        if tag == "img":
            assert len(attrs.get("alt") or "") > 40, "each plot says what it shows"
        if tag == "th":
            assert attrs.get("scope") == "col"
    assert names.count("caption") == names.count("table")
    assert "@media print" in report.read_text(encoding="utf-8")


def test_names_and_notes_show_only_when_asked(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["sessions"] = bundle["sessions"][:1]
    text = render_report(deidentify(bundle, include_names=True, include_notes=True))
    assert f"Name: {CHILD_NAME}" in text
    assert "<h2>Therapist's notes</h2>" in text
    assert "Joy (mum) says he slept badly" in text
    raw = render_report(bundle)  # not de-identified and no privacy flags: the name stays out
    assert "Name:" not in raw


def test_a_given_success_judge_marks_the_plots(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []

    def judge(goal: dict, trial: dict) -> bool:
        seen.append((goal["id"], trial["index"]))
        return True

    bundle = make_bundle()
    bundle["sessions"] = bundle["sessions"][:1]
    render_report(bundle, trial_succeeds=judge)
    assert ("wait-turn", 0) in seen and ("freeze", 5) in seen


def test_criterion_words() -> None:
    goal = dict(GOALS[0])
    assert criterion_words(goal) == (
        "waits for turn, ≥ 75 % notes correct, in 4 of 5 trials across 3 sessions"
    )
    assert measure_threshold(goal) == ("≥", 75.0)
    assert measure_threshold({**goal, "success": "75 < notes_correct_pct"}) == (">", 75.0)
    cases = {
        "(hits > 2 and not waited_for_turn) or reliable":
            "(hits > 2, plays during the call) or taps reliably",
        "abs(mean_asynchrony_ms) <= 40": "|mean asynchrony| ≤ 40",
        "classification == 'valid' and reaction_time_ms < 900":
            "classification = valid, reaction time < 900 ms",
        "syllables >= target_syllables": "syllables ≥ target syllables",
    }  # fmt: skip
    for rule, words in cases.items():
        assert criterion_words({**goal, "success": rule}).startswith(f"{words}, in 4 of 5"), rule
    assert criterion_words({**goal, "success": "hits >"}).startswith("hits >, in 4 of 5")


def test_default_judge_follows_the_goal_rule_and_prompt_level() -> None:
    judge = goal_rule_judge()
    goal = dict(GOALS[0])
    trial = {"activity": "call-and-response", "outcome": "correct", "goals": ["wait-turn"],
             "prompt_level": "independent",
             "metrics": {"waited_for_turn": True, "notes_correct_pct": 75.0}}  # fmt: skip
    assert judge(goal, trial) is True
    assert judge(goal, {**trial, "prompt_level": "gestural"}) is False
    assert judge(goal, {**trial, "outcome": "void"}) is False
    assert judge(goal, {**trial, "metrics": {"waited_for_turn": True}}) is False
    assert judge({**goal, "success": "no_such_metric > 1"}, trial) is None


def test_goal_trials_are_the_scored_ones() -> None:
    bundle = make_bundle()
    trials = bundle["sessions"][0]["trials"]
    trials[0]["outcome"] = "void"
    trials[1]["goals"] = ["some-other-goal"]
    trials[2]["goals"] = []
    indices = [t["index"] for s, t in goal_trials(bundle, GOALS[0]) if s["id"] == 12]
    assert indices == [2, 3, 4]


def test_mastery_status_skips_interrupted_sessions() -> None:
    goal = dict(GOALS[0])
    rows = [
        {"status": "complete", "met": True},
        {"status": "interrupted", "met": False},
        {"status": "complete", "met": True},
    ]
    assert mastery_status(goal, {"sessions": rows}) == (
        "Criterion met in 2 of 3 sessions needed in a row."
    )
    rows.append({"status": "complete", "met": False})
    assert "met in 0 of 3" in mastery_status(goal, {"sessions": rows})
    assert mastery_status(goal, {"mastered_on": "2026-11-20"}) == "Mastered on 2026-11-20."


def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    chromium = require_program("chromium", "chromium")
    shot = tmp_path / "shot.png"
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
        "--window-size=1200,2000", report.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=90)
    assert shot.exists()
    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
        grey = image.convert("L")
        histogram = grey.histogram()
    dark = sum(histogram[:128]) / sum(histogram)
    assert dark > 0.005, "the page shows text and plots, not a blank screen"
    assert sum(1 for count in histogram if count) > 50, "more than a flat colour"
