"""Earnings breadth over the whole calendar, for the monitor (evidence ladder level 4).

Computed once over every trading day (vectorised), then sliced by the monitor at each as-of like any other
internal measure. Point in time: a surprise counts from the business day after its report date (reports
often come after the close), an estimate from its snapshot date.

* ``r2000_reporters_1q`` / ``r2000_beat_share_1q`` — R2000 members' reports in the trailing 91 calendar days
  and the share of them beating consensus EPS (NaN when fewer than MIN_REPORTS).
* ``r2000_revised_4w`` / ``r2000_net_revisions_4w`` — members whose next-report consensus EPS was re-read
  over the trailing 28 days, and (raised - cut) / members (NaN when fewer than MIN_REPORTS); carried at
  most 7 days past the last snapshot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rotascope._typing import DateArray, Float64Array
from rotascope.fundamentals.store import has_tables
from rotascope.store.db import Store

MIN_REPORTS = 30
BEAT_WINDOW_DAYS = 91
REVISION_DAYS = 28
REVISION_CARRY_DAYS = 7


def _beats(surprises: pd.DataFrame, calendar: DateArray) -> tuple[Float64Array, Float64Array]:
    days = calendar.astype("datetime64[D]")
    if surprises.empty:
        nan = np.full(len(days), np.nan)
        return nan, nan
    when = surprises["known_at"].to_numpy().astype("datetime64[D]")
    order = np.argsort(when, kind="stable")
    when = when[order]
    beat = surprises["beat"].to_numpy(dtype=np.float64)[order]
    cum_n = np.concatenate([[0.0], np.arange(1, len(when) + 1, dtype=np.float64)])
    cum_b = np.concatenate([[0.0], np.cumsum(beat)])
    hi = np.searchsorted(when, days, side="right")
    lo = np.searchsorted(when, days - np.timedelta64(BEAT_WINDOW_DAYS, "D"), side="right")
    n = cum_n[hi] - cum_n[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n >= MIN_REPORTS, (cum_b[hi] - cum_b[lo]) / n, np.nan)
    return n, share


def _revisions(per_snap: pd.DataFrame, calendar: DateArray) -> tuple[Float64Array, Float64Array]:
    """Spread the per-snapshot (revised, net) onto the calendar, carried at most REVISION_CARRY_DAYS."""
    days = calendar.astype("datetime64[D]")
    revised, net = np.full(len(days), np.nan), np.full(len(days), np.nan)
    if per_snap.empty:
        return revised, net
    snaps = per_snap["snap"].to_numpy().astype("datetime64[D]")
    n = per_snap["revised"].to_numpy(np.float64)
    value = np.where(n >= MIN_REPORTS, per_snap["net"].to_numpy(np.float64), np.nan)
    i = np.searchsorted(snaps, days, side="right") - 1
    ok = (i >= 0) & (days - snaps[np.maximum(i, 0)] <= np.timedelta64(REVISION_CARRY_DAYS, "D"))
    revised[ok], net[ok] = n[i[ok]], value[i[ok]]
    return revised, net


REVISIONS_SQL = f"""
WITH moves AS (
    SELECT s.snap, e.symbol, e.fiscal_end, arg_min(e.estimate, e.known_at) AS first,
           arg_max(e.estimate, e.known_at) AS last, count(*) AS n
    FROM (SELECT DISTINCT known_at AS snap FROM fund_estimates) s
    JOIN fund_estimates e ON e.known_at <= s.snap AND e.known_at > s.snap - INTERVAL {REVISION_DAYS} DAY
                         AND e.report_date >= s.snap
    WHERE e.symbol IN (SELECT symbol FROM eb_members)
    GROUP BY s.snap, e.symbol, e.fiscal_end HAVING count(*) > 1
    QUALIFY row_number() OVER (PARTITION BY s.snap, e.symbol ORDER BY e.fiscal_end) = 1)
SELECT snap, count(*) AS revised, avg(sign(last - first)) AS net FROM moves GROUP BY snap ORDER BY snap
"""
"""Per snapshot date: members whose next-report estimate was re-read in the trailing 28 days, and the
mean sign of its change (raised +1, cut -1, unchanged 0)."""


def earnings_internals(store: Store, calendar: DateArray) -> dict[str, Float64Array]:
    """The earnings-breadth arrays over ``calendar`` for today's R2000 members (empty when not stored)."""
    if not has_tables(store):
        return {}
    members = pd.DataFrame({"symbol": store.member_symbols("R2000")})
    store.conn.register("eb_members", members)
    try:
        surprises = store.conn.execute(
            "SELECT known_at, eps_actual > eps_estimate AS beat FROM fund_surprises "
            "WHERE symbol IN (SELECT symbol FROM eb_members)"
        ).df()
        per_snap = store.conn.execute(REVISIONS_SQL).df()
    finally:
        store.conn.unregister("eb_members")
    n, share = _beats(surprises, calendar)
    revised, net = _revisions(per_snap, calendar)
    return {
        "r2000_reporters_1q": n,
        "r2000_beat_share_1q": share,
        "r2000_revised_4w": revised,
        "r2000_net_revisions_4w": net,
    }
