"""Rates and credit kernels: changes over windows and trailing percentiles (pure, causal, vectorised)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rotascope._typing import DateArray, Float64Array


def change(x: Float64Array, k: int) -> Float64Array:
    """x[t] - x[t-k] (NaN for the first k rows): level changes of yields and spreads, in their units."""
    out = np.full(x.shape, np.nan)
    if k < len(x):
        out[k:] = x[k:] - x[:-k]
    return out


def change_months(dates: DateArray, x: Float64Array, months: int) -> Float64Array:
    """x(d) - x(d - months) by calendar month (NaN when that month has no observation).

    For monthly series: a missing month (October 2025 CPI was never published) makes the change NaN
    instead of silently spanning one month more, as a change by rows would.
    """
    month = dates.astype("datetime64[M]")
    back = month - np.timedelta64(months, "M")
    pos = np.searchsorted(month, back)
    found = (pos < len(month)) & (month[np.minimum(pos, len(month) - 1)] == back)
    out = np.full(x.shape, np.nan)
    out[found] = x[found] - x[pos[found]]
    return out


def rolling_percentile(x: Float64Array, n: int, min_obs: int | None = None) -> Float64Array:
    """Share of the trailing ``n`` values (today included) that are <= today's value.

    Causal percentile rank used for "HY OAS is in the 80th percentile of its last 5 years". NaNs in the
    window are ignored; fewer than ``min_obs`` valid values (default n // 2) gives NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    need = n // 2 if min_obs is None else min_obs
    out = np.full(x.shape, np.nan)
    if len(x) == 0:
        return out
    padded = np.concatenate([np.full(n - 1, np.nan), x])
    windows = sliding_window_view(padded, n)
    valid = np.isfinite(windows)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        le = (windows <= x[:, None]) & valid
    rank = le.sum(axis=1) / np.maximum(count, 1)
    ok = (count >= need) & np.isfinite(x)
    out[ok] = rank[ok]
    return out
