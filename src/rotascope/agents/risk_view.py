"""Glue between the agents and the risk toolkit: the typed :class:`RiskView` of the small-cap tilt.

Sizes are quoted for a nominal 100,000 of equity capital so they read as percentages and shares per
100k; the decision's ``tilt`` is the fraction that matters.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rotascope._typing import Float64Array
from rotascope.agents.base import ATR_ROWS, AgentContext, has_recent_range
from rotascope.agents.vector import IntArray, rnd_array
from rotascope.errors import DataError
from rotascope.indicators.volatility import atr
from rotascope.monitor.engine import MonitorPanel
from rotascope.records import AtrMethod, RiskView, rnd
from rotascope.risk.invalidation import InvalidationParams, invalidations
from rotascope.risk.models import Invalidation, Sizing, StressFit, StressResult
from rotascope.risk.rules import risk_plan
from rotascope.risk.sizing import (
    ATR_N,
    DEFAULT_ATR_MULTIPLE,
    DEFAULT_MAX_WEIGHT,
    DEFAULT_TARGET_VOL,
    pair_returns,
    pair_vol,
    size_tilt,
)
from rotascope.risk.stress import fit_stress_model, run_scenarios

NOMINAL_CAPITAL = 100_000.0


def _iwm_range(ctx: AgentContext) -> tuple[Float64Array, Float64Array, AtrMethod]:
    """IWM's highs and lows for the ATR where they are stored for the recent rows, else its closes (and
    the ATR method that says which)."""
    data, t = ctx.panel.data, ctx.row
    iwm = data.etf.column("IWM")
    hl = data.highs_lows
    has_hl = hl is not None and has_recent_range(hl.column("IWM_high"), hl.column("IWM_low"), t)
    high = hl.column("IWM_high") if hl is not None and has_hl else iwm
    low = hl.column("IWM_low") if hl is not None and has_hl else iwm
    method: AtrMethod = "wilder_true_range_14" if has_hl else "close_to_close_14"
    return high, low, method


def _sizing(ctx: AgentContext, high: Float64Array, low: Float64Array, missing: list[str]) -> Sizing | None:
    """The vol-targeted pair sizing at the as-of, or None (with the reason added to ``missing``)."""
    data = ctx.panel.data
    try:
        return size_tilt(
            ctx.row,
            ctx.as_of,
            iwm_high=high,
            iwm_low=low,
            iwm_close=data.etf.column("IWM"),
            spy_close=data.etf.column("SPY"),
            capital=NOMINAL_CAPITAL,
        )
    except (DataError, ValueError) as exc:
        missing.append(f"Sizing not available: {exc}.")
        return None


def _invalidations(ctx: AgentContext) -> list[Invalidation]:
    """The levels that would invalidate the rotation call, read off the panel at the as-of row."""
    panel = ctx.panel
    macro = panel.macro
    return invalidations(
        ctx.row,
        iwm_spy=panel.pairs["IWM/SPY"].ratio,
        hy_oas=macro["hy_oas"].values if "hy_oas" in macro else None,
        ust_10y=macro["ust_10y"].values if "ust_10y" in macro else None,
        pct_above_50=panel.breadth["R2000"].panel.pct_above_50 / 100.0,
        kre_spy=panel.pairs["KRE/SPY"].ratio,
        params=InvalidationParams(),
    )


def _stress(
    ctx: AgentContext,
    conviction: float,
    sizing: Sizing | None,
    levels: list[Invalidation],
    missing: list[str],
) -> tuple[StressFit | None, list[StressResult]]:
    """The fitted stress model and its scenarios on the position's direction and notional, or nothing
    (with the reason added to ``missing``)."""
    panel, data = ctx.panel, ctx.panel.data
    macro = panel.macro
    try:
        model = fit_stress_model(
            ctx.row,
            ctx.as_of,
            iwm_close=data.etf.column("IWM"),
            spy_close=data.etf.column("SPY"),
            ust_10y=macro["ust_10y"].values,
            hy_oas=macro["hy_oas"].values,
            dates=panel.calendar,
        )
        direction = float(np.sign(conviction)) if conviction else 1.0
        notional = sizing.pair_notional if sizing else NOMINAL_CAPITAL * 0.10
        stress_fit = model.record()
        return stress_fit, run_scenarios(model, weight=direction, notional=notional, invalidations=levels)
    except (DataError, KeyError) as exc:
        missing.append(f"Stress tests not available: {exc}.")
        return None, []


def universe_risk(
    ctx: AgentContext, conviction: float, full: bool = True
) -> tuple[RiskView | None, float | None, list[str]]:
    """(risk view, vol-targeted weight, invalidation rules as text).

    ``full=False`` (the weekly replay) computes only the sizing the tilt needs and returns no view.
    """
    t = ctx.row
    iwm = ctx.panel.data.etf.column("IWM")
    high, low, method = _iwm_range(ctx)
    missing: list[str] = []
    sizing = _sizing(ctx, high, low, missing)
    weight = sizing.weight if sizing else None
    if not full:
        return None, weight, []
    levels = _invalidations(ctx)
    plan = risk_plan(
        ctx.as_of,
        pair_vol_63d=sizing.vol_63d if sizing else None,
        invalidations=levels,
        killers=ctx.result.regime.killers,
    )
    stress_fit, stress = _stress(ctx, conviction, sizing, levels, missing)
    price = float(iwm[t]) if np.isfinite(iwm[t]) else None
    stop = sizing.stop if sizing else None
    view = RiskView(
        subject="IWM",
        as_of=ctx.as_of,
        price=rnd(price),
        atr=sizing.atr if sizing else None,
        atr_method=method,
        stop=stop,
        stop_distance=rnd(stop / price - 1) if stop is not None and price else None,
        realised_vol_63d=sizing.vol_63d if sizing else None,
        vol_target=sizing.target_vol if sizing else 0.0,
        vol_weight=weight,
        position=None,
        capital_basis=NOMINAL_CAPITAL,
        sizing=sizing,
        invalidation=levels,
        plan=plan,
        stress_fit=stress_fit,
        stress=stress,
        not_available=missing,
    )
    text = [
        f"{i.name}: {i.direction} {i.level:.4g} (now {i.current:.4g})"
        for i in levels
        if i.level is not None and i.current is not None
    ]
    return view, weight, text


def _recent_range(high: Float64Array, low: Float64Array, rows: IntArray) -> npt.NDArray[np.bool_]:
    """``has_recent_range`` at every row: highs and lows stored for the ATR_ROWS rows ending there."""
    missing = np.concatenate([[0], np.cumsum(~(np.isfinite(high) & np.isfinite(low)))])
    return np.asarray(missing[rows + 1] - missing[np.maximum(rows + 1 - ATR_ROWS, 0)] == 0)


def tilt_weights(panel: MonitorPanel, rows: IntArray) -> Float64Array:
    """The vol-targeted weight ``universe_risk`` sizes the tilt with at each row (``size_tilt``'s weight,
    rounded as stored; NaN where sizing is not available), for the weekly replay's decision tilt."""
    data = panel.data
    iwm, spy = data.etf.column("IWM"), data.etf.column("SPY")
    rets = pair_returns(iwm, spy)
    vol = np.fmax(pair_vol(rets, 21)[rows], pair_vol(rets, 63)[rows])  # the larger known pair vol
    hl = data.highs_lows
    if hl is not None:
        high, low = hl.column("IWM_high"), hl.column("IWM_low")
        ranged = _recent_range(high, low, rows)
        unit = np.where(ranged, atr(high, low, iwm, ATR_N)[rows], atr(iwm, iwm, iwm, ATR_N)[rows])
    else:
        unit = atr(iwm, iwm, iwm, ATR_N)[rows]
    price = iwm[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        sized = (
            np.isfinite(vol)
            & (vol > 0)
            & np.isfinite(unit)
            & (unit > 0)
            & np.isfinite(price)
            & (price - DEFAULT_ATR_MULTIPLE * unit > 0)
        )
        weight = np.minimum(DEFAULT_TARGET_VOL / vol, DEFAULT_MAX_WEIGHT)
    out: Float64Array = np.where(sized, rnd_array(weight), np.nan)
    return out
