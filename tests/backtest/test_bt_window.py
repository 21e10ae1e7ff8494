"""A backtest covers exactly its window: the same span sliced from a longer run, and nothing after its end.

* in process: a 2015-2019 run equals the 2012-2022 run sliced to 2015-2019 wherever the definitions allow
  (signals, forward outcomes known inside the window, every attribution count and mean, the trend
  strategy's daily returns between its first and last fill);
* the command a user runs: prices and series after 2019-12-31 scrambled in a copy of the store leave
  `backtest --start 2015-01-01 --end 2019-12-31 -f json` unchanged, every strategy and benchmark ends by
  2019-12-31, and none lost more than the pair's own returns allow;
* the threshold sweep likewise: `backtest --sweep` over [sweep] 2015-2019 gives the same JSON on the
  scrambled copy, and every variant's in- and out-of-sample record ends by 2019-12-31.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from rotascope.backtest.report import BacktestRun, run_backtest
from rotascope.backtest.result import BacktestParams
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from storecopy import private_home

START, END = date(2015, 1, 1), date(2019, 12, 31)
HORIZONS = [1, 4, 13]


def _run(monitor: Monitor, start: date, end: date) -> BacktestRun:
    return run_backtest(monitor, BacktestParams(start=start, end=end, horizons=HORIZONS, cost_bps=5.0))


@pytest.fixture(scope="module")
def runs(monitor: Monitor) -> tuple[BacktestRun, BacktestRun]:
    return _run(monitor, date(2012, 1, 1), date(2022, 12, 31)), _run(monitor, START, END)


def test_signals_and_outcomes_are_the_longer_run_sliced(runs: tuple[BacktestRun, BacktestRun]) -> None:
    long, sub = runs
    days = sub.replay.signals.index
    assert days[0] >= pd.Timestamp(START) and days[-1] <= pd.Timestamp(END)
    pd.testing.assert_frame_equal(sub.replay.signals, long.replay.signals.loc[days])
    # an outcome is kept when its horizon ends on an as-of inside the window, else NaN (never read later)
    for h in HORIZONS:
        col = f"fwd_{h}w"
        want = long.labels.loc[days, col].to_numpy().copy()
        want[-h:] = np.nan
        np.testing.assert_array_equal(sub.labels[col].to_numpy(), want)
    assert sub.result.attribution.past_end == HORIZONS


def test_attribution_is_computed_on_the_window_only(runs: tuple[BacktestRun, BacktestRun]) -> None:
    """Counts, means, hit rates and IC from the longer run's columns cut to the window's known outcomes
    (an independent pandas computation; the bootstrap interval depends on the sample, so it is not
    compared)."""
    long, sub = runs
    days = sub.replay.signals.index
    for st in sub.result.attribution.stats:
        s = long.replay.signals.loc[days, st.signal]
        y = long.labels.loc[days, f"fwd_{st.horizon_weeks}w"].copy()
        y.iloc[-st.horizon_weeks :] = np.nan  # their horizon ends after the window's last as-of
        both = pd.DataFrame({"s": s, "y": y}).dropna()
        fired = both["s"] > 0
        assert st.weeks == len(both) and st.fired == int(fired.sum()), st.signal
        if st.fired:
            assert st.mean_fired == pytest.approx(both["y"][fired].mean(), abs=5e-7)
            assert st.hit_rate == pytest.approx((both["y"][fired] > 0).mean(), abs=5e-7)
        assert st.base_mean == pytest.approx(both["y"].mean(), abs=5e-7)
        ic = both["s"].corr(both["y"], method="spearman")
        if st.ic is not None:
            assert st.ic == pytest.approx(ic, abs=5e-7)


def test_strategies_end_on_the_window_and_close(runs: tuple[BacktestRun, BacktestRun]) -> None:
    long, sub = runs
    assert sub.result.last_day == date(2019, 12, 31)
    for sim in sub.sims:
        assert sim.equity.index[-1] == pd.Timestamp("2019-12-31"), sim.name
        assert sim.weights.iloc[-1].abs().sum() == 0.0, sim.name  # nothing left open
    for st in [*sub.result.strategies, *sub.result.benchmarks]:
        assert START.isoformat() <= st.start and st.end == "2019-12-31", st.name
    # trend_pair decides each week from that week alone: between its second fill and the day before the
    # close, its daily returns are the longer run's (to 1e-7: a rebalance's cost is a share of the drifted
    # weights, which carry the run's own cost history)
    mine = next(s for s in sub.sims if s.name == "trend_pair")
    theirs = next(s for s in long.sims if s.name == "trend_pair")
    idx = mine.equity.index
    span = idx[(idx > mine.weights.index[1]) & (idx < idx[-1])]
    a = mine.equity.pct_change().loc[span].to_numpy()
    b = theirs.equity.pct_change().loc[span].to_numpy()
    assert len(span) > 1000 and np.max(np.abs(a - b)) < 1e-7


# ------------------------------------------------------------------------------------ the whole command
def _backtest(home: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "ROTASCOPE_HOME": str(home)}
    args = args or ("backtest", "--start", START.isoformat(), "--end", END.isoformat(), "-f", "json")
    run = subprocess.run(
        [sys.executable, "-m", "rotascope", *args], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    payload: dict[str, Any] = json.loads(run.stdout)
    return payload


def _scramble_after(db: Path, end: date) -> None:
    """Every price and series value dated or known after ``end`` multiplied by a factor in 0.5..2.5."""
    con = duckdb.connect(str(db))
    try:
        cut = f"DATE '{end.isoformat()}'"
        f = "(1.5 + sin(epoch(date) / 86400.0 + length(symbol)))"
        con.execute(
            f"UPDATE bars SET open = open * {f}, high = high * {f}, low = low * {f}, close = close * {f}, "
            f"close_traded = close_traded * {f} WHERE date > {cut} OR known_at > {cut}"
        )
        g = "(1.5 + sin(epoch(date) / 86400.0 + length(series_id)))"
        con.execute(f"UPDATE series SET value = value * {g} + 1 WHERE date > {cut} OR known_at > {cut}")
    finally:
        con.close()


@pytest.fixture(scope="module")
def scrambled_home(loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = private_home(loaded_settings, tmp_path_factory.mktemp("scrambled"))
    _scramble_after(home / "rotascope.duckdb", END)
    after = slice(pd.Timestamp("2020-01-02"), None)
    spy, mixed = _closes(loaded_settings.db, "SPY", after), _closes(home / "rotascope.duckdb", "SPY", after)
    assert len(spy) > 1000 and (spy != mixed).mean() > 0.99  # the scramble took (the new home has no cache)
    return home


@pytest.fixture(scope="module")
def clean_and_scrambled(loaded_settings: Settings, scrambled_home: Path) -> Any:
    return _backtest(loaded_settings.home), _backtest(scrambled_home)


def test_nothing_after_the_end_is_read(clean_and_scrambled: Any) -> None:
    clean, scrambled = clean_and_scrambled
    assert clean == scrambled


SWEEP = f"""
[sweep]
start = "{START}"
end = "{END}"
oos_start = "2018-01-01"

[grid]
"ladder.relative_strength.min_rel_1m" = [0.0, 0.02]
"""


def test_a_sweep_reads_nothing_after_its_end(
    loaded_settings: Settings, scrambled_home: Path, tmp_path: Path
) -> None:
    """The sweep trades its ladder strategy inside [start, end] too: same JSON on the scrambled copy, every
    record ends by the end (the open position closed there), out-of-sample from oos_start."""
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    args = ("backtest", "--sweep", str(path), "-f", "json")
    clean, scrambled = _backtest(loaded_settings.home, *args), _backtest(scrambled_home, *args)
    assert clean == scrambled
    assert clean["last_day"] == END.isoformat() and clean["end"] <= END.isoformat()
    for v in clean["variants"]:
        assert v["in_sample"]["end"] < "2018-01-01" <= v["out_of_sample"]["start"]
        assert v["out_of_sample"]["end"] == END.isoformat(), v["variant"]["label"]


def _closes(db: Path, symbol: str, span: slice | None = None) -> pd.Series:
    """Daily closes of ``symbol`` straight from the store file (default: the window), forward-filled."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT date, close FROM bars WHERE symbol = ? ORDER BY date", [symbol]).fetchall()
    finally:
        con.close()
    closes = pd.Series([r[1] for r in rows], index=pd.DatetimeIndex([r[0] for r in rows])).ffill()
    return closes.loc[span or slice(pd.Timestamp(START), pd.Timestamp(END))]


def test_every_number_is_physically_possible_for_the_pair(
    clean_and_scrambled: Any, loaded_settings: Settings
) -> None:
    """Ends by --end; buy-and-hold is the leg's own return and drawdown; a pair strategy (weights within
    -1..+1, decided weekly, rebalanced at each fill) loses at most the worst side of the pair's own move
    in every holding period, plus costs."""
    payload = clean_and_scrambled[0]
    rows = [*payload["strategies"], *payload["benchmarks"]]
    assert all(START.isoformat() <= r["start"] and r["end"] <= END.isoformat() for r in rows)
    legs = {s: _closes(loaded_settings.db, s) for s in ("IWM", "SPY")}
    cost = payload["params"]["cost_bps"] / 1e4
    first = pd.Timestamp(rows[0]["start"])
    for r in payload["benchmarks"]:
        px = legs[r["name"].removeprefix("hold_")].loc[first:]
        years = (px.index[-1] - px.index[0]).days / 365.25
        own_cagr = (px.iloc[-1] / px.iloc[0]) ** (1 / years) - 1
        assert r["cagr"] == pytest.approx(own_cagr, abs=5e-4), r["name"]
        assert r["max_drawdown"] == pytest.approx((px / px.cummax() - 1).min(), abs=2e-3), r["name"]
    # holding periods: from each fill (the day after a week's last session) to the next
    iwm, spy = legs["IWM"].loc[first:], legs["SPY"].loc[first:]
    week = iwm.index.to_period("W-SUN")
    fills = iwm.index[np.flatnonzero(np.r_[True, week[1:] != week[:-1]])]
    worst_end, worst_in = 1 - 6 * cost, 1 - 6 * cost  # the close on the last day
    bounds = [*fills, iwm.index[-1]]
    for a, b in itertools.pairwise(bounds):
        x = (iwm.loc[a:b] / iwm.loc[a]) - (spy.loc[a:b] / spy.loc[a])
        m = float(np.abs(x).max())
        worst_end *= (1 - 6 * cost - abs(float(x.iloc[-1]))) if b > a else 1.0
        worst_in *= (1 - 6 * cost) * (1 - 2 * m / (1 - 6 * cost - m))
    years = (iwm.index[-1] - iwm.index[0]).days / 365.25
    for r in payload["strategies"]:
        assert r["final_equity"] >= worst_end - 1e-6, r["name"]
        assert r["cagr"] >= worst_end ** (1 / years) - 1 - 1e-6, r["name"]
        assert r["max_drawdown"] >= -(1 - worst_in) - 1e-6, r["name"]
