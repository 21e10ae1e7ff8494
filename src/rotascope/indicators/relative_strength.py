"""Relative strength of a numerator series against a denominator (e.g. IWM / SPY): the rotation signal.

The ratio ``a / b`` rises when ``a`` outperforms ``b``. Everything here is derived from that ratio and is
causal (row ``t`` uses rows ``<= t`` only). ``a`` may be ``(T,)`` or ``(T, N)``; ``b`` is ``(T,)``
(broadcast across columns) or the same shape as ``a``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rotascope._typing import BoolArray, Float64Array
from rotascope.indicators.kernels import _as_float, _check_window, pct_change, shift, sma

__all__ = [
    "PERSISTENCE_STEPS",
    "RS_WINDOWS",
    "RatioTrend",
    "RelativeStrength",
    "persistence",
    "ratio",
    "ratio_returns",
    "ratio_trend",
    "relative_strength",
]

RS_WINDOWS: Mapping[str, int] = {"1w": 5, "1m": 21, "3m": 63, "6m": 126, "12m": 252}
"""Look-back windows (trading days) of the relative returns."""

PERSISTENCE_STEPS: tuple[int, ...] = (4, 13)
"""Numbers of weekly (5-row) steps over which persistence is measured."""


def ratio(a: Float64Array, b: Float64Array) -> Float64Array:
    """Relative-strength ratio ``a / b``; NaN where either is missing or not strictly positive.

    ``b`` of shape ``(T,)`` is broadcast across the columns of a 2-D ``a``.
    """
    num = _as_float(a)
    den = _as_float(b)
    if num.shape[0] != den.shape[0]:
        raise ValueError(f"a and b need the same number of rows, got {num.shape[0]} and {den.shape[0]}")
    if num.ndim == 2 and den.ndim == 1:
        den = den[:, np.newaxis]
    elif num.ndim == 1 and den.ndim == 2:
        raise ValueError("b may be 2-D only when a is 2-D")
    ok = np.isfinite(num) & np.isfinite(den) & (num > 0.0) & (den > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, num / den, np.nan)
    return out


def ratio_returns(r: Float64Array, windows: Mapping[str, int] = RS_WINDOWS) -> dict[str, Float64Array]:
    """Relative returns of a ratio series over each window: ``r_t / r_{t-k} - 1`` (keys as in ``windows``)."""
    return {name: pct_change(r, k) for name, k in windows.items()}


@dataclass(frozen=True, slots=True)
class RatioTrend:
    """Trend state of the ratio against its 50- and 200-row SMAs.

    Flags are False where the SMA is undefined (so ``above`` and ``below`` are never both True and are
    both False during warm-up); distances are in percent, NaN where undefined. ``slope_50`` is the
    percent change of the 50-row SMA over the last ``slope_lag`` (20) rows.
    """

    sma_50: Float64Array
    sma_200: Float64Array
    above_50: BoolArray
    below_50: BoolArray
    above_200: BoolArray
    below_200: BoolArray
    dist_50_pct: Float64Array
    dist_200_pct: Float64Array
    slope_50: Float64Array


def ratio_trend(r: Float64Array, *, fast: int = 50, slow: int = 200, slope_lag: int = 20) -> RatioTrend:
    """Compare the ratio with its ``fast``/``slow`` SMAs and measure the recent slope of the fast one."""
    arr = _as_float(r)
    s_fast = sma(arr, fast)
    s_slow = sma(arr, slow)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_fast = (arr / s_fast - 1.0) * 100.0
        d_slow = (arr / s_slow - 1.0) * 100.0
    d_fast[~np.isfinite(d_fast)] = np.nan
    d_slow[~np.isfinite(d_slow)] = np.nan
    slope = pct_change(s_fast, slope_lag) * 100.0
    return RatioTrend(
        sma_50=s_fast,
        sma_200=s_slow,
        above_50=d_fast > 0.0,
        below_50=d_fast < 0.0,
        above_200=d_slow > 0.0,
        below_200=d_slow < 0.0,
        dist_50_pct=d_fast,
        dist_200_pct=d_slow,
        slope_50=slope,
    )


def persistence(r: Float64Array, n_steps: int, *, step: int = 5) -> Float64Array:
    """Share (0..1) of the last ``n_steps`` non-overlapping ``step``-row steps ending at ``t`` with a rise.

    Step ``j`` (``j = 0..n_steps-1``) compares ``r_{t-j*step}`` with ``r_{t-(j+1)*step}``; a rise is a strict
    increase (ties count as not rising). NaN unless all ``n_steps + 1`` sampled values are valid.
    """
    _check_window(n_steps, "n_steps")
    _check_window(step, "step")
    arr = _as_float(r)
    prev = shift(arr, step)
    valid = np.isfinite(arr) & np.isfinite(prev)
    rose = np.where(valid, (arr > prev).astype(np.float64), np.nan)
    total = np.zeros_like(rose)
    for j in range(n_steps):  # loop over lags (at most a few dozen), vectorised over rows and columns
        total += shift(rose, j * step)
    return total / n_steps


@dataclass(frozen=True, slots=True)
class RelativeStrength:
    """All relative-strength measures of ``a`` against ``b``: ratio, windowed returns, trend, persistence."""

    ratio: Float64Array
    returns: dict[str, Float64Array]
    trend: RatioTrend
    persistence: dict[int, Float64Array]


def relative_strength(
    a: Float64Array,
    b: Float64Array,
    *,
    windows: Mapping[str, int] = RS_WINDOWS,
    persistence_steps: Sequence[int] = PERSISTENCE_STEPS,
) -> RelativeStrength:
    """Compute the ratio ``a / b`` and every measure derived from it in one call."""
    r = ratio(a, b)
    return RelativeStrength(
        ratio=r,
        returns=ratio_returns(r, windows),
        trend=ratio_trend(r),
        persistence={n: persistence(r, n) for n in persistence_steps},
    )
