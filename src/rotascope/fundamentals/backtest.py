"""Backtest of the quality screen: top vs bottom quintile forward returns, with bootstrap intervals.

Every ``step_weeks`` weeks (the last trading day of the week) the screen is computed exactly as
`rotascope screen` would have computed it then (fundamentals known by that day, closes up to that day).
Members are split into quintiles of the score; each quintile's equal-weight mean forward return over
1/4/13 weeks (5 trading days a week) is measured from that day's close. The statistic is the mean over
dates of (top - bottom). Its 95 % interval is a moving-block bootstrap (blocks of ceil(h / step) dates, so
overlapping horizons keep their dependence; numpy, fixed seed: deterministic).

Caveats stated with every result: today's Russell 2000 members only (survivorship: names that failed or
were acquired are missing, which flatters the bottom quintile least of all if junk failed), and the
fundamentals are thin offline: annual ratios FY2013-16 (usable about 2014-03 to 2018-07), surprises
2018-2021, estimate snapshots for seven weeks of 2025.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from rotascope._typing import Float64Array
from rotascope.bootstrap import mean_interval
from rotascope.errors import DataError
from rotascope.fundamentals.screen import ScreenInputs, member_panel, score_frame
from rotascope.fundamentals.store import load_fundamentals
from rotascope.records import Record, rnd
from rotascope.store.db import Store
from rotascope.store.panel import Panel
from rotascope.weeks import week_last_index

MIN_SCORED = 100
"""Dates with fewer scored members than this are skipped (a quintile of fewer than 20 names is noise)."""
MIN_DATES = 8
Era = Literal["all", "annual ratios", "earnings surprises", "estimate revisions"]


class QuintileSpread(Record):
    """Top minus bottom quintile forward return at one horizon, over the dates of one era."""

    era: Era
    horizon_weeks: int
    dates: int
    top_mean: float | None
    bottom_mean: float | None
    spread_mean: float | None
    ci_low: float | None
    ci_high: float | None
    hit_rate: float | None
    verdict: str


class ScreenBacktest(Record):
    """The screen backtest: per era and horizon, the quintile spread with its bootstrap interval."""

    start: date
    end: date
    step_weeks: int
    dates: int
    median_scored: int
    bootstrap: str
    results: list[QuintileSpread]
    notes: list[str]


def block_bootstrap_ci(
    x: Float64Array, block: int, n_boot: int = 2000, seed: int = 7, level: float = 0.95
) -> tuple[float, float]:
    """Moving-block bootstrap interval of the mean of ``x`` (:mod:`rotascope.bootstrap`)."""
    return mean_interval(x, block, n_boot, np.random.default_rng(seed), level)


def verdict(h: int, n: int, mean: float, lo: float, hi: float) -> str:
    """One sentence from the numbers: the interval decides the words."""
    core = f"over {n} dates the top quintile's {h}-week return minus the bottom's averaged {mean:+.2%}"
    if lo > 0:
        return f"Top beat bottom: {core}, 95 % interval {lo:+.2%} to {hi:+.2%} (above zero)."
    if hi < 0:
        return f"Top lagged bottom: {core}, 95 % interval {lo:+.2%} to {hi:+.2%} (below zero)."
    return f"No reliable difference: {core}, 95 % interval {lo:+.2%} to {hi:+.2%} includes zero."


def _week_ends(dates: np.ndarray, start: date, end: date, step: int) -> list[int]:
    days = dates.astype("datetime64[D]")
    last = week_last_index(days)
    keep = last[(days[last] >= np.datetime64(start, "D")) & (days[last] <= np.datetime64(end, "D"))]
    return [int(i) for i in keep[::step]]


_Row = tuple[int, str, int, dict[int, tuple[float, float]]]
"""One as-of: (row, era of its fundamentals, members scored, horizon -> (top, bottom) mean forward return)."""
ERAS = ("all", "annual ratios", "earnings surprises", "estimate revisions")


def _era(frame: pd.DataFrame) -> str:
    """Which fundamentals the cross-section's score rests on (the richest source present)."""
    return (
        "annual ratios"
        if frame["profitability"].notna().any()
        else "earnings surprises"
        if frame["surprise"].notna().any()
        else "estimate revisions"
    )


def _cross_section(
    store: Store, panel: Panel, values: Float64Array, t: int, horizons: tuple[int, ...]
) -> _Row | None:
    """The screen at row ``t`` and its top and bottom quintiles' mean forward return per horizon (None
    without fundamentals or with fewer than ``MIN_SCORED`` members scored)."""
    day = panel.dates[t].astype(date)
    window = values[max(0, t - 252) : t + 1]
    fund = load_fundamentals(store, day)
    if fund.empty:
        return None
    frame = score_frame(ScreenInputs(day, panel.symbols, {}, {}, window), fund)
    ok = np.isfinite(frame["score"].to_numpy(np.float64))
    if ok.sum() < MIN_SCORED:
        return None
    cols = np.flatnonzero(np.isin(np.asarray(panel.symbols), frame.index[ok]))
    score = frame["score"].reindex([panel.symbols[c] for c in cols]).to_numpy(np.float64)
    out: dict[int, tuple[float, float]] = {}
    for h in horizons:
        if t + 5 * h >= len(values):
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            fwd = values[t + 5 * h, cols] / values[t, cols] - 1.0
        good = np.isfinite(fwd)
        lo, hi = np.quantile(score[good], [0.2, 0.8])
        out[h] = (float(fwd[good & (score >= hi)].mean()), float(fwd[good & (score <= lo)].mean()))
    return t, _era(frame), int(ok.sum()), out


def _spread(
    era: str, h: int, pairs: list[tuple[float, float]], step_weeks: int, n_boot: int, seed: int
) -> QuintileSpread:
    """The mean top-minus-bottom spread of one era and horizon, with its block-bootstrap interval and
    verdict (none below ``MIN_DATES`` dates)."""
    top, bottom = (np.asarray(v) for v in zip(*pairs, strict=True))
    spread = top - bottom
    n = len(spread)
    ci: tuple[float | None, float | None] = (None, None)
    if n < MIN_DATES:
        text = f"Too few dates ({n} < {MIN_DATES}) for an interval: no verdict."
    else:
        ci_lo, ci_hi = block_bootstrap_ci(spread, math.ceil(h / step_weeks), n_boot, seed)
        ci = (ci_lo, ci_hi)
        text = verdict(h, n, float(spread.mean()), ci_lo, ci_hi)
    return QuintileSpread(
        era=era,
        horizon_weeks=h,
        dates=n,
        top_mean=rnd(float(top.mean()), 6),
        bottom_mean=rnd(float(bottom.mean()), 6),
        spread_mean=rnd(float(spread.mean()), 6),
        ci_low=rnd(ci[0], 6),
        ci_high=rnd(ci[1], 6),
        hit_rate=rnd(float((spread > 0).mean()), 4),
        verdict=text,
    )


def backtest_screen(
    store: Store,
    start: date = date(2014, 3, 31),
    end: date = date(2026, 12, 31),
    horizons: tuple[int, ...] = (1, 4, 13),
    step_weeks: int = 4,
    n_boot: int = 2000,
    seed: int = 7,
) -> ScreenBacktest:
    """Run the screen every ``step_weeks`` weeks between start and end; measure quintile spreads."""
    if start >= end:
        raise DataError(f"--start {start} is not before --end {end}.")
    panel, _names, _sectors = member_panel(store)
    values = panel.float64()
    rows: list[_Row] = []
    for t in _week_ends(panel.dates, start, end, step_weeks):  # one cross-section per date, vectorised
        row = _cross_section(store, panel, values, t, horizons)
        if row is not None:
            rows.append(row)
    if not rows:
        raise DataError(f"No date between {start} and {end} has {MIN_SCORED} members with fundamentals.")
    results = [
        _spread(era, h, pairs, step_weeks, n_boot, seed)
        for era in ERAS
        for h in horizons
        if (pairs := [r[3][h] for r in rows if h in r[3] and era in ("all", r[1])])
    ]
    first, last = panel.dates[rows[0][0]].astype(date), panel.dates[rows[-1][0]].astype(date)
    return ScreenBacktest(
        start=first,
        end=last,
        step_weeks=step_weeks,
        dates=len(rows),
        median_scored=int(np.median([r[2] for r in rows])),
        bootstrap=f"moving-block bootstrap of the mean spread, {n_boot} resamples, seed {seed}, "
        f"blocks of ceil(horizon / {step_weeks}) dates; 95 % percentile interval",
        results=results,
        notes=[
            "Today's Russell 2000 members only (survivorship bias); equal-weight quintile means of closes "
            "(dividend-adjusted), no costs.",
            "Fundamentals offline: annual ratios FY2013-16 (each known 90 days after an assumed 31 Dec year "
            "end), SimFin statements 2019-2025 (annual and trailing four quarters, known on their publish "
            "date; no banks or insurers), earnings surprises 2018-2021, estimate snapshots 2025-11-07 to "
            "2025-12-26 only.",
        ],
    )
