"""Earnings breadth over the whole calendar, for the monitor (evidence ladder level 4).

Computed once over every trading day (vectorised), then sliced by the monitor at each as-of like any other
internal measure. Point in time: a surprise counts from its report date, an estimate from its snapshot date.

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


def _revisions(est: pd.DataFrame, calendar: DateArray) -> tuple[Float64Array, Float64Array]:
    days = calendar.astype("datetime64[D]")
    revised, net = np.full(len(days), np.nan), np.full(len(days), np.nan)
    if est.empty:
        return revised, net
    snaps = np.unique(est["known_at"].to_numpy().astype("datetime64[D]"))
    per_snap_n, per_snap_net = [], []
    for snap in snaps:  # ~40 snapshot dates; each step is vectorised over all symbols
        live = est[
            (est["known_at"] <= snap)
            & (est["known_at"] > snap - np.timedelta64(REVISION_DAYS, "D"))
            & (est["report_date"] >= snap)
        ]
        g = live.sort_values("known_at").groupby(["symbol", "fiscal_end"])["estimate"]
        moves = pd.DataFrame({"first": g.first(), "last": g.last(), "n": g.size()})
        moves = moves[moves["n"] > 1].reset_index().sort_values("fiscal_end").groupby("symbol").head(1)
        d = np.sign(moves["last"].to_numpy() - moves["first"].to_numpy())
        per_snap_n.append(float(len(d)))
        per_snap_net.append(float(d.mean()) if len(d) >= MIN_REPORTS else np.nan)
    i = np.searchsorted(snaps, days, side="right") - 1
    ok = (i >= 0) & (days - snaps[np.maximum(i, 0)] <= np.timedelta64(REVISION_CARRY_DAYS, "D"))
    revised[ok] = np.asarray(per_snap_n)[i[ok]]
    net[ok] = np.asarray(per_snap_net)[i[ok]]
    return revised, net


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
        est = store.conn.execute(
            "SELECT symbol, fiscal_end, report_date, estimate, known_at FROM fund_estimates "
            "WHERE symbol IN (SELECT symbol FROM eb_members)"
        ).df()
    finally:
        store.conn.unregister("eb_members")
    for col in ("fiscal_end", "report_date", "known_at"):
        est[col] = est[col].to_numpy().astype("datetime64[D]")
    n, share = _beats(surprises, calendar)
    revised, net = _revisions(est, calendar)
    return {
        "r2000_reporters_1q": n,
        "r2000_beat_share_1q": share,
        "r2000_revised_4w": revised,
        "r2000_net_revisions_4w": net,
    }
