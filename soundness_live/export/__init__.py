"""Exports for review: CSV, JSON, a MIDI file per session, and the HTML report with plots.

:func:`export` is the one entry point (the CLI's ``soundness-live export``). It de-identifies
the store's export bundle first (codes only, no names, birth dates or notes unless asked), then
writes owner-only files atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from soundness_live.audio.private_file import private_folder
from soundness_live.errors import ParameterError
from soundness_live.export.csv import write_csv
from soundness_live.export.deidentify import deidentify
from soundness_live.export.json_export import write_json
from soundness_live.export.midi import write_session_midi
from soundness_live.export.report import write_report
from soundness_live.export.tables import check_bundle

FORMATS = ("csv", "json", "midi", "html")

__all__ = [
    "FORMATS",
    "deidentify",
    "export",
    "write_csv",
    "write_json",
    "write_report",
    "write_session_midi",
]


def export(
    bundle: Mapping[str, Any],
    fmt: str,
    out_dir: str | os.PathLike[str],
    include_names: bool = False,
    include_notes: bool = False,
) -> list[Path]:
    """Write ``bundle`` in format ``fmt`` under ``out_dir``; return the files written.

    Files: csv -> ``CODE-csv/`` (trials, events, prompts, responses, columns.md); json ->
    ``CODE.json``; midi -> ``CODE-session-ID.mid`` per session; html -> ``CODE-report.html``.
    """
    if fmt not in FORMATS:
        raise ParameterError(f"export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    check_bundle(bundle)
    safe = deidentify(bundle, include_names=include_names, include_notes=include_notes)
    folder = private_folder(out_dir)
    stem = _file_stem(str(safe["child"]["code"]))
    if fmt == "csv":
        return write_csv(safe, folder / f"{stem}-csv")
    if fmt == "json":
        return [write_json(safe, folder / f"{stem}.json")]
    if fmt == "html":
        return [write_report(safe, folder / f"{stem}-report.html")]
    return [
        write_session_midi(
            session, folder / f"{stem}-session-{_file_stem(str(session.get('id')))}.mid"
        )
        for session in safe["sessions"]
    ]


def _file_stem(text: str) -> str:
    """``text`` safe as part of a file name (a code never becomes a path)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"
