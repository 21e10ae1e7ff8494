"""Volatility and drawdown measures (causal): is a rotation happening in calm or stressed markets?"""

from __future__ import annotations

import numpy as np

from rotascope._typing import Float64Array
from rotascope.indicators.kernels import _as_float, _check_window, _nan_clean, rolling_std, shift, wilder

__all__ = [
    "TRADING_DAYS",
    "atr",
    "drawdown",
    "log_returns",
    "realized_vol",
    "rolling_max_drawdown",
    "true_range",
]

TRADING_DAYS = 252
"""Trading days per year used to annualise daily volatility."""


def log_returns(close: Float64Array) -> Float64Array:
    """Daily log returns ``ln(c_t / c_{t-1})``; NaN where either close is missing or not positive."""
    arr = _nan_clean(_as_float(close))
    prev = shift(arr, 1)
    ok = (arr > 0.0) & (prev > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Float64Array = np.where(ok, np.log(np.where(ok, arr, 1.0) / np.where(ok, prev, 1.0)), np.nan)
    return out


def realized_vol(close: Float64Array, n: int = 21, *, periods_per_year: int = TRADING_DAYS) -> Float64Array:
    """Annualised realised volatility: sample std (ddof=1) of the last ``n`` daily log returns x sqrt(252).

    Needs ``n`` valid returns (``n + 1`` consecutive valid closes); returned as a fraction (0.20 = 20%).
    """
    _check_window(n)
    vol: Float64Array = rolling_std(log_returns(close), n) * np.sqrt(periods_per_year)
    return vol


def true_range(high: Float64Array, low: Float64Array, close: Float64Array) -> Float64Array:
    """True range ``max(h - l, |h - c_{t-1}|, |l - c_{t-1}|)``; NaN on row 0 and wherever an input is missing.

    As in TA-Lib's TRANGE, the first bar has no previous close and therefore no true range.
    """
    h = _nan_clean(_as_float(high))
    lo = _nan_clean(_as_float(low))
    c = _nan_clean(_as_float(close))
    if not h.shape == lo.shape == c.shape:
        raise ValueError(f"high, low, close shapes differ: {h.shape}, {lo.shape}, {c.shape}")
    pc = shift(c, 1)
    tr = np.maximum(np.maximum(h - lo, np.abs(h - pc)), np.abs(lo - pc))  # NaN propagates
    return tr


def atr(high: Float64Array, low: Float64Array, close: Float64Array, n: int = 14) -> Float64Array:
    """Average true range with TA-Lib's definition: SMA of the first ``n`` true ranges, then Wilder smoothing.

    With complete data the first value is at row ``n`` (TA-Lib lookback = n); afterwards
    ``atr_t = ((n - 1) atr_{t-1} + tr_t) / n``. Rows with a missing true range are skipped (NaN output).
    """
    _check_window(n)
    return wilder(true_range(high, low, close), n)


def drawdown(close: Float64Array) -> Float64Array:
    """Drawdown from the running peak, ``c_t / max(c_0..c_t) - 1`` (<= 0); peak over valid values only.

    NaN where the close is missing. The peak never looks forward, so the series is causal.
    """
    arr = _nan_clean(_as_float(close))
    peak = np.fmax.accumulate(arr, axis=0)  # fmax ignores NaN: running max of the valid closes
    with np.errstate(divide="ignore", invalid="ignore"):
        out = arr / peak - 1.0
    out[~np.isfinite(out)] = np.nan
    return out


def rolling_max_drawdown(close: Float64Array, n: int = 252) -> Float64Array:
    """Largest peak-to-trough loss inside the trailing ``n``-row window, as a fraction <= 0.

    ``min over s in window of (c_s / max(c_u, u in [t-n+1, s]) - 1)``: both the peak and the trough lie in
    the window. NaN unless the window holds ``n`` valid closes. O(T*N*n) (lag loop over the window).
    """
    _check_window(n)
    arr = _nan_clean(_as_float(close))
    t = arr.shape[0]
    out = np.full(arr.shape, np.nan)
    if t < n:
        return out
    m = t - n + 1
    # Walk s = window start .. t, carrying the running peak since the window start for every t at once.
    peak = arr[:m].copy()
    mdd = np.zeros_like(peak)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(1, n):  # loop over the window offset, vectorised over rows and columns
            cur = arr[j : j + m]
            np.maximum(peak, cur, out=peak)  # NaN propagates: a gap makes the whole window NaN
            np.minimum(mdd, cur / peak - 1.0, out=mdd)
    mdd[~(np.isfinite(mdd) & np.isfinite(peak))] = np.nan
    out[n - 1 :] = mdd
    return out
