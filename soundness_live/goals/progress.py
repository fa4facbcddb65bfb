"""Progress towards a goal across sessions: per-session counts, baseline, trend and mastery.

Sessions are dicts shaped like the export bundle's sessions (``id``, ``started_at``,
``status``, ``trials``). Rules (METRICS.md §5):

- A trial is scored for a goal when it is of the goal's activity and variant, not void and not
  simulated, whichever goals it lists: :func:`soundness_live.goals.goal.trial_counts`.
- A session *meets* the criterion when at least ``mastery.successes`` of its last
  ``mastery.trials`` scored trials succeed. A session with fewer scored trials than
  ``mastery.trials`` is judged on those it has (it still needs ``successes`` of them).
- Simulated trials (the virtual child or a file played them) never count. A session whose
  trials for the goal are all simulated still gets an entry, scored the same way so a reviewer
  sees what the rule made of them, but marked ``simulated`` with ``met`` null: it neither
  counts nor breaks a run, and is left out of baseline and trend. In a session mixing live and
  simulated trials the entry scores the live ones; ``simulated_trials`` says how many were left
  out.
- The goal is *mastered* on the date of the session that completes a run of
  ``consecutive_sessions`` completed sessions that met it. Interrupted (or still running)
  sessions, and completed sessions with no scored trial for the goal (the goal was not worked
  on), neither count nor break the run. The first mastery date is kept.
- Baseline: mean % successful over the first (up to) 3 completed sessions with scored trials.
- Trend: the mean % successful of the last (up to) 3 completed sessions after the baseline
  ones (``recent_pct``), minus the baseline: >= +10 percentage points "improving", <= -10
  "declining", else "steady"; null without a baseline or without any session after it
  (``counted_sessions`` says how many there are, so a reader can say why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from soundness_live.goals.goal import Goal, meets_rule, serves, trial_counts

__all__ = ["BASELINE_SESSIONS", "TREND_POINTS", "session_progress", "goal_progress"]

BASELINE_SESSIONS = 3
TREND_POINTS = 10.0  # percentage points of % successful that make a change a trend


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def session_progress(goal: Goal, session: Mapping[str, Any]) -> dict[str, Any]:
    """One session's entry for ``goal``: trials, successes, pct_successful, pct_independent,
    judged_trials and judged_successes (the last ``mastery.trials`` scored trials, on which
    ``met`` is judged), met, simulated, simulated_trials (percentages are null when the session
    has no scored trial for the goal; ``met`` is null for a simulated entry: never judged)."""
    trials = sorted(session.get("trials") or (), key=lambda t: t.get("index", 0))
    scored = [trial for trial in trials if trial_counts(goal, trial)]
    played = [t for t in trials if serves(goal, t) and t.get("outcome") != "void"]
    left_out = [t for t in played if t.get("simulated") is True]
    simulated = not scored and bool(left_out)
    if simulated:
        scored = left_out  # shown, so the reviewer sees how the rule scored them; never counted
    successes = [meets_rule(goal, trial) for trial in scored]
    independent = sum(1 for trial in scored if trial.get("prompt_level") == "independent")
    last = successes[-goal.mastery.trials :]
    return {
        "session_id": session.get("id"),
        "started_at": session.get("started_at"),
        "status": session.get("status"),
        "trials": len(scored),
        "successes": sum(successes),
        "pct_successful": _pct(sum(successes), len(scored)),
        "pct_independent": _pct(independent, len(scored)),
        "judged_trials": len(last),
        "judged_successes": sum(last),
        "met": None if simulated else bool(scored) and sum(last) >= goal.mastery.successes,
        "simulated": simulated,
        "simulated_trials": len(left_out),
    }


def _start_key(session: Mapping[str, Any]) -> tuple[float, int]:
    started = session.get("started_at")
    try:
        stamp = datetime.fromisoformat(started).timestamp() if started else 0.0
    except (TypeError, ValueError):
        stamp = 0.0
    return stamp, int(session.get("id") or 0)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _trend(baseline: float | None, recent: Sequence[float]) -> str | None:
    mean = _mean(recent)
    if baseline is None or mean is None:
        return None
    if mean - baseline >= TREND_POINTS:
        return "improving"
    if mean - baseline <= -TREND_POINTS:
        return "declining"
    return "steady"


def _mastery(goal: Goal, counted: Sequence[dict[str, Any]]) -> tuple[str | None, int]:
    """(date mastered or None, length of the current run of met sessions)."""
    run, mastered_on = 0, None
    for entry in counted:
        run = run + 1 if entry["met"] else 0
        if mastered_on is None and run >= goal.mastery.consecutive_sessions:
            mastered_on = str(entry["started_at"] or "")[:10] or None
    return mastered_on, run


def goal_progress(goal: Goal, sessions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The export bundle's ``progress`` entry for ``goal`` over a child's ``sessions`` (any
    order; sorted by start time): goal_id, sessions (those with scored or simulated trials for
    the goal), counted_sessions (completed, not simulated), baseline_pct, recent_pct, trend,
    mastered_on, and met_in_a_row (the current run of met sessions, for "met in 1 of 3
    sessions needed")."""
    entries = [session_progress(goal, s) for s in sorted(sessions, key=_start_key)]
    entries = [entry for entry in entries if entry["trials"] > 0]
    counted = [e for e in entries if e["status"] == "complete" and not e["simulated"]]
    pcts = [entry["pct_successful"] for entry in counted]
    baseline = _mean(pcts[:BASELINE_SESSIONS])
    recent = pcts[BASELINE_SESSIONS:][-BASELINE_SESSIONS:]
    mastered_on, run = _mastery(goal, counted)
    return {
        "goal_id": goal.id,
        "sessions": entries,
        "counted_sessions": len(counted),
        "baseline_pct": baseline,
        "recent_pct": _mean(recent),
        "trend": _trend(baseline, recent),
        "mastered_on": mastered_on,
        "met_in_a_row": run,
    }
