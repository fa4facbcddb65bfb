"""Printing and writing results for the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..audio.private_file import write_private_text

HEADLINE = {
    "call-and-response": ("notes_correct_pct", "waited_for_turn", "response_latency_ms"),
    "waiting": (
        "classification",
        "reaction_time_ms",
        "notes_in_freeze",
        "time_to_stop_ms",
        "commission",
        "plays_out_of_turn",
    ),
    "free-play": ("notes_played", "played_s"),
    "tempo-following": ("hit_rate", "mean_asynchrony_ms", "resultant_length", "final_bpm"),
    "vocal-prompts": (
        "syllables",
        "target_syllables",
        "voice_onset_latency_ms",
        "pitch_error_cents",
    ),
}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def trial_line(trial: dict[str, Any]) -> str:
    """One line per trial: index, outcome, difficulty and the activity's headline measures."""
    names = HEADLINE.get(trial["activity"], ())
    metrics = trial["metrics"]
    shown = "  ".join(f"{n}={_fmt(metrics.get(n))}" for n in names if n in metrics)
    level = _fmt(trial.get("difficulty"))
    return f"  trial {trial['index'] + 1:>2}  {trial['outcome']:<11} level {level:<6} {shown}"


def print_trials(trials: list[dict[str, Any]]) -> None:
    """Print every trial line and the outcome counts."""
    for trial in trials:
        print(trial_line(trial))
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial["outcome"]] = counts.get(trial["outcome"], 0) + 1
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def write_private_json(path: Path, document: dict[str, Any]) -> None:
    """Write JSON owner-only, whole or not at all (its folder is made when missing)."""
    path = Path(path)
    text = json.dumps(document, indent=2, allow_nan=False)
    write_private_text(path, text + "\n", make_folder=True)
