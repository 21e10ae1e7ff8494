"""The small/big valuation spread as a backtest signal (issue #24): point in time, the lens's own
percentile, its record like every other signal's, and the other signals untouched by it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rotascope.backtest.report import BacktestRun, run_backtest
from rotascope.backtest.result import BacktestParams
from rotascope.config import Settings
from rotascope.fundamentals.valuation import SPREAD_SIGNAL, spread_history, spread_signal, valuation_at
from rotascope.monitor.run import Monitor
from rotascope.store.db import Store, open_store

DAYS = np.array(
    ["1930-06-13", "1975-01-03", "2000-03-31", "2008-10-10", "2024-07-19", "2026-07-01"],
    dtype="datetime64[D]",
)


def test_the_signal_is_the_lens_percentile_known_that_day(store: Store) -> None:
    signal = spread_signal(spread_history(store), DAYS)
    for day in DAYS:
        lens = valuation_at(store, day.astype(date), None, "test")
        assert lens is not None
        row = signal.loc[pd.Timestamp(day)]
        assert row["month"].date() == lens.data_date, day
        assert lens.spread_percentile.all is not None
        if any("The valuation data ends" in n for n in lens.notes):
            assert np.isnan(row[SPREAD_SIGNAL]), day  # the data has ended: not a current reading
        else:
            assert row[SPREAD_SIGNAL] == pytest.approx(lens.spread_percentile.all - 0.5, abs=6e-5), day
    assert signal[SPREAD_SIGNAL].isna().tolist() == [False] * 5 + [True]


def test_no_month_is_read_before_it_is_known(store: Store) -> None:
    """Cut the history at each day's knowledge: the signal on and before that day does not change."""
    history = spread_history(store)
    weekly = np.arange(np.datetime64("1990-01-05"), np.datetime64("2026-07-03"), 7)
    full = spread_signal(history, weekly)
    for cut in DAYS[2:]:
        upto = weekly[weekly <= cut]
        known = history[history["known_at"] <= pd.Timestamp(cut)]
        pd.testing.assert_frame_equal(spread_signal(known, upto), full.loc[pd.DatetimeIndex(upto)])
    # a month is known at the end of the next month, so the signal moves only then
    changes = full.index[full["month"].ne(full["month"].shift())][1:]
    moved = full["month"].loc[changes]
    public = pd.DatetimeIndex(moved) + pd.offsets.MonthEnd(1)
    assert len(changes) > 400 and (changes >= public).all()
    assert (changes - public < pd.Timedelta(days=7)).all()  # and it is read the first week it is public


START, END = date(2014, 1, 1), date(2019, 12, 31)


@pytest.fixture(scope="module")
def runs(monitor: Monitor, loaded_settings: Settings) -> tuple[BacktestRun, BacktestRun]:
    s = open_store(loaded_settings)
    try:
        history = spread_history(s)
    finally:
        s.close()
    params = BacktestParams(start=START, end=END, horizons=[4, 13, 26], cost_bps=5.0)
    return run_backtest(monitor, params), run_backtest(monitor, params, valuation=history)


def test_its_record_sits_beside_the_others_which_do_not_move(runs: tuple[BacktestRun, BacktestRun]) -> None:
    without, with_ = runs
    others = [s for s in with_.result.attribution.stats if s.signal != SPREAD_SIGNAL]
    assert [s.to_json() for s in others] == [s.to_json() for s in without.result.attribution.stats]
    assert with_.result.strategies == without.result.strategies
    assert with_.result.membership == without.result.membership
    mine = [s for s in with_.result.attribution.stats if s.signal == SPREAD_SIGNAL]
    assert [s.horizon_weeks for s in mine] == [4, 13, 26] and all(s.kind == "score" for s in mine)
    # the record from the signal and the labels directly (outcomes past the window excluded)
    col = with_.replay.signals[SPREAD_SIGNAL]
    for st in mine:
        y = with_.labels[f"fwd_{st.horizon_weeks}w"]
        both = pd.DataFrame({"s": col, "y": y}).dropna()
        fired = both["s"] > 0
        assert st.weeks == len(both) and st.fired == int(fired.sum())
        assert st.base_mean == pytest.approx(both["y"].mean(), abs=5e-7)
        assert st.ic == pytest.approx(both["s"].corr(both["y"], method="spearman"), abs=5e-7)
    # the caveat says how little independent evidence that is, with these numbers
    caveat = with_.result.caveats[-1]
    # a month is public at the end of the next: on day d the latest is the month two before d + 1 day's
    read = (col.index + pd.Timedelta(days=1)).to_period("M") - 2
    assert (with_.replay.signals.index.size, read.nunique()) == (len(col), 72)
    assert f"{len(col):,} weekly readings in the window are 72 distinct months (2013-11 to 2019-10)" in caveat
    counts = " / ".join(f"{s.weeks // s.horizon_weeks:,}" for s in mine)
    assert f"about {counts} non-overlapping outcomes at 4 / 13 / 26 weeks" in caveat
    assert len(with_.result.caveats) == len(without.result.caveats) + 1
