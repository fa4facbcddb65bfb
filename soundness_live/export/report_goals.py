"""The report's goal sections: what a goal asks, a plot of its measure, where the child stands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from soundness_live import goals
from soundness_live.errors import ParameterError
from soundness_live.export import goal_words, report_plots
from soundness_live.export.report_html import day, esc, figure, fmt, table
from soundness_live.export.tables import iter_trials, metric_unit

Judge = Callable[[Mapping[str, Any], Mapping[str, Any]], "bool | None"]


def goal_rule_judge() -> Judge:
    """A judge using :func:`soundness_live.goals.trial_succeeds` on each bundle goal.

    A goal that no longer validates (say, from an older goal file) or a trial its rule cannot
    read gives None: the plot leaves that trial unmarked rather than guess.
    """
    parsed: dict[str, goals.Goal | None] = {}

    def judge(goal: Mapping[str, Any], trial: Mapping[str, Any]) -> bool | None:
        key = repr(sorted(goal.items()))
        if key not in parsed:
            try:
                parsed[key] = goals.goal_from_dict(goal, "export bundle")
            except ParameterError:
                parsed[key] = None
        known = parsed[key]
        if known is None:
            return None
        try:
            return goals.trial_succeeds(known, trial)
        except ParameterError:
            return None

    return judge


def goal_trials(bundle: Mapping[str, Any], goal: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """(session, trial) pairs scored for ``goal``, by the rule of ``goals.trial_counts``: same
    activity, not void, and the goal among the trial's goals when it lists any."""
    return [
        (session, trial)
        for session, trial in iter_trials(bundle)
        if trial.get("activity") == goal.get("activity")
        and trial.get("outcome") != "void"
        and (not trial.get("goals") or goal.get("id") in trial["goals"])
    ]


def mastery_status(goal: Mapping[str, Any], progress: Mapping[str, Any] | None) -> str:
    """Where the goal stands: mastered on a date, or how many met sessions of those needed."""
    needed = (goal.get("mastery") or {}).get("consecutive_sessions")
    if progress and progress.get("mastered_on"):
        return f"Mastered on {progress['mastered_on']}."
    run = 0
    for row in (progress or {}).get("sessions") or []:
        if row.get("status") == "interrupted":
            continue  # interrupted sessions neither count nor break the run
        run = run + 1 if row.get("met") else 0
    return f"Criterion met in {run} of {needed} sessions needed in a row."


def goals_section(bundle: Mapping[str, Any], judge: Judge) -> str:
    """The "Goals" section: one subsection per goal."""
    if not bundle["goals"]:
        return ""
    progress = {p.get("goal_id"): p for p in bundle["progress"]}
    parts = ["<section><h2>Goals</h2>"]
    for number, goal in enumerate(bundle["goals"]):
        parts.append(_goal(bundle, goal, progress.get(goal.get("id")), judge, number))
    parts.append("</section>")
    return "\n".join(parts)


def _goal(bundle: Any, goal: Mapping[str, Any], progress: Any, judge: Judge, number: int) -> str:
    """One goal: what it asks, a plot, the per-session table, where the child stands."""
    anchor = f"goal-{number}"
    facts = [
        ("Domain", goal.get("domain")),
        ("Activity", goal.get("activity")),
        ("Criterion", goal_words.criterion_words(goal)),
        ("Most help allowed", str(goal.get("max_prompt_level") or "independent").replace("_", " ")),
        ("Success rule", goal.get("success")),
        ("Status", mastery_status(goal, progress)),
    ]
    facts_html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    rows = [
        (r.get("session_id"), day(r.get("started_at")), r.get("status"), r.get("trials"),
         fmt(r.get("pct_successful"), "%"), fmt(r.get("pct_independent"), "%"), fmt(r.get("met")))
        for r in (progress or {}).get("sessions") or []
    ]  # fmt: skip
    headers = ("Session", "Date", "Status", "Trials", "% successful", "% independent", "Met")
    trend = ""
    if progress:
        baseline = fmt(progress.get("baseline_pct"), "%")
        trend = f"<p>Baseline {esc(baseline)}; trend: {esc(progress.get('trend') or '–')}.</p>"
    return (
        f'<section class="goal" aria-labelledby="{anchor}">'
        f'<h3 id="{anchor}">{esc(goal.get("text") or goal.get("id"))}</h3>'
        f"<dl>{facts_html}</dl>{_goal_plot(bundle, goal, progress, judge)}"
        f"{table('Per session', headers, rows)}{trend}</section>"
    )


def _goal_plot(bundle: Any, goal: Mapping[str, Any], progress: Any, judge: Judge) -> str:
    """The goal's measure per trial across sessions, or % successful per session without one."""
    measure = goal.get("measure")
    pairs = goal_trials(bundle, goal)
    if measure and any((t.get("metrics") or {}).get(measure) is not None for _, t in pairs):
        return _measure_figure(goal, pairs, judge)
    rows = (progress or {}).get("sessions") or []
    if not rows:
        return "<p>No trials for this goal yet.</p>"
    mastery = goal.get("mastery") or {}
    criterion_pct = 100.0 * mastery.get("successes", 0) / max(1, mastery.get("trials", 1))
    labels = [f"{r.get('session_id')} {day(r.get('started_at'))}" for r in rows]
    png = report_plots.percent_plot(labels, [r.get("pct_successful") for r in rows], criterion_pct)
    alt = (
        f"Bar chart: percent of trials successful in each of {len(rows)} sessions for the goal "
        f"'{goal.get('text')}', with the criterion of {criterion_pct:.0f} % as a dashed line. "
        + "; ".join(
            f"{label}: {fmt(r.get('pct_successful'), '%')}"
            for label, r in zip(labels, rows, strict=True)
        )
    )
    return figure(png, alt, "Trials successful per session; dashed line: the criterion.")


def _measure_figure(goal: Mapping[str, Any], pairs: list[tuple[Any, Any]], judge: Judge) -> str:
    """Plot of ``goal``'s measure, one coloured group per session, successes filled."""
    measure = str(goal["measure"])
    series: list[report_plots.SessionSeries] = []
    for session_id in dict.fromkeys(s.get("id") for s, _ in pairs):
        trials = [(s, t) for s, t in pairs if s.get("id") == session_id]
        session = trials[0][0]
        label = f"session {session_id}\n{day(session.get('started_at'))}"
        if session.get("status") == "interrupted":
            label += ", interrupted"
        values = [(t.get("metrics") or {}).get(measure) for _, t in trials]
        series.append(
            report_plots.SessionSeries(label, values, [judge(goal, t) for _, t in trials])
        )
    unit = metric_unit(measure)
    ylabel = f"{goal_words.metric_words(measure)} ({unit})"
    threshold = goal_words.measure_threshold(goal)
    png = report_plots.measure_plot(series, ylabel, threshold, counts=unit == "count")
    wins = sum(bool(w) for s in series for w in s.successes)
    count = sum(len(s.values) for s in series)
    line = f"; criterion {threshold[0]} {threshold[1]:g}" if threshold else ""
    alt = (
        f"Line chart of {measure} ({unit}) over {count} trials in {len(series)} sessions for the "
        f"goal '{goal.get('text')}'{line}; {wins} trials succeeded (filled markers)."
    )
    caption = "Each point is a trial; filled = success, hollow = not; dashed line: the criterion."
    return figure(png, alt, caption)
