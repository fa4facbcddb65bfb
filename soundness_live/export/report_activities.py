"""The report's activity plots: each activity's headline measure per trial across sessions.

Every activity (and variant) the child played that no goal covers gets one plot, so a child
with no goals still gets plots: the activity's headline measure (its
:class:`~soundness_live.activities.contract.MetricSpec` with ``headline``) per trial,
the latest session in colour beside the earlier ones in grey, simulated trials as crosses.
Trials a therapist cut short (void with a reason: skipped, paused) are left out; free play,
void by design (never scored), is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soundness_live.export import report_plots
from soundness_live.export.report_goals import session_series, unplotted_note
from soundness_live.export.report_html import day, esc, figure, fmt
from soundness_live.export.tables import iter_trials, metric_unit
from soundness_live.goals import goal as goals
from soundness_live.goals import words as goal_words

Group = tuple[str, Any]  # (activity, variant)


def activity_groups(bundle: Mapping[str, Any]) -> dict[Group, list[tuple[Any, Any]]]:
    """(session, trial) pairs by (activity, variant), in the order first played; trials cut
    short are left out."""
    groups: dict[Group, list[tuple[Any, Any]]] = {}
    for session, trial in iter_trials(bundle):
        if trial.get("outcome") == "void" and trial.get("void_reason"):
            continue
        key = (str(trial.get("activity")), trial.get("variant"))
        groups.setdefault(key, []).append((session, trial))
    return groups


def _covered(bundle: Mapping[str, Any], pairs: list[tuple[Any, Any]]) -> bool:
    """True when one of the child's goals is about these trials (its section plots them)."""
    for data in bundle["goals"]:
        goal = goals.Goal(
            str(data.get("id")), "", "", str(data.get("activity")), "", variant=data.get("variant")
        )
        if any(goals.serves(goal, {**trial, "goals": []}) for _, trial in pairs):
            return True
    return False


def activities_section(bundle: Mapping[str, Any]) -> str:
    """The "Each activity" section, or "" when every activity played has a goal."""
    parts = []
    for (activity, variant), pairs in activity_groups(bundle).items():
        if _covered(bundle, pairs):
            continue
        metric = goal_words.headline_metric(activity, variant)
        if metric is None:
            continue
        parts.append(_headline(activity, variant, metric, pairs))
    if not parts:
        return ""
    intro = (
        "<p>The headline measure of each activity no goal covers, per trial: the latest "
        "session in colour beside the earlier ones in grey; a cross is a simulated trial.</p>"
    )
    return "<section><h2>Each activity</h2>" + intro + "\n".join(parts) + "</section>"


def _headline(activity: str, variant: Any, metric: str, pairs: list[tuple[Any, Any]]) -> str:
    """One activity's headline plot with its title and alt text."""
    title = f"{activity} ({variant})" if variant else activity
    unit = metric_unit(metric, activity)
    words = goal_words.metric_words(metric, activity)
    heading = f"<h3>{esc(title)}: {esc(words)}</h3>"
    values = [(t.get("metrics") or {}).get(metric) for _, t in pairs]
    if all(value is None for value in values):
        return heading + f"<p>No {esc(words)} was measured in these trials.</p>"
    series = session_series(pairs, metric, lambda trial: None)
    ylabel = f"{words} ({unit})"
    png = report_plots.measure_plot(series, ylabel, None, counts=unit == "count", judged=False)
    caption = _caption(series) + unplotted_note(series, words)
    return heading + figure(png, _alt(title, metric, unit, pairs), caption)


def _mean(values: list[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sum(numbers) / len(numbers) if numbers else None


def _alt(title: str, metric: str, unit: str, pairs: list[tuple[Any, Any]]) -> str:
    """What the plot shows, in numbers: trials, sessions, the latest session against earlier."""
    sessions = list(dict.fromkeys(s.get("id") for s, _ in pairs))
    latest = [t for s, t in pairs if s.get("id") == sessions[-1]]
    earlier = [t for s, t in pairs if s.get("id") != sessions[-1]]
    date = day(next(s for s, _ in pairs if s.get("id") == sessions[-1]).get("started_at"))

    def mean(trials: list[Any]) -> str:
        return fmt(_mean([(t.get("metrics") or {}).get(metric) for t in trials]), unit)

    text = (
        f"Line chart of {metric} ({unit}) per trial of {title}: {len(pairs)} trials in "
        f"{len(sessions)} session{'s' * (len(sessions) != 1)}. "
        f"Latest session ({sessions[-1]}, {date}): mean {mean(latest)}"
    )
    if earlier:
        text += f"; earlier sessions: mean {mean(earlier)}"
    fake = sum(t.get("simulated") is True for _, t in pairs)
    return text + (f"; {fake} trials simulated (crosses)." if fake else ".")


def _caption(series: list[report_plots.SessionSeries]) -> str:
    """The caption: which colour is which session."""
    if len(series) == 1:
        return "Each point is a trial of this session."
    return "Each point is a trial; the latest session in blue, earlier sessions in grey."
