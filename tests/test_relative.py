"""Relative strength of the monitor, checked by hand on real dates and against the raw files."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.indicators.relative_strength import RS_WINDOWS
from rotascope.monitor.run import Monitor
from rotascope.records import PairStrength


def pair(monitor: Monitor, name: str, day: date) -> PairStrength:
    return monitor.panel.snapshot(day).pair(name)


def test_iwm_spy_by_hand(monitor: Monitor) -> None:
    # closes read off the data: IWM 212.1838 / SPY 536.2941 on Fri 2024-07-19,
    # IWM 208.5633 / SPY 547.0397 on Fri 2024-07-12 (5 trading days earlier)
    by_hand = (212.1838 / 536.2941) / (208.5633 / 547.0397) - 1  # = +3.774 %: small caps' best week in years
    rs = pair(monitor, "IWM/SPY", date(2024, 7, 19))
    assert rs.returns["1w"] == pytest.approx(by_hand, abs=2e-6)
    assert rs.ratio == pytest.approx(212.1838 / 536.2941, abs=2e-6)
    # 1m: 21 trading days back is 2024-06-18 (IWM 196.4393, SPY 534.0826)
    assert rs.returns["1m"] == pytest.approx((212.1838 / 536.2941) / (196.4393 / 534.0826) - 1, abs=2e-6)
    # 12m: 252 trading days back is 2023-07-19 (IWM 189.9604, SPY 438.5390)
    assert rs.returns["12m"] == pytest.approx((212.1838 / 536.2941) / (189.9604 / 438.5390) - 1, abs=2e-6)
    assert rs.returns["12m"] < 0 < rs.returns["1m"]  # a sharp one-month burst inside a year of lagging


def test_rsp_spy_covid_crash_by_hand(monitor: Monitor) -> None:
    rs = pair(monitor, "RSP/SPY", date(2020, 3, 23))
    raw = monitor.panel.data.etf.to_frame()[["RSP", "SPY"]]
    now, then = raw.loc["2020-03-23"], raw.loc["2020-02-21"]  # 21 trading days apart
    assert rs.returns["1m"] == pytest.approx((now.RSP / now.SPY) / (then.RSP / then.SPY) - 1, abs=2e-6)
    assert rs.returns["1m"] < -0.05  # equal weight fell much harder than cap weight in the crash


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_all_windows_trend_and_persistence_match_pandas_on_many_dates(monitor: Monitor) -> None:
    raw = pd.read_parquet(SHARED / "prices/etf_ohlcv.parquet")
    closes = raw.pivot(index="date", columns="symbol", values="close")
    ratio = (closes.IWM / closes.SPY).dropna()
    sma50 = ratio.rolling(50).mean()
    rng = np.random.default_rng(7)
    for day in rng.choice(ratio.index[300:], size=30, replace=False):
        rs = pair(monitor, "IWM/SPY", pd.Timestamp(day).date())
        i = ratio.index.get_loc(day)
        for name, k in RS_WINDOWS.items():
            assert rs.returns[name] == pytest.approx(ratio.iloc[i] / ratio.iloc[i - k] - 1, abs=2e-6), (
                day,
                name,
            )
        assert rs.dist_sma50 == pytest.approx(ratio.iloc[i] / sma50.iloc[i] - 1, abs=2e-6)
        assert rs.above_sma50 == bool(ratio.iloc[i] > sma50.iloc[i])
        steps = [ratio.iloc[i - 5 * j] > ratio.iloc[i - 5 * (j + 1)] for j in range(4)]
        assert rs.persistence_4w == pytest.approx(sum(steps) / 4)
