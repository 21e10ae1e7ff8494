"""Weekly replay: typed signals per as-of, injected extra signals, and no look-ahead."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import pytest

from rotascope.backtest.replay import Replay, regime_signals, replay, replay_dates
from rotascope.monitor.data import MarketData
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor, MonitorResult


def _extra(result: MonitorResult) -> Mapping[str, float]:
    """A stand-in for the agents: a score from the snapshot, and the week's as-of echoed back."""
    iwm = result.snapshot.pair("IWM/SPY")
    m1 = iwm.returns.get("1m")
    return {
        "dummy_score": math.nan if m1 is None else max(-1.0, min(1.0, 10 * m1)),
        "dummy_asof": float(result.as_of.toordinal()),
    }


@pytest.fixture(scope="module")
def recent(monitor: Monitor) -> Replay:
    return replay(monitor, extra=_extra, start=date(2018, 1, 1), end=date(2021, 12, 31))


def test_default_range_starts_with_iwm(monitor: Monitor) -> None:
    days = replay_dates(monitor)
    assert str(days[0]) == "2000-05-26"  # IWM's first close, a Friday
    assert 1_300 < len(days) < 1_400


def test_signals_frame_is_typed(monitor: Monitor, recent: Replay) -> None:
    sig = recent.signals
    assert sig.index.name == "as_of" and sig.index.is_monotonic_increasing
    assert (sig.dtypes == np.float64).all()
    assert str(sig.index[0].date()) == "2018-01-05" and str(sig.index[-1].date()) == "2021-12-31"
    flags = [c for c, k in recent.kinds.items() if k == "flag"]
    assert {"ladder_l1", "check_breadth_improving", "killer_yield_spike"} <= set(flags)
    assert recent.kinds["ladder_reached"] == "score" and recent.kinds["dummy_score"] == "score"
    values = sig[flags].to_numpy()
    assert np.isin(values[np.isfinite(values)], (0.0, 1.0)).all()
    assert sig["ladder_reached"].between(0, 5).all()
    assert recent.extra_columns == ("dummy_asof", "dummy_score")
    assert any("Survivorship" in c for c in recent.caveats)


def test_rows_equal_monitor_at_each_date(monitor: Monitor, recent: Replay) -> None:
    for day in ("2020-03-20", "2021-06-04"):
        result = monitor.at(date.fromisoformat(day))
        row = recent.signals.loc[day]
        expected = regime_signals(result)
        for k, v in expected.items():
            assert (math.isnan(v) and math.isnan(row[k])) or row[k] == v, k
        assert row["ladder_reached"] == result.regime.ladder.reached
    # the extra callable saw exactly the as-of of its row
    echoed = recent.signals["dummy_asof"].map(lambda o: pd.Timestamp(date.fromordinal(int(o))))
    assert (pd.DatetimeIndex(echoed) == recent.signals.index).all()


def test_extra_may_not_shadow_regime_signals(monitor: Monitor) -> None:
    with pytest.raises(ValueError, match="collide"):
        replay(monitor, extra=lambda r: {"ladder_l1": 1.0}, start=date(2024, 1, 1), end=date(2024, 1, 31))


@pytest.mark.parametrize("cut", ["2020-03-18", "2008-10-08"])
def test_no_look_ahead_truncated_replay_is_identical(monitor: Monitor, market: MarketData, cut: str) -> None:
    """Rebuild the monitor on the data as it stood at the close of `cut` (a Wednesday, mid-crash) and replay
    the two years before it: every signal, including the injected ones, equals the full-history replay."""
    day = np.datetime64(cut, "D")
    short = Monitor(
        compute(market.upto(day), monitor.thresholds, monitor.panel.stale_after_days), monitor.thresholds
    )
    start = date.fromisoformat(cut).replace(year=int(cut[:4]) - 2)
    got = replay(short, extra=_extra, start=start)
    want = replay(monitor, extra=_extra, start=start, end=date.fromisoformat(cut))
    # the truncated data end mid-week: that week is not complete, so both end on the Friday before
    assert got.signals.index[-1] == want.signals.index[-1] < pd.Timestamp(cut)
    pd.testing.assert_frame_equal(got.signals, want.signals, check_exact=True)
    assert got.kinds == want.kinds
