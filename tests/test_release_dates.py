"""Release dates: every macro and factor series is used only from its ``known_at``; calendar-month changes."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from rotascope.indicators.macro import change_months
from rotascope.monitor.data import MarketData, SeriesData
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor
from rotascope.providers.release_dates import known_at


@pytest.mark.parametrize("day", ["2013-10-29", "2025-12-19"])
def test_no_series_is_used_before_its_known_at(monitor: Monitor, market: MarketData, day: str) -> None:
    """Replace every macro/factor value not yet public on `day` by garbage: nothing at `day` may change."""
    cut = np.datetime64(day, "D")
    poisoned = {
        sid: SeriesData(s.dates, s.known_at, np.where(s.known_at > cut, s.values + 0.37, s.values))
        for sid, s in market.series.items()
    }
    assert all((s.known_at > cut).any() for s in market.series.values())
    short = compute(dataclasses.replace(market, series=poisoned), monitor.thresholds)
    assert (
        short.snapshot(date.fromisoformat(day)).to_json()
        == monitor.panel.snapshot(date.fromisoformat(day)).to_json()
    )
    # and the poison does show up once the values are public (the test can fail)
    later = date.fromisoformat(day).replace(year=date.fromisoformat(day).year + 1)
    assert short.snapshot(later).to_json() != monitor.panel.snapshot(later).to_json()


def test_known_at_is_never_before_the_observation_period_ends(market: MarketData) -> None:
    for sid, s in market.series.items():
        assert (s.known_at >= s.dates).all(), sid
    for sid in ("cpi_core_yoy", "ff_smb"):
        s = market.series[sid]
        month_end = (s.dates.astype("datetime64[M]") + 1).astype("datetime64[D]")
        assert (s.known_at >= month_end).all(), sid


def test_cpi_uses_the_shutdown_release_dates(monitor: Monitor) -> None:
    # Sep-2013 CPI came out on 2013-10-30 (shutdown), not mid-October
    assert monitor.panel.snapshot(date(2013, 10, 29)).macro.observed["cpi_core_yoy"] == date(2013, 8, 1)
    assert monitor.panel.snapshot(date(2013, 10, 30)).macro.observed["cpi_core_yoy"] == date(2013, 9, 1)
    # Sep-2025 CPI on 2025-10-24
    assert monitor.panel.snapshot(date(2025, 10, 23)).macro.observed["cpi_core_yoy"] == date(2025, 8, 1)
    assert monitor.panel.snapshot(date(2025, 10, 24)).macro.observed["cpi_core_yoy"] == date(2025, 9, 1)


def test_cpi_three_month_change_uses_calendar_months(monitor: Monitor, market: MarketData) -> None:
    cpi = market.series["cpi_core_yoy"]
    assert np.datetime64("2025-10-01") not in cpi.dates  # never published
    v = dict(zip(cpi.dates, cpi.values, strict=True))
    dec_minus_sep = v[np.datetime64("2025-12-01")] - v[np.datetime64("2025-09-01")]
    dec = monitor.panel.snapshot(date(2026, 2, 2))  # Dec-2025 minus Sep-2025, both published
    assert dec.macro.observed["cpi_core_yoy"] == date(2025, 12, 1)
    assert dec.macro.values["core_cpi_yoy_chg_3m"] == pytest.approx(dec_minus_sep, abs=1e-6)
    # January 2026 minus October 2025 does not exist (no October value): the latest change known stays
    # Dec minus Sep, dated December; counting rows would have given Jan minus Sep (four months)
    jan = monitor.panel.snapshot(date(2026, 3, 2))
    assert jan.macro.observed["cpi_core_yoy"] == date(2026, 1, 1)
    assert jan.macro.observed["core_cpi_yoy_chg_3m"] == date(2025, 12, 1)
    assert jan.macro.values["core_cpi_yoy_chg_3m"] == pytest.approx(dec_minus_sep, abs=1e-6)
    by_rows = v[np.datetime64("2026-01-01")] - v[np.datetime64("2025-09-01")]
    assert abs(by_rows - dec_minus_sep) > 1e-3


def test_change_months_by_hand() -> None:
    d = np.array(
        ["2025-07-01", "2025-08-01", "2025-09-01", "2025-11-01", "2025-12-01"], dtype="datetime64[D]"
    )
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    got = change_months(d, x, 3)
    assert np.isnan(got[:3]).all() and list(got[3:]) == [6.0, 12.0]  # Nov - Aug, Dec - Sep
    assert np.isnan(change_months(d, x, 1)[3])  # Nov - Oct: October is missing


def test_release_rules() -> None:
    d = pd.Series(pd.to_datetime(["2013-09-01", "2025-11-01", "2024-01-01"]))
    assert [str(x.date()) for x in known_at(d, "cpi")] == ["2013-10-30", "2025-12-22", "2024-02-22"]
    assert [str(x.date()) for x in known_at(d, "emp")] == ["2013-10-22", "2025-12-16", "2024-02-15"]
    ff = known_at(pd.Series(pd.to_datetime(["2024-03-01", "2024-03-29", "2024-02-29"])), "ff")
    assert [str(x.date()) for x in ff] == ["2024-04-30", "2024-04-30", "2024-03-31"]
    # claims (week ending Saturday) on Thursday; NFCI (week ending Friday) on Wednesday
    w = known_at(pd.Series(pd.to_datetime(["2024-07-13", "2024-07-12"])), "w5")
    assert [x.day_name() for x in w] == ["Thursday", "Wednesday"]
