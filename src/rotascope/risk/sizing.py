"""Volatility-based sizing of the small-cap tilt: a long IWM / short SPY pair and an outright IWM overweight.

Why volatility targeting: the IWM-SPY spread's volatility swings from ~6 % to ~25 % a year, so a fixed
notional takes four times more risk in stressed markets than in calm ones. Scaling the pair to a target
vol keeps the risk budget constant; using the larger of the 21- and 63-day estimates reacts to a vol spike
at once but does not re-lever as soon as a quiet month follows a storm.

Why an ATR unit as well: the outright IWM leg is what a long-only holder actually trades, and its stop is
set in price terms. Sizing it so that a stop ``atr_multiple x ATR`` away loses a fixed fraction of capital
is the classic "turtle unit"; the smaller of the vol-target and ATR share counts is the one to trade.

All functions are pure; the as-of row ``t`` is the last row they look at (arrays are cut at ``t + 1``).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from rotascope._typing import Float64Array
from rotascope.indicators import volatility
from rotascope.indicators.kernels import pct_change, rolling_std
from rotascope.indicators.volatility import TRADING_DAYS
from rotascope.records import rnd
from rotascope.risk.models import AtrUnit, Sizing, VolWindow

__all__ = [
    "ATR_N",
    "DEFAULT_ATR_MULTIPLE",
    "DEFAULT_MAX_TILT",
    "DEFAULT_MAX_WEIGHT",
    "DEFAULT_RISK_FRACTION",
    "DEFAULT_TARGET_VOL",
    "atr_unit",
    "pair_returns",
    "pair_vol",
    "size_tilt",
    "vol_target_weight",
]

ATR_N = 14
DEFAULT_TARGET_VOL = 0.10
"""Target annualised vol of the pair per unit of satellite budget (10 %, about the spread's long-run vol)."""
DEFAULT_MAX_WEIGHT = 1.5
"""Cap on the vol-target weight: a very calm spread must not lever the tilt beyond 1.5x its budget."""
DEFAULT_MAX_TILT = 0.10
"""Satellite budget: at most 10 % of equity capital moves from SPY into IWM."""
DEFAULT_RISK_FRACTION = 0.005
"""Capital lost at the ATR stop: 0.5 % (half a percent per tilt is the usual satellite risk budget)."""
DEFAULT_ATR_MULTIPLE = 2.0


def _positive(name: str, value: float) -> float:
    """Return ``value`` as float, or raise a ValueError naming it when it is not a finite positive number."""
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def pair_returns(iwm_close: Float64Array, spy_close: Float64Array) -> Float64Array:
    """Daily returns of a dollar-neutral long IWM / short SPY pair: ``r_IWM,t - r_SPY,t``.

    Simple returns ``c_t / c_{t-1} - 1`` of each leg (rebalanced to equal dollars daily); NaN on row 0 and
    wherever either close is missing (no forward filling).
    """
    iwm = np.asarray(iwm_close, dtype=np.float64)
    spy = np.asarray(spy_close, dtype=np.float64)
    if iwm.shape != spy.shape or iwm.ndim != 1:
        raise ValueError(f"iwm_close and spy_close must be 1-D of equal length, got {iwm.shape}, {spy.shape}")
    out: Float64Array = pct_change(iwm, 1) - pct_change(spy, 1)
    return out


def pair_vol(returns: Float64Array, n: int, *, periods_per_year: int = TRADING_DAYS) -> Float64Array:
    """Annualised realised vol of daily pair returns: sample std (ddof=1) over ``n`` days x sqrt(252).

    NaN until ``n`` valid returns are in the window (causal, as :func:`rolling_std`).
    """
    vol: Float64Array = rolling_std(returns, n) * math.sqrt(periods_per_year)
    return vol


def vol_target_weight(realised_vol_annual: float, target_vol_annual: float, max_weight: float) -> float:
    """Weight scaling a position of vol ``realised`` to the target: ``min(target / realised, max_weight)``.

    Raises ValueError for a non-positive or non-finite input (a zero vol would mean infinite leverage).
    """
    realised = _positive("realised_vol_annual", realised_vol_annual)
    target = _positive("target_vol_annual", target_vol_annual)
    cap = _positive("max_weight", max_weight)
    return min(target / realised, cap)


def atr_unit(capital: float, risk_fraction: float, atr: float, atr_multiple: float, price: float) -> AtrUnit:
    """Shares such that a stop ``atr_multiple x atr`` below ``price`` loses ``risk_fraction x capital``.

    ``shares_exact = risk_fraction x capital / (atr_multiple x atr)``, ``shares = floor(shares_exact)``,
    ``stop = price - atr_multiple x atr`` (a long position). Raises ValueError for non-positive inputs, for
    ``risk_fraction >= 1`` and for a stop at or below zero (the ATR multiple is wider than the price).
    """
    cap = _positive("capital", capital)
    frac = _positive("risk_fraction", risk_fraction)
    if frac >= 1.0:
        raise ValueError(f"risk_fraction must be < 1 (a fraction of capital), got {risk_fraction!r}")
    a = _positive("atr", atr)
    mult = _positive("atr_multiple", atr_multiple)
    px = _positive("price", price)
    distance = mult * a
    stop = px - distance
    if stop <= 0.0:
        raise ValueError(f"stop {stop:.4g} <= 0: atr_multiple x atr ({distance:.4g}) >= price ({px:.4g})")
    exact = frac * cap / distance
    shares = math.floor(exact)
    return AtrUnit(
        capital=cap,
        risk_fraction=frac,
        atr=a,
        atr_multiple=mult,
        price=px,
        stop_distance=_r(distance),
        stop=_r(stop),
        shares_exact=_r(exact),
        shares=shares,
        notional=_r(shares * px),
        risk_amount=_r(shares * distance),
    )


def _r(value: float) -> float:
    """Round a value known to be finite (the records' fields are non-optional floats)."""
    out = rnd(value)
    if out is None:
        raise ValueError(f"non-finite value {value!r}")
    return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def size_tilt(
    t: int,
    as_of: date,
    *,
    iwm_high: Float64Array,
    iwm_low: Float64Array,
    iwm_close: Float64Array,
    spy_close: Float64Array,
    capital: float,
    target_vol: float = DEFAULT_TARGET_VOL,
    max_weight: float = DEFAULT_MAX_WEIGHT,
    max_tilt: float = DEFAULT_MAX_TILT,
    risk_fraction: float = DEFAULT_RISK_FRACTION,
    atr_multiple: float = DEFAULT_ATR_MULTIPLE,
) -> Sizing:
    """Size the small-cap tilt as of row ``t`` (arrays on one trading calendar; only rows ``<= t`` are read).

    Pair vol = max(21-day, 63-day) annualised vol of :func:`pair_returns` (the conservative one; the finite
    one when only one exists); weight = :func:`vol_target_weight`; satellite tilt = weight x ``max_tilt``
    of equity; ATR = 14-day Wilder ATR of IWM (:func:`rotascope.indicators.volatility.atr`); ATR unit =
    :func:`atr_unit` at the as-of close. Raises ValueError when ``t`` is out of range or the history is too
    short for any pair vol or for the ATR.
    """
    n_rows = len(np.asarray(iwm_close))
    if not 0 <= t < n_rows:
        raise ValueError(f"as-of row t={t} outside the arrays (length {n_rows})")
    _positive("max_tilt", max_tilt)
    if max_tilt > 1.0:
        raise ValueError(f"max_tilt is a fraction of equity and must be <= 1, got {max_tilt!r}")
    end = t + 1
    h = np.asarray(iwm_high, dtype=np.float64)[:end]
    lo = np.asarray(iwm_low, dtype=np.float64)[:end]
    c = np.asarray(iwm_close, dtype=np.float64)[:end]
    spy = np.asarray(spy_close, dtype=np.float64)[:end]
    rets = pair_returns(c, spy)
    v21 = _finite(float(pair_vol(rets, 21)[-1]))
    v63 = _finite(float(pair_vol(rets, 63)[-1]))
    windows: tuple[tuple[float | None, VolWindow], ...] = ((v21, "21d"), (v63, "63d"))
    candidates = [(v, w) for v, w in windows if v is not None]
    if not candidates:
        raise ValueError(f"not enough history at row {t} for a 21-day pair vol (needs 22 valid closes)")
    vol_used, window = max(candidates, key=lambda vw: vw[0])
    weight = vol_target_weight(vol_used, target_vol, max_weight)
    a = float(volatility.atr(h, lo, c, ATR_N)[-1])
    if not math.isfinite(a):
        raise ValueError(f"not enough IWM OHLC history at row {t} for a {ATR_N}-day ATR")
    price = float(c[-1])
    unit = atr_unit(capital, risk_fraction, a, atr_multiple, price)
    tilt = weight * max_tilt
    pair_notional = tilt * float(capital)
    tilt_shares = math.floor(pair_notional / price)
    return Sizing(
        as_of=as_of,
        capital=float(capital),
        target_vol=float(target_vol),
        vol_21d=rnd(v21),
        vol_63d=rnd(v63),
        vol_used=_r(vol_used),
        vol_window_used=window,
        max_weight=float(max_weight),
        weight=_r(weight),
        max_tilt=float(max_tilt),
        satellite_tilt=_r(tilt),
        pair_notional=_r(pair_notional),
        expected_pair_vol=_r(tilt * vol_used),
        atr_n=ATR_N,
        atr=_r(a),
        atr_unit=unit,
        tilt_shares=tilt_shares,
        iwm_overweight_shares=min(tilt_shares, unit.shares),
        stop=unit.stop,
    )
