"""float32 member panels: half the memory, and the monitor says exactly what the float64 panels say."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from rotascope.monitor.data import MarketData, align
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor
from rotascope.store.panel import Panel

AS_OF = ["2001-09-21", "2008-10-10", "2015-08-24", "2020-03-20", "2022-06-16", "2024-07-19", None]
"""Crashes, a rebound, the point-in-time era (R2000 lists from 2022) and the latest date (None)."""


def _widen(panel: Panel) -> Panel:
    return Panel(panel.dates, panel.symbols, panel.values.astype(np.float64))


def _as_float64(data: MarketData) -> MarketData:
    """The same market data with every member panel held as float64 (the path before compact panels)."""
    pit = {k: dataclasses.replace(u, close=_widen(u.close)) for k, u in data.pit.items()}
    return dataclasses.replace(data, members=_widen(data.members), sp500=_widen(data.sp500), pit=pit)


@pytest.fixture(scope="module")
def wide_monitor(monitor: Monitor) -> Monitor:
    return Monitor(compute(_as_float64(monitor.panel.data), monitor.thresholds), monitor.thresholds)


def test_embedded_member_panels_are_held_as_float32(market: MarketData) -> None:
    panels = [market.members, market.sp500, *(u.close for u in market.pit.values())]
    assert len(panels) >= 4 and all(p.values.dtype == np.float32 for p in panels)
    assert market.etf.values.dtype == np.float64  # ETF panels stay float64 (small, used everywhere)


@pytest.mark.parametrize("day", AS_OF)
def test_monitor_json_is_identical_on_float32_and_float64_member_panels(
    monitor: Monitor, wide_monitor: Monitor, day: str | None
) -> None:
    as_of = date.fromisoformat(day) if day else None
    assert monitor.at(as_of).to_json() == wide_monitor.at(as_of).to_json()


def test_every_breadth_array_is_bit_identical(monitor: Monitor, wide_monitor: Monitor) -> None:
    """Not only at the printed precision: the kernels compute in float64 whatever the panel holds."""
    for name, narrow in monitor.panel.breadth.items():
        wide = wide_monitor.panel.breadth[name]
        for f in dataclasses.fields(narrow.panel):
            a, b = getattr(narrow.panel, f.name), getattr(wide.panel, f.name)
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), (name, f.name)
        for key in ("current_pct_above_50", "current_pct_above_200", "ad_vs_sma50", "members_with_data"):
            assert np.array_equal(getattr(narrow, key), getattr(wide, key), equal_nan=True), (name, key)


def test_compact_only_when_float32_is_exact() -> None:
    dates = np.array(["2024-01-02", "2024-01-03"], dtype="datetime64[D]")
    exact = Panel(dates, ("A", "B"), np.array([[1.5, np.nan], [2.25, 3.0]]))
    small = exact.compact()
    assert small.values.dtype == np.float32
    assert np.array_equal(small.values, exact.values, equal_nan=True)
    assert small.column("A").dtype == np.float64 and small.columns(["B"]).dtype == np.float64
    inexact = Panel(dates, ("A", "B"), np.array([[0.1, 1.0], [2.0, 3.0]]))  # 0.1 is not a float32
    assert inexact.compact() is inexact
    huge = Panel(dates, ("A", "B"), np.array([[1e300, 1.0], [2.0, 3.0]]))  # beyond float32's range
    assert huge.compact() is huge


def test_align_keeps_the_dtype() -> None:
    dates = np.array(["2024-01-02", "2024-01-04"], dtype="datetime64[D]")
    panel = Panel(dates, ("A",), np.array([[1.0], [2.0]], dtype=np.float32))
    calendar = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[D]")
    out = align(panel, calendar)
    assert out.values.dtype == np.float32
    assert np.array_equal(out.values[:, 0], [1.0, np.nan, 2.0], equal_nan=True)
