"""Printing and writing results for the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..activities.record import TrialRecord
from ..activities.registry import find_activity
from ..audio.private_file import write_private_text


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def trial_line(trial: TrialRecord) -> str:
    """One line per trial: index, outcome, difficulty and the activity's live metrics (those
    the therapist's screen shows, as the registry has them)."""
    activity = find_activity(trial.activity)
    names = [m.name for m in activity.live_metrics()] if activity is not None else []
    metrics = trial.metrics
    shown = "  ".join(f"{n}={_fmt(metrics.get(n))}" for n in names if n in metrics)
    level = _fmt(trial.difficulty)
    return f"  trial {trial.index + 1:>2}  {trial.outcome.value:<11} level {level:<6} {shown}"


def print_trials(trials: list[TrialRecord]) -> None:
    """Print every trial line and the outcome counts."""
    for trial in trials:
        print(trial_line(trial))
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.outcome.value] = counts.get(trial.outcome.value, 0) + 1
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def write_private_json(path: Path, document: dict[str, Any]) -> None:
    """Write JSON owner-only, whole or not at all (its folder is made when missing)."""
    path = Path(path)
    text = json.dumps(document, indent=2, allow_nan=False)
    write_private_text(path, text + "\n", make_folder=True)
