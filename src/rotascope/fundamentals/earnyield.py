"""The small-cap earnings yield from SimFin, point in time: an index's members' aggregate trailing
four-quarter net income over their aggregate market value, each week, beside the S&P 500 members' (built
into the embedded fundamentals as ``series``, so the valuation lens reads it without recomputing over the
members).

* **members**: the Russell 2000 (iShares IWM holdings) or S&P 500 (IVV) list in force at the week (the latest
  month-end list on or before it); before a universe's first dated list, today's members (survivorship).
* **earnings**: SimFin's quarterly ``Net Income (Common)`` summed over four consecutive quarters (first and
  last period end at most ``TTM_MAX_SPAN_DAYS`` apart), known when the last of the four was published; a
  trailing sum whose last period ended more than ``max_age_days`` before the week is stale and not used.
* **market value** = SimFin ``Shares (Basic)`` of the trailing sum's last quarter x the member's stored close.
  Split-consistent: SimFin restates every period's share count to the share basis of its export (CMG's
  2020 quarters carry its 50:1 split of June 2024), and the stored closes are split-adjusted to their own
  snapshot, so the product is the market value at that week's traded price, whatever splits fell between.
  Stored closes are also dividend-adjusted: for a payer they sit below the traded price by the dividends
  paid since, so market value is understated and the yield reads slightly high early in the span.
* **aggregate** = sum(net income) / sum(market value) over the members with both (a loss counts as
  negative earnings); members without a trailing sum, shares or a positive close are left out and counted.
  Banks and insurers are absent: SimFin keeps them in other files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from rotascope.fundamentals.simfin import TTM_MAX_SPAN_DAYS, _read
from rotascope.providers.quality import clean_panel
from rotascope.records import EarningsYield, EarningsYieldReading, rnd
from rotascope.regime.thresholds import EarningsYieldRules
from rotascope.store.db import Store

UNIVERSES = {"R2000": "ey_r2000", "SP500": "ey_sp500"}
"""Universe -> series id prefix: ``<id>`` (the yield, a fraction), ``<id>_covered``, ``<id>_members``,
``<id>_losers`` (share of the covered members with a trailing loss), ``<id>_top_loss`` (the largest single
member's trailing loss over the aggregate market value: how much of the yield one name takes)."""
SUFFIXES = ("", "_covered", "_members", "_losers", "_top_loss")
FIRST, LAST = date(2020, 1, 1), date(2025, 12, 31)
"""The span computed (the quarterly export covers periods to FY2025 Q1: later weeks run stale and stop)."""
INCOME = {"Net Income (Common)": "net_income", "Shares (Basic)": "shares"}


def trailing_earnings(quarterly: Path, share_band: float, income_band: float) -> pd.DataFrame:
    """``symbol, period_end, known_at, net_income, shares`` (currency units) from SimFin's quarterly income
    export: trailing four quarters ending at each quarter whose three predecessors are stored. A quarter's
    share count more than ``share_band`` times off the company's median is a unit error (SimFin has some in
    thousands, some 1,000x too large) and is left out; so is a quarter's net income more than
    ``income_band`` times the company's median absolute quarterly net income (CRSP's derived quarters of
    2020-2021 run to hundreds of billions), with every trailing sum that contains it."""
    q = _read(quarterly / "us-income-quarterly.zip", INCOME)
    q = q[q["Publish Date"] > q["period_end"]].sort_values(["symbol", "period_end"]).reset_index(drop=True)
    g = q.groupby("symbol", sort=False)
    ratio = q["shares"] / g["shares"].transform("median")
    q["shares"] = q["shares"].where((ratio <= share_band) & (ratio >= 1.0 / share_band))
    typical = q["net_income"].abs().groupby(q["symbol"], sort=False).transform("median")
    q["net_income"] = q["net_income"].where(q["net_income"].abs() <= income_band * typical)
    ok = (g.cumcount() >= 3) & ((q["period_end"] - g["period_end"].shift(3)).dt.days <= TTM_MAX_SPAN_DAYS)
    lags = [q] + [g[["net_income", "Publish Date"]].shift(k) for k in (1, 2, 3)]
    out = pd.DataFrame(
        {
            "symbol": q["symbol"].astype(str),
            "period_end": q["period_end"],
            "known_at": pd.concat([p["Publish Date"] for p in lags], axis=1).max(axis=1),
            "net_income": sum(p["net_income"].astype(float) for p in lags),
            "shares": q["shares"].astype(float),
        }
    )
    out = out[ok.to_numpy()].sort_values(["symbol", "known_at", "period_end"])
    # two trailing sums made public the same day (a late filer): the later period is the one known
    return out.drop_duplicates(["symbol", "known_at"], keep="last").reset_index(drop=True)


def build(
    shared: Path, bundled: Path, rules: EarningsYieldRules, spike_rules: tuple[float, float, float]
) -> pd.DataFrame:
    """The weekly series from SimFin's quarterly export (``shared``: the shared data folder) and the embedded
    dataset's closes, lists and current members (``bundled``), 2020-2025. The closes are cleaned as `init`
    cleans them (``spike_rules``: the settings' spike_up, spike_down, spike_reversal)."""
    ttm = trailing_earnings(
        shared / "fundamentals/simfin/quarterly_fy2019_2025q1", rules.share_band, rules.income_band
    )
    closes = pd.read_parquet(bundled / "members_close.parquet")
    if "date" in closes.columns:
        closes = closes.set_index("date")
    closes.index = pd.DatetimeIndex(closes.index)
    closes = clean_panel(closes, "bundled", *spike_rules)[0]  # the store's cleaning (glitches out)
    lists = pd.read_parquet(
        bundled / "membership.parquet", columns=["universe", "date", "ticker", "non_equity"]
    )
    lists = lists.loc[~lists["non_equity"], ["universe", "date", "ticker"]]
    inst = pd.read_parquet(bundled / "instruments.parquet", columns=["symbol", "universes"])
    today = {
        u: sorted(inst.loc[inst["universes"].map(lambda x, u=u: u in list(x)), "symbol"]) for u in UNIVERSES
    }
    days = week_ends(pd.DatetimeIndex(closes.index), FIRST, LAST)
    panel = yield_panel(ttm, closes, lists, today, days, rules.max_ttm_age_days)
    return as_series(aggregate(panel, rules.max_abs_ep), rules.min_coverage)


def week_ends(index: pd.DatetimeIndex, start: date, end: date) -> pd.DatetimeIndex:
    """The last trading day of each calendar week (Monday-Sunday) in ``[start, end]``."""
    days = index[(index >= pd.Timestamp(start)) & (index <= pd.Timestamp(end))]
    week = days.to_period("W-SUN")
    last = pd.Series(days, index=days).groupby(week).max()
    return pd.DatetimeIndex(last.to_numpy())


def yield_panel(
    ttm: pd.DataFrame,
    closes: pd.DataFrame,
    lists: pd.DataFrame,
    today: dict[str, list[str]],
    days: pd.DatetimeIndex,
    max_age_days: int,
) -> pd.DataFrame:
    """Per (universe, day, member): net income, shares, close and market value as known that day.

    ``closes``: wide stored closes (dates x symbols); ``lists``: ``universe, date, ticker`` month-end lists;
    ``today``: each universe's current members (used before its first dated list)."""
    grids = []
    for universe in UNIVERSES:
        part = lists[lists["universe"] == universe]
        dated = np.sort(part["date"].unique())
        at = np.searchsorted(dated, days.to_numpy(), side="right") - 1
        in_force = pd.DataFrame({"day": days, "list_date": dated[np.maximum(at, 0)], "pit": at >= 0})
        pit = in_force[in_force["pit"]].merge(part.rename(columns={"date": "list_date"}), on="list_date")[
            ["day", "ticker"]
        ]
        early = in_force.loc[~in_force["pit"], ["day"]].merge(
            pd.DataFrame({"ticker": today.get(universe, [])}), how="cross"
        )
        grids.append(pd.concat([pit, early], ignore_index=True).assign(universe=universe))
    grid = pd.concat(grids, ignore_index=True)
    wide = closes.reindex(days).rename_axis(index="day", columns="ticker")
    price = wide.reset_index().melt(id_vars="day", var_name="ticker", value_name="close")
    con = duckdb.connect()
    try:
        con.register("grid", grid)
        con.register("ttm", ttm)
        con.register("price", price)
        frame = con.execute(
            """
            SELECT g.universe, g.day, g.ticker, t.period_end, t.net_income, t.shares, p.close,
                   t.shares * p.close AS mcap
            FROM grid g
            ASOF LEFT JOIN ttm t ON t.symbol = g.ticker AND t.known_at <= g.day
            LEFT JOIN price p ON p.ticker = g.ticker AND p.day = g.day
            """
        ).df()
    finally:
        con.close()
    stale = (frame["day"] - frame["period_end"]).dt.days > max_age_days
    frame.loc[stale, ["net_income", "shares", "mcap"]] = np.nan
    return frame.sort_values(["universe", "day", "ticker"]).reset_index(drop=True)


def aggregate(panel: pd.DataFrame, max_abs_ep: float) -> pd.DataFrame:
    """``universe, day, ey, covered, members, losers, top_loss`` from :func:`yield_panel`'s rows. A member
    whose trailing earnings or loss exceeds ``max_abs_ep`` times its market value is a unit error (SimFin has
    some net incomes 1,000x too large) and is left out with the uncovered."""
    ok = (
        panel["net_income"].notna()
        & (panel["mcap"] > 0)
        & (panel["net_income"].abs() <= max_abs_ep * panel["mcap"])
    )
    p = panel.assign(
        ni=panel["net_income"].where(ok, 0.0),
        mv=panel["mcap"].where(ok, 0.0),
        ok=ok.astype(int),
        loss=(ok & (panel["net_income"] < 0)).astype(int),
        worst=panel["net_income"].where(ok & (panel["net_income"] < 0), 0.0),
    )
    g = p.groupby(["universe", "day"], sort=True).agg(
        ni=("ni", "sum"),
        mv=("mv", "sum"),
        covered=("ok", "sum"),
        members=("ticker", "size"),
        losers=("loss", "sum"),
        worst=("worst", "min"),
    )
    g = g.reset_index()
    g["ey"] = (g["ni"] / g["mv"]).where(g["covered"] > 0)
    g["losers"] = (g["losers"] / g["covered"]).where(g["covered"] > 0)
    g["top_loss"] = (g["worst"] / g["mv"]).where(g["covered"] > 0)
    return g[["universe", "day", "ey", "covered", "members", "losers", "top_loss"]]


def as_series(agg: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """Long ``series_id, date, value, known_at`` rows (each week's value is known that day), for the weeks
    in which at least ``min_coverage`` of the list's members are covered."""
    agg = agg[(agg["covered"] > 0) & (agg["covered"] >= min_coverage * agg["members"])]
    parts = []
    for suffix, col in zip(SUFFIXES, ("ey", "covered", "members", "losers", "top_loss"), strict=True):
        parts.append(
            pd.DataFrame(
                {
                    "series_id": agg["universe"].map(UNIVERSES) + suffix,
                    "date": pd.DatetimeIndex(agg["day"]).date,
                    "value": agg[col].astype("float64").to_numpy(),
                    "known_at": pd.DatetimeIndex(agg["day"]).date,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["series_id", "date"]).reset_index(drop=True)


LABELS = {"R2000": "Russell 2000", "SP500": "S&P 500"}
DEFINITION = (
    "sum of trailing-four-quarter net income (SimFin, known from the last quarter's publish date) over sum "
    "of market value (SimFin basic shares, split-restated, x the stored close) of the index's members that "
    "have both, weekly; losses count as negative earnings"
)


def known_wide(store: Store, prefix: str, as_of: date) -> pd.DataFrame:
    """The stored series whose id starts ``<prefix>_``, as known by the as-of, wide (dates x series ids)."""
    frame = store.conn.execute(
        "SELECT series_id, date, value FROM series WHERE series_id LIKE ? ESCAPE '\\' "
        "AND known_at <= ? ORDER BY date",
        [f"{prefix}\\_%", as_of],
    ).df()
    if frame.empty:
        return frame
    return frame.pivot(index="date", columns="series_id", values="value").sort_index()


def _at(s: pd.Series, day: pd.Timestamp) -> float | None:
    """The last value of a daily series on or before ``day``."""
    s = s.dropna()
    s = s[s.index <= day]
    return None if s.empty else float(s.iloc[-1])


def earnings_yield_at(
    store: Store, as_of: date, baa: pd.Series, hy_yield: pd.Series, stale_days: int, max_age_days: int
) -> EarningsYield | None:
    """The latest weekly reading of each index known by the as-of, against the Baa yield and the HY-yield
    proxy (daily series, percent) at its data date; None when no ``ey_*`` series is stored."""
    wide = known_wide(store, "ey", as_of)
    if wide.empty:
        return None
    wide.index = pd.DatetimeIndex(wide.index)
    readings: list[EarningsYieldReading] = []
    notes: list[str] = []
    for universe, sid in UNIVERSES.items():
        ids = [sid + s for s in SUFFIXES]
        if not set(ids) <= set(wide.columns):  # a store loaded from another build: no reading, no guess
            continue
        part = wide[ids].dropna()
        if part.empty:
            continue
        day = pd.Timestamp(part.index[-1])
        row = part.iloc[-1]
        value = float(row[sid])
        b, h = _at(baa, day), _at(hy_yield, day)
        readings.append(
            EarningsYieldReading(
                universe=LABELS[universe],
                value=rnd(value, 5),
                data_date=day.date(),
                covered=int(row[sid + "_covered"]),
                members=int(row[sid + "_members"]),
                losers=rnd(float(row[sid + "_losers"]), 4),
                top_loss=rnd(float(row[sid + "_top_loss"]), 5),
                minus_baa_pp=rnd(value * 100.0 - b, 3) if b is not None else None,
                minus_hy_pp=rnd(value * 100.0 - h, 3) if h is not None else None,
            )
        )
        if (as_of - day.date()).days > stale_days:
            notes.append(
                f"The {LABELS[universe]} earnings yield ends {day.date()} ({(as_of - day.date()).days} days "
                "before the as-of): SimFin's quarterly export stops at FY2025 Q1."
            )
    if not readings:
        return None
    notes += [
        "Financials are absent: SimFin's export has no banks or insurers (steady earners in both indexes), "
        "so both yields leave them out.",
        "Members without SimFin statements, a fresh trailing sum (last quarter ended within "
        f"{max_age_days} days) or a "
        "stored close are left out (see covered); before the first dated list (Russell 2000 2022-01, "
        "S&P 500 2018-01) today's members stand in (survivorship). Closes are dividend-adjusted, so a "
        "payer's market value reads low by the dividends paid since, and its yield slightly high.",
    ]
    return EarningsYield(readings=readings, definition=DEFINITION, notes=notes)
