"""Causal relative rotation graph (RRG) in the style of JdK RS-Ratio / RS-Momentum, on weekly data.

The JdK formulas are proprietary; this is a documented public approximation, normalised only over a
trailing window (never the full sample), so a past week's position never changes when data are added:

* ``rs        = 100 * a / b``                              (relative strength vs the benchmark)
* ``trend     = 100 * (rs / EMA(rs, trend_span) - 1)``     (% distance of rs from its 10-week EMA)
* ``RS-Ratio  = 100 + zscore(trend, window)``              (rolling z-score over ``window`` = 52 weeks)
* ``roc       = 100 * (RS-Ratio_t / RS-Ratio_{t-momentum_lag} - 1)``
* ``RS-Momentum = 100 + zscore(roc, window)``

Scale: one rolling standard deviation equals one point, so 101 means "one sigma above its trailing
52-week mean". The z-scores use the sample std (``ddof=1``) of the window that includes week ``t``.
Warm-up: RS-Ratio needs ``trend_span + window - 1`` weeks, RS-Momentum ``momentum_lag + window - 1``
more (113 weeks in all with the defaults). Weekly bars are the caller's (e.g. Friday closes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from rotascope._typing import Float64Array, Quadrant
from rotascope.indicators.kernels import _as_float, _check_window, ema, pct_change, rolling_zscore
from rotascope.indicators.relative_strength import ratio

__all__ = ["QUADRANTS", "RRG", "RRGTail", "quadrant", "rrg", "tails"]

QUADRANTS: tuple[Quadrant, ...] = ("leading", "weakening", "lagging", "improving")
"""Quadrant names in the usual clockwise rotation order."""


@dataclass(frozen=True, slots=True)
class RRG:
    """Weekly RRG coordinates, each ``(T_w, N)`` (or ``(T_w,)`` for a single series)."""

    rs: Float64Array
    rs_ratio: Float64Array
    rs_momentum: Float64Array


def rrg(
    closes: Float64Array,
    benchmark: Float64Array,
    *,
    trend_span: int = 10,
    window: int = 52,
    momentum_lag: int = 1,
) -> RRG:
    """Compute RS-Ratio and RS-Momentum of weekly ``closes`` ``(T_w, N)`` against ``benchmark`` ``(T_w,)``."""
    _check_window(trend_span, "trend_span")
    _check_window(window, "window")
    _check_window(momentum_lag, "momentum_lag")
    rs = 100.0 * ratio(closes, benchmark)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = 100.0 * (rs / ema(rs, trend_span) - 1.0)
    trend[~np.isfinite(trend)] = np.nan
    rs_ratio = 100.0 + rolling_zscore(trend, window)
    roc = 100.0 * pct_change(rs_ratio, momentum_lag)
    rs_momentum = 100.0 + rolling_zscore(roc, window)
    return RRG(rs=rs, rs_ratio=rs_ratio, rs_momentum=rs_momentum)


@overload
def quadrant(rs_ratio: float, rs_momentum: float) -> Quadrant | None: ...


@overload
def quadrant(rs_ratio: Float64Array, rs_momentum: Float64Array) -> npt.NDArray[np.str_]: ...


def quadrant(
    rs_ratio: float | Float64Array, rs_momentum: float | Float64Array
) -> Quadrant | npt.NDArray[np.str_] | None:
    """Classify RRG points: leading (>=100, >=100), weakening (>=100, <100), lagging (<100, <100), improving.

    Scalars give a quadrant name or None when either coordinate is NaN; arrays give a string array with
    ``""`` where undefined.
    """
    x = np.asarray(rs_ratio, dtype=np.float64)
    y = np.asarray(rs_momentum, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    out = np.full(x.shape, "", dtype="<U9")
    ok = np.isfinite(x) & np.isfinite(y)
    strong = x >= 100.0
    rising = y >= 100.0
    out[ok & strong & rising] = "leading"
    out[ok & strong & ~rising] = "weakening"
    out[ok & ~strong & ~rising] = "lagging"
    out[ok & ~strong & rising] = "improving"
    if out.ndim == 0:
        name = str(out[()])
        for q in QUADRANTS:
            if q == name:
                return q
        return None
    return out


@dataclass(frozen=True, slots=True)
class RRGTail:
    """The last ``k`` RRG points up to an end row: ``(k, N)`` coordinates and the end point's quadrant."""

    rs_ratio: Float64Array
    rs_momentum: Float64Array
    quadrant: npt.NDArray[np.str_]
    heading_deg: Float64Array
    """Direction of the last weekly move in degrees (0 = +RS-Ratio, 90 = +RS-Momentum), NaN if undefined."""


def tails(result: RRG, k: int = 8, *, end: int | None = None) -> RRGTail:
    """Return the last ``k`` points ending at row ``end`` (default: the last row, inclusive) for plotting."""
    _check_window(k, "k")
    x = _as_float(result.rs_ratio)
    y = _as_float(result.rs_momentum)
    t = x.shape[0]
    stop = t if end is None else end + 1 if end >= 0 else t + end + 1
    if not 0 < stop <= t:
        raise ValueError(f"end={end} outside 0..{t - 1}")
    start = max(0, stop - k)
    tx = x[start:stop]
    ty = y[start:stop]
    if tx.shape[0] >= 2:
        with np.errstate(invalid="ignore"):
            heading = np.degrees(np.arctan2(ty[-1] - ty[-2], tx[-1] - tx[-2]))
    else:
        heading = np.full(tx.shape[1:], np.nan)
    heading = np.asarray(heading, dtype=np.float64)
    return RRGTail(
        rs_ratio=tx.copy(),
        rs_momentum=ty.copy(),
        quadrant=quadrant(np.atleast_1d(tx[-1]), np.atleast_1d(ty[-1])).reshape(tx.shape[1:]),
        heading_deg=heading,
    )
