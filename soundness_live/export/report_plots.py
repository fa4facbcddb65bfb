"""Plots for the HTML report, drawn with matplotlib's Agg canvas and returned as PNG bytes.

Uses the object-oriented API (``Figure`` + ``FigureCanvasAgg``), never pyplot: no display is
needed, no global figure list grows, nothing needs closing. Colours are the Okabe-Ito palette,
readable with the common colour-vision deficiencies; success is also shown by marker fill, so
it never depends on colour alone, and a simulated trial (the virtual child or a file played it)
is a cross (filled or hollow the same way), never a dot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
EARLIER = "#8C8C8C"  # earlier sessions beside the latest one
_DPI = 100


@dataclass(frozen=True)
class SessionSeries:
    """One session's values of a measure: label (date), values per trial, success per trial
    (None: not judged), and which trials were simulated (empty: none)."""

    label: str
    values: Sequence[float | None]
    successes: Sequence[bool | None]
    simulated: Sequence[bool] = ()


def _figure(width_in: float = 8.0, height_in: float = 3.4) -> tuple[Figure, Any]:
    """A figure on its own Agg canvas, with one axes."""
    # Fixed margins (a constrained layout costs a second draw per figure); the right margin
    # holds the legend, so it never hides a point.
    figure = Figure(figsize=(width_in, height_in), dpi=_DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.11, right=0.78, bottom=0.15, top=0.86)
    return figure, figure.add_subplot()


def _legend(axes: Any) -> None:
    """The legend beside the plot, outside the data area."""
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    # No timestamp/version metadata, so the same data gives the same bytes.
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def measure_plot(
    series: Sequence[SessionSeries],
    ylabel: str,
    threshold: tuple[str, float] | None,
    counts: bool = False,
    judged: bool = True,
) -> bytes:
    """A measure per trial, sessions side by side, criterion line dashed. ``judged``: a goal's
    measure, sessions coloured and successes filled; otherwise an activity's headline measure,
    the latest session coloured beside the earlier ones in grey."""
    figure, axes = _figure()
    x = 0
    for number, session in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        if not judged:
            colour = PALETTE[0] if number == len(series) - 1 else EARLIER
        _draw_session(axes, x, colour, session, judged)
        x += len(session.values)
        if number < len(series) - 1:
            axes.axvline(x - 0.5, color="#999999", lw=0.8)
    if threshold is not None:
        label = f"criterion {threshold[0]} {threshold[1]:g}"
        axes.axhline(threshold[1], color="#D55E00", ls="--", lw=1.5, label=label)
    if judged:
        axes.plot([], [], "o", color="#555555", label="success")
        axes.plot([], [], "o", color="#555555", mfc="white", label="not a success")
    else:
        axes.plot([], [], "o", color=PALETTE[0], label="latest session")
        if len(series) > 1:
            axes.plot([], [], "o", color=EARLIER, label="earlier sessions")
    if any(any(s.simulated) for s in series):
        axes.plot([], [], "X", ms=8, color="#555555", label="simulated")
    axes.set_xlabel("trial (sessions left to right)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no half a trial
    axes.set_ylabel(ylabel)
    axes.set_xlim(-0.7, max(x, 1) - 0.3)
    if counts:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no 0.25 of a note
        _whole_range(axes, [v for s in series for v in s.values if v is not None])
    _legend(axes)
    return _png(figure)


def _whole_range(axes: Any, values: list[float]) -> None:
    """Counts that barely vary (all 0 notes in a freeze) get a range of whole numbers, not
    matplotlib's ±0.05 around them."""
    if values and max(values) - min(values) < 1:
        axes.set_ylim(min(values) - (0.5 if min(values) == 0 else 1), max(values) + 1)


def _draw_session(
    axes: Any, x0: int, colour: str, session: SessionSeries, judged: bool = True
) -> None:
    """One session's points from x = ``x0``: filled when a success (every point when not
    ``judged``), hollow otherwise; a cross when simulated."""
    simulated = list(session.simulated) or [False] * len(session.values)
    points = [
        (x0 + i, value, success, fake)
        for i, (value, success, fake) in enumerate(
            zip(session.values, session.successes, simulated, strict=True)
        )
        if value is not None
    ]
    axes.plot([p[0] for p in points], [p[1] for p in points], color=colour, lw=1, alpha=0.6)
    for x, value, success, fake in points:
        filled = bool(success) or not judged
        marker, size = ("X", 9) if fake else ("o", 7)
        axes.plot(
            [x], [value], marker, ms=size, color=colour, mfc=colour if filled else "white", mew=1.5
        )
    if session.values:
        middle = x0 + (len(session.values) - 1) / 2
        transform = axes.get_xaxis_transform()  # x in data, y in axes units: a label on top
        axes.text(
            middle,
            1.01,
            session.label,
            transform=transform,
            ha="center",
            va="bottom",
            fontsize=8,
            color=colour,
        )


def percent_plot(
    labels: Sequence[str], percents: Sequence[float | None], criterion_pct: float
) -> bytes:
    """% successful trials per session (bars) with the criterion (k of n) as a dashed line."""
    figure, axes = _figure(height_in=3.0)
    xs = list(range(len(labels)))
    heights = [p if p is not None else 0.0 for p in percents]
    colours = [PALETTE[i % len(PALETTE)] for i in xs]
    axes.bar(xs, heights, color=colours)
    axes.axhline(
        criterion_pct, color="#D55E00", ls="--", lw=1.5, label=f"criterion {criterion_pct:.0f} %"
    )
    axes.set_xticks(xs, labels, fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel("% of trials successful")
    _legend(axes)
    return _png(figure)


def asynchrony_plot(
    trials: Sequence[Sequence[float]], window_ms: float | None, labels: Sequence[str]
) -> bytes:
    """Asynchrony per matched tap (ms, negative = early), trials in turn, ±window band shaded."""
    figure, axes = _figure()
    x = 0
    for number, (asynchronies, label) in enumerate(zip(trials, labels, strict=True)):
        xs = list(range(x, x + len(asynchronies)))
        axes.plot(
            xs,
            list(asynchronies),
            "o-",
            ms=4,
            lw=1,
            color=PALETTE[number % len(PALETTE)],
            label=label,
        )
        x += len(asynchronies)
    if window_ms is not None:
        axes.axhspan(
            -window_ms, window_ms, color="#009E73", alpha=0.15, label=f"±{window_ms:g} ms window"
        )
    axes.axhline(0.0, color="#333333", lw=0.8)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("matched tap (trials left to right)")
    axes.set_ylabel("tap − beat (ms)")
    _legend(axes)
    return _png(figure)


def tempo_curve_plot(curves: Sequence[Sequence[float]], labels: Sequence[str]) -> bytes:
    """The accompaniment's tempo per beat in follow-the-child trials."""
    figure, axes = _figure(height_in=3.0)
    for number, (curve, label) in enumerate(zip(curves, labels, strict=True)):
        axes.plot(
            range(1, len(curve) + 1),
            list(curve),
            "o-",
            ms=3,
            lw=1.2,
            color=PALETTE[number % len(PALETTE)],
            label=label,
        )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("beat")
    axes.set_ylabel("tempo (BPM)")
    _legend(axes)
    return _png(figure)
