"""Glue between the agents and the risk toolkit: sizing, invalidation, plan and stress for the tilt.

Sizes are quoted for a nominal 100,000 of equity capital so they read as percentages and shares per
100k; the decision's ``tilt`` is the fraction that matters.
"""

from __future__ import annotations

import numpy as np

from rotascope.agents.base import AgentContext
from rotascope.errors import DataError
from rotascope.risk import (
    InvalidationParams,
    Sizing,
    fit_stress_model,
    invalidations,
    risk_plan,
    run_scenarios,
    size_tilt,
)

NOMINAL_CAPITAL = 100_000.0


def universe_risk(
    ctx: AgentContext, conviction: float, full: bool = True
) -> tuple[dict[str, object], float | None, list[str]]:
    """(risk records as JSON-ready dicts, vol-targeted weight, invalidation rules as text).

    ``full=False`` (the weekly replay) computes only the sizing the tilt needs.
    """
    panel, t = ctx.panel, ctx.row
    data = panel.data
    iwm, spy = data.etf.column("IWM"), data.etf.column("SPY")
    hl = data.highs_lows
    high = hl.column("IWM_high") if hl is not None else iwm
    low = hl.column("IWM_low") if hl is not None else iwm
    sizing: Sizing | None
    if not full:
        try:
            sizing = size_tilt(
                t,
                ctx.as_of,
                iwm_high=high,
                iwm_low=low,
                iwm_close=iwm,
                spy_close=spy,
                capital=NOMINAL_CAPITAL,
            )
        except (DataError, ValueError):
            return {}, None, []
        return {"sizing": sizing.to_dict()}, sizing.weight, []
    macro = panel.macro
    levels = invalidations(
        t,
        iwm_spy=panel.pairs["IWM/SPY"].ratio,
        hy_oas=macro["hy_oas"].values if "hy_oas" in macro else None,
        ust_10y=macro["ust_10y"].values if "ust_10y" in macro else None,
        pct_above_50=panel.breadth["R2000"].panel.pct_above_50 / 100.0,
        kre_spy=panel.pairs["KRE/SPY"].ratio,
        params=InvalidationParams(),
    )
    risk: dict[str, object] = {"capital_basis": NOMINAL_CAPITAL}
    weight: float | None = None
    try:
        sizing = size_tilt(
            t, ctx.as_of, iwm_high=high, iwm_low=low, iwm_close=iwm, spy_close=spy, capital=NOMINAL_CAPITAL
        )
        weight = sizing.weight
        risk["sizing"] = sizing.to_dict()
    except (DataError, ValueError) as exc:
        risk["sizing"] = {"error": str(exc)}
        sizing = None
    risk["invalidation"] = [i.to_dict() for i in levels]
    plan = risk_plan(
        ctx.as_of,
        pair_vol_63d=sizing.vol_63d if sizing else None,
        invalidations=levels,
        killers=ctx.result.regime.killers,
    )
    risk["plan"] = plan.to_dict()
    try:
        model = fit_stress_model(
            t,
            ctx.as_of,
            iwm_close=iwm,
            spy_close=spy,
            ust_10y=macro["ust_10y"].values,
            hy_oas=macro["hy_oas"].values,
            dates=panel.calendar,
        )
        direction = float(np.sign(conviction)) if conviction else 1.0
        notional = sizing.pair_notional if sizing else NOMINAL_CAPITAL * 0.10
        risk["stress_fit"] = model.record().to_dict()
        risk["stress"] = [
            r.to_dict()
            for r in run_scenarios(model, weight=direction, notional=notional, invalidations=levels)
        ]
    except (DataError, KeyError) as exc:
        risk["stress"] = {"error": str(exc)}
    text = [
        f"{i.name}: {i.direction} {i.level:.4g} (now {i.current:.4g})"
        for i in levels
        if i.level is not None and i.current is not None
    ]
    return risk, weight, text
