"""The session summary the therapist reads on the screen at the end: per goal, today against
the child's earlier sessions, in words and as points of a small plot (the screen draws it).

Read from the export bundle (its ``progress`` covers every session of the child, as the report
judges goals), so the summary and the report say the same: simulated trials are shown as such
and never counted, a goal not worked on today says so, and where the child stands is the
report's own sentence (:func:`~soundness_live.export.report_goals.mastery_status`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from soundness_live.core.provenance import session_words
from soundness_live.errors import StoreError
from soundness_live.export.report_goals import mastery_status
from soundness_live.export.report_html import day
from soundness_live.goals.words import criterion_words

__all__ = ["PLOT_SESSIONS", "session_summary", "today_words", "before_words"]

PLOT_SESSIONS = 8  # the plot shows today and up to 7 sessions before it


def session_summary(bundle: Mapping[str, Any], session_id: int) -> dict[str, Any]:
    """The summary of session ``session_id`` of the bundle's child."""
    session = next((s for s in bundle["sessions"] if s.get("id") == session_id), None)
    if session is None:
        code = bundle["child"]["code"]
        raise StoreError(f"child {code!r} has no session with id {session_id!r}")
    trials = session.get("trials") or []
    progress = {p.get("goal_id"): p for p in bundle["progress"]}
    return {
        "child": bundle["child"]["code"],
        "session_id": session_id,
        "day": day(session.get("started_at")),
        "status": session.get("status"),
        "played": session_words(session.get("input"), trials),
        "trials": len(trials),
        "notes": len(session.get("notes") or []),
        "activities": _activities(trials),
        "goals": [
            _goal(goal, progress.get(goal.get("id")) or {}, session_id) for goal in bundle["goals"]
        ],
    }


def _activities(trials: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each activity played, in order, with its trials counted by outcome."""
    found: dict[str, dict[str, int]] = {}
    for trial in trials:
        outcomes = found.setdefault(str(trial.get("activity")), {})
        outcome = str(trial.get("outcome"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return [
        {"activity": name, "trials": sum(counts.values()), "outcomes": counts}
        for name, counts in found.items()
    ]


def _goal(goal: Mapping[str, Any], progress: Mapping[str, Any], session_id: int) -> dict[str, Any]:
    rows = list(progress.get("sessions") or [])
    index = next((i for i, r in enumerate(rows) if r.get("session_id") == session_id), None)
    today = rows[index] if index is not None else None
    earlier = rows[:index] if index is not None else _before(rows, session_id)
    shown = ([*earlier, today] if today else earlier)[-PLOT_SESSIONS:]
    return {
        "id": goal.get("id"),
        "text": goal.get("text"),
        "criterion": criterion_words(goal),
        "today": today_words(today),
        "before": before_words(earlier),
        "status": mastery_status(goal, progress),
        "points": [
            {
                "session_id": r.get("session_id"),
                "day": day(r.get("started_at")),
                "pct": r.get("pct_successful"),
                "simulated": bool(r.get("simulated")),
                "today": r is today,
            }
            for r in shown
        ],  # fmt: skip
        "criterion_pct": _criterion_pct(goal),
    }


def _before(rows: list[Mapping[str, Any]], session_id: int) -> list[Mapping[str, Any]]:
    """The rows of sessions before ``session_id`` (today had no trials for the goal)."""
    return [r for r in rows if int(r.get("session_id") or 0) < session_id]


def _criterion_pct(goal: Mapping[str, Any]) -> float:
    mastery = goal.get("mastery") or {}
    return 100.0 * float(mastery.get("successes", 0)) / max(1, int(mastery.get("trials", 1)))


def today_words(row: Mapping[str, Any] | None) -> str:
    """Today's trials for a goal in one line."""
    if row is None:
        return "today: no trials for this goal"
    trials, wins = int(row.get("trials") or 0), int(row.get("successes") or 0)
    counted = f"{wins} of {trials} trial{'s' * (trials != 1)} succeeded"
    if row.get("simulated"):
        return f"today: {counted}, all SIMULATED (never counted)"
    left_out = int(row.get("simulated_trials") or 0)
    extra = f"; {left_out} simulated left out" if left_out else ""
    return f"today: {counted} ({_pct(row.get('pct_successful'))}){extra}"


def before_words(rows: Sequence[Mapping[str, Any]]) -> str:
    """The earlier sessions for a goal in one line: their mean and the last one."""
    counted = [r for r in rows if not r.get("simulated") and r.get("pct_successful") is not None]
    if not counted:
        return "before: no earlier live session with trials for this goal"
    mean = sum(float(r["pct_successful"]) for r in counted) / len(counted)
    last = counted[-1]
    sessions = f"{len(counted)} session{'s' * (len(counted) != 1)}"
    return (
        f"before: {_pct(mean)} on average over {sessions}; "
        f"last time ({day(last.get('started_at'))}) {_pct(last.get('pct_successful'))}"
    )


def _pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0f} %"
