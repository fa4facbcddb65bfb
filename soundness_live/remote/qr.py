"""The remote's address as a QR code (segno): for the terminal, and as a matrix for a screen.

The QR code holds the address only, never the pairing code: whoever scans it still needs the
code shown on the laptop.
"""

from __future__ import annotations

import io


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` as rows of dark (True) and light modules, quiet zone included."""
    import segno

    code = segno.make(url, error="m", micro=False)
    return [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=2)]


def qr_text(url: str) -> str:
    """The QR code of ``url`` drawn with half-block characters for a terminal (two module rows
    a line, dark on light so it scans on a dark terminal too)."""
    rows = qr_matrix(url)
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    out = io.StringIO()
    blocks = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        out.write("".join(blocks[pair] for pair in zip(top, bottom, strict=True)))
        out.write("\n")
    return out.getvalue()
