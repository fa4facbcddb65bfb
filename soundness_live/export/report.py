"""The HTML report: one self-contained file a reviewer opens in any browser and can print.

Sections: a header (child code, date range, sessions with what played them and who ran them;
the name only when the export asked for names; a SIMULATED banner when the virtual child or a
file played any of them), one section per goal (text, domain, criterion in words, a plot of its
measure with the criterion line, the per-session table, where the child stands and why), the
headline measure of each activity no goal covers, timing with the beat (asynchrony per tap with
the timing window; the tempo curve when the music followed the child), every trial, and the
therapist's notes when the bundle carries them. The header, the tables and the plots cover the
same sessions: the bundle's. Numbers are rounded to what they carry (0.1 ms, 0.1 %). Plots are
embedded PNGs with alt text; a Content-Security-Policy forbids scripts and every network fetch;
nothing moves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from soundness_live import __version__
from soundness_live.activities.registry import find_activity
from soundness_live.audio.private_file import write_private_text
from soundness_live.core.provenance import session_simulated, session_words
from soundness_live.export import report_plots
from soundness_live.export.report_activities import activities_section
from soundness_live.export.report_goals import Judge, goal_rule_judge, goals_section
from soundness_live.export.report_html import day, esc, figure, fmt, table
from soundness_live.export.tables import check_bundle, iter_trials, metric_unit, refuse_non_finite
from soundness_live.goals import words as goal_words


def write_report(
    bundle: Mapping[str, Any], out_path: str | os.PathLike[str], trial_succeeds: Judge | None = None
) -> Path:
    """Write the HTML report of ``bundle`` to ``out_path`` (owner-only, atomically).

    ``trial_succeeds(goal, trial) -> bool | None`` marks successes on the goal plots; by default
    the goal's own success rule decides (:func:`soundness_live.goals.goal.trial_succeeds`).
    """
    return write_private_text(out_path, render_report(bundle, trial_succeeds), make_folder=True)


def render_report(bundle: Mapping[str, Any], trial_succeeds: Judge | None = None) -> str:
    """The report's HTML text."""
    check_bundle(bundle)
    refuse_non_finite(bundle, "HTML report")
    judge = trial_succeeds or goal_rule_judge()
    body = [
        _header(bundle),
        goals_section(bundle, judge),
        activities_section(bundle),
        _timing(bundle),
        _all_trials(bundle),
        _notes(bundle),
    ]
    template = resources.files("soundness_live").joinpath("data/report.html")
    return Template(template.read_text(encoding="utf-8")).substitute(
        title=esc(f"Soundness Live report: {bundle['child']['code']}"),
        body="\n".join(part for part in body if part),
        engine_version=esc(__version__),
    )


def _header(bundle: Mapping[str, Any]) -> str:
    """Title, who (code; name only when asked for), date range, sessions table, privacy line."""
    child, sessions = bundle["child"], bundle["sessions"]
    privacy = bundle.get("privacy") or {}
    dates = sorted(day(s.get("started_at")) for s in sessions)
    span = f"from {dates[0]} to {dates[-1]}" if dates else "no sessions yet"
    numbers = ", ".join(str(s.get("id")) for s in sessions)
    covered = f" (session{'s' * (len(sessions) != 1)} {numbers})" if sessions else ""
    lines = [
        f"<header><h1>Session report: {esc(child['code'])}</h1>",
        f"<p>{len(sessions)} session{'s' * (len(sessions) != 1)}{esc(covered)}, {esc(span)}. "
        "Everything below covers these sessions.</p>",
        _banner(bundle),
    ]
    if privacy.get("names_included") and child.get("display_name"):
        born = f"; born {child['date_of_birth']}" if child.get("date_of_birth") else ""
        lines.append(f"<p>Name: {esc(child['display_name'])}{esc(born)}</p>")
    else:
        lines.append(
            '<p class="privacy">This report identifies the child by code only: no name or '
            "date of birth.</p>"
        )
    lines.append("</header>")
    rows = [
        (s.get("id"), day(s.get("started_at")), s.get("status"),
         session_words(s.get("input"), s.get("trials") or []), len(s.get("trials") or []),
         s.get("therapist") or "–", s.get("laptop") or "–")
        for s in sessions
    ]  # fmt: skip
    headers = ("Session", "Date", "Status", "Played by", "Trials", "Therapist", "Laptop")
    lines.append(table("Sessions", headers, rows))
    return "\n".join(lines)


def _banner(bundle: Mapping[str, Any]) -> str:
    """The SIMULATED banner: which sessions (or trials) the virtual child or a file played."""
    sessions = bundle["sessions"]
    marked = [s for s in sessions if session_simulated(s.get("input"), s.get("trials") or [])]
    if not marked:
        return ""
    code = bundle["child"]["code"]
    played = f"played by the virtual child or a recorded file, not by {code}"
    if len(marked) == len(sessions) and all(
        t.get("simulated") is True for s in marked for t in s.get("trials") or []
    ):
        what = f"Every session in this report was {played}."
    else:
        what = f"Part of this report was {played}: {'; '.join(map(_marked, marked))}."
    return (
        f'<p class="simulated" role="note"><strong>SIMULATED.</strong> {esc(what)} Those '
        "trials are scored below to show how the rules score them, marked SIMULATED (crosses "
        "in the plots), and never count toward a goal: no goal is met, mastered or given a "
        "baseline from them.</p>"
    )


def _marked(session: Mapping[str, Any]) -> str:
    """Which of a session's trials were simulated: "session 3" (all), "2 of the 11 trials of
    session 3"."""
    trials = session.get("trials") or []
    fake = sum(t.get("simulated") is True for t in trials)
    if fake == len(trials):
        return f"session {session.get('id')}"
    return f"{fake} of the {len(trials)} trials of session {session.get('id')}"


def _timing(bundle: Mapping[str, Any]) -> str:
    """Asynchrony per tap and tempo curves for each session with trials of an activity whose
    metrics feed them (:attr:`~soundness_live.activities.contract.MetricSpec.plot`)."""
    parts = []
    for session in bundle["sessions"]:
        trials = [t for t in session.get("trials") or [] if _plotted(t)]
        taps = _lists_by_trial(trials, "asynchrony")
        curves = _lists_by_trial(trials, "tempo_curve")
        if not taps and not curves:
            continue
        title = f"Session {session.get('id')}, {day(session.get('started_at'))}"
        if any(t.get("simulated") is True for t in trials):
            title += f", {session_words(session.get('input'), trials)}"
        parts.append(f"<h3>{esc(title)}</h3>")
        if taps:
            window = next((_window_ms(t) for t in trials if _window_ms(t) is not None), None)
            parts.append(_asynchrony_figure(taps, window))
        if curves:
            alt = (
                f"Tempo of the music per beat in {len(curves)} trials where it followed the child: "
            )
            alt += "; ".join(f"{k} from {c[0]:g} to {c[-1]:g} BPM" for k, c in curves.items())
            png = report_plots.tempo_curve_plot(list(curves.values()), list(curves))
            parts.append(figure(png, alt, "Tempo of the music per beat (BPM)."))
    if not parts:
        return ""
    return "<section><h2>Timing with the beat</h2>\n" + "\n".join(parts) + "</section>"


def _plotted(trial: Mapping[str, Any]) -> dict[str, str]:
    """{plot: metric name} of the metrics of the trial's activity that feed a timing plot."""
    found = find_activity(trial.get("activity"))
    return {m.plot: m.name for m in found.metrics if m.plot} if found is not None else {}


def _lists_by_trial(trials: list[Mapping[str, Any]], plot: str) -> dict[str, list[float]]:
    """{"trial 8": values} for each trial with a non-empty list metric feeding ``plot``."""
    lists = {}
    for trial in trials:
        name = _plotted(trial).get(plot)
        values = (trial.get("metrics") or {}).get(name) if name else None
        if values:
            lists[f"trial {trial.get('index')}"] = list(values)
    return lists


def _window_ms(trial: Mapping[str, Any]) -> float | None:
    """The trial's timing window (ms) from its parameters, when it has one."""
    value = (trial.get("params") or {}).get("timing_window_ms")
    return float(value) if isinstance(value, (int, float)) else None


def _asynchrony_figure(taps: dict[str, list[float]], window_ms: float | None) -> str:
    """The asynchrony plot with alt text giving count, mean and share within the window."""
    flat = [a for values in taps.values() for a in values]
    mean = sum(flat) / len(flat)
    band = ""
    if window_ms is not None:
        inside = sum(abs(a) <= window_ms for a in flat)
        band = f"; {inside} of {len(flat)} within ±{window_ms:g} ms"
    alt = (
        f"Asynchrony of {len(flat)} matched taps in {len(taps)} trials, tap minus beat in ms; "
        f"mean {mean:.0f} ms ({'early' if mean < 0 else 'late'}){band}."
    )
    caption = "Tap minus beat as heard, per matched tap; below zero = early; shaded: the window."
    png = report_plots.asynchrony_plot(list(taps.values()), window_ms, list(taps))
    return figure(png, alt, caption)


def _key_metrics(activity: Any, metrics: Mapping[str, Any]) -> tuple[str, ...]:
    """The metrics a trial's row shows: its activity's live ones (the first three it has when
    the activity is not installed)."""
    found = find_activity(activity)
    if found is None:
        return tuple(metrics)[:3]
    return tuple(metric.name for metric in found.live_metrics())


def _all_trials(bundle: Mapping[str, Any]) -> str:
    """Every trial: session, index, activity, outcome, prompt level, key metrics."""
    rows = []
    for session, trial in iter_trials(bundle):
        metrics = trial.get("metrics") or {}
        activity = trial.get("activity")
        key = "; ".join(
            f"{goal_words.metric_words(name, activity)} "
            f"{fmt(metrics[name], metric_unit(name, activity))}"
            for name in _key_metrics(activity, metrics)
            if metrics.get(name) is not None
        )
        played = trial.get("input") or "–"
        played = f"SIMULATED ({played})" if trial.get("simulated") is True else played
        rows.append(
            (session.get("id"), trial.get("index"), trial.get("activity"), trial.get("variant"),
             played, trial.get("outcome"), _prompt_level_words(trial), key)
        )  # fmt: skip
    headers = ("Session", "Trial", "Activity", "Variant", "Played by", "Outcome", "Prompt level",
               "Key metrics")  # fmt: skip
    return f"<section><h2>All trials</h2>{table('All trials', headers, rows)}</section>"


def _prompt_level_words(trial: Mapping[str, Any]) -> str:
    """The help given, and where the therapist marked it after the trial ended, what was stored
    before and when: ``verbal (marked 2026-11-20 10:04; stored as independent)``."""
    level = str(trial.get("prompt_level") or "").replace("_", " ")
    marked_at = trial.get("prompt_level_marked_at")
    if not marked_at:
        return level
    stored = str(trial.get("prompt_level_recorded") or "none").replace("_", " ")
    when = str(marked_at)[:16].replace("T", " ")
    return f"{level} (marked {when}; stored as {stored})"


def _notes(bundle: Mapping[str, Any]) -> str:
    """The therapist's notes, only when the bundle carries them."""
    parts = []
    for session in bundle["sessions"]:
        for note in session.get("notes") or []:
            when = f"Session {session.get('id')}, {str(note.get('created_at') or '')[:16]}"
            parts.append(f'<h3>{esc(when)}</h3><p class="note">{esc(note.get("text", ""))}</p>')
    if not parts:
        return ""
    return "<section><h2>Therapist's notes</h2>\n" + "\n".join(parts) + "</section>"
