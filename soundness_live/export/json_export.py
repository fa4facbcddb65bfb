"""JSON export: the whole bundle in one UTF-8 file, keys in a stable order.

The top level reads ``schema_version``, ``export`` (format, engine version, privacy), ``child``,
``goals``, ``sessions``, ``progress``, then anything else; nested keys are sorted, so the same
bundle always gives the same bytes. NaN and infinities are refused (JSON has none; a metric that
cannot be computed is null).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from soundness_live import __version__
from soundness_live.audio.private_file import write_private_text
from soundness_live.errors import ParameterError
from soundness_live.export.tables import check_bundle, refuse_non_finite

FORMAT_NAME = "soundness-live-export"
_TOP_ORDER = ("schema_version", "export", "child", "goals", "sessions", "progress")


def write_json(bundle: Mapping[str, Any], out_path: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` as JSON to ``out_path`` (owner-only, atomically); return the path."""
    return write_private_text(out_path, to_json_text(bundle), make_folder=True)


def to_json_text(bundle: Mapping[str, Any]) -> str:
    """The JSON text :func:`write_json` writes (2-space indent, trailing newline)."""
    check_bundle(bundle)
    if "schema_version" not in bundle:
        raise ParameterError("export bundle: expected key 'schema_version', got none")
    refuse_non_finite(bundle, "JSON export")
    document = dict(bundle)
    document["export"] = {
        "format": FORMAT_NAME,
        "engine_version": __version__,
        "privacy": bundle.get("privacy"),
    }
    document.pop("privacy", None)
    ordered = {key: document[key] for key in _TOP_ORDER if key in document}
    ordered.update({key: document[key] for key in sorted(document) if key not in ordered})
    try:
        text = json.dumps(
            {key: _sorted_keys(value) for key, value in ordered.items()},
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
    except TypeError as error:
        raise ParameterError(f"JSON export: expected JSON-able values, got {error}") from error
    return text + "\n"


def _sorted_keys(value: Any) -> Any:
    """Copy of ``value`` with every dict's keys sorted (as strings)."""
    if isinstance(value, Mapping):
        return {str(key): _sorted_keys(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted_keys(item) for item in value]
    return value
