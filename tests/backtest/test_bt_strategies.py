"""Strategies: hand-checked accounting, no look-ahead in fills, and a cross-check against vectorbt.

vectorbt (an independent, numba-based portfolio engine) is given the same daily closes, the same target
weights on the same fill dates (``size_type="targetpercent"``, one cash-sharing group, sells first) and
the same fee rate; its daily portfolio value must match ours within 1e-9 per period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotascope.backtest.replay import replay_dates
from rotascope.backtest.strategies import (
    SimResult,
    breadth_trigger_targets,
    hold_targets,
    leg_prices,
    pair_targets,
    run_strategies,
    simulate,
    tilt_targets,
    trend_pair_targets,
)
from rotascope.monitor.run import Monitor


def _vectorbt_value(prices: pd.DataFrame, sim: SimResult, cost_bps: float, rebalance: bool) -> pd.Series:
    vbt = pytest.importorskip("vectorbt")
    px = prices.loc[sim.equity.index]
    orders = pd.DataFrame(np.nan, index=px.index, columns=px.columns)
    decided = sim.targets
    if rebalance:
        orders.loc[decided.index] = decided.to_numpy()
    else:  # only where the decided target changes; shares are held (drift) otherwise
        changed = decided.diff().abs().sum(axis=1).to_numpy() != 0
        changed[0] = True
        orders.loc[decided.index[changed]] = decided.to_numpy()[changed]
    pf = vbt.Portfolio.from_orders(
        px,
        orders,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=cost_bps / 1e4,
        init_cash=1.0,
        freq="1D",
    )
    value: pd.Series = pf.value()
    return value


@pytest.fixture(scope="module")
def asof(monitor: Monitor) -> np.ndarray:
    return replay_dates(monitor)


@pytest.fixture(scope="module")
def prices(monitor: Monitor) -> pd.DataFrame:
    return leg_prices(monitor.panel)


def _tilt(asof: np.ndarray) -> pd.Series:
    idx = pd.DatetimeIndex(asof.astype("datetime64[ns]"))
    return pd.Series(np.sin(np.arange(len(asof)) / 9.0) * 1.2, index=idx)  # clipped to ±1 by the strategy


@pytest.mark.parametrize(
    ("strategy", "cost_bps", "lag", "rebalance"),
    [
        ("trend", 0.0, 1, True),
        ("trend", 10.0, 1, True),
        ("trend", 10.0, 0, False),
        ("breadth", 7.5, 1, True),
        ("tilt", 5.0, 1, True),
        ("tilt", 5.0, 1, False),
        ("hold_IWM", 0.0, 1, False),
    ],
)
def test_matches_vectorbt(
    monitor: Monitor,
    asof: np.ndarray,
    prices: pd.DataFrame,
    strategy: str,
    cost_bps: float,
    lag: int,
    rebalance: bool,
) -> None:
    targets = {
        "trend": lambda: trend_pair_targets(monitor.panel, asof),
        "breadth": lambda: breadth_trigger_targets(monitor.panel, asof),
        "tilt": lambda: tilt_targets(_tilt(asof), asof),
        "hold_IWM": lambda: hold_targets("IWM", asof),
    }[strategy]()
    stop = 0.08 if strategy == "tilt" else None
    sim = simulate(prices, targets, cost_bps, lag=lag, rebalance=rebalance, stop=stop)
    if stop is not None:
        assert sim.stops > 0  # the stop is exercised, and vectorbt sees the same (stopped) targets
    ours = sim.equity
    theirs = _vectorbt_value(prices, sim, cost_bps, rebalance)
    assert np.max(np.abs(ours.pct_change().to_numpy()[1:] - theirs.pct_change().to_numpy()[1:])) < 1e-9
    assert abs(ours.iloc[0] - theirs.iloc[0]) < 1e-12
    assert abs(ours.iloc[-1] / theirs.iloc[-1] - 1) < 1e-9


def _toy() -> tuple[pd.DataFrame, np.ndarray]:
    days = pd.bdate_range("2024-01-01", periods=8)
    prices = pd.DataFrame(
        {
            "IWM": [100.0, 100.0, 110.0, 110.0, 99.0, 99.0, 99.0, 108.9],
            "SPY": [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        },
        index=days,
    )
    return prices, days.to_numpy().astype("datetime64[D]")


def test_hand_checked_pair_with_next_day_fill_and_costs() -> None:
    """Decide +1 at day 0's close; filled at day 1's close (IWM 100, SPY 100): 0.01 share long IWM, 0.01
    short SPY, cost 2 legs x 10 bps x 1.0 = 0.002 -> equity 0.998. Day 2 IWM 110: +0.01 x 10 = +0.1 ->
    1.098. Decide flat at day 2's close, filled at day 3's close (IWM still 110): held weights
    1.1/1.098 and -1/1.098, turnover 2.1/1.098, cost 10 bps x 2.1 = 0.0021 -> 1.0959, then flat."""
    prices, days = _toy()
    targets = pair_targets(np.array([1.0, 0.0, 0.0]), days[[0, 2, 4]])
    sim = simulate(prices, targets, cost_bps=10, lag=1)
    eq = sim.equity
    assert eq.index[0] == prices.index[1]  # the curve starts at the first fill
    assert eq.iloc[0] == pytest.approx(0.998, abs=1e-15)
    assert eq.iloc[1] == pytest.approx(1.098, abs=1e-12)
    assert eq.iloc[2] == pytest.approx(1.0959, abs=1e-12)
    assert np.allclose(eq.iloc[3:], 1.0959, atol=1e-12)  # flat: IWM's fall to 99 does not touch it
    assert sim.trades == 2
    assert list(sim.turnover) == pytest.approx([2.0, 2.1 / 1.098, 0.0])
    stats = sim.stats()
    assert stats.total_costs == pytest.approx(0.0041, abs=1e-6)


def test_a_decision_never_earns_the_return_of_its_own_or_next_day() -> None:
    """With lag=1 a position decided at close t is filled at close t+1: day t+1's move is not earned."""
    prices, days = _toy()
    sim = simulate(prices, pair_targets(np.array([1.0]), days[[1]]), lag=1)
    assert sim.equity.index[0] == prices.index[2] and sim.equity.iloc[0] == 1.0  # the +10 % of day 2 missed
    sim0 = simulate(prices, pair_targets(np.array([1.0]), days[[1]]), lag=0)
    assert sim0.equity.loc[prices.index[2]] == pytest.approx(1.1)  # lag 0: filled at day 1's close


def test_stop_exits_and_waits_for_a_sign_change() -> None:
    """Long the pair from day 1's close (IWM 100); by day 4 IWM is 99 after 110: drawdown from the peak
    1.1 is 1 - 0.99/1.1 = 10 % >= the 8 % stop, so the as-of of day 4 exits (filled day 5). The weight stays
    +1 on day 5 (same sign: remain flat) and flips to -1 on day 6 (re-enter short the pair)."""
    prices, days = _toy()
    weights = pd.Series([1.0, 1.0, 1.0, 1.0, -1.0], index=pd.DatetimeIndex(days[[0, 2, 4, 5, 6]]))
    sim = simulate(prices, tilt_targets(weights, days[[0, 2, 4, 5, 6]]), stop=0.08, lag=1)
    assert sim.stops == 1
    assert list(sim.targets["IWM"]) == [1.0, 1.0, 0.0, 0.0, -1.0]
    assert sim.equity.loc[prices.index[5]] == pytest.approx(0.99)  # exited at day 5's close, 99/100
    # short the pair from day 7's close: day 7 is the fill, nothing earned yet
    assert sim.equity.iloc[-1] == pytest.approx(0.99)


def test_a_position_open_at_the_end_is_closed_at_its_close_with_its_cost() -> None:
    """Long the pair from day 1's close; the window ends on day 5 (prices cut there): the position is sold
    at day 5's close (IWM 99), paying 10 bps on the held weights, and nothing after day 5 is read."""
    prices, days = _toy()
    prices.loc[prices.index[6:], "IWM"] = np.nan  # after the window: must not matter
    sim = simulate(
        prices.iloc[:6], pair_targets(np.array([1.0]), days[[0]]), cost_bps=10, lag=1, close_at_end=True
    )
    assert sim.equity.index[-1] == prices.index[5]
    value = 0.998 + 0.01 * (99.0 - 100.0)  # 0.988 before the exit
    held = 0.01 * 99.0 / value + 0.01 * 100.0 / value
    assert sim.equity.iloc[-1] == pytest.approx(value - 1e-3 * held * value, abs=1e-12)
    assert list(sim.targets["IWM"]) == [1.0, 0.0] and sim.trades == 2
    assert sim.weights.iloc[-1].abs().sum() == 0.0
    # a decision whose fill falls on the last day is replaced by the close (no trade then exit)
    sim2 = simulate(
        prices.iloc[:6], pair_targets(np.array([1.0, -1.0]), days[[0, 4]]), cost_bps=10, close_at_end=True
    )
    assert list(sim2.targets["IWM"]) == [1.0, 0.0] and sim2.trades == 2
    assert sim2.equity.iloc[-1] == pytest.approx(sim.equity.iloc[-1], abs=1e-15)


def test_closing_at_the_end_matches_vectorbt(
    monitor: Monitor, asof: np.ndarray, prices: pd.DataFrame
) -> None:
    """The closing fill is one more target (0) on the last day: vectorbt values it the same."""
    cut = prices.loc[:"2019-12-31"]
    days = asof[asof <= np.datetime64("2019-12-31")]
    sim = simulate(cut, trend_pair_targets(monitor.panel, days), 10.0, close_at_end=True)
    assert sim.equity.index[-1] == pd.Timestamp("2019-12-31") and sim.costs.iloc[-1] >= 0
    theirs = _vectorbt_value(cut, sim, 10.0, True)
    assert abs(sim.equity.iloc[-1] / theirs.iloc[-1] - 1) < 1e-9


def test_no_position_before_a_leg_has_prices() -> None:
    prices, days = _toy()
    prices.loc[prices.index[:3], "IWM"] = np.nan
    sim = simulate(prices, pair_targets(np.ones(4), days[[0, 1, 2, 3]]), lag=1)
    assert list(sim.targets["IWM"]) == [0.0, 0.0, 1.0, 1.0]


def test_hold_benchmark_is_the_price_ratio(monitor: Monitor, asof: np.ndarray, prices: pd.DataFrame) -> None:
    """Buy once at the first fill and hold: equity = P / P0 minus the entry cost (paid from cash)."""
    sim = simulate(prices, hold_targets("SPY", asof), cost_bps=5.0, rebalance=False)
    spy = prices["SPY"].loc[sim.equity.index]
    want = (spy / spy.iloc[0]).to_numpy() - 5e-4
    assert np.allclose(sim.equity.to_numpy(), want, rtol=0, atol=1e-12)
    assert sim.trades == 1 and sim.turnover.sum() == pytest.approx(1.0)


def test_run_strategies_report_stats(monitor: Monitor, asof: np.ndarray) -> None:
    sims = run_strategies(monitor.panel, asof, 5.0, tilt=_tilt(asof), stop=0.1)
    names = [s.name for s in sims]
    assert names == ["trend_pair", "breadth_trigger", "decision_tilt", "hold_SPY", "hold_IWM"]
    for s in sims:
        st = s.stats()
        assert st.start == "2000-05-30"  # first as-of 2000-05-26, Memorial Day, filled Tuesday
        assert st.max_drawdown is not None and -1 < st.max_drawdown <= 0
        assert st.vol is not None and st.vol > 0
    spy = sims[3].stats()
    assert spy.trades == 2 and spy.exposure == 1.0  # bought at the first fill, sold on the last day
    assert spy.cagr is not None and 0.05 < spy.cagr < 0.12
    assert "Survivorship" in sims[1].note


def test_breadth_trigger_rules(monitor: Monitor, asof: np.ndarray) -> None:
    """Check the hysteresis against the breadth arrays: entries only on a cross above 60 % or a thrust,
    exits only on a cross below 40 %."""
    tg = breadth_trigger_targets(monitor.panel, asof)["IWM"].to_numpy()
    bp = monitor.panel.breadth["R2000"].panel
    rows = np.searchsorted(monitor.panel.calendar, asof)
    pct = bp.pct_above_50[rows]
    prev = np.r_[np.nan, pct[:-1]]
    enter = np.flatnonzero((tg[1:] == 1) & (tg[:-1] == 0)) + 1
    leave = np.flatnonzero((tg[1:] == 0) & (tg[:-1] == 1)) + 1
    assert len(enter) > 10 and len(leave) > 10
    count = np.cumsum(bp.thrust_signal)
    for k in enter:
        thrust = count[rows[k]] - count[rows[k - 1]] > 0
        assert (prev[k] <= 60 < pct[k]) or thrust
    for k in leave:
        assert prev[k] >= 40 > pct[k]
