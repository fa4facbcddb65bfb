"""HTML building blocks of the report: escaping, cell formatting, accessible tables, figures."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

from soundness_live.export.tables import DECIMALS, rounded


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and attributes."""
    return html.escape(str(value), quote=True)


def day(iso: Any) -> str:
    """The date part of an ISO 8601 time."""
    return str(iso or "")[:10] or "unknown date"


#: Units written after a number in a cell (a ratio or a count reads without one).
SHOWN_UNITS = ("ms", "s", "%", "BPM", "Hz", "dB", "cents")


def fmt(value: Any, unit: str = "") -> str:
    """A value for a cell: null as an en dash, booleans yes/no, numbers to the precision of
    their ``unit`` (:func:`soundness_live.export.tables.rounded`: 0.1 ms, 0.1 %, ...) with the
    unit when it is one a reader needs."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return f"{len(value)} values"
    if isinstance(value, float):
        places = DECIMALS.get(unit)
        value = rounded(value, unit)
        value = f"{value:.{places}f}" if places is not None else f"{value:g}"
    return f"{value} {unit}" if unit in SHOWN_UNITS else str(value)


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An accessible table: caption, column headers, numbers right-aligned."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if _is_number(c) else f"<td>{esc(c)}</td>" for c in row
        )
        lines.append(f"<tr>{cells}</tr>")
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
    )


def _is_number(text: Any) -> bool:
    """True for a cell that reads as a number (right-aligned)."""
    return str(text).replace(".", "", 1).replace("-", "", 1).replace(" %", "").isdigit()


def figure(png: bytes, alt: str, caption: str) -> str:
    """A PNG embedded as base64 with its alt text and a visible caption."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )
