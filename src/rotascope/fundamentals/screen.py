"""The quality small-cap screen: Russell 2000 members ranked point in time by a documented score.

Universe: today's Russell 2000 members with a stored close on the as-of date (survivorship bias: names
that left the index before 2026 are missing). Everything is measured within the as-of cross-section.

Robust z-score of an input x over the members that have it: ``z = (x - median) / (1.4826 * MAD)``,
clipped to ±3 (so one outlier cannot dominate a component). Components (mean of their z's):

* ``profitability`` = mean(z EBIT margin, z ROA, z CFO/assets)            — latest fiscal year known
* ``balance_sheet`` = mean(-z debt/assets, z cash/assets)                   — same fiscal year
* ``accruals``      = -z accruals/assets (cash-backed earnings score higher) — same fiscal year
* ``surprise``      = mean(z beat rate, z mean surprise) over reports of the last 365 days
* ``revisions``     = z of the median change of consensus EPS estimates over the last 28 days, per $ of
  the member's close (an estimate within ``[screen] revision_floor`` of zero gives none: a percent change
  of a near-zero estimate has no scale)
* ``momentum``      = mean(z 12-1 month return, z distance from the 200-day average,
  z share of the last 63 days closed above the 50-day average)            — member closes

``quality`` is the mean of the fundamental components a member has (profitability, balance sheet,
accruals, surprise, revisions); ``score = 0.7 * quality + 0.3 * momentum`` (momentum 0 when a member lacks
the price history). A member with none of the fundamental components is **not scored**: it is listed apart
under "no fundamentals", never ranked as if its quality were zero; when no member has one, the members are
ranked on momentum alone and the notes say so. Fiscal periods are known on their SimFin publish date
(2019-2025) or 90 days after an assumed 31 Dec year end (ExPanDaR, 2013-2016); surprises from the business
day after their report date; estimates on their snapshot date — nothing known after the as-of enters the
screen, and a fiscal period ending more than MAX_ANNUAL_AGE_DAYS before the as-of is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from rotascope._typing import Float64Array
from rotascope.errors import DataError, DateOutOfRangeError
from rotascope.fundamentals.files import KNOWN_LAG_DAYS
from rotascope.fundamentals.store import (
    MAX_ANNUAL_AGE_DAYS,
    MAX_SURPRISE_AGE_DAYS,
    Fundamentals,
    load_fundamentals,
    members_covered,
)
from rotascope.records import Record, rnd
from rotascope.regime.thresholds import ScreenRules, load_thresholds
from rotascope.store.db import Store
from rotascope.store.panel import Panel

QUALITY_WEIGHT, MOMENTUM_WEIGHT = 0.7, 0.3
Z_CLIP = 3.0
COMPONENTS = ("profitability", "balance_sheet", "accruals", "surprise", "revisions")
Component = Literal["profitability", "balance_sheet", "accruals", "surprise", "revisions"]
MISSING_REASON = "no fundamentals known at the as-of (no fiscal year, surprise or estimate stored)"


def robust_z(x: Float64Array) -> Float64Array:
    """Cross-sectional robust z-score (median/MAD), clipped to ±Z_CLIP; NaN stays NaN."""
    ok = np.isfinite(x)
    out = np.full(x.shape, np.nan)
    if ok.sum() < 3:
        return out
    med = float(np.median(x[ok]))
    mad = 1.4826 * float(np.median(np.abs(x[ok] - med)))
    scale = mad if mad > 1e-12 else float(np.std(x[ok]))
    if scale <= 1e-12:
        out[ok] = 0.0
        return out
    out[ok] = np.clip((x[ok] - med) / scale, -Z_CLIP, Z_CLIP)
    return out


def _mean(*cols: Float64Array) -> Float64Array:
    stack = np.vstack(cols)
    n = np.isfinite(stack).sum(axis=0)
    total = np.where(np.isfinite(stack), stack, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def price_features(window: Float64Array) -> dict[str, Float64Array]:
    """Per member (columns of ``window``, the last >= 253 closes ending at the as-of): 12-1 month return,
    distance from the 200-day average, share of the last 63 days closed above the 50-day average."""
    n = window.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        last = window[-1]
        r12_1 = window[-22] / window[-253] - 1.0 if n >= 253 else np.full(window.shape[1], np.nan)
        sma200 = window[-200:].mean(axis=0) if n >= 200 else np.full(window.shape[1], np.nan)
        dist200 = last / sma200 - 1.0
        above = np.full(window.shape[1], np.nan)
        if n >= 112:
            w = window[-112:]
            c = np.vstack([np.zeros((1, w.shape[1])), np.cumsum(w, axis=0)])
            sma50 = (
                c[50:] - c[:-50]
            ) / 50.0  # 63 rows: the 50-day average ending on each of the last 63 days
            above = (w[-63:] > sma50).mean(axis=0)
            above[~np.isfinite(sma50).all(axis=0)] = np.nan
    return {"ret_12_1": r12_1, "dist_200d": dist200, "above_50d_share": above}


class ScreenRow(Record):
    """One ranked member: its score, components, and every input with the date it was known."""

    rank: int
    symbol: str
    name: str
    sector: str
    score: float | None
    quality: float | None
    momentum: float | None
    profitability: float | None
    balance_sheet: float | None
    accruals: float | None
    surprise: float | None
    revisions: float | None
    fiscal_year: int | None
    fiscal_year_known_at: date | None
    ebit_margin: float | None
    roa: float | None
    cfo_assets: float | None
    accruals_assets: float | None
    debt_assets: float | None
    cash_assets: float | None
    reports: int
    beat_rate: float | None
    mean_surprise: float | None
    last_report: date | None
    estimate_revision: float | None
    estimates_known_at: date | None
    ret_12_1: float | None
    dist_200d: float | None
    above_50d_share: float | None
    prices_as_of: date


class Unscored(Record):
    """A member left out of the ranking, and why."""

    symbol: str
    name: str
    reason: str


class ScreenResult(Record):
    """The screen at one as-of: ranked rows, members without fundamentals, and what the data covers."""

    as_of: date
    members: int
    scored: int
    rows: list[ScreenRow]
    unscored: list[Unscored]
    coverage: dict[str, int]
    """Members with each component."""
    notes: list[str]


@dataclass(frozen=True)
class ScreenInputs:
    """Member closes (rows ending at the as-of) and their labels, for one screen."""

    as_of: date
    symbols: tuple[str, ...]
    names: dict[str, str]
    sectors: dict[str, str]
    window: Float64Array


def _by_symbol(frame: pd.DataFrame, symbols: pd.Index, col: str) -> Float64Array:
    if frame.empty or col not in frame.columns:
        return np.full(len(symbols), np.nan)
    s = frame.set_index("symbol")[col]
    return s.reindex(symbols).to_numpy(dtype=np.float64, na_value=np.nan)


def score_frame(
    inputs: ScreenInputs, fund: Fundamentals, revision_floor: float | None = None
) -> pd.DataFrame:
    """All members with their inputs, components and score (NaN score = not scored), one row each.

    ``revision_floor``: estimates within this many dollars of zero give no revision (default: the
    thresholds file's ``[screen] revision_floor``)."""
    floor = load_thresholds().screen.revision_floor if revision_floor is None else revision_floor
    last = inputs.window[-1]
    has_price = np.isfinite(last)
    syms = pd.Index([s for s, ok in zip(inputs.symbols, has_price, strict=True) if ok])
    window = inputs.window[:, has_price]
    out = pd.DataFrame(index=syms)
    ann = fund.annual[fund.annual["symbol"].isin(syms)]
    for src, dst in (
        ("ebit_sales", "ebit_margin"),
        ("roa", "roa"),
        ("cfoa", "cfo_assets"),
        ("accoa", "accruals_assets"),
        ("debt_ta", "debt_assets"),
        ("cash_ta", "cash_assets"),
        ("fiscal_year", "fiscal_year"),
    ):
        out[dst] = _by_symbol(ann, syms, src)
    known = ann.set_index("symbol")["known_at"] if not ann.empty else pd.Series(dtype=object)
    out["fiscal_year_known_at"] = known.reindex(syms).to_numpy()
    ends = ann.set_index("symbol")["period_end"] if not ann.empty else pd.Series(dtype=object)
    out["period_end"] = ends.reindex(syms).to_numpy()
    sur = fund.surprises[fund.surprises["symbol"].isin(syms)]
    if not sur.empty:
        g = sur.sort_values("report_date").groupby("symbol").tail(4).groupby("symbol")
        agg = pd.DataFrame(
            {
                "reports": g.size(),
                "beat_rate": g["beat"].mean(),
                "mean_surprise": g["surprise"].mean(),
                "last_report": g["report_date"].max(),
            }
        ).reindex(syms)
    else:
        agg = pd.DataFrame(index=syms, columns=["reports", "beat_rate", "mean_surprise", "last_report"])
    out["reports"] = agg["reports"].fillna(0).astype(int).to_numpy()
    out["beat_rate"] = agg["beat_rate"].to_numpy(dtype=np.float64, na_value=np.nan)
    out["mean_surprise"] = agg["mean_surprise"].to_numpy(dtype=np.float64, na_value=np.nan)
    out["last_report"] = agg["last_report"].to_numpy()
    est = fund.estimates[fund.estimates["symbol"].isin(syms)]
    if not est.empty:
        est = est[(est["first_known"] < est["known_at"]) & (est["first_estimate"].abs() >= floor)]
        close = pd.Series(last[has_price], index=syms).reindex(est["symbol"]).to_numpy()
        chg = (est["estimate"] - est["first_estimate"]).to_numpy(dtype=np.float64) / close
        g_est = est.assign(chg=chg).groupby("symbol")
        rev_chg, rev_known = g_est["chg"].median(), g_est["known_at"].max()
        out["estimate_revision"] = rev_chg.reindex(syms).to_numpy(dtype=np.float64, na_value=np.nan)
        out["estimates_known_at"] = rev_known.reindex(syms).to_numpy()
    else:
        out["estimate_revision"] = np.nan
        out["estimates_known_at"] = None
    for key, values in price_features(window).items():
        out[key] = values
    z = {c: robust_z(out[c].to_numpy(dtype=np.float64)) for c in out.columns if out[c].dtype.kind == "f"}
    out["profitability"] = _mean(z["ebit_margin"], z["roa"], z["cfo_assets"])
    out["balance_sheet"] = _mean(-z["debt_assets"], z["cash_assets"])
    out["accruals"] = -z["accruals_assets"]
    out["surprise"] = _mean(z["beat_rate"], z["mean_surprise"])
    out["revisions"] = z["estimate_revision"]
    out["momentum"] = _mean(z["ret_12_1"], z["dist_200d"], z["above_50d_share"])
    quality = _mean(*(out[c].to_numpy(dtype=np.float64) for c in COMPONENTS))
    out["quality"] = quality
    mom = out["momentum"].to_numpy(dtype=np.float64)
    out["score"] = QUALITY_WEIGHT * quality + MOMENTUM_WEIGHT * np.where(np.isfinite(mom), mom, 0.0)
    return out


def _f(v: object) -> float | None:
    return rnd(float(v), 4) if isinstance(v, int | float | np.floating) else None


def _d(v: object) -> date | None:
    return v if isinstance(v, date) else None


def _span(values: pd.Series) -> str:
    days = sorted(v for v in values if isinstance(v, date))
    return f"{days[0]} to {days[-1]}" if days else "no dates"


def component_notes(frame: pd.DataFrame, fund: Fundamentals, rules: ScreenRules) -> list[str]:
    """Which components the screen used at this as-of, for how many members, and their dates."""
    notes = []
    has = {c: np.isfinite(frame[c].to_numpy(dtype=np.float64)) for c in (*COMPONENTS, "momentum")}
    fy = has["profitability"] | has["balance_sheet"] | has["accruals"]
    if fy.any():
        notes.append(
            f"Used: profitability, balance sheet, accruals for {int(fy.sum())} members, fiscal periods "
            f"ending {_span(frame['period_end'][fy])}, known {_span(frame['fiscal_year_known_at'][fy])} "
            f"(none ending more than {MAX_ANNUAL_AGE_DAYS} days before the as-of)."
        )
    else:
        notes.append(
            f"Not used: profitability, balance sheet, accruals (no fiscal period known at {fund.as_of})."
        )
    stale = len(set(fund.stale) & set(frame.index))
    if stale:
        notes.append(
            f"{stale} members have only fiscal periods ending more than {MAX_ANNUAL_AGE_DAYS} days before "
            f"the as-of: too old, not used."
        )
    if has["surprise"].any():
        notes.append(
            f"Used: surprise for {int(has['surprise'].sum())} members, reports "
            f"{_span(frame['last_report'][has['surprise']])} (the last {MAX_SURPRISE_AGE_DAYS} days)."
        )
    else:
        notes.append(f"Not used: surprise (no report in the {MAX_SURPRISE_AGE_DAYS} days before the as-of).")
    if has["revisions"].any():
        notes.append(
            f"Used: revisions for {int(has['revisions'].sum())} members, snapshots to "
            f"{_span(frame['estimates_known_at'][has['revisions']])}; change of the EPS estimate per $ of "
            f"close, estimates within ${rules.revision_floor:.2f} of zero not used."
        )
    else:
        notes.append("Not used: revisions (no two estimate snapshots in the 28 days before the as-of).")
    notes.append(f"Used: momentum for {int(has['momentum'].sum())} members (closes to the as-of).")
    return notes


def run_screen(
    inputs: ScreenInputs, fund: Fundamentals, top: int | None = None, rules: ScreenRules | None = None
) -> ScreenResult:
    """Rank the members; ``top`` keeps the best N rows (the unscored list is always complete)."""
    if fund.as_of != inputs.as_of:
        raise DataError(f"Fundamentals as of {fund.as_of} do not match the screen's as-of {inputs.as_of}.")
    rules = rules or load_thresholds().screen
    frame = score_frame(inputs, fund, rules.revision_floor)
    momentum_only = not np.isfinite(frame["score"].to_numpy(dtype=np.float64)).any()
    if momentum_only:
        frame["score"] = frame["momentum"]
    scored = frame[np.isfinite(frame["score"].to_numpy(dtype=np.float64))]
    scored = scored.assign(_sym=scored.index).sort_values(["score", "_sym"], ascending=[False, True])
    rows = _rows(inputs, scored.head(top or len(scored)))
    missing = sorted(set(frame.index) - set(scored.index))
    coverage = {
        c: int(np.isfinite(frame[c].to_numpy(dtype=np.float64)).sum()) for c in (*COMPONENTS, "momentum")
    }
    notes = [*_method_notes(inputs, len(frame)), *component_notes(frame, fund, rules)]
    if momentum_only:
        notes.append(
            f"No member has a fundamental component known at {inputs.as_of}: ranked on momentum alone."
        )
    if not len(scored):
        notes.append(f"No member has fundamentals or momentum at {inputs.as_of}: nothing is ranked.")
    return ScreenResult(
        as_of=inputs.as_of,
        members=len(frame),
        scored=len(scored),
        rows=rows,
        unscored=[Unscored(symbol=s, name=inputs.names.get(s, ""), reason=MISSING_REASON) for s in missing],
        coverage=coverage,
        notes=notes,
    )


_ROW_FLOATS = (
    "score",
    "quality",
    "momentum",
    *COMPONENTS,
    "ebit_margin",
    "roa",
    "cfo_assets",
    "accruals_assets",
    "debt_assets",
    "cash_assets",
    "beat_rate",
    "mean_surprise",
    "estimate_revision",
    "ret_12_1",
    "dist_200d",
    "above_50d_share",
)
"""The frame's float columns each screen row carries."""


def _rows(inputs: ScreenInputs, ranked: pd.DataFrame) -> list[ScreenRow]:
    """One row per ranked member, in the frame's order, with the dates each input was known."""
    rows = []
    for rank, (sym, r) in enumerate(ranked.to_dict("index").items(), start=1):
        fy = r["fiscal_year"]
        rows.append(
            ScreenRow(
                rank=rank,
                symbol=str(sym),
                name=inputs.names.get(str(sym), ""),
                sector=inputs.sectors.get(str(sym), ""),
                fiscal_year=int(fy) if isinstance(fy, float) and np.isfinite(fy) else None,
                fiscal_year_known_at=_d(r["fiscal_year_known_at"]),
                reports=int(r["reports"]),
                last_report=_d(r["last_report"]),
                estimates_known_at=_d(r["estimates_known_at"]),
                prices_as_of=inputs.as_of,
                **{k: _f(r[k]) for k in _ROW_FLOATS},
            )
        )
    return rows


def _method_notes(inputs: ScreenInputs, members: int) -> list[str]:
    """The universe, the data's known-at rules and the score's formula, said once per screen."""
    return [
        f"Universe: today's Russell 2000 members with a close on {inputs.as_of} ({members}); names "
        "that left the index earlier are missing (survivorship bias).",
        "Fiscal periods 2019-2025 are SimFin statements (annual and trailing four quarters; no banks or "
        "insurers; non-commercial licence), known on their publish date (the restated date where SimFin's "
        f"exports differ); 2013-2016 ExPanDaR years are taken as known {KNOWN_LAG_DAYS} days after an "
        "assumed 31 Dec year end; surprises are known from the business day after their report date, "
        "estimates on their snapshot date.",
        f"Score = {QUALITY_WEIGHT} x quality (mean of the fundamental components a member has) + "
        f"{MOMENTUM_WEIGHT} x momentum; robust z-scores within this as-of's members.",
    ]


HISTORY = 253
"""Trading days of member closes the price features need (12 months + 1 day)."""


def member_panel(store: Store) -> tuple[Panel, dict[str, str], dict[str, str]]:
    """Close panel of today's Russell 2000 members, with their names and sectors."""
    symbols = store.member_symbols("R2000")
    if not symbols:
        raise DataError("No Russell 2000 members are stored: run `rotascope init`.")
    inst = store.instruments().set_index("symbol")
    names = {str(k): str(v) for k, v in inst["name"].fillna("").items()}
    sectors = {str(k): str(v) for k, v in inst["sector"].fillna("").items()}
    return store.close_panel(symbols), names, sectors


def inputs_at(
    panel: Panel, names: dict[str, str], sectors: dict[str, str], as_of: date | None
) -> ScreenInputs:
    """The screen's price inputs at the last trading day on or before ``as_of`` (default: the latest)."""
    first, last = panel.dates[0].astype(date), panel.dates[-1].astype(date)
    t = len(panel.dates) - 1 if as_of is None else panel.row_of(np.datetime64(as_of, "D"))
    if t < 0 or (as_of is not None and as_of > last):
        raise DateOutOfRangeError(f"--as-of {as_of} is outside the stored member closes ({first} to {last}).")
    day = panel.dates[t].astype(date)
    window = panel.float64()[max(0, t - HISTORY + 1) : t + 1]
    return ScreenInputs(day, panel.symbols, names, sectors, window)


def default_day(store: Store, panel: Panel, rules: ScreenRules) -> tuple[date | None, str]:
    """The latest stored day on which >= ``min_members_default`` members have a fundamental component,
    and the sentence that says why (None: no such day, the latest close is used)."""
    days = [d.astype(date) for d in panel.dates]
    need, chunk, end = rules.min_members_default, 260, len(days)
    counts: list[int] = []
    while end > 0:  # backwards a year at a time: the answer is usually in the latest year
        counts = members_covered(store, days[max(0, end - chunk) : end], list(panel.symbols)) + counts
        if max(counts) >= need:
            break
        end -= chunk
    offset = len(days) - len(counts)
    ok = [offset + i for i, n in enumerate(counts) if n >= need]
    if not ok:
        return None, (
            f"As of the latest close: on no stored day do {need} members have a fundamental component "
            f"(at most {max(counts, default=0)})."
        )
    counts = [0] * offset + counts
    i = ok[-1]
    later = f"; after it fewer do ({counts[-1]} on {days[-1]})" if i < len(days) - 1 else ""
    return days[i], (
        f"As of {days[i]}: the latest stored day on which at least {need} members have a fundamental "
        f"component ({counts[i]}){later}. --as-of chooses another day."
    )


def screen_at(
    store: Store, as_of: date | None, top: int | None = None, rules: ScreenRules | None = None
) -> ScreenResult:
    """The screen as of a date, read from the store (the one entry point of CLI and web); without a date,
    the latest day with enough members' fundamentals (:func:`default_day`). ``rules``: the user's
    thresholds file's ``[screen]`` (default: the packaged file)."""
    panel, names, sectors = member_panel(store)
    rules = rules or load_thresholds().screen
    why = None
    if as_of is None:
        as_of, why = default_day(store, panel, rules)
    inputs = inputs_at(panel, names, sectors, as_of)
    result = run_screen(inputs, load_fundamentals(store, inputs.as_of), top, rules)
    return result.model_copy(update={"notes": [why, *result.notes]}) if why else result
