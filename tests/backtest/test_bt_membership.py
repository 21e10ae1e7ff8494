"""Point-in-time membership in the backtest: each week's flag, per-signal flags, and the replay re-run on
today's members (computed from the data, checked against the monitor itself)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from rotascope.backtest.command import _print_tables
from rotascope.backtest.membership import compare_membership
from rotascope.backtest.replay import Replay, regime_signals, replay
from rotascope.backtest.report import BacktestParams, BacktestResult, run_backtest
from rotascope.backtest.strategies import breadth_trigger_targets, leg_prices, simulate
from rotascope.monitor.engine import todays_members
from rotascope.monitor.run import Monitor

START, END = date(2021, 11, 1), date(2022, 12, 31)


@pytest.fixture(scope="module")
def first_list(monitor: Monitor) -> np.datetime64:
    """The day the first Russell 2000 list became known (read from the store, not assumed)."""
    return np.datetime64(monitor.panel.data.pit["R2000"].known_at[0], "D")


@pytest.fixture(scope="module")
def rep(monitor: Monitor) -> Replay:
    return replay(monitor, start=START, end=END)


def test_weekly_flag_switches_at_the_first_list(rep: Replay, first_list: np.datetime64) -> None:
    assert rep.membership is not None
    before = rep.asof < first_list
    assert before.any() and (~before).any()  # the window straddles the first list
    r2000 = rep.membership["R2000"].to_numpy()
    assert (r2000[before] == "current").all()
    assert (r2000[~before] == "point_in_time").all()
    # the S&P 500 had lists from 2018: every week of the window is on one
    assert (rep.membership["SP500"] == "point_in_time").all()


def test_flag_matches_the_monitor_on_each_side(
    monitor: Monitor, rep: Replay, first_list: np.datetime64
) -> None:
    last_before = rep.asof[rep.asof < first_list][-1]
    first_after = rep.asof[rep.asof >= first_list][0]
    for day in (last_before, first_after):
        r2000 = monitor.at(day.astype(date)).snapshot.breadth[0]
        assert r2000.universe == "R2000"
        assert rep.membership is not None
        assert r2000.membership == rep.membership.loc[pd.Timestamp(day), "R2000"]


def test_signal_stats_count_the_weeks_on_the_dated_list(monitor: Monitor, first_list: np.datetime64) -> None:
    run = run_backtest(monitor, BacktestParams(start=START, end=END, horizons=[1], cost_bps=5.0, draws=50))
    stats = {s.signal: s for s in run.result.attribution.stats}
    on_list = int((run.replay.asof >= first_list).sum())
    l2 = stats["ladder_l2"]
    assert l2.universe == "R2000" and l2.weeks_point_in_time == on_list - 1  # the last week has no label
    assert l2.survivorship  # the weeks before the first list used today's members
    assert stats["ladder_l4"].weeks_point_in_time == 0 and stats["ladder_l4"].survivorship  # member medians
    assert stats["check_cyclicals_confirming"].universe is None  # sector ETFs, no members
    assert not stats["check_cyclicals_confirming"].survivorship
    # all weeks after the first list: breadth signals carry no survivorship flag
    later = run_backtest(
        monitor, BacktestParams(start=date(2022, 3, 1), end=END, horizons=[1], cost_bps=5.0, draws=50)
    )
    l2_later = next(s for s in later.result.attribution.stats if s.signal == "ladder_l2")
    assert l2_later.weeks_point_in_time == l2_later.weeks and not l2_later.survivorship
    # the comparison is part of the record, the JSON and the terminal output
    result = run.result
    assert result.membership is not None and result.membership.weeks == on_list
    back = BacktestResult.model_validate_json(result.to_json())
    assert back.membership == result.membership
    console = Console(record=True, width=200)
    _print_tables(result, console)
    text = console.export_text()
    assert "Breadth membership per universe" in text and result.membership.summary[:40] in text


def test_todays_members_equals_the_lists_before_the_first_one(monitor: Monitor) -> None:
    alt = todays_members(monitor.panel)
    pit, cur = monitor.panel.breadth["R2000"], alt.breadth["R2000"]
    assert pit.list_row is not None and cur.pit is None
    before = pit.list_row < 0
    a, b = pit.panel.pct_above_50, cur.panel.pct_above_50
    ok = np.isfinite(a) & np.isfinite(b)
    assert np.allclose(a[before & ok], b[before & ok])
    assert not np.allclose(a[~before & ok], b[~before & ok])  # the lists change breadth
    # today's members on the recount equal the engine's own survivorship reading inside the window
    ref = pit.current_pct_above_50
    assert ref is not None
    inside = ~before & np.isfinite(ref) & np.isfinite(b)
    assert np.allclose(ref[inside], b[inside])


def test_comparison_is_recomputed_from_both_monitors(monitor: Monitor, rep: Replay) -> None:
    comp = compare_membership(monitor, rep)
    assert rep.membership is not None
    on = rep.membership["R2000"] == "point_in_time"
    assert comp.weeks == int(on.sum()) and comp.start == rep.signals.index[on.to_numpy()][0].date()
    changed = [s for s in comp.signals if s.changed]
    assert changed, "the lists change no signal in 2022: the comparison would be empty"
    alt = dataclasses.replace(monitor, panel=todays_members(monitor.panel))
    for s in changed[:2]:
        week = s.changed_weeks[0]
        assert regime_signals(monitor.at(week))[s.signal] != regime_signals(alt.at(week))[s.signal]
    unchanged = next(s for s in comp.signals if not s.changed)
    week = rep.signals.index[on.to_numpy()][-1].date()
    assert (
        regime_signals(monitor.at(week))[unchanged.signal] == regime_signals(alt.at(week))[unchanged.signal]
    )
    both = {s.name: s for s in comp.strategies}
    trend = both["trend_pair"]
    assert trend.point_in_time == trend.current_members  # reads no member breadth
    days = rep.asof[on.to_numpy()]
    sim = simulate(
        leg_prices(alt.panel), breadth_trigger_targets(alt.panel, days), 5.0, name="breadth_trigger"
    )
    assert both["breadth_trigger"].current_members.cagr == sim.stats().cagr
    assert comp.summary.count("weeks on R2000") == 1 and str(comp.weeks) in comp.summary


def test_no_dated_week_means_nothing_to_compare(monitor: Monitor) -> None:
    early = replay(monitor, start=date(2019, 1, 1), end=date(2019, 3, 31))
    comp = compare_membership(monitor, early)
    assert comp.weeks == 0 and comp.signals == [] and comp.strategies == []
    assert "nothing to compare" in comp.summary
    assert {u.universe: u.weeks_point_in_time for u in comp.universes}["R2000"] == 0
