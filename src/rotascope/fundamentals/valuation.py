"""The valuation lens: small vs big caps' book-to-market against financing conditions, point in time.

Reads the monthly ``ff6_*`` series (Fama-French 6 size x book-to-market portfolios, see
:mod:`rotascope.fundamentals.ff6`) as known at the as-of — a month's value is public at the end of the next
month — and the daily Baa spread, 10-year yield, HY OAS and 10y-2y curve:

* **spread** = value-weighted BE/ME of small caps / that of big caps (BE of fiscal year t-1 over June t
  market equity); > 1 means small caps are cheaper on book. Its percentile is the share of months up to
  the data date whose spread was at most today's, over the whole history (from 1926-07), the last 30
  and the last 10 years.
* **current-price spread**: each size group's BE/ME divided by its cumulative value-weighted return since
  the June formation (July of year t through the data month). Total returns stand in for price returns,
  so the price move is overstated by the dividends accrued since June (a few percent at most).
* **relative profitability** = operating profitability small - big (OP / BE of fiscal year t-1).
* **financing**: Baa yield (Baa-Treasury spread + 10-year yield), HY OAS and the 10y-2y curve, each at its
  percentile of its own stored history up to the as-of.
* The seed's rule: rates easing (10-year yield lower than 13 weeks before) and revisions improving (the
  ladder's earnings rung) justify higher multiples; rates sticky and revisions deteriorating: cheap can get
  cheaper; otherwise the rule does not decide. Its inputs are shown with it.
* Beside it, the SimFin earnings yields of the Russell 2000 and S&P 500 members (stored weekly series, see
  :mod:`rotascope.fundamentals.earnyield`) minus the Baa yield and the HY-yield proxy (HY OAS + 10-year).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from rotascope.fundamentals.earnyield import earnings_yield_at, known_wide
from rotascope.records import FinancingReading, Percentiles, ValuationLens, rnd
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store

VARIANT = "value-weighted BE/ME, book equity of fiscal year t-1 over June t market equity"
ROLL_METHOD = (
    "BE/ME of each size group divided by its cumulative value-weighted return from July (the month after "
    "the June formation) through the data month; total returns stand in for price returns"
)
KNOWN_RULE = "a month's value is known at the end of the following month (the library's publication lag)"
STALE_DAYS = 62
"""The lens says its data has ended when the data month is more than this many days before the as-of."""
EMBEDDED_END = date(2024, 12, 31)
"""The last month of the embedded file (CRSP 202412 release)."""
RATES_WINDOW_DAYS = 91
"""Rates are easing when the 10-year yield is lower than it was this many days before."""


def _monthly(store: Store, as_of: date) -> pd.DataFrame:
    """The ff6 series known by the as-of, wide (month ends x series ids)."""
    return known_wide(store, "ff6", as_of)


def rolled(beme: pd.Series, ret_pct: pd.Series) -> pd.Series:
    """BE/ME at current prices: divided by the cumulative return since the last June formation."""
    idx = pd.DatetimeIndex(beme.index)
    year = idx.year - (idx.month < 7)  # formation year: July t .. June t+1
    growth = (1.0 + ret_pct / 100.0).groupby(np.asarray(year)).cumprod()
    out: pd.Series = beme / growth.to_numpy()
    return out


def percentiles(values: pd.Series) -> Percentiles:
    """Percentile of the last value among the series' months (whole, last 30 and 10 years)."""
    s = values.dropna()
    last = float(s.iloc[-1])
    end = pd.Timestamp(s.index[-1])

    def pct(years: int | None) -> float | None:
        part = s if years is None else s[s.index > end - pd.DateOffset(years=years)]
        if years is not None and pd.Timestamp(s.index[0]) > end - pd.DateOffset(years=years):
            return None
        return rnd(float((part <= last).mean()), 4)

    return Percentiles(all=pct(None), y30=pct(30), y10=pct(10), since=pd.Timestamp(s.index[0]).date())


SPREAD_SIGNAL = "valuation_spread"
"""The backtest's name for the spread as a weekly signal (:func:`spread_signal`)."""
SPREAD_SIGNAL_NOTE = (
    "valuation_spread = percentile of the small/big BE/ME spread (Fama-French 6 portfolios) over its whole "
    "history known at the as-of, minus 0.5: > 0 when small caps are cheaper than usual relative to big "
    "caps, the reading that expects them to outperform"
)


def spread_history(store: Store) -> pd.DataFrame:
    """Every stored month of the small/big BE/ME spread with the date it became known (the later of its
    two parts'): columns ``date, known_at, spread``, sorted by month (empty when none is stored)."""
    frame = store.conn.execute(
        "SELECT date, max(known_at) AS known_at, "
        "max(value) FILTER (WHERE series_id = 'ff6_beme_small') / "
        "max(value) FILTER (WHERE series_id = 'ff6_beme_big') AS spread "
        "FROM series WHERE series_id IN ('ff6_beme_small', 'ff6_beme_big') GROUP BY date ORDER BY date"
    ).df()
    frame = frame.dropna()
    for col in ("date", "known_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame.reset_index(drop=True)


def spread_signal(history: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """Per day of ``days`` (index): ``valuation_spread``, the percentile of the latest spread known that
    day among every month known that day (as :func:`percentiles` gives the lens's ``all``) minus 0.5, and
    ``month``, the latest data month known; NaN / NaT before the first month is known. Like the lens, a
    reading whose month ended more than STALE_DAYS before the day (the data has ended) is not used: its
    signal is NaN (its month is kept, so the caller can count those weeks).

    Point in time: only months with ``known_at`` <= the day count, the latest of them by month."""
    when = pd.DatetimeIndex(np.asarray(days).astype("datetime64[ns]"))
    out = np.full(len(when), np.nan)
    months = np.full(len(when), np.datetime64("NaT"), dtype="datetime64[ns]")
    if history.empty:
        return pd.DataFrame({SPREAD_SIGNAL: out, "month": months}, index=when)
    h = history.sort_values(["known_at", "date"], kind="stable")
    known = h["known_at"].to_numpy(dtype="datetime64[ns]")
    month = h["date"].to_numpy(dtype="datetime64[ns]")
    value = h["spread"].to_numpy(dtype=np.float64)
    # after the k-th arrival k + 1 months are known: the latest month among them (the last arrival that
    # raised the running maximum) and the share of the k + 1 at or below its spread
    n = np.arange(len(h))
    pos = np.maximum.accumulate(np.where(month == np.maximum.accumulate(month), n, 0))
    last = value[pos]
    share = (value[None, :] <= last[:, None]) & (n[None, :] <= n[:, None])
    pct = share.sum(axis=1) / (n + 1.0)
    k = np.searchsorted(known, when.to_numpy(), side="right") - 1
    ok = k >= 0
    months[ok] = month[pos[k[ok]]]
    fresh = ok & (when.to_numpy() - months <= np.timedelta64(STALE_DAYS, "D"))
    out[fresh] = pct[k[fresh]] - 0.5
    return pd.DataFrame({SPREAD_SIGNAL: out, "month": months}, index=when)


def _daily(store: Store, sid: str, as_of: date) -> pd.Series:
    if not store.has_series(sid):
        return pd.Series(dtype=float)
    frame = store.conn.execute(
        "SELECT date, value FROM series WHERE series_id = ? AND known_at <= ? ORDER BY date", [sid, as_of]
    ).df()
    return pd.Series(frame["value"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(frame["date"]))


def _reading(name: str, s: pd.Series) -> FinancingReading:
    s = s.dropna()
    if s.empty:
        return FinancingReading(name=name, value=None, percentile=None, observed=None, since=None)
    last = float(s.iloc[-1])
    return FinancingReading(
        name=name,
        value=rnd(last, 4),
        percentile=rnd(float((s <= last).mean()), 4),
        observed=pd.Timestamp(s.index[-1]).date(),
        since=pd.Timestamp(s.index[0]).date(),
    )


def rule_text(easing: bool | None, improve: bool | None, rates: str, revisions: str) -> str:
    """The seed's rule, worded from its two inputs."""
    if easing is None or improve is None:
        return f"The rule cannot decide: {rates}; {revisions}."
    if easing and improve:
        return (
            f"Rates are easing and revisions improve: higher multiples can be justified ({rates}; "
            f"{revisions})."
        )
    if not easing and not improve:
        return f"Rates are sticky and revisions deteriorate: cheap can get cheaper ({rates}; {revisions})."
    return (
        f"Mixed: rates are {'easing' if easing else 'sticky'} but revisions "
        f"{'improve' if improve else 'deteriorate'}; the rule does not decide ({rates}; {revisions})."
    )


def valuation_at(
    store: Store, as_of: date, revisions_improve: bool | None, revisions_source: str
) -> ValuationLens | None:
    """The lens as known at ``as_of``; None when no ff6 month is known yet (or none is stored)."""
    wide = _monthly(store, as_of)
    need = {"ff6_beme_small", "ff6_beme_big", "ff6_ret_small", "ff6_ret_big"}
    if wide.empty or not need <= set(wide.columns):
        return None
    wide.index = pd.DatetimeIndex(wide.index)
    spread = (wide["ff6_beme_small"] / wide["ff6_beme_big"]).dropna()
    now = (
        rolled(wide["ff6_beme_small"], wide["ff6_ret_small"])
        / rolled(wide["ff6_beme_big"], wide["ff6_ret_big"])
    ).dropna()
    last = wide.index[-1]
    data_date = last.date()
    row = wide.iloc[-1]
    op_s = float(row.get("ff6_op_small", np.nan))
    op_b = float(row.get("ff6_op_big", np.nan))
    rel = (
        wide.get("ff6_op_small", pd.Series(dtype=float)) - wide.get("ff6_op_big", pd.Series(dtype=float))
    ).dropna()
    has_op = bool(np.isfinite(op_s) and np.isfinite(op_b))
    baa = _daily(store, "baa_spread", as_of)
    ten = _daily(store, "ust_10y", as_of)
    baa_yield = (baa + ten.reindex(baa.index)).dropna()
    hy_oas = _daily(store, "hy_oas", as_of)
    financing = [
        _reading("Baa yield (%)", baa_yield),
        _reading("HY OAS (%)", hy_oas),
        _reading("10y-2y curve (pp)", _daily(store, "curve_10y_2y", as_of)),
    ]
    chg = _rates_change(ten)
    easing = None if chg is None else chg < 0
    rates = (
        "10-year yield change over 13 weeks unknown"
        if chg is None
        else f"10-year yield {chg:+.2f} pp over 13 weeks ({'easing' if easing else 'sticky'})"
    )
    revisions = (
        f"{revisions_source}: {'improving' if revisions_improve else 'not improving'}"
        if revisions_improve is not None
        else f"{revisions_source}: unknown"
    )
    return ValuationLens(
        as_of=as_of,
        data_date=data_date,
        known_at=(pd.Timestamp(last) + pd.offsets.MonthEnd(1)).date(),
        variant=VARIANT,
        known_rule=KNOWN_RULE,
        be_me_small=rnd(float(row["ff6_beme_small"]), 4),
        be_me_big=rnd(float(row["ff6_beme_big"]), 4),
        spread=rnd(float(spread.iloc[-1]), 4),
        spread_percentile=percentiles(spread),
        spread_now=rnd(float(now.iloc[-1]), 4) if not now.empty else None,
        spread_now_percentile=percentiles(now) if not now.empty else None,
        roll_method=ROLL_METHOD,
        op_small=rnd(float(op_s), 4) if has_op else None,
        op_big=rnd(float(op_b), 4) if has_op else None,
        relative_profitability=rnd(float(op_s - op_b), 4) if has_op else None,
        relative_profitability_percentile=percentiles(rel) if has_op and not rel.empty else None,
        financing=financing,
        ust_10y_change_13w=chg,
        rates_easing=easing,
        revisions_improve=revisions_improve,
        revisions_source=revisions_source,
        rule=rule_text(easing, revisions_improve, rates, revisions),
        notes=_data_notes(as_of, data_date),
        earnings_yield=earnings_yield_at(
            store,
            as_of,
            baa_yield,
            (hy_oas + ten.reindex(hy_oas.index)).dropna(),
            STALE_DAYS,
            load_thresholds().earnings_yield.max_ttm_age_days,
        ),
    )


def _rates_change(ten: pd.Series) -> float | None:
    """The 10-year yield's change over ``RATES_WINDOW_DAYS`` to its latest known value (None: too short)."""
    if ten.empty:
        return None
    then = ten[ten.index <= ten.index[-1] - pd.Timedelta(days=RATES_WINDOW_DAYS)]
    return rnd(float(ten.iloc[-1] - then.iloc[-1]), 4) if not then.empty else None


def _data_notes(as_of: date, data_date: date) -> list[str]:
    """Where the months come from, the latest known at ``as_of``, and how old it is once past STALE_DAYS."""
    release = (
        "CRSP 202412 release"
        if data_date <= EMBEDDED_END
        else f"CRSP 202412 release to {EMBEDDED_END:%Y-%m}, later months as `update` downloaded them"
    )
    notes = [
        f"Fama-French 6 portfolios ({release}), {KNOWN_RULE}: the latest month known on {as_of} "
        f"is {data_date:%Y-%m}.",
    ]
    if as_of - data_date > timedelta(days=STALE_DAYS):
        notes.append(
            f"The valuation data ends {data_date:%Y-%m}: this reading is {(as_of - data_date).days} days old "
            "(`rotascope update --source french` downloads the library's newer months)."
        )
    return notes
