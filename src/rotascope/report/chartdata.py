"""Chart series for reports and the dashboard, cut from the monitor panel at an as-of date (no later data).

One typed record holds every series a rotation dashboard draws, so the HTML/PDF report (static charts) and
the web dashboard (interactive charts) show exactly the same numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from pydantic import Field

from rotascope._typing import Float64Array
from rotascope.indicators.kernels import sma
from rotascope.monitor.engine import RRG_STEP, MonitorPanel
from rotascope.records import Record, rnd

RRG_TAILS = ("IWM", "IWN", "KRE")
"""RRG symbols drawn with their tails (small caps, small-cap value, regional banks); the others show only
their latest point, so the graph stays readable. A debated regime ETF is added to these."""


class Line(Record):
    """One named series on a shared date axis (None where there is no value)."""

    name: str
    values: list[float | None]
    unit: str = ""


class Chart(Record):
    """A chart: title, shared dates, lines, and a note (e.g. the survivorship caveat)."""

    key: str
    title: str
    dates: list[date]
    lines: list[Line]
    note: str = ""


class RotationTail(Record):
    symbol: str
    rs_ratio: list[float | None]
    rs_momentum: list[float | None]
    dates: list[date]


class ChartData(Record):
    """All dashboard charts as of one date, with where the numbers come from."""

    as_of: date
    source: str
    charts: list[Chart]
    rotation: list[RotationTail]
    tailed: list[str] = Field(default_factory=list)
    """Symbols of ``rotation`` drawn with their tails (``RRG_TAILS`` + the selected one); the rest: latest
    point only. Every symbol's tail is still in ``rotation`` (tooltips, tests)."""


def _vals(x: Float64Array, digits: int = 6) -> list[float | None]:
    return [rnd(float(v), digits) for v in x]


def rrg_tailed(symbols: list[str], selected: str | None = None) -> list[str]:
    """Which RRG symbols get a tail: ``RRG_TAILS`` then ``selected``, those present, in that order."""
    wanted = [*RRG_TAILS, *([selected] if selected else [])]
    return [s for i, s in enumerate(wanted) if s in symbols and s not in wanted[:i]]


def chart_data(
    panel: MonitorPanel,
    as_of: date,
    lookback: int = 504,
    tail_points: int = 10,
    selected: str | None = None,
) -> ChartData:
    """Series over the ``lookback`` trading days ending at ``as_of`` (inclusive); ``selected`` (a debated
    regime ETF) also gets its RRG tail drawn."""
    t = panel.row(as_of)
    sl = slice(max(0, t - lookback + 1), t + 1)
    dates = [d.astype(date) for d in panel.calendar[sl]]
    charts = [
        *_pair_charts(panel, sl, dates),
        *_breadth_charts(panel, sl, dates),
        *_macro_charts(panel, sl, dates),
    ]
    rotation = _rotation_tails(panel, t, tail_points)
    return ChartData(
        as_of=panel.calendar[t].astype(date),
        source=panel.data.source,
        charts=charts,
        rotation=rotation,
        tailed=rrg_tailed([r.symbol for r in rotation], selected),
    )


def _pair_charts(panel: MonitorPanel, sl: slice, dates: list[date]) -> list[Chart]:
    """The four headline price ratios with their 50/200-day averages."""
    charts: list[Chart] = []
    for pair in ("IWM/SPY", "RSP/SPY", "IWN/IWO", "KRE/SPY"):
        rs = panel.pairs[pair]
        charts.append(
            Chart(
                key=pair.replace("/", "_").lower(),
                title=f"{pair} price ratio with 50/200-day averages",
                dates=dates,
                lines=[
                    Line(name=pair, values=_vals(rs.ratio[sl])),
                    Line(name="50-day", values=_vals(rs.trend.sma_50[sl])),
                    Line(name="200-day", values=_vals(rs.trend.sma_200[sl])),
                ],
            )
        )
    return charts


def _breadth_charts(panel: MonitorPanel, sl: slice, dates: list[date]) -> list[Chart]:
    """Per universe: % of members above their averages, and the A/D line with the McClellan oscillator."""
    caveat = "Today's index members only: survivorship-biased."
    charts: list[Chart] = []
    for name, b in panel.breadth.items():
        p = b.panel
        charts.append(
            Chart(
                key=f"breadth_{name.lower()}",
                title=f"{name} breadth: % of members above moving averages",
                dates=dates,
                note=caveat,
                lines=[
                    Line(name="% above 50-day", values=_vals(p.pct_above_50[sl] / 100), unit="fraction"),
                    Line(name="% above 200-day", values=_vals(p.pct_above_200[sl] / 100), unit="fraction"),
                ],
            )
        )
        ad = p.ad_line.astype(np.float64)
        charts.append(
            Chart(
                key=f"adline_{name.lower()}",
                title=f"{name} advance/decline line and McClellan oscillator",
                dates=dates,
                note=caveat,
                lines=[
                    Line(name="A/D line", values=_vals(ad[sl], 0)),
                    Line(name="A/D 50-day average", values=_vals(sma(ad, 50)[sl], 1)),
                    Line(name="McClellan oscillator", values=_vals(p.mcclellan_osc[sl], 3)),
                ],
            )
        )
    return charts


def _macro_charts(panel: MonitorPanel, sl: slice, dates: list[date]) -> list[Chart]:
    """Rates and credit in percent, and HYG/IEF against its 50-day average where the panel has it."""
    m = panel.macro

    def lines(keys: tuple[str, ...]) -> list[Line]:
        return [Line(name=k, values=_vals(m[k].values[sl], 3), unit="percent") for k in keys if k in m]

    charts = [
        Chart(
            key="rates",
            title="Rates: 10-year yield, 2s10s and 3m10y curves (percent)",
            dates=dates,
            lines=lines(("ust_10y", "curve_10y_2y", "curve_10y_3m")),
        ),
        Chart(
            key="credit",
            title="Credit: HY OAS and Baa spread (percent)",
            dates=dates,
            lines=lines(("hy_oas", "baa_spread")),
        ),
    ]
    if "hyg_ief_vs_sma50" in m:
        hyg = Line(name="HYG/IEF vs 50d", values=_vals(m["hyg_ief_vs_sma50"].values[sl]), unit="fraction")
        charts.append(Chart(key="hyg_ief", title="HYG/IEF vs its 50-day average", dates=dates, lines=[hyg]))
    return charts


def _rotation_tails(panel: MonitorPanel, t: int, tail_points: int) -> list[RotationTail]:
    """RRG tails: ``tail_points`` points ``RRG_STEP`` sessions apart, ending at row ``t``."""
    rows = [r for r in range(t - RRG_STEP * (tail_points - 1), t + 1, RRG_STEP) if r >= 0]
    return [
        RotationTail(
            symbol=sym,
            rs_ratio=_vals(x[rows], 3),
            rs_momentum=_vals(y[rows], 3),
            dates=[panel.calendar[r].astype(date) for r in rows],
        )
        for sym, (x, y) in panel.rotation.items()
    ]
