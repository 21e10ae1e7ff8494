"""Point-in-time index membership: stored lists equal the file, breadth counts them, bad lists are flagged."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.monitor.data import MarketData
from rotascope.monitor.run import Monitor
from rotascope.store.db import Store
from rotascope.universe.membership import check_membership

PIT_FILE = SHARED / "universe/pit/index_members_monthly.parquet"
needs_shared = pytest.mark.skipif(not PIT_FILE.exists(), reason="../shared/data not present")
NAMES = {"R2000": "R2000 (iShares IWM holdings)", "SP500": "S&P 500 (iShares IVV holdings)"}


def file_list(universe: str, day: str) -> set[str]:
    raw = pd.read_parquet(PIT_FILE)
    rows = raw[(raw["index"] == NAMES[universe]) & (raw.date == day) & ~raw.non_equity]
    assert len(rows) > 400
    alias = {"BRKB": "BRK-B", "BFB": "BF-B", "MOGA": "MOG-A", "LENB": "LEN-B", "HEIA": "HEI-A"}
    return {alias.get(t, t.replace(".", "-")) for t in rows.ticker}


@needs_shared
@pytest.mark.parametrize(
    ("universe", "day"), [("R2000", "2022-06-30"), ("R2000", "2025-12-31"), ("SP500", "2019-12-31")]
)
def test_stored_lists_equal_the_file(store: Store, universe: str, day: str) -> None:
    lists = store.membership(universe)
    on_day = lists[lists.date == pd.Timestamp(day)]
    assert set(on_day.symbol) == file_list(universe, day)
    assert (on_day.known_at == on_day.date).all()
    # priced means: the symbol has stored closes
    priced = set(store.instruments().query("kind == 'stock'").symbol)
    assert set(on_day.symbol[on_day.priced]) == set(on_day.symbol) & priced


@needs_shared
def test_breadth_at_a_pit_date_counts_exactly_the_listed_members_with_prices(
    monitor: Monitor, market: MarketData
) -> None:
    day = "2024-07-19"  # the list in force is the one of 2024-06-30
    listed = file_list("R2000", "2024-06-30")
    closes = market.pit["R2000"].close.to_frame()
    today = closes.loc[day]
    counted = [c for c in closes.columns if c in listed and np.isfinite(today[c])]
    b = next(x for x in monitor.at(date.fromisoformat(day)).snapshot.breadth if x.universe == "R2000")
    assert b.membership == "point_in_time" and b.membership_date == date(2024, 6, 30)
    assert b.members_with_data == len(counted)
    assert b.members_listed == len(listed)
    assert b.coverage == pytest.approx(len(counted) / len(listed), abs=1e-6)
    ma50 = closes[counted].rolling(50).mean().loc[day]
    ok = ma50.notna()
    assert b.pct_above_50 == pytest.approx((today[counted][ok] > ma50[ok]).mean(), abs=1e-6)
    # the same pass also measured today's members (the survivorship-biased reading)
    current = list(market.members.symbols)
    cur_ma = closes[current].rolling(50).mean().loc[day]
    ok = cur_ma.notna() & today[current].notna()
    expected_current = float((today[current][ok] > cur_ma[ok]).mean())
    assert b.pct_above_50_current_members == pytest.approx(expected_current, abs=1e-6)
    assert b.pct_above_50 is not None
    gap = 100 * (expected_current - b.pct_above_50)
    assert f"{100 * expected_current:.1f}% above the 50-day ({gap:+.1f} pp)" in b.caveat
    assert f"{len(counted):,} of {len(listed):,} members" in b.caveat


def test_survivorship_mean_is_measured_from_the_window_up_to_the_as_of(monitor: Monitor) -> None:
    u = monitor.panel.breadth["SP500"]
    assert u.list_row is not None and u.current_pct_above_200 is not None
    t = monitor.panel.row(date(2021, 12, 31))
    rows = np.flatnonzero(u.list_row[: t + 1] >= 0)
    d200 = u.current_pct_above_200[rows] - u.panel.pct_above_200[rows]
    d50 = u.current_pct_above_50[rows] - u.panel.pct_above_50[rows]  # type: ignore[index]
    m50, m200, n = u.survivorship(t)
    assert n == len(rows) and rows[0] == monitor.panel.row(date(2018, 1, 31))
    assert m200 == pytest.approx(np.nanmean(d200)) and m50 == pytest.approx(np.nanmean(d50))
    snap = monitor.panel.snapshot(date(2021, 12, 31))
    sp = next(b for b in snap.breadth if b.universe == "SP500")
    assert f"mean {m50:+.1f} / {m200:+.1f} pp over the {n:,} days" in sp.caveat


def test_before_the_first_list_today_s_members_are_used_and_said(monitor: Monitor) -> None:
    snap = monitor.panel.snapshot(date(2019, 6, 28))
    by = {b.universe: b for b in snap.breadth}
    assert by["R2000"].membership == "current" and by["R2000"].membership_date is None
    assert "No point-in-time R2000 list was known on 2019-06-28" in by["R2000"].caveat
    assert "Survivorship" in by["R2000"].caveat
    assert by["SP500"].membership == "point_in_time" and by["SP500"].membership_date == date(2019, 5, 31)


def test_a_stale_list_is_called_out(monitor: Monitor) -> None:
    # the R2000 lists end 2026-04-30: in late June the list is about two months old
    snap = monitor.panel.snapshot(date(2026, 6, 30))
    r2000 = next(b for b in snap.breadth if b.universe == "R2000")
    assert r2000.membership_date == date(2026, 4, 30)
    assert re.search(r"The list in use is 61 days old", r2000.caveat)


def test_bad_lists_raise_loud_flags_and_never_change_the_universe_silently() -> None:
    raw = pd.DataFrame(
        {
            "universe": "R2000",
            "date": ["2024-01-31"] * 4 + ["2024-04-30"] * 3 + ["2024-05-31"],
            "ticker": ["AAA", "BBB", "BBB", "bad ticker!", "AAA", "BRK.B", "CASH", "AAA"],
            "non_equity": [False] * 6 + [True, False],
            "origin": "test",
        }
    )
    out, flags = check_membership(raw, {"AAA", "BBB"}, "test")
    reasons = [(f.symbol, f.date, f.reason) for f in flags]
    assert ("BBB", "2024-01-31", "R2000 list: duplicate row") in reasons
    assert ("BAD-TICKER!", "2024-01-31", "R2000 list: malformed ticker") in reasons
    assert ("CASH", "2024-04-30", "R2000 list: not a stock (cash, future)") in reasons
    assert ("BRK-B", "2024-04-30", "R2000 member without stored prices (not in breadth)") in reasons
    assert ("R2000", "2024-04-30", "gap of 90 days before this list") in reasons
    assert ("R2000", "2024-05-31", "list size 1 changed by 50% from the last") in reasons
    assert all(f.action in ("dropped", "kept") and f.field == "membership" for f in flags)
    assert list(out.symbol) == ["AAA", "BBB", "AAA", "BRK-B", "AAA"]
    assert list(out.priced) == [True, True, True, False, True]
