"""The decision/risk agent's toolkit: sizing, invalidation levels, stress scenarios, drawdown and exit rules.

Pure functions over plain arrays and an as-of row index (no I/O); every result is a typed, rounded
:class:`rotascope.records.Record` so analyses stay byte-identical run to run. Everything reads rows
``<= t`` only: the backtest and the live monitor call the same code.
"""

from __future__ import annotations

from rotascope.risk.invalidation import (
    InvalidationParams,
    LevelSeries,
    crosses,
    invalidations,
    level_series,
)
from rotascope.risk.models import (
    AtrUnit,
    Invalidation,
    RiskPlan,
    Scenario,
    Sensitivity,
    Sizing,
    StressFit,
    StressResult,
)
from rotascope.risk.rules import drawdown_breached, drawdown_limit, exit_rules, pair_equity, risk_plan
from rotascope.risk.sizing import atr_unit, pair_returns, pair_vol, size_tilt, vol_target_weight
from rotascope.risk.stress import (
    DEFAULT_SCENARIOS,
    StressModel,
    fit_stress_model,
    run_scenario,
    run_scenarios,
)

__all__ = [
    "DEFAULT_SCENARIOS",
    "AtrUnit",
    "Invalidation",
    "InvalidationParams",
    "LevelSeries",
    "RiskPlan",
    "Scenario",
    "Sensitivity",
    "Sizing",
    "StressFit",
    "StressModel",
    "StressResult",
    "atr_unit",
    "crosses",
    "drawdown_breached",
    "drawdown_limit",
    "exit_rules",
    "fit_stress_model",
    "invalidations",
    "level_series",
    "pair_equity",
    "pair_returns",
    "pair_vol",
    "risk_plan",
    "run_scenario",
    "run_scenarios",
    "size_tilt",
    "vol_target_weight",
]
