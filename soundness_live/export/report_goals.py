"""The report's goal sections: what a goal asks, a plot of its measure, where the child stands.

A goal's plot and table cover the sessions the report covers (the bundle's); where the child
stands (mastery, baseline, trend) is judged over all of the child's sessions (the bundle's
``progress``), and says so when those are more. Simulated trials are shown, marked, and never
counted; a criterion not met says why; a trend not computed says why not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from soundness_live.errors import ParameterError
from soundness_live.export import report_plots
from soundness_live.export.report_html import day, esc, figure, fmt, table
from soundness_live.export.tables import iter_trials, metric_unit
from soundness_live.goals import goal as goals
from soundness_live.goals import words as goal_words
from soundness_live.goals.progress import BASELINE_SESSIONS, TREND_POINTS

Judge = Callable[[Mapping[str, Any], Mapping[str, Any]], "bool | None"]


def _as_goal(goal: Mapping[str, Any]) -> goals.Goal | None:
    """The bundle goal as a :class:`~soundness_live.goals.goal.Goal`, None when it no longer
    validates (say, from an older goal file)."""
    try:
        return goals.goal_from_dict(goal, "export bundle")
    except ParameterError:
        return None


def goal_rule_judge() -> Judge:
    """A judge using :func:`soundness_live.goals.goal.meets_rule` on each bundle goal: whether the
    trial meets the goal's rule (a simulated trial is judged too, and drawn as simulated).

    A goal that no longer validates or a trial its rule cannot read gives None: the plot leaves
    that trial unmarked rather than guess.
    """
    parsed: dict[str, goals.Goal | None] = {}

    def judge(goal: Mapping[str, Any], trial: Mapping[str, Any]) -> bool | None:
        key = repr(sorted(goal.items()))
        if key not in parsed:
            parsed[key] = _as_goal(goal)
        known = parsed[key]
        if known is None:
            return None
        if trial.get("outcome") == "void":
            return False  # a void trial cannot succeed
        try:
            return goals.meets_rule(known, trial)
        except ParameterError:
            return None

    return judge


def goal_trials(bundle: Mapping[str, Any], goal: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """(session, trial) pairs of the report's sessions that were played for ``goal`` (its
    activity and variant, :func:`soundness_live.goals.goal.serves`) and are not void; simulated
    ones are among them, to be shown as such."""
    known = _as_goal(goal) or goals.Goal(
        str(goal.get("id")), "", "", str(goal.get("activity")), "", variant=goal.get("variant")
    )
    return [
        (session, trial)
        for session, trial in iter_trials(bundle)
        if goals.serves(known, trial) and trial.get("outcome") != "void"
    ]


def shown_rows(bundle: Mapping[str, Any], progress: Mapping[str, Any] | None) -> list[Any]:
    """The goal's per-session progress rows of the sessions this report covers."""
    covered = {session.get("id") for session in bundle["sessions"]}
    rows = (progress or {}).get("sessions") or []
    return [row for row in rows if row.get("session_id") in covered]


def _counts(row: Mapping[str, Any]) -> bool:
    """A row that counts toward mastery: a completed session scored on live trials."""
    return row.get("status") == "complete" and not row.get("simulated")


def met_words(row: Mapping[str, Any], goal: Mapping[str, Any]) -> str:
    """The "Met" cell: yes, or no and why; simulated and unfinished sessions are not judged."""
    if row.get("simulated"):
        return "not judged: SIMULATED"
    if row.get("status") != "complete":
        return f"not judged: {row.get('status')}"
    return "yes" if row.get("met") else f"no: {_shortfall(row, goal)}"


def _shortfall(row: Mapping[str, Any], goal: Mapping[str, Any]) -> str:
    """Why a session did not meet the criterion: "2 of the last 5 trials succeeded, 4 needed"."""
    judged = row.get("judged_trials", row.get("trials"))
    wins = row.get("judged_successes", row.get("successes"))
    mastery = goal.get("mastery") or {}
    needed = mastery.get("successes")
    if isinstance(judged, int) and judged < (mastery.get("trials") or 0):
        return f"only {judged} trial{'s' * (judged != 1)}, {wins} succeeded, {needed} needed"
    return f"{wins} of the last {judged} trials succeeded, {needed} needed"


def mastery_status(
    goal: Mapping[str, Any], progress: Mapping[str, Any] | None, history: bool = False
) -> str:
    """Where the goal stands: mastered on a date, or how many met sessions of those needed
    and, when the latest counted session did not meet it, why. ``history``: the report covers
    fewer sessions than the child has, and the status is judged over all of them."""
    needed = (goal.get("mastery") or {}).get("consecutive_sessions")
    over = (
        " (judged over every session of this child, not only those in this report)"
        if history
        else ""
    )
    if progress and progress.get("mastered_on"):
        return f"Mastered on {progress['mastered_on']}{over}."
    rows = [row for row in (progress or {}).get("sessions") or [] if _counts(row)]
    if not rows:
        simulated = any(row.get("simulated") for row in (progress or {}).get("sessions") or [])
        why = "; simulated sessions never count" if simulated else ""
        return f"Not met yet{over}: no completed live session has trials for this goal{why}."
    run = (progress or {}).get("met_in_a_row")
    if run is None:  # an older bundle: count the run from the rows
        run = 0
        for row in rows:
            run = run + 1 if row.get("met") else 0
    status = f"Criterion met in {run} of {needed} sessions needed in a row{over}."
    latest = rows[-1]
    if not latest.get("met"):
        status += (
            f" The latest counted session ({latest.get('session_id')}, "
            f"{day(latest.get('started_at'))}) did not meet it: {_shortfall(latest, goal)}."
        )
    return status


def trend_words(progress: Mapping[str, Any] | None) -> str:
    """Baseline and trend in words, or why they are not computed yet."""
    progress = progress or {}
    counted = progress.get("counted_sessions")
    if progress.get("baseline_pct") is None:
        return (
            "Baseline and trend: not computed yet, as no completed live session has trials "
            "for this goal (simulated sessions never count)."
        )
    line = (
        f"Baseline (the first {min(counted or BASELINE_SESSIONS, BASELINE_SESSIONS)} counted "
        f"sessions): {fmt(progress['baseline_pct'], '%')} of trials successful. "
    )
    if progress.get("trend") is None:
        so_far = f"; {counted} counted so far" if counted is not None else ""
        return line + (
            f"Trend: not computed yet: it compares the sessions after the first "
            f"{BASELINE_SESSIONS} with them{so_far}."
        )
    recent = progress.get("recent_pct")
    change = ""
    if recent is not None:
        points = recent - progress["baseline_pct"]
        change = (
            f": the latest sessions after the baseline average {fmt(recent, '%')}, "
            f"{points:+.1f} points (±{TREND_POINTS:g} points or more is a trend)"
        )
    return line + f"Trend: {progress['trend']}{change}."


def why_not(goal: Mapping[str, Any], pairs: list[tuple[Any, Any]], judge: Judge) -> str:
    """Which parts of the rule the counted trials that did not succeed fell short of, most
    often first: "“waits for the turn” (3), “gets at least 75 % of the notes” (1)". A trial
    where the child did not answer fell short of no part: :func:`unanswered` counts it."""
    tally: dict[str, int] = {}
    for _, trial in _counted(pairs):
        if judge(goal, trial) is False and trial.get("outcome") != "no_response":
            for part in goal_words.unmet_parts(goal, trial):
                tally[part] = tally.get(part, 0) + 1
    ranked = sorted(tally.items(), key=lambda item: -item[1])
    return ", ".join(f"“{part}” ({count})" for part, count in ranked)


def unanswered(pairs: list[tuple[Any, Any]]) -> int:
    """How many counted trials the child did not answer (outcome no_response)."""
    return sum(trial.get("outcome") == "no_response" for _, trial in _counted(pairs))


def _counted(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The (session, trial) pairs that count: live trials of complete sessions."""
    return [
        (session, trial)
        for session, trial in pairs
        if trial.get("simulated") is not True and session.get("status") == "complete"
    ]


def goals_section(bundle: Mapping[str, Any], judge: Judge) -> str:
    """The "Goals" section: one subsection per goal."""
    if not bundle["goals"]:
        instead = (
            "each activity's headline measure is plotted below instead"
            if any(session.get("trials") for session in bundle["sessions"])
            else "and no trials are stored, so there is nothing to plot"
        )
        text = f"No goals are set for this child yet: {instead}."
        return f"<section><h2>Goals</h2><p>{text}</p></section>"
    progress = {p.get("goal_id"): p for p in bundle["progress"]}
    # one answer for the whole report: does it leave out sessions its goals are judged over?
    history = any(
        len(shown_rows(bundle, entry)) < len(entry.get("sessions") or [])
        for entry in bundle["progress"]
    )
    parts = ["<section><h2>Goals</h2>"]
    for number, goal in enumerate(bundle["goals"]):
        entry = progress.get(goal.get("id"))
        parts.append(_goal(bundle, goal, entry, judge, number, history))
    parts.append("</section>")
    return "\n".join(parts)


def _goal(
    bundle: Any, goal: Mapping[str, Any], progress: Any, judge: Judge, number: int, history: Any
) -> str:
    """One goal: what it asks, a plot, the per-session table, where the child stands."""
    anchor = f"goal-{number}"
    variant = goal.get("variant") or "every variant"
    pairs = goal_trials(bundle, goal)
    facts = [
        ("Domain", goal.get("domain")),
        ("Activity", f"{goal.get('activity')} ({variant})"),
        ("Criterion", goal_words.criterion_words(goal)),
        ("Most help allowed", goal_words.help_words(goal.get("max_prompt_level"))),
        ("Status", mastery_status(goal, progress, history)),
    ]
    missed = why_not(goal, pairs, judge)
    if missed:
        facts.append(("Trials that did not succeed fell short of", missed))
    silent = unanswered(pairs)
    if silent:
        facts.append(("Trials the child did not answer", str(silent)))
    facts_html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    rows = shown_rows(bundle, progress)
    cells = [
        (r.get("session_id"), day(r.get("started_at")), r.get("status"), _trials_cell(r),
         fmt(r.get("pct_successful"), "%"), fmt(r.get("pct_independent"), "%"),
         met_words(r, goal))
        for r in rows
    ]  # fmt: skip
    headers = ("Session", "Date", "Status", "Trials", "% successful", "% independent", "Met")
    if any(r.get("simulated_trials") for r in rows):
        headers = (*headers[:3], "Trials (simulated ones never count)", *headers[4:])
    per_session = (
        table("Per session", headers, cells)
        if cells
        else "<p>No session in this report has trials for this goal.</p>"
    )
    return (
        f'<section class="goal" aria-labelledby="{anchor}">'
        f'<h3 id="{anchor}">{esc(goal.get("text") or goal.get("id"))}</h3>'
        f"<dl>{facts_html}</dl>{_goal_plot(goal, pairs, rows, judge)}"
        f"{per_session}<p>{esc(trend_words(progress))}</p></section>"
    )


def _trials_cell(row: Mapping[str, Any]) -> Any:
    """The trials a row scores, and the simulated ones a mixed session left out."""
    left_out = row.get("simulated_trials") or 0
    if row.get("simulated") or not left_out:
        return row.get("trials")
    return f"{row.get('trials')} (+{left_out} simulated)"


def _goal_plot(
    goal: Mapping[str, Any], pairs: list[tuple[Any, Any]], rows: list[Any], judge: Judge
) -> str:
    """The goal's measure per trial across sessions, or % successful per session without one."""
    measure = goal.get("measure")
    if measure and any((t.get("metrics") or {}).get(measure) is not None for _, t in pairs):
        return measure_figure(goal, pairs, judge)
    if not rows:
        return "<p>No trials for this goal in the sessions of this report.</p>"
    mastery = goal.get("mastery") or {}
    criterion_pct = 100.0 * mastery.get("successes", 0) / max(1, mastery.get("trials", 1))
    labels = [
        f"{r.get('session_id')} {day(r.get('started_at'))}"
        + ("\nSIMULATED" if r.get("simulated") else "")
        for r in rows
    ]
    png = report_plots.percent_plot(labels, [r.get("pct_successful") for r in rows], criterion_pct)
    alt = (
        f"Bar chart: percent of trials successful in each of {len(rows)} sessions for the goal "
        f"'{goal.get('text')}', with the criterion of {criterion_pct:.0f} % as a dashed line. "
        + "; ".join(
            f"{label.replace(chr(10), ' ')}: {fmt(r.get('pct_successful'), '%')}"
            for label, r in zip(labels, rows, strict=True)
        )
    )
    return figure(png, alt, "Trials successful per session; dashed line: the criterion.")


def session_series(
    pairs: list[tuple[Any, Any]], metric: str, judge: Callable[[Any], bool | None]
) -> list[report_plots.SessionSeries]:
    """One plotted series per session: ``metric`` per trial, judged, simulated ones marked."""
    series = []
    for session_id in dict.fromkeys(s.get("id") for s, _ in pairs):
        trials = [(s, t) for s, t in pairs if s.get("id") == session_id]
        session = trials[0][0]
        label = f"session {session_id}\n{day(session.get('started_at'))}"
        if session.get("status") == "interrupted":
            label += ", interrupted"
        fake = [t.get("simulated") is True for _, t in trials]
        if any(fake):
            label += "\nSIMULATED" if all(fake) else "\npart SIMULATED"
        series.append(
            report_plots.SessionSeries(
                label,
                [(t.get("metrics") or {}).get(metric) for _, t in trials],
                [judge(t) for _, t in trials],
                [t.get("simulated") is True for _, t in trials],
            )
        )
    return series


def measure_figure(goal: Mapping[str, Any], pairs: list[tuple[Any, Any]], judge: Judge) -> str:
    """Plot of ``goal``'s measure, one coloured group per session, successes filled."""
    measure = str(goal["measure"])
    series = session_series(pairs, measure, lambda trial: judge(goal, trial))
    unit = metric_unit(measure, goal.get("activity"))
    ylabel = f"{goal_words.metric_words(measure, goal.get('activity'))} ({unit})"
    threshold = goal_words.measure_threshold(goal)
    png = report_plots.measure_plot(series, ylabel, threshold, counts=unit == "count")
    wins = sum(bool(w) for s in series for w in s.successes)
    count = sum(len(s.values) for s in series)
    fake = sum(sum(s.simulated) for s in series)
    line = f"; criterion {threshold[0]} {threshold[1]:g}" if threshold else ""
    simulated = f"; {fake} of them simulated (crosses), never counted" if fake else ""
    alt = (
        f"Line chart of {measure} ({unit}) over {count} trials in {len(series)} "
        f"session{'s' * (len(series) != 1)} for the "
        f"goal '{goal.get('text')}'{line}; {wins} trials met the rule (filled markers)"
        f"{simulated}."
    )
    caption = "Each point is a trial; filled = success, hollow = not; dashed line: the criterion."
    if fake:
        caption += " A cross is a simulated trial (filled when it met the rule): it never counts."
    return figure(png, alt, caption + unplotted_note(series, goal_words.metric_words(measure)))


def unplotted_note(series: list[report_plots.SessionSeries], words: str) -> str:
    """What a plot leaves out: the trials with no value of its measure (the child did not
    answer, or there was nothing to measure), said rather than left as a silent gap."""
    missing = sum(value is None for session in series for value in session.values)
    if not missing:
        return ""
    trials, verb = ("1 trial has", "is") if missing == 1 else (f"{missing} trials have", "are")
    return f" {trials} no {words} (no answer, or nothing to measure) and {verb} not drawn."
