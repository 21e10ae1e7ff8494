"""The RRG is readable: every symbol's latest point, tails only for IWM, IWN, KRE (+ a selected ETF)."""

from __future__ import annotations

from datetime import date

import pytest

from rotascope.monitor.run import Monitor
from rotascope.report.chartdata import RRG_TAILS, ChartData, chart_data, rrg_tailed
from rotascope.report.charts import rrg_figure, rrg_png

DAY = date(2024, 7, 19)


@pytest.fixture(scope="module")
def data(monitor: Monitor) -> ChartData:
    return chart_data(monitor.panel, DAY, lookback=60)


def test_tailed_symbols_are_the_chosen_few(data: ChartData, monitor: Monitor) -> None:
    assert data.tailed == list(RRG_TAILS) == ["IWM", "IWN", "KRE"]
    symbols = {t.symbol for t in data.rotation}
    assert symbols >= {"IWM", "IWN", "KRE", "XLF", "XLK"}  # every tail is still in the data
    assert chart_data(monitor.panel, DAY, lookback=60, selected="XLF").tailed == ["IWM", "IWN", "KRE", "XLF"]
    assert rrg_tailed(sorted(symbols), "IWM") == ["IWM", "IWN", "KRE"]  # no duplicate
    assert rrg_tailed(sorted(symbols), "SAIA") == ["IWM", "IWN", "KRE"]  # a stock is not on the graph
    assert rrg_tailed(["IWM", "XLF"], None) == ["IWM"]


def test_png_draws_tails_for_the_few_and_latest_points_for_all(data: ChartData) -> None:
    fig = rrg_figure(data.rotation, data.as_of, data.source, data.tailed)
    ax = fig.axes[0]
    named = [line for line in ax.get_lines() if not str(line.get_label()).startswith("_")]  # not the axes
    tails = {str(line.get_label()): len(line.get_xdata()) for line in named if len(line.get_xdata()) > 1}
    known = {
        t.symbol: sum(x is not None and y is not None for x, y in zip(t.rs_ratio, t.rs_momentum, strict=True))
        for t in data.rotation
    }
    assert tails == {s: known[s] for s in data.tailed}  # one polyline per tailed symbol, all its points
    heads = [line for line in ax.get_lines() if len(line.get_xdata()) == 1]
    assert len(heads) == sum(1 for n in known.values() if n)  # one latest point per symbol
    labels = sorted(t.get_text() for t in ax.texts if t.get_text() in known)
    assert labels == sorted(s for s, n in known.items() if n)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [*data.tailed, "others: latest point"]


def test_png_is_deterministic(data: ChartData) -> None:
    first = rrg_png(data.rotation, data.as_of, data.source, data.tailed)
    assert first == rrg_png(data.rotation, data.as_of, data.source, data.tailed)
    assert first != rrg_png(data.rotation, data.as_of, data.source, ["IWM"])
