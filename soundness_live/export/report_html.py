"""HTML building blocks of the report: escaping, cell formatting, accessible tables, figures."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and attributes."""
    return html.escape(str(value), quote=True)


def day(iso: Any) -> str:
    """The date part of an ISO 8601 time."""
    return str(iso or "")[:10] or "unknown date"


def fmt(value: Any, unit: str = "") -> str:
    """A value for a cell: null as an en dash, booleans yes/no, floats rounded for reading
    (2 decimals below 10, 1 below 100, none above; trailing zeros dropped)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
        value = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    if isinstance(value, list):
        return f"{len(value)} values"
    return f"{value} {unit}".strip() if unit else str(value)


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
