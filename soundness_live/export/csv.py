"""CSV export: one row per trial, per input event, per prompt onset and per scored response.

Files (UTF-8, header row, RFC 4180 quoting and CRLF line ends, null -> empty cell):
trials.csv, events.csv, prompts.csv, responses.csv, notes.csv (the therapist's notes, only when
asked for), and columns.md documenting every column
with its unit. Lists (asynchronies, tempo curve) are ';'-joined numbers; booleans are
``true``/``false``. Numbers are rounded to the precision they carry, by their column's unit
(0.1 ms, 0.1 %, ...: :func:`soundness_live.export.tables.rounded`); the JSON export keeps them
unrounded. Every row says whether it was simulated (played by the virtual child or a file, not
the child), and trials.csv who ran the session.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from soundness_live.audio.private_file import private_folder, write_private_files
from soundness_live.core.provenance import session_simulated, simulated
from soundness_live.export.tables import (
    DIFFICULTY_UNITS,
    check_bundle,
    iter_trials,
    metric_meaning,
    metric_names,
    metric_unit,
    refuse_non_finite,
    rounded,
)

Row = dict[str, Any]
Doc = tuple[str, str]  # (unit, meaning)

_ENGINE_AXIS = "engine time axis, frame 0 = start of the run"
_SESSION_COLUMNS: dict[str, Doc] = {
    "child_code": ("text", "the child's pseudonymous code"),
    "session_id": ("integer", "session number in the store"),
}
_SIMULATED: Doc = (
    "bool",
    "true: played by the virtual child or a file, not by the child; never counts toward a goal",
)
TRIAL_COLUMNS: dict[str, Doc] = {
    **_SESSION_COLUMNS,
    "session_started_at": ("ISO 8601 date-time", "when the session started"),
    "session_status": ("text", "running / complete / interrupted"),
    "session_input": ("text", "what played the session: live / virtual / file / mixed"),
    "session_simulated": (
        "text",
        "false: no trial of the session was simulated; true: every trial was; partly: some were "
        "and the live ones count (keep the sessions that are not true to keep all that counted)",
    ),
    "therapist": ("text", "who ran the session (initials unless names were asked for)"),
    "session_laptop": ("text", "the laptop the session was recorded on (shared via the clinic)"),
    "trial_index": ("integer", "trial number within the session, from 0, as recorded"),
    "activity": ("text", "activity name"),
    "variant": ("text", "activity variant"),
    "input": ("text", "what played the trial: live / virtual / file"),
    "simulated": _SIMULATED,
    "outcome": ("text", "correct / partial / incorrect / no_response / premature / void"),
    "prompt_level": ("text", "help given: full_physical ... independent"),
    "prompt_level_recorded": (
        "text",
        "the help stored when the trial ended, where the therapist marked it afterwards "
        "(empty: never marked afterwards)",
    ),
    "prompt_level_marked_at": (
        "ISO 8601 date-time",
        "when the therapist marked the help after the trial ended (empty: never)",
    ),
    "difficulty": (
        "level or BPM",
        "difficulty level of the trial; for tempo-following the tempo of the beat (BPM, to 0.1)",
    ),
    "goals": (
        "text",
        "ids of the goals the trial was played for, ';'-joined (it counts toward them unless "
        "void or simulated)",
    ),
    "start_ms": ("ms", f"trial start, {_ENGINE_AXIS}"),
    "end_ms": ("ms", f"trial end, {_ENGINE_AXIS}"),
    "seed": ("integer", "random seed of the trial (repeatable prompts)"),
    "prompt_notes": ("count", "prompt onsets played"),
    "response_notes": ("count", "responses recorded"),
}
_NOTE_COLUMNS: dict[str, Doc] = {
    "onset_ms": ("ms", f"onset as heard (prompts) or as stamped (input), {_ENGINE_AXIS}"),
    "onset_frame": ("frames", "onset on the output sample clock"),
    "note": ("MIDI note", "0-127 (drums: GM drum map)"),
    "velocity": ("MIDI velocity", "1-127"),
}
EVENT_COLUMNS: dict[str, Doc] = {
    **_SESSION_COLUMNS,
    **_NOTE_COLUMNS,
    "kind": ("text", "note_on / note_off"),
    "channel": ("MIDI channel", "0-15 as sent (9 = drums)"),
    "device": ("text", "input device"),
    "player": ("text", "who played (code)"),
    "clock": ("text", "which clock stamped the onset: virtual / rtmidi-delta / jack-frame / ..."),
    "input": ("text", "what played it: live / virtual / file (empty: not known)"),
    "simulated": _SIMULATED,
}
_TRIAL_REF: dict[str, Doc] = {
    **_SESSION_COLUMNS,
    "trial_index": TRIAL_COLUMNS["trial_index"],
    "activity": TRIAL_COLUMNS["activity"],
    "simulated": _SIMULATED,
}
PROMPT_COLUMNS: dict[str, Doc] = {
    **_TRIAL_REF,
    **_NOTE_COLUMNS,
    "duration_ms": ("ms", "sounding duration"),
    "channel": EVENT_COLUMNS["channel"],
    "cue": ("bool", "this onset is the cue to respond"),
    "no_go": ("bool", "a no-go stimulus (do not play)"),
    "event": ("text", "a non-note prompt event, e.g. stop"),
}
RESPONSE_COLUMNS: dict[str, Doc] = {
    **_TRIAL_REF,
    **_NOTE_COLUMNS,
    "sounded_note": ("MIDI note", "the note that sounded (after scale lock or transpose)"),
    "duration_ms": ("ms", "held duration; empty when unknown"),
    "device": EVENT_COLUMNS["device"],
    "player": EVENT_COLUMNS["player"],
    "clock": EVENT_COLUMNS["clock"],
}


NOTE_COLUMNS: dict[str, Doc] = {
    **_SESSION_COLUMNS,
    "created_at": ("ISO 8601 date-time", "when the therapist wrote the note"),
    "text": ("text", "the therapist's note, names of people replaced by codes"),
}


def write_csv(bundle: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the bundle's CSV files and columns.md into ``out_dir``; return their paths.
    notes.csv only when the bundle was de-identified with the notes kept (``--include-notes``);
    otherwise one left by an earlier export is removed, so the folder holds no note."""
    check_bundle(bundle)
    refuse_non_finite(bundle, "CSV export")
    folder = private_folder(out_dir)
    # A metric named like a base column (unlikely) gets a prefix rather than overwrite it.
    metric_columns = {
        (name if name not in TRIAL_COLUMNS else f"metric_{name}"): name
        for name in metric_names([trial for _, trial in iter_trials(bundle)])
    }
    trial_columns = dict(TRIAL_COLUMNS)
    for column, name in metric_columns.items():
        trial_columns[column] = (metric_unit(name), metric_meaning(name))
    tables: list[tuple[str, dict[str, Doc], list[Row]]] = [
        ("trials.csv", trial_columns, _trial_rows(bundle, metric_columns)),
        ("events.csv", EVENT_COLUMNS, _event_rows(bundle)),
        ("prompts.csv", PROMPT_COLUMNS, _note_rows(bundle, "prompt")),
        ("responses.csv", RESPONSE_COLUMNS, _note_rows(bundle, "responses")),
    ]
    notes = bool((bundle.get("privacy") or {}).get("notes_included"))
    if notes:
        tables.append(("notes.csv", NOTE_COLUMNS, _therapist_notes(bundle)))
    contents = {folder / name: _to_csv(cols, rows).encode() for name, cols, rows in tables}
    contents[folder / "columns.md"] = _columns_doc(tables).encode()
    written = write_private_files(contents)
    if not notes:  # an earlier export's notes must not travel with this one
        (folder / "notes.csv").unlink(missing_ok=True)
    return written


def _trial_rows(bundle: Mapping[str, Any], metric_columns: Mapping[str, str]) -> list[Row]:
    """One row per trial: base columns, then metrics (``metric_columns``: column -> name)."""
    rows = []
    for session, trial in iter_trials(bundle):
        values = trial.get("metrics") or {}
        rows.append(
            {
                **_session_ref(bundle, session),
                "session_started_at": session.get("started_at"),
                "session_status": session.get("status"),
                "session_input": session.get("input"),
                "session_simulated": session_simulated(session.get("input"), session["trials"]),
                "therapist": session.get("therapist"),
                "session_laptop": session.get("laptop"),
                "trial_index": trial.get("index"),
                **{key: trial.get(key) for key in ("activity", "variant", "input", "outcome")},
                "simulated": trial.get("simulated"),
                "prompt_level": trial.get("prompt_level"),
                "prompt_level_recorded": trial.get("prompt_level_recorded"),
                "prompt_level_marked_at": trial.get("prompt_level_marked_at"),
                "difficulty": _difficulty(trial),
                "goals": trial.get("goals"),
                "start_ms": trial.get("start_ms"),
                "end_ms": trial.get("end_ms"),
                "seed": (trial.get("params") or {}).get("seed"),
                "prompt_notes": len(trial.get("prompt") or []),
                "response_notes": len(trial.get("responses") or []),
                **{col: values.get(name) for col, name in metric_columns.items()},
            }
        )
    return rows


def _difficulty(trial: Mapping[str, Any]) -> Any:
    """A trial's difficulty, rounded by what it is (a level, or a tempo in BPM)."""
    unit = DIFFICULTY_UNITS.get(str(trial.get("activity")), "level")
    return rounded(trial.get("difficulty"), unit)


def _session_ref(bundle: Mapping[str, Any], session: Mapping[str, Any]) -> Row:
    """The child code and session id columns."""
    return {"child_code": bundle["child"]["code"], "session_id": session.get("id")}


def _event_rows(bundle: Mapping[str, Any]) -> list[Row]:
    """One row per input event of every session."""
    return [
        {**event, **_session_ref(bundle, session), "simulated": _event_simulated(event, session)}
        for session in bundle["sessions"]
        for event in session.get("events") or []
    ]


def _event_simulated(event: Mapping[str, Any], session: Mapping[str, Any]) -> bool | None:
    """An event is simulated when a virtual child or a file played it; when its input is not
    known, when its session was wholly simulated (null when that is not known either)."""
    if event.get("input") is not None:
        return simulated(event["input"])
    whole = session_simulated(session.get("input"), session.get("trials") or [])
    return True if whole is True else None


def _note_rows(bundle: Mapping[str, Any], key: str) -> list[Row]:
    """One row per entry of each trial's ``key`` list ("prompt" or "responses")."""
    return [
        {
            **note,
            **_session_ref(bundle, session),
            "trial_index": trial.get("index"),
            "activity": trial.get("activity"),
            "simulated": trial.get("simulated"),
        }
        for session, trial in iter_trials(bundle)
        for note in trial.get(key) or []
    ]


def _therapist_notes(bundle: Mapping[str, Any]) -> list[Row]:
    """One row per therapist's note, sessions in turn, oldest note first."""
    return [
        {**note, **_session_ref(bundle, session)}
        for session in bundle["sessions"]
        for note in session.get("notes") or []
    ]


def _to_csv(columns: Mapping[str, Doc], rows: list[Row]) -> str:
    """CSV text of ``rows`` restricted to ``columns``; absent or null values -> empty cells."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(list(columns))
    for row in rows:
        writer.writerow([cell(rounded(row.get(name), columns[name][0])) for name in columns])
    return buffer.getvalue()


def cell(value: Any) -> str:
    """One CSV cell: null -> "", booleans true/false, lists ';'-joined, dicts as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ";".join(cell(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _columns_doc(tables: list[tuple[str, dict[str, Doc], list[Row]]]) -> str:
    """columns.md: every file's columns with unit and meaning."""
    lines = [
        "# Columns of the CSV export",
        "",
        "UTF-8, one header row, RFC 4180 quoting. An empty cell means null (not computable or",
        "not applicable). Booleans are `true`/`false`; lists are `;`-joined numbers. Times in ms",
        "are on the engine's axis (frame 0 = start of the run). Numbers are rounded to what they",
        "carry: ms, %, BPM, Hz, cents, dB and frames to 0.1; s to 0.01; ratios to 0.001; p to 2",
        "significant digits; other numbers to 4 (the JSON export keeps every digit).",
        "`simulated` = true marks what the virtual child or a file played, not the child: it",
        "never counts toward a goal.",
    ]
    for name, columns, rows in tables:
        lines += ["", f"## {name} ({len(rows)} rows)", "", "| column | unit | meaning |"]
        lines.append("|---|---|---|")
        lines += [f"| {col} | {unit} | {meaning} |" for col, (unit, meaning) in columns.items()]
    return "\n".join(lines) + "\n"
