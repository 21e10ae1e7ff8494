"""Read SimFin's bulk exports (annual and quarterly) into the standard annual frame, point in time.

One row per company and period end (SimFin's ``Report Date``; its ``Fiscal Year`` label is not the
company's own, so it is never used): the annual statements of two exports (FY2019-2023 with cash flow,
FY2020-2024 without) and the **trailing four quarters** ending at each quarter of the quarterly export
(sums of four consecutive quarters' income and cash flow, the balance sheet of the last quarter).

Known-at: SimFin's ``Restated Date`` is the date of the latest filing that re-presents a figure (the
comparative columns of the next 10-K/10-Q), later than ``Publish Date`` for ~90 % of rows by a median of
about 364-725 days, whether or not the value changed. So a value is known from its ``Publish Date`` when the
two annual exports agree on it; where they disagree (a measured restatement) the later export's values are
known only from its ``Restated Date`` (the conservative reading), the earlier export's from their publish
date. A trailing-four-quarter row is known when its last quarter was published. Ratios follow the
ExPanDaR definitions (``roa`` = operating income / assets) but over period-end, not average, assets.
Banks and insurers are absent (SimFin keeps them in other files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope.errors import DataError
from rotascope.fundamentals.files import ANNUAL_COLUMNS, ANNUAL_RATIOS

KEY = ["Ticker", "Report Date"]
INCOME = {
    "Revenue": "revenue",
    "Operating Income (Loss)": "op_income",
    "Net Income": "net_income",
    "Shares (Diluted)": "shares",
}
BALANCE = {
    "Total Assets": "assets",
    "Total Equity": "equity",
    "Cash, Cash Equivalents & Short Term Investments": "cash",
    "Short Term Debt": "st_debt",
    "Long Term Debt": "lt_debt",
}
CASHFLOW = {"Net Cash from Operating Activities": "cfo"}
FLOWS = ("revenue", "op_income", "net_income", "cfo")
COMPARED = ("revenue", "op_income", "net_income", "assets", "equity")
"""Values compared between the two annual exports to detect a restatement."""
RESTATED_TOLERANCE = 0.005
"""Relative difference above which the two exports' values count as a restatement."""
TTM_MAX_SPAN_DAYS = 300
"""Four consecutive quarters: the first and last period ends lie at most this far apart (~9 months)."""


@dataclass(frozen=True)
class SimfinStats:
    """What the known-at rule measured: rows, restated dates, restatements between the exports."""

    annual_rows: int
    ttm_rows: int
    restated_later_share: float
    """Share of annual rows whose Restated Date is after their Publish Date."""
    restated_median_days: float
    overlap: int
    """Company-years present in both annual exports."""
    restated: int
    """Of those, how many differ by more than RESTATED_TOLERANCE in a compared value."""
    published_before_end: int
    """Statement rows dropped: their publish date is on or before their period end (impossible)."""


def _read(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, sep=";", dtype={"Ticker": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"Cannot read the SimFin file {path}: {str(exc).splitlines()[0][:160]}.") from None
    need = [*KEY, "Publish Date", "Restated Date", *columns]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(f"{path.name} lacks the column(s) {', '.join(missing)}.")
    out = raw[need].rename(columns={**columns, "Ticker": "symbol", "Report Date": "period_end"})
    out["symbol"] = out["symbol"].astype("string").str.strip().str.upper()
    out = out[out["symbol"].notna() & (out["symbol"] != "")]
    for col in ("period_end", "Publish Date", "Restated Date"):
        out[col] = pd.to_datetime(out[col], errors="coerce")
    out = out.dropna(subset=["period_end", "Publish Date"])
    out["Restated Date"] = out["Restated Date"].fillna(out["Publish Date"])
    return out.drop_duplicates(["symbol", "period_end"]).reset_index(drop=True)


def _statements(folder: Path, period: str, kinds: tuple[str, ...]) -> pd.DataFrame:
    """One export's statements joined on (symbol, period end); dates are the latest of the statements."""
    maps = {"income": INCOME, "balance": BALANCE, "cashflow": CASHFLOW}
    frame: pd.DataFrame | None = None
    for kind in kinds:
        part = _read(folder / f"us-{kind}-{period}.zip", maps[kind])
        if frame is None:
            frame = part
            continue
        frame = frame.merge(part, on=["symbol", "period_end"], how="inner", suffixes=("", "_r"))
        for col in ("Publish Date", "Restated Date"):
            frame[col] = frame[[col, f"{col}_r"]].max(axis=1)
        frame = frame.drop(columns=["Publish Date_r", "Restated Date_r"])
    assert frame is not None
    if "cfo" not in frame.columns:
        frame["cfo"] = np.nan
    return frame


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Rows (aligned) whose compared values differ by more than the tolerance."""
    out = pd.Series(False, index=a.index)
    for col in COMPARED:
        x, y = a[col].astype(float), b[col].astype(float)
        scale = pd.concat([x.abs(), y.abs()], axis=1).max(axis=1).clip(lower=1.0)
        out |= ((x - y).abs() / scale > RESTATED_TOLERANCE) & x.notna() & y.notna()
    return out


def annual_rows(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Both annual exports as rows with ``known_at``: agreeing company-years once, from the first publish
    date; restated ones twice (old values from their publish date, new ones from the new Restated Date)."""
    both = old.merge(new, on=["symbol", "period_end"], suffixes=("_o", ""), how="outer", indicator=True)
    in_both = both["_merge"] == "both"
    olds = both[[c for c in both.columns if c.endswith("_o")]].rename(columns=lambda c: c[:-2])
    news = both[[c for c in old.columns if c not in ("symbol", "period_end")]]
    restated = in_both & _differs(olds, news)
    new_rows = both[both["_merge"] != "left_only"][["symbol", "period_end", *news.columns]].copy()
    new_rows["cfo"] = new_rows["cfo"].fillna(both.loc[new_rows.index, "cfo_o"])
    first_pub = both[["Publish Date", "Publish Date_o"]].min(axis=1)
    new_rows["known_at"] = np.where(
        restated[new_rows.index],
        both.loc[new_rows.index, ["Publish Date", "Restated Date"]].max(axis=1),
        first_pub[new_rows.index],
    )
    old_only = both["_merge"] == "left_only"
    old_rows = both[old_only | restated][["symbol", "period_end", *olds.columns]].copy()
    old_rows[list(olds.columns)] = olds[old_only | restated]
    old_rows["known_at"] = old_rows["Publish Date"]
    rows = pd.concat([old_rows, new_rows], ignore_index=True)
    return rows, int(in_both.sum()), int(restated.sum())


def ttm_rows(quarters: pd.DataFrame) -> pd.DataFrame:
    """Trailing four quarters ending at each quarter whose three predecessors are stored (vectorised)."""
    q = quarters.sort_values(["symbol", "period_end"]).reset_index(drop=True)
    g = q.groupby("symbol", sort=False)
    first_end = g["period_end"].shift(3)
    ok = (g.cumcount() >= 3) & ((q["period_end"] - first_end).dt.days <= TTM_MAX_SPAN_DAYS)
    out = q[["symbol", "period_end", *BALANCE.values(), "shares"]].copy()
    lags = [q] + [g[[*FLOWS, "Publish Date"]].shift(k) for k in (1, 2, 3)]
    for col in FLOWS:
        out[col] = sum(part[col] for part in lags)  # NaN unless all four quarters have it
    out["known_at"] = pd.concat([part["Publish Date"] for part in lags], axis=1).max(axis=1)
    return out[ok.to_numpy()].reset_index(drop=True)


def ratios(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Statement values (currency units) as the standard annual frame (millions and ratios)."""
    assets = frame["assets"].astype(float).where(frame["assets"] > 0)
    equity = frame["equity"].astype(float)
    revenue = frame["revenue"].astype(float).where(frame["revenue"] > 0)
    debt = frame["st_debt"].fillna(0.0) + frame["lt_debt"].fillna(0.0)
    ends = pd.DatetimeIndex(frame["period_end"])
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"].astype(str).to_numpy(),
            "name": frame["symbol"].map(names).fillna("").astype(str).to_numpy(),
            "sector": "",
            "fiscal_year": ends.year.astype("int32"),
            "period_end": ends.date,
            "known_at": pd.DatetimeIndex(frame["known_at"]).date,
            "toas": (assets / 1e6).to_numpy(),
            "sales": (revenue / 1e6).to_numpy(),
            "equity": (equity / 1e6).to_numpy(),
            "debt_ta": (debt / assets).to_numpy(),
            "eq_ta": (equity / assets).to_numpy(),
            "cash_ta": (frame["cash"] / assets).to_numpy(),
            "roe": (frame["net_income"] / equity.where(equity > 0)).to_numpy(),
            "roa": (frame["op_income"] / assets).to_numpy(),
            "nioa": (frame["net_income"] / assets).to_numpy(),
            "cfoa": (frame["cfo"] / assets).to_numpy(),
            "accoa": ((frame["net_income"] - frame["cfo"]) / assets).to_numpy(),
            "ebit_sales": (frame["op_income"] / revenue).to_numpy(),
            "ni_sales": (frame["net_income"] / revenue).to_numpy(),
        }
    )
    for col in ANNUAL_RATIOS:
        out[col] = out[col].astype("float64").replace([np.inf, -np.inf], np.nan)
    return out[list(ANNUAL_COLUMNS)]


def read_simfin(folder: Path, members: set[str]) -> tuple[pd.DataFrame, SimfinStats]:
    """The SimFin folder (``annual_fy2019_2023``, ``annual_fy2020_2024``, ``quarterly_fy2019_2025q1``) as
    standard annual rows for ``members`` only, sorted (an annual and a trailing row with the same period
    end and known-at date are one row: the annual)."""
    old = _statements(folder / "annual_fy2019_2023", "annual", ("income", "balance", "cashflow"))
    new = _statements(folder / "annual_fy2020_2024", "annual", ("income", "balance"))
    quarters = _statements(folder / "quarterly_fy2019_2025q1", "quarterly", ("income", "balance", "cashflow"))
    companies = pd.read_csv(folder / "annual_fy2020_2024/us-companies.zip", sep=";", dtype=str)
    names = dict(zip(companies["Ticker"].fillna(""), companies["Company Name"].fillna(""), strict=True))
    old, new, quarters = (f[f["symbol"].isin(members)] for f in (old, new, quarters))
    # a publish date on or before the period end is impossible (SimFin has a few, some years early)
    bad = sum(int((f["Publish Date"] <= f["period_end"]).sum()) for f in (old, new, quarters))
    old, new, quarters = (f[f["Publish Date"] > f["period_end"]] for f in (old, new, quarters))
    annual, overlap, restated = annual_rows(old, new)
    ttm = ttm_rows(quarters)
    # the newer annual export has no cash flow: take it from the trailing four quarters ending that day
    # (known no earlier than those quarters were published: a filled row takes the later known_at)
    by_end = ttm.drop_duplicates(["symbol", "period_end"]).set_index(["symbol", "period_end"])
    at = pd.MultiIndex.from_frame(annual[["symbol", "period_end"]])
    filled = annual["cfo"].isna() & by_end["cfo"].reindex(at).notna().to_numpy()
    annual["cfo"] = annual["cfo"].fillna(pd.Series(by_end["cfo"].reindex(at).to_numpy(), index=annual.index))
    ttm_known = pd.Series(by_end["known_at"].reindex(at).to_numpy(), index=annual.index)
    annual.loc[filled, "known_at"] = np.maximum(annual.loc[filled, "known_at"], ttm_known[filled])
    lag = (new["Restated Date"] - new["Publish Date"]).dt.days
    stats = SimfinStats(
        annual_rows=len(annual),
        ttm_rows=len(ttm),
        restated_later_share=round(float((lag > 0).mean()), 3),
        restated_median_days=float(lag.median()),
        overlap=overlap,
        restated=restated,
        published_before_end=bad,
    )
    both = pd.concat([annual.assign(_order=0), ttm.assign(_order=1)], ignore_index=True)
    both = both.sort_values(["symbol", "period_end", "known_at", "_order"])
    both = both.drop_duplicates(["symbol", "period_end", "known_at"], keep="first")
    frame = ratios(both.reset_index(drop=True), names)
    return frame.sort_values(["symbol", "period_end", "known_at"]).reset_index(drop=True), stats
