"""Static PNG charts of the rotation dashboard, drawn from ``ChartData`` (the same numbers the web shows).

Why this module: the HTML/Markdown/PDF reports must be shareable files that work offline, so every chart
is rendered to PNG bytes here and embedded (HTML, PDF) or written next to the report (Markdown).

Determinism: the same ``ChartData`` gives byte-identical PNGs. Figures are built with the object API
(``Figure`` + ``FigureCanvasAgg``, no pyplot state, no GUI backend), inside a fixed ``rc_context`` (so a
user's matplotlibrc or style cannot change the output), at a fixed size and dpi, and saved with
``metadata={"Software": None}`` so no version string or timestamp lands in the file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler

from rotascope._typing import Float64Array
from rotascope.report.chartdata import Chart, ChartData, Line, RotationTail

DPI = 80
"""Fixed resolution: 10 x 4 inches → 800 x 320 px, sharp enough on screen and in A4 PDFs."""
WIDE = (10.0, 4.0)
TALL = (10.0, 5.6)
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "axes.prop_cycle": cycler(color=["#1f4e79", "#d9822b", "#7f7f7f", "#2e8b57", "#b22222", "#6a3d9a"]),
    "path.simplify": True,
    "svg.hashsalt": "rotascope",
    "date.autoformatter.month": "%Y-%m",
}
QUADRANT_COLOURS = {
    "leading": "#d8f0d8",
    "weakening": "#fff3cc",
    "lagging": "#f8d7d7",
    "improving": "#d7e6f8",
}
TAIL_COLOURS = ("#1f4e79", "#d9822b", "#2e8b57", "#b22222", "#6a3d9a")
"""Colours of the tailed RRG symbols, in ``ChartData.tailed`` order; the others are grey dots."""


@dataclass(frozen=True)
class ChartImage:
    """One rendered chart: a stable key (file name stem), its title and note, and the PNG bytes."""

    key: str
    title: str
    note: str
    png: bytes


def _arr(values: Sequence[float | None]) -> Float64Array:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _note(fig: Figure, text: str) -> None:
    if text:
        fig.text(0.01, 0.01, text, fontsize=7, color="#555555")


def _days(dates: Sequence[date]) -> npt.NDArray[np.datetime64]:
    return np.array(dates, dtype="datetime64[D]")


def _line(ax: Axes, dates: list[date], line: Line, **kw: Any) -> None:
    ax.plot(_days(dates), _arr(line.values), label=line.name, linewidth=kw.pop("linewidth", 1.2), **kw)


def _plain(chart: Chart, source: str) -> bytes:
    """One panel with every line of the chart (ratios with their averages, rates, credit)."""
    fig = Figure(figsize=WIDE)
    ax = fig.add_subplot()
    for i, line in enumerate(chart.lines):
        _line(ax, chart.dates, line, linewidth=1.4 if i == 0 else 1.0)
    if chart.lines and chart.lines[0].unit == "fraction":
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    if chart.key == "hyg_ief":
        ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_title(chart.title)
    ax.legend(loc="upper left")
    _note(fig, _footer(chart, source))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _png(fig)


def _breadth(chart: Chart, source: str) -> bytes:
    """% of members above their 50/200-day averages, on a 0-100 % axis with the 50 % line."""
    fig = Figure(figsize=WIDE)
    ax = fig.add_subplot()
    for line in chart.lines:
        _line(ax, chart.dates, line)
    ax.axhline(0.5, color="black", linewidth=0.8, linestyle=":")
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(chart.title)
    ax.legend(loc="upper left")
    _note(fig, _footer(chart, source))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _png(fig)


def _adline(chart: Chart, source: str) -> bytes:
    """A/D line with its 50-day average (top) and the McClellan oscillator, green above 0 and red below."""
    fig = Figure(figsize=TALL)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    osc = [ln for ln in chart.lines if "McClellan" in ln.name]
    for line in chart.lines:
        if line not in osc:
            _line(top, chart.dates, line)
    top.set_title(chart.title)
    top.legend(loc="upper left")
    for line in osc:
        v, x = _arr(line.values), _days(chart.dates)
        # two filled areas instead of ~500 bars: the same picture, a fraction of the drawing time
        bottom.fill_between(x, 0.0, v, where=v >= 0, color="#2e8b57", step="mid", label=line.name)
        bottom.fill_between(x, 0.0, v, where=v < 0, color="#b22222", step="mid")
        bottom.axhline(0.0, color="black", linewidth=0.8)
        bottom.legend(loc="upper left")
    _note(fig, _footer(chart, source))
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _png(fig)


def rrg_png(tails: Sequence[RotationTail], as_of: date, source: str, tailed: Sequence[str] = ()) -> bytes:
    """The RRG as PNG (see ``rrg_figure``)."""
    return _png(rrg_figure(tails, as_of, source, tailed))


def rrg_figure(tails: Sequence[RotationTail], as_of: date, source: str, tailed: Sequence[str] = ()) -> Figure:
    """Relative rotation graph vs SPY: quadrant shading, every symbol's latest point (grey, labelled) and,
    for the ``tailed`` few only, the tail (oldest → latest) in colour with a legend — all tails at once
    were an unreadable tangle."""
    fig = Figure(figsize=(7.5, 6.5))
    ax = fig.add_subplot()
    drawn = [t for t in tails if t.symbol in tailed]
    # the axes fit what is drawn: the tails shown and every latest point
    xs = np.concatenate(
        [[100.0], *(_arr(t.rs_ratio) for t in drawn), *(_arr(t.rs_ratio)[-1:] for t in tails)]
    )
    ys = np.concatenate(
        [[100.0], *(_arr(t.rs_momentum) for t in drawn), *(_arr(t.rs_momentum)[-1:] for t in tails)]
    )
    fx, fy = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
    span_x = max(2.0, float(np.max(np.abs(fx - 100.0))) * 1.15) if len(fx) else 2.0
    span_y = max(2.0, float(np.max(np.abs(fy - 100.0))) * 1.15) if len(fy) else 2.0
    x0, x1, y0, y1 = 100 - span_x, 100 + span_x, 100 - span_y, 100 + span_y
    shading = (
        (100, x1, 100, y1, "leading"),
        (100, x1, y0, 100, "weakening"),
        (x0, 100, y0, 100, "lagging"),
        (x0, 100, 100, y1, "improving"),
    )
    for a, b, c, d, name in shading:
        ax.fill_between([a, b], c, d, color=QUADRANT_COLOURS[name], zorder=0)
        ax.text(
            a + 0.02 * span_x if a < 100 or b > 100 else a,
            d - 0.06 * span_y if d > 100 else c + 0.02 * span_y,
            name,
            fontsize=9,
            color="#444444",
            ha="left",
        )
    ax.axhline(100.0, color="black", linewidth=0.7)
    ax.axvline(100.0, color="black", linewidth=0.7)
    colour_of = {sym: TAIL_COLOURS[i % len(TAIL_COLOURS)] for i, sym in enumerate(tailed)}
    others = False
    for t in sorted(tails, key=lambda t: (t.symbol in colour_of, t.symbol)):
        x, y = _arr(t.rs_ratio), _arr(t.rs_momentum)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        colour = colour_of.get(t.symbol, "#8a8a8a")
        if t.symbol in colour_of:
            ax.plot(x[ok], y[ok], "-", color=colour, linewidth=1.4, marker=".", markersize=4, label=t.symbol)
        else:
            others = True
        ax.plot(x[ok][-1:], y[ok][-1:], "o", color=colour, markersize=6 if t.symbol in colour_of else 4)
        ax.annotate(
            t.symbol,
            (float(x[ok][-1]), float(y[ok][-1])),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=8 if t.symbol in colour_of else 7,
            color=colour,
            fontweight="bold" if t.symbol in colour_of else "normal",
        )
    if others:
        ax.plot([], [], "o", color="#8a8a8a", markersize=4, label="others: latest point")
    if drawn or others:
        ax.legend(loc="best", fontsize=8, framealpha=0.9)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("RS-Ratio (100 = in line with SPY)")
    ax.set_ylabel("RS-Momentum")
    ax.set_title(f"Relative rotation vs SPY as of {as_of} (tails: weekly steps, dot = latest)")
    _note(fig, f"Source: {source}.")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _footer(chart: Chart, source: str) -> str:
    last = chart.dates[-1] if chart.dates else None
    parts = [f"Source: {source}", f"through {last}" if last else "", chart.note]
    return ". ".join(p for p in parts if p)


Drawer = Callable[[Chart, str], bytes]
ORDER: tuple[tuple[str, Drawer], ...] = (
    ("iwm_spy", _plain),
    ("rsp_spy", _plain),
    ("iwn_iwo", _plain),
    ("kre_spy", _plain),
    ("breadth_r2000", _breadth),
    ("adline_r2000", _adline),
    ("breadth_sp500", _breadth),
    ("adline_sp500", _adline),
    ("rates", _plain),
    ("credit", _plain),
    ("hyg_ief", _plain),
)
"""Dashboard order; charts present in ``ChartData`` but not listed are drawn after these as plain lines."""


def render_charts(data: ChartData) -> list[ChartImage]:
    """Every dashboard chart as PNG: ratios, breadth, A/D + McClellan, RRG, rates and credit (in order)."""
    by_key = {c.key: c for c in data.charts}
    known = {k for k, _ in ORDER}
    images: list[ChartImage] = []
    with matplotlib.rc_context(cast(Any, RC)):
        for key, draw in ORDER:
            if key == "breadth_r2000" and data.rotation:  # the RRG sits between the ratios and breadth
                png = rrg_png(data.rotation, data.as_of, data.source, data.tailed)
                images.append(ChartImage("rrg", "Relative rotation graph vs SPY", "", png))
            chart = by_key.get(key)
            if chart is not None:
                images.append(ChartImage(key, chart.title, chart.note, draw(chart, data.source)))
        for chart in data.charts:
            if chart.key not in known:
                images.append(ChartImage(chart.key, chart.title, chart.note, _plain(chart, data.source)))
    return images
