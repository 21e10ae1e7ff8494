"""Invalidation levels: the prices, spreads and breadth readings that would prove "small caps lead" wrong.

Each level is a full-history causal array (the level at row ``t`` uses rows ``<= t`` only), computed once
with the vectorised kernels and then read at any as-of row, as the monitor does. Levels that compare today
with a trailing extreme use the window that ENDS YESTERDAY (rows ``t-n .. t-1``): a level built from a
window that includes today could never be crossed today.

The five levels (defaults in :class:`InvalidationParams`):

``iwm_spy``  IWM/SPY ratio below its 50-day SMA minus 2 x the ratio's ATR-like daily range (Wilder
             14-day mean of ``|ratio_t - ratio_{t-1}|``; the ratio has no high/low, so close-to-close).
             Chosen over "below the 20-day low" because it is tied to the trend the ladder checks (ratio
             above its 50-day SMA) and the volatility buffer keeps one noisy day from triggering an exit;
             the 20-day low is available as ``ratio_method="low_20d"``.
``hy_oas``   HY OAS above the nearer of (today + 50 bp) and its 13-week high (63 rows ending yesterday).
             The level is the one to watch until the next review; today's reading breaches it only by
             printing a new 13-week high (it cannot exceed today + 50 bp).
``ust_10y``  10-year yield above its 13-week high (ending yesterday) + 25 bp: a breakout, not drift.
``r2000_pct_above_50``  share of Russell 2000 members above their 50-day average (fraction 0-1) below 40 %:
             leadership without participation is a few names, not a rotation.
``kre_spy``  KRE/SPY ratio below its 20-day low (ending yesterday): regional banks, the most rate- and
             credit-sensitive small-cap group, breaking down.

Macro inputs must already be on the trading calendar as the latest value known on each day (e.g.
``MonitorPanel.macro["hy_oas"].values``), so "rows <= t" means "known by the close of t".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rotascope._typing import Float64Array
from rotascope.indicators.kernels import rolling_max, rolling_min, shift, sma, wilder
from rotascope.records import rnd
from rotascope.risk.models import Direction, Invalidation

__all__ = [
    "InvalidationParams",
    "LevelSeries",
    "breached_keys",
    "breadth_level",
    "crosses",
    "hy_oas_level",
    "invalidations",
    "kre_level",
    "level_series",
    "ratio_atr",
    "ratio_level",
    "yield_level",
]

RatioMethod = Literal["sma_atr", "low_20d"]


@dataclass(frozen=True)
class InvalidationParams:
    """Parameters of the five invalidation levels (yields/spreads in pp, windows in trading days)."""

    ratio_method: RatioMethod = "sma_atr"
    ratio_sma: int = 50
    ratio_atr_n: int = 14
    ratio_k: float = 2.0
    ratio_low_n: int = 20
    hy_widening: float = 0.50
    hy_lookback: int = 63
    yield_lookback: int = 63
    yield_buffer: float = 0.25
    breadth_floor: float = 0.40
    kre_lookback: int = 20


@dataclass(frozen=True)
class LevelSeries:
    """One invalidation level over the whole calendar: ``level`` and ``current`` arrays plus its wording."""

    key: str
    name: str
    unit: str
    direction: Direction
    rule: str
    level: Float64Array
    current: Float64Array

    def breached(self) -> Float64Array:
        """1.0 where breached, 0.0 where not, NaN where level or current is missing (vectorised)."""
        ok = np.isfinite(self.level) & np.isfinite(self.current)
        with np.errstate(invalid="ignore"):
            hit = self.current < self.level if self.direction == "below" else self.current > self.level
        return np.where(ok, hit.astype(np.float64), np.nan)

    def at(self, t: int) -> Invalidation:
        """The level as of row ``t`` (a record; ``None`` where the history is too short)."""
        if not 0 <= t < len(self.current):
            raise ValueError(f"as-of row t={t} outside the arrays (length {len(self.current)})")
        lvl, cur = float(self.level[t]), float(self.current[t])
        ok = bool(np.isfinite(lvl) and np.isfinite(cur))
        dist = (cur - lvl if self.direction == "below" else lvl - cur) if ok else None
        return Invalidation(
            key=self.key,
            name=self.name,
            level=rnd(lvl),
            current=rnd(cur),
            unit=self.unit,
            direction=self.direction,
            distance=rnd(dist),
            rule=self.rule,
            breached=crosses(self.direction, lvl, cur),
        )


def crosses(direction: Direction, level: float | None, value: float | None) -> bool | None:
    """Whether ``value`` is on the wrong side of ``level`` (strictly); ``None`` when either is missing."""
    if level is None or value is None or not (np.isfinite(level) and np.isfinite(value)):
        return None
    return bool(value < level) if direction == "below" else bool(value > level)


def _arr(x: Float64Array) -> Float64Array:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"invalidation inputs are 1-D series, got ndim={a.ndim}")
    return np.where(np.isfinite(a), a, np.nan)


def ratio_atr(ratio: Float64Array, n: int = 14) -> Float64Array:
    """ATR-like daily range of a close-only ratio: Wilder ``n``-day mean of ``|ratio_t - ratio_{t-1}|``."""
    r = _arr(ratio)
    out: Float64Array = wilder(np.abs(r - shift(r, 1)), n)
    return out


def ratio_level(ratio: Float64Array, p: InvalidationParams = InvalidationParams()) -> LevelSeries:
    """IWM/SPY invalidation: below SMA50 - k x ratio ATR (default) or below the 20-day low to yesterday."""
    r = _arr(ratio)
    if p.ratio_method == "sma_atr":
        level = sma(r, p.ratio_sma) - p.ratio_k * ratio_atr(r, p.ratio_atr_n)
        rule = (
            f"IWM/SPY below its {p.ratio_sma}-day SMA minus {p.ratio_k:g} x its {p.ratio_atr_n}-day "
            "average daily move (Wilder)"
        )
    elif p.ratio_method == "low_20d":
        level = shift(rolling_min(r, p.ratio_low_n), 1)
        rule = f"IWM/SPY below its {p.ratio_low_n}-day low (to the previous close)"
    else:
        raise ValueError(f"unknown ratio_method {p.ratio_method!r}")
    return LevelSeries("iwm_spy", "IWM/SPY ratio trend", "ratio", "below", rule, level, r)


def hy_oas_level(hy_oas: Float64Array, p: InvalidationParams = InvalidationParams()) -> LevelSeries:
    """HY OAS invalidation: above min(today + widening, 13-week high to yesterday) (percent)."""
    h = _arr(hy_oas)
    prior_high = shift(rolling_max(h, p.hy_lookback), 1)
    level = np.fmin(h + p.hy_widening, prior_high)  # fmin: either bound alone when the other is missing
    level[~np.isfinite(h)] = np.nan
    rule = (
        f"HY OAS above the nearer of today + {p.hy_widening * 100:.0f} bp and its "
        f"{p.hy_lookback}-day high (to the previous day)"
    )
    return LevelSeries("hy_oas", "High-yield credit spread", "percent", "above", rule, level, h)


def yield_level(ust_10y: Float64Array, p: InvalidationParams = InvalidationParams()) -> LevelSeries:
    """10-year yield invalidation: above its 13-week high (to yesterday) + 25 bp (percent)."""
    y = _arr(ust_10y)
    level = shift(rolling_max(y, p.yield_lookback), 1) + p.yield_buffer
    rule = (
        f"10-year Treasury yield above its {p.yield_lookback}-day high (to the previous day) + "
        f"{p.yield_buffer * 100:.0f} bp"
    )
    return LevelSeries("ust_10y", "10-year yield breakout", "percent", "above", rule, level, y)


def breadth_level(pct_above_50: Float64Array, p: InvalidationParams = InvalidationParams()) -> LevelSeries:
    """Participation invalidation: share of R2000 members above their 50-day MA (fraction) below 40 %."""
    b = _arr(pct_above_50)
    finite = b[np.isfinite(b)]
    if finite.size and float(np.max(finite)) > 1.0:
        raise ValueError("pct_above_50 must be a fraction in [0, 1] (divide percentages by 100)")
    level = np.where(np.isfinite(b), p.breadth_floor, np.nan)
    rule = f"Russell 2000 members above their 50-day average below {p.breadth_floor:.0%}"
    return LevelSeries("r2000_pct_above_50", "Small-cap participation", "fraction", "below", rule, level, b)


def kre_level(kre_spy: Float64Array, p: InvalidationParams = InvalidationParams()) -> LevelSeries:
    """Regional-bank invalidation: KRE/SPY ratio below its 20-day low (to yesterday)."""
    k = _arr(kre_spy)
    level = shift(rolling_min(k, p.kre_lookback), 1)
    rule = f"KRE/SPY below its {p.kre_lookback}-day low (to the previous close)"
    return LevelSeries("kre_spy", "Regional banks vs SPY", "ratio", "below", rule, level, k)


def level_series(
    *,
    iwm_spy: Float64Array | None = None,
    hy_oas: Float64Array | None = None,
    ust_10y: Float64Array | None = None,
    pct_above_50: Float64Array | None = None,
    kre_spy: Float64Array | None = None,
    params: InvalidationParams = InvalidationParams(),
) -> list[LevelSeries]:
    """Every invalidation level whose input is given, over the whole history (compute once, read by row).

    Inputs are 1-D arrays on one trading calendar; omitted inputs are skipped. Order is fixed: ratio,
    credit, yield, breadth, regional banks.
    """
    given = [a for a in (iwm_spy, hy_oas, ust_10y, pct_above_50, kre_spy) if a is not None]
    if len({len(np.asarray(a)) for a in given}) > 1:
        raise ValueError("invalidation inputs must share one calendar (equal lengths)")
    out: list[LevelSeries] = []
    if iwm_spy is not None:
        out.append(ratio_level(iwm_spy, params))
    if hy_oas is not None:
        out.append(hy_oas_level(hy_oas, params))
    if ust_10y is not None:
        out.append(yield_level(ust_10y, params))
    if pct_above_50 is not None:
        out.append(breadth_level(pct_above_50, params))
    if kre_spy is not None:
        out.append(kre_level(kre_spy, params))
    return out


def invalidations(
    t: int,
    *,
    iwm_spy: Float64Array | None = None,
    hy_oas: Float64Array | None = None,
    ust_10y: Float64Array | None = None,
    pct_above_50: Float64Array | None = None,
    kre_spy: Float64Array | None = None,
    params: InvalidationParams = InvalidationParams(),
) -> list[Invalidation]:
    """The invalidation levels as of row ``t``, computed from rows ``<= t`` only (arrays are cut at t+1).

    Equal, bit for bit, to ``[s.at(t) for s in level_series(<full arrays>)]`` because every kernel is causal;
    use :func:`level_series` once when reading many as-of rows.
    """

    def cut(a: Float64Array | None) -> Float64Array | None:
        if a is None:
            return None
        arr = np.asarray(a, dtype=np.float64)
        if not 0 <= t < len(arr):
            raise ValueError(f"as-of row t={t} outside the arrays (length {len(arr)})")
        return arr[: t + 1]

    series = level_series(
        iwm_spy=cut(iwm_spy),
        hy_oas=cut(hy_oas),
        ust_10y=cut(ust_10y),
        pct_above_50=cut(pct_above_50),
        kre_spy=cut(kre_spy),
        params=params,
    )
    return [s.at(t) for s in series]


def breached_keys(levels: Sequence[Invalidation]) -> list[str]:
    """Keys of the levels that are breached now."""
    return [inv.key for inv in levels if inv.breached]
