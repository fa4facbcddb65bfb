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
from soundness_live.export.report import render_report, write_report
from soundness_live.export.report_goals import goal_rule_judge, goal_trials, mastery_status
from soundness_live.goals.words import (
    criterion_words,
    measure_threshold,
    metric_words,
    unmet_parts,
)
from tests.conftest import require_program
from tests.export.test_export_bundle import CHILD_NAME, GOALS, NOTE_TEXT, make_bundle


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
    assert (
        "waits for the turn and gets at least 75 % of the notes, in 4 of 5 trials, "
        "in 3 sessions in a row"
    ) in text
    assert "waited_for_turn" not in text and "&gt;=" not in text  # words, never the expression
    assert "Criterion met in 1 of 3 sessions needed in a row." in text
    assert "no: 1 of the last 5 trials succeeded, 4 needed" in text  # "not met" says why
    assert "“waits for the turn” (5)" in text
    assert "Timing with the beat" in text and "All trials" in text
    assert "voice onset latency 1249.7 ms" in text  # ms to 0.1
    assert "SIMULATED" not in text
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
        "waits for the turn and gets at least 75 % of the notes, in 4 of 5 trials, "
        "in 3 sessions in a row"
    )
    assert measure_threshold(goal) == ("≥", 75.0)
    assert measure_threshold({**goal, "success": "75 < notes_correct_pct"}) == (">", 75.0)
    cases = {
        "(hits > 2 and not waited_for_turn) or reliable":
            "(echoes more than 2 of the call's notes and plays during the call) or taps "
            "reliably (at least 6 taps on beats, 50–150 % as many taps as beats)",
        "abs(mean_asynchrony_ms) <= 40":
            "taps on average within 40 ms of the beat (early or late)",
        "classification == 'valid' and reaction_time_ms < 900":
            "waits for the cue and then plays in time and plays less than 900 ms after the cue",
        "syllables >= target_syllables": "says at least as many syllables as the prompt has",
        "hit_rate >= 0.7 and reliable and resultant_length > 0.5":
            "taps on at least 70 % of the beats, taps reliably (at least 6 taps on beats, "
            "50–150 % as many taps as beats) and locks to the beat (phase locking more than "
            "0.5; 0 random, 1 locked)",
        "response_latency_ms != null and response_latency_ms <= 3000":
            "answers within 3000 ms after the call ends",
        "notes_in_freeze == 0": "plays no notes after the music stops",
        "wait_s >= 5": "waits at least 5 s before playing",
    }  # fmt: skip
    for rule, words in cases.items():
        assert criterion_words({**goal, "success": rule}).startswith(f"{words}, in 4 of 5"), rule
    assert criterion_words({**goal, "success": "hits >"}).startswith("hits >, in 4 of 5")


def test_unmet_parts_say_why_a_trial_did_not_succeed() -> None:
    goal = dict(GOALS[0])
    trial = {"prompt_level": "gestural",
             "metrics": {"waited_for_turn": False, "notes_correct_pct": 80.0}}  # fmt: skip
    assert unmet_parts(goal, trial) == ["waits for the turn", "needs no help (independent)"]
    assert unmet_parts({**goal, "max_prompt_level": "gestural"}, trial) == ["waits for the turn"]
    latency = {**goal, "success": "response_latency_ms != null and response_latency_ms <= 3000"}
    assert unmet_parts(latency, {"prompt_level": "independent", "metrics": {}}) == [
        "answers within 3000 ms after the call ends"
    ]


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
    trials[1]["goals"] = ["some-other-goal"]  # listed goals do not decide: activity and variant
    trials[2]["goals"] = []
    indices = [t["index"] for s, t in goal_trials(bundle, GOALS[0]) if s["id"] == 12]
    assert indices == [1, 2, 3, 4]


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


def test_header_tables_and_plots_cover_the_same_sessions() -> None:
    bundle = make_bundle()
    bundle["sessions"] = bundle["sessions"][2:]  # a report of session 14 alone
    text = render_report(deidentify(bundle))
    assert "1 session (session 14), from 2026-11-26 to 2026-11-26" in text
    # Rows: 1 session, 4 goals x 1 session (not the history's 3), 12 trials, 6 header rows.
    assert text.count("<tr>") == 1 + 4 * 1 + 12 + 6
    assert "in 1 session for the goal" in text  # the goal plots hold session 14 only
    assert text.count("(judged over every session of this child, not only those in this") == 4


def test_a_child_with_no_goals_gets_each_activitys_headline_plot() -> None:
    bundle = make_bundle()
    bundle["goals"], bundle["progress"] = [], []
    text = render_report(deidentify(bundle))
    assert "No goals are set for this child yet" in text
    assert "<h2>Each activity</h2>" in text
    titles = re.findall(r"<h3>([^<]*): ([^<]*)</h3>", text)
    assert titles == [
        ("call-and-response (drums)", "notes correct"),
        ("waiting (freeze)", "notes in freeze"),
        ("tempo-following (steady)", "hit rate"),
        ("tempo-following (follow-child)", "hit rate"),
        ("vocal-prompts (ba)", "voice onset latency"),
    ]
    # 5 activity plots + 3 sessions' asynchronies + 3 tempo curves.
    assert text.count('<img src="data:image/png;base64,') == 11
    assert (
        "Line chart of notes_correct_pct (%) per trial of call-and-response (drums): 15 trials "
        "in 3 sessions. Latest session (14, 2026-11-26): mean 90.0 %; earlier sessions: mean "
        "72.5 %."
    ) in text


def test_a_goal_covers_only_its_variant_and_the_rest_gets_headline_plots() -> None:
    bundle = make_bundle()
    bundle["goals"] = [dict(GOALS[2], variant="follow-child")]  # steady-beat, one variant
    bundle["progress"] = []
    text = render_report(deidentify(bundle))
    titles = [title for title, _ in re.findall(r"<h3>([^<]*): ([^<]*)</h3>", text)]
    assert "tempo-following (steady)" in titles  # not the goal's variant: plotted on its own
    assert "tempo-following (follow-child)" not in titles  # the goal's section plots it
    assert "in 3 trials" not in text and "over 3 trials in 3 sessions" in text


def test_simulated_trials_are_shown_marked_and_never_counted() -> None:
    bundle = make_bundle()
    fake = bundle["sessions"][2]
    fake["input"], fake["simulated"] = "virtual", True
    for trial in fake["trials"]:
        trial["input"], trial["simulated"] = "virtual", True
    from soundness_live.goals.goal import goal_from_dict
    from soundness_live.goals.progress import goal_progress

    bundle["progress"] = [goal_progress(goal_from_dict(g), bundle["sessions"]) for g in GOALS]
    text = render_report(deidentify(bundle))
    assert (
        "<strong>SIMULATED.</strong> Part of this report was played by the virtual child or a "
        "recorded file, not by S-014: session 14."
    ) in text
    assert "<td>SIMULATED (the virtual child)</td>" in text
    assert text.count("SIMULATED (virtual)") == 12  # every trial of session 14
    assert "A cross is a simulated trial" in text
    assert "not judged: SIMULATED" in text


def test_trend_words_say_why_when_there_is_no_trend() -> None:
    from soundness_live.export.report_goals import trend_words

    assert trend_words(None).startswith("Baseline and trend: not computed yet")
    early = {"baseline_pct": 40.0, "trend": None, "counted_sessions": 2, "recent_pct": None}
    assert trend_words(early) == (
        "Baseline (the first 2 counted sessions): 40.0 % of trials successful. Trend: not "
        "computed yet: it compares the sessions after the first 3 with them; 2 counted so far."
    )
    later = {"baseline_pct": 40.0, "trend": "improving", "counted_sessions": 5, "recent_pct": 60.0}
    assert trend_words(later) == (
        "Baseline (the first 3 counted sessions): 40.0 % of trials successful. Trend: "
        "improving: the latest sessions after the baseline average 60.0 %, +20.0 points "
        "(±10 points or more is a trend)."
    )


def test_a_session_mixing_live_and_simulated_trials_counts_the_live_ones() -> None:
    from soundness_live.goals.goal import goal_from_dict
    from soundness_live.goals.progress import goal_progress

    bundle = make_bundle()
    mixed = bundle["sessions"][0]
    mixed["input"], mixed["simulated"] = "mixed", True
    for trial in mixed["trials"][:2]:  # two call-and-response trials by the virtual child
        trial["input"], trial["simulated"] = "virtual", True
    bundle["progress"] = [goal_progress(goal_from_dict(g), bundle["sessions"]) for g in GOALS]
    text = render_report(deidentify(bundle))
    assert "not by S-014: 2 of the 12 trials of session 12." in text
    assert "<td>PART SIMULATED: 2 of 12 trials (the virtual child)</td>" in text
    assert "<td>3 (+2 simulated)</td>" in text


def test_a_trial_the_child_did_not_answer_is_said_so_never_did_not_wait() -> None:
    bundle = make_bundle()
    silent = 0
    for session in bundle["sessions"]:
        for trial in session["trials"]:
            if trial["activity"] == "call-and-response" and session["status"] == "complete":
                trial.update(outcome="no_response", responses=[])
                trial["metrics"].update(
                    n_response=0, hits=0, notes_correct_pct=None, waited_for_turn=None,
                    rhythm_error=None, median_onset_error_ms=None, response_latency_ms=None,
                )  # fmt: skip
                silent += "wait-turn" in trial["goals"]
    text = render_report(deidentify(bundle))
    goal = text[text.index("Given a 4-beat drum call") :]
    goal = goal[: goal.index("</dl>")]
    assert "waits for the turn”" not in goal
    assert silent > 0
    assert f"<dt>Trials the child did not answer</dt><dd>{silent}</dd>" in goal
    # the goal's plot of % notes correct leaves those trials out and says so
    words = metric_words("notes_correct_pct")
    note = f"{silent} trials have no {words} (no answer, or nothing to measure) and are not drawn."
    assert note in text


def test_a_single_trial_count_plot_has_whole_ticks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from soundness_live.export import report_plots

    drawn: list[Any] = []

    def keep(figure: Any) -> bytes:
        figure.canvas.draw()
        drawn.append(figure.axes[0])
        return b""

    monkeypatch.setattr(report_plots, "_png", keep)
    one = report_plots.SessionSeries("session 1", [15.0], [None])
    report_plots.measure_plot([one], "notes played (count)", None, counts=True, judged=False)
    (axes,) = drawn

    def visible(ticks: Any, limits: tuple[float, float]) -> list[float]:
        return [float(t) for t in ticks if limits[0] <= t <= limits[1]]

    assert visible(axes.get_xticks(), axes.get_xlim()) == [0.0]  # one trial, no -0.6 .. 0.6
    assert visible(axes.get_yticks(), axes.get_ylim()) == [14.0, 15.0, 16.0]


def test_free_play_counts_its_notes_in_words_and_units() -> None:
    from soundness_live.export.tables import metric_unit

    assert metric_unit("notes_played") == "count"
    assert (metric_unit("played_s"), metric_unit("first_note_ms")) == ("s", "ms")
    assert metric_unit("plays_out_of_turn") == "count"


def test_a_goal_with_no_trials_and_a_child_with_nothing_say_so() -> None:
    bundle = make_bundle()
    bundle["sessions"] = []
    for entry in bundle["progress"]:
        entry["sessions"] = []
    text = render_report(deidentify(bundle))
    assert "No session in this report has trials for this goal." in text
    assert "<caption>Per session</caption>" not in text  # no table of headers alone
    bundle["goals"], bundle["progress"] = [], []
    text = render_report(deidentify(bundle))
    assert "plotted below instead" not in text
    assert "No goals are set for this child yet: and no trials are stored" in text


def test_every_goal_of_a_report_on_part_of_the_history_says_how_it_is_judged() -> None:
    bundle = make_bundle()
    bundle["sessions"] = bundle["sessions"][-1:]
    for entry in bundle["progress"][1:]:  # only the first goal was worked before session 14
        entry["sessions"] = [row for row in entry["sessions"] if row["session_id"] == 14]
    text = render_report(deidentify(bundle))
    statuses = re.findall(r"<dt>Status</dt><dd>(.*?)</dd>", text)
    assert len(statuses) == len(GOALS)
    assert all("judged over every session of this child" in status for status in statuses)
