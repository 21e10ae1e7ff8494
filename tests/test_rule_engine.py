"""The rule engine judges every week at once as it judges each week alone, on the stored data.

The replay reads the rules' inputs as columns of the monitor panel (``monitor.columns``) and evaluates the
ladder, checklist and killers of all weeks in one call (``regime.rules.signals``); ``Monitor.at`` builds one
snapshot and words the records (``regime.evaluate``). Two ways of reading the same numbers, one engine:
each week's column values must equal what its snapshot gives, and each week's verdicts must be equal.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from rotascope.backtest.replay import (
    membership_frame,
    regime_frame,
    regime_signals,
    replay_dates,
    weekly_rows,
)
from rotascope.errors import DateOutOfRangeError
from rotascope.monitor.columns import rule_columns
from rotascope.monitor.run import Monitor
from rotascope.regime.rules import READS

STRESS = ("2008-10-10", "2020-03-20", "2022-06-17", "2024-07-19")
"""Weeks of a credit blow-out, a crash, a yield spike and a small-cap surge (killers fire, levels pass)."""


def _days(monitor: Monitor) -> np.ndarray:
    days = replay_dates(monitor)
    pick = np.random.default_rng(25).choice(len(days), 24, replace=False)
    fixed = np.array(STRESS, dtype="datetime64[D]")
    return np.unique(np.concatenate([days[pick], fixed, days[:1], days[-1:]]))


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_every_read_as_a_column_equals_the_snapshot(monitor: Monitor) -> None:
    days = _days(monitor)
    columns = rule_columns(monitor.panel, weekly_rows(monitor.panel, days))
    reads = READS
    assert len(reads) >= 20
    for i, d in enumerate(days):
        snap = monitor.at(d.astype(date)).snapshot
        for r in reads:
            want = r.of(snap)
            got = float(columns(r)[i])
            assert _same(got, math.nan if want is None else want), (d, r)


def test_all_weeks_at_once_equal_each_week_alone(monitor: Monitor) -> None:
    """N weeks in one call of the engine == N calls on one snapshot each (verdicts, order, membership)."""
    days = _days(monitor)
    frame = regime_frame(monitor, days)
    members = membership_frame(monitor, days)
    for i, d in enumerate(days):
        result = monitor.at(d.astype(date))
        want = regime_signals(result)
        assert list(frame.columns) == list(want), d
        assert all(_same(float(frame.iloc[i][k]), v) for k, v in want.items()), (d, want, frame.iloc[i])
        assert dict(members.iloc[i]) == {b.universe: b.membership for b in result.snapshot.breadth}, d
    killers = frame[[c for c in frame.columns if c.startswith("killer_")]]
    # not a vacuous comparison: killers fire and stay quiet, levels pass and fail, some answers are unknown
    assert (killers == 1.0).any().sum() >= 3 and (killers == 0.0).any().all()
    assert set(frame["ladder_reached"]) >= {0.0, 1.0} and frame["ladder_reached"].max() >= 3
    assert (frame.loc[pd.Timestamp("2008-10-10"), "killer_credit_widening"]) == 1.0
    assert frame.isna().any().any()


def test_a_day_before_the_history_gets_the_as_of_sentence(monitor: Monitor) -> None:
    early = np.array([monitor.panel.calendar[0]], dtype="datetime64[D]")
    try:
        regime_frame(monitor, early)
    except DateOutOfRangeError as e:
        assert "too early" in str(e)
    else:
        raise AssertionError("an as-of without history was judged")
