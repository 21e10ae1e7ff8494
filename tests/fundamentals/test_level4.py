"""Evidence ladder level 4 on real earnings evidence where stored, the labelled proxy elsewhere."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.monitor.run import Monitor
from rotascope.records import LadderLevel
from rotascope.store.db import Store


def level4(monitor: Monitor, day: date) -> LadderLevel:
    return next(lv for lv in monitor.at(day).regime.ladder.levels if lv.level == 4)


def test_level4_uses_the_share_beating_estimates_in_2019(monitor: Monitor, store: Store) -> None:
    day = date(2019, 6, 28)
    lv = level4(monitor, day)
    assert lv.proxy is None
    beat = lv.evidence[0]
    assert beat.name == "Share of R2000 members beating consensus EPS"
    raw = pd.read_csv(SHARED / "fundamentals/earnings_surprises_2018_2021.csv", parse_dates=["date"])
    raw["known"] = raw.date + pd.offsets.BDay(1)  # public from the business day after the report
    members = set(store.member_symbols("R2000"))
    recent = raw[
        raw.symbol.isin(members)
        & (raw.known > pd.Timestamp(day - timedelta(days=91)))
        & (raw.known <= pd.Timestamp(day))
        & raw.eps_estimate.notna()
    ]
    assert beat.value == pytest.approx((recent.eps_actual > recent.eps_estimate).mean(), abs=1e-6)
    assert beat.passed == (beat.value >= 0.6)
    assert f"{len(recent)} reports" in beat.note


def test_level4_uses_net_revisions_in_december_2025(monitor: Monitor) -> None:
    lv = level4(monitor, date(2025, 12, 19))
    assert lv.proxy is None
    net = next(e for e in lv.evidence if e.name.startswith("Net EPS estimate revisions"))
    assert net.value is not None and -1.0 <= net.value <= 1.0


def test_level4_is_the_labelled_proxy_where_nothing_is_stored(monitor: Monitor) -> None:
    lv = level4(monitor, date(2015, 6, 30))
    assert lv.proxy is not None and lv.proxy.startswith("PROXY")
    assert lv.evidence[0].name.startswith("Small-cap cyclicals minus defensives")
