"""Fundamental lenses on the Russell 2000 (issue #16 parts 2-3): profitability dispersion and valuation
against financing, point in time, with the coverage stated and "not available" where inputs are missing.

* :func:`profitability_dispersion` — over the R2000 members with a close at the as-of: how many have an
  EBIT margin in the latest fiscal year known by then (``Fundamentals.annual``), its median, p25, p75 and
  interquartile range, and the share with a negative margin (unprofitable).
* :func:`valuation_panel` — earnings yield (E/P, annual 10-K earnings per share over the as-of close) of
  small caps (R2000 members) and large caps (S&P 500 members) from SEC EDGAR facts filed by the as-of:
  diluted EPS where filed, else net income / shares outstanding. Against it the financing yields of the
  snapshot: Baa yield = Moody's Baa-10y spread + 10y (exact), HY yield proxy = HY OAS + 10y (a proxy: the
  OAS is over matched-duration Treasuries, not the 10-year). The spread E/P minus yield is in pp.
  The embedded data holds no EPS, net income or share counts: without SEC facts the panel says so and
  every earnings-side value is None (never 0).

Prices are the stored (dividend-adjusted) closes: for past dates they sit slightly below the traded price,
so an E/P there reads slightly high (a few tenths of its value at most over a few years).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from rotascope._record import Record, rnd
from rotascope.fundamentals.files import KNOWN_LAG_DAYS
from rotascope.fundamentals.store import SIMFIN_KNOWN, SIMFIN_SOURCE, Fundamentals

MIN_COVERED = 100
"""Fewer members with an EBIT margin than this and the dispersion values are not stated."""
MIN_EARNINGS = 30
"""Fewer members with earnings and a close than this and an earnings yield is not stated."""
NOT_AVAILABLE_EP = "not available: no share counts or earnings per share stored for this date"


class ProfitabilityDispersion(Record):
    """EBIT-margin dispersion across the Russell 2000 members priced at the as-of (fractions)."""

    as_of: date
    measure: str
    fiscal_years: list[int]
    members: int
    """R2000 members with a close at the as-of."""
    covered: int
    """Of them, members with an EBIT margin in the latest fiscal year known by the as-of."""
    coverage: float | None
    median: float | None
    p25: float | None
    p75: float | None
    iqr: float | None
    share_unprofitable: float | None
    """Share of covered members with EBIT margin < 0."""
    source: str
    known_from: date | None
    known_to: date | None
    note: str


def profitability_dispersion(
    fund: Fundamentals | None, closes: pd.Series, as_of: date
) -> ProfitabilityDispersion:
    """EBIT-margin dispersion over the members in ``closes`` (symbol → close at the as-of; NaN = no price)."""
    priced = closes[np.isfinite(closes.to_numpy(dtype=np.float64))].index
    ann = pd.DataFrame() if fund is None else fund.annual
    if not ann.empty:
        ann = ann[ann["symbol"].isin(priced)]
        margin = pd.to_numeric(ann["ebit_sales"], errors="coerce")
        ann = ann[np.isfinite(margin.to_numpy(dtype=np.float64))]
    covered = len(ann)
    source = (
        "no annual fundamentals known at this date"
        if covered == 0
        else ", ".join(sorted(str(s) for s in ann["source"].unique()))
        + (
            f" (SimFin periods {SIMFIN_KNOWN}; ExPanDaR years {KNOWN_LAG_DAYS} days after their end; "
            "SEC rows when filed)"
            if SIMFIN_SOURCE in set(ann["source"])
            else f" (a fiscal year counts as known {KNOWN_LAG_DAYS} days after its end; SEC rows when filed)"
        )
    )
    base = {
        "as_of": as_of,
        "measure": "EBIT margin (EBIT / sales), latest fiscal year known by the as-of",
        "fiscal_years": sorted({int(y) for y in ann["fiscal_year"]}) if covered else [],
        "members": len(priced),
        "covered": covered,
        "coverage": rnd(covered / len(priced), 4) if len(priced) else None,
        "source": source,
        "known_from": min(ann["known_at"]) if covered else None,
        "known_to": max(ann["known_at"]) if covered else None,
    }
    if covered < MIN_COVERED:
        return ProfitabilityDispersion(
            **base,
            median=None,
            p25=None,
            p75=None,
            iqr=None,
            share_unprofitable=None,
            note=f"not available: {covered} of {len(priced)} priced R2000 members have an EBIT margin known "
            f"by {as_of} (fewer than {MIN_COVERED})",
        )
    m = ann["ebit_sales"].to_numpy(dtype=np.float64)
    p25, med, p75 = np.quantile(m, [0.25, 0.5, 0.75])
    return ProfitabilityDispersion(
        **base,
        median=rnd(med),
        p25=rnd(p25),
        p75=rnd(p75),
        iqr=rnd(p75 - p25),
        share_unprofitable=rnd(float((m < 0).mean())),
        note=f"{covered} of {len(priced)} priced R2000 members covered; survivorship: today's members only "
        "before point-in-time lists exist",
    )


# ------------------------------------------------------------------------------------------- valuation
class EarningsYield(Record):
    """Earnings yield of one universe's members at the as-of (percent), or why it is not available."""

    universe: str
    members: int
    """Members with a close at the as-of."""
    covered: int
    """Of them, members with annual earnings per share filed by the as-of."""
    median: float | None
    """Median member E/P, percent (losses count as negative yields)."""
    aggregate: float | None
    """Sum of net income / sum of market value (shares x close), percent, over members with both."""
    aggregate_covered: int
    basis: str
    filed_to: date | None
    note: str


class FinancingYield(Record):
    """One financing yield from the snapshot (percent) with its 5-year percentile and how it is built."""

    name: str
    value: float | None
    percentile_5y: float | None
    construction: str


class ValuationSpread(Record):
    """Small- or large-cap earnings yield minus a financing yield, in pp (None when either is missing)."""

    name: str
    value: float | None
    percentile: float | None
    note: str


class ValuationPanel(Record):
    """Valuation vs financing at the as-of: earnings yields, financing yields and the spreads."""

    as_of: date
    available: bool
    """True when the small-cap earnings yield could be computed."""
    small: EarningsYield
    large: EarningsYield
    financing: list[FinancingYield]
    spreads: list[ValuationSpread]
    note: str


def _per_share(sec: pd.DataFrame) -> pd.DataFrame:
    """symbol → eps (diluted EPS, else net income / shares), net_income, shares, filed."""
    if sec.empty:
        return pd.DataFrame(columns=["eps", "net_income", "shares", "filed"])
    wide = sec.pivot_table(index="symbol", columns="metric", values="value", aggfunc="last")
    filed = pd.to_datetime(sec.groupby("symbol")["filed"].max())
    out = pd.DataFrame(index=wide.index)
    for col, metric in (
        ("eps_direct", "eps_diluted"),
        ("net_income", "net_income"),
        ("shares", "shares_outstanding"),
    ):
        out[col] = wide[metric] if metric in wide.columns else np.nan
    shares = out["shares"].where(out["shares"] > 0)
    out["eps"] = out["eps_direct"].fillna(out["net_income"] / shares)
    out["filed"] = filed.reindex(out.index)
    return out


def earnings_yield(universe: str, sec: pd.DataFrame, closes: pd.Series) -> EarningsYield:
    """E/P of the members in ``closes`` (symbol → close at the as-of) from the SEC facts ``sec``."""
    priced = closes[np.isfinite(closes.to_numpy(dtype=np.float64)) & (closes > 0)]
    per = _per_share(sec).reindex(priced.index)
    ok = per["eps"].notna()
    basis = "annual 10-K diluted EPS (else net income / shares outstanding) over the as-of close"
    if ok.sum() < MIN_EARNINGS:
        return EarningsYield(
            universe=universe,
            members=len(priced),
            covered=int(ok.sum()),
            median=None,
            aggregate=None,
            aggregate_covered=0,
            basis=basis,
            filed_to=None,
            note=NOT_AVAILABLE_EP
            + (f" ({int(ok.sum())} of {len(priced)} members have earnings filed)" if ok.any() else ""),
        )
    ep = per.loc[ok, "eps"] / priced[ok]
    both = per["net_income"].notna() & per["shares"].gt(0)
    agg = None
    if both.sum() >= MIN_EARNINGS:
        mv = per.loc[both, "shares"] * priced[both]
        agg = rnd(float(per.loc[both, "net_income"].sum() / mv.sum()) * 100)
    return EarningsYield(
        universe=universe,
        members=len(priced),
        covered=int(ok.sum()),
        median=rnd(float(ep.median()) * 100),
        aggregate=agg,
        aggregate_covered=int(both.sum()) if agg is not None else 0,
        basis=basis,
        filed_to=per.loc[ok, "filed"].max().date(),
        note=f"{int(ok.sum())} of {len(priced)} members with earnings filed by the as-of; closes are "
        "dividend-adjusted",
    )


def valuation_panel(
    as_of: date,
    fund: Fundamentals | None,
    small_closes: pd.Series,
    large_closes: pd.Series,
    financing: list[FinancingYield],
) -> ValuationPanel:
    """The valuation-vs-financing panel (see the module docstring for every construction)."""
    sec = (
        pd.DataFrame(columns=["symbol", "metric", "value", "period_end", "filed"])
        if fund is None
        else fund.sec
    )
    small = earnings_yield("Russell 2000 members", sec, small_closes)
    large = earnings_yield("S&P 500 members", sec, large_closes)
    spreads = []
    for ey, label in ((small, "small-cap"), (large, "large-cap")):
        for f in financing:
            value = None if ey.median is None or f.value is None else rnd(ey.median - f.value, 4)
            missing = ey.note if ey.median is None else f"not available: no {f.name} at this date"
            spreads.append(
                ValuationSpread(
                    name=f"{label} median E/P minus {f.name}",
                    value=value,
                    percentile=None,
                    note="percentile not available: no history of the earnings yield is stored (one date)"
                    if value is not None
                    else missing,
                )
            )
    note = (
        f"Earnings yields from SEC EDGAR facts filed by {as_of}."
        if small.median is not None
        else f"Earnings side {NOT_AVAILABLE_EP}; the financing side is shown alone."
    )
    return ValuationPanel(
        as_of=as_of,
        available=small.median is not None,
        small=small,
        large=large,
        financing=financing,
        spreads=spreads,
        note=note,
    )
