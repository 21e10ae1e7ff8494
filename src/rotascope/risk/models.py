"""Typed records of the risk toolkit: sizing, invalidation levels, stress sensitivities and results, plan.

Every record derives :class:`rotascope.records.Record` (frozen, ``extra="forbid"``, canonical JSON). The
functions that build them round every float with :func:`rotascope.records.rnd` so that the same data gives
byte-identical JSON; ``None`` stands for "not computable" (missing history, NaN input).

Units used throughout:

* returns, weights, vols, drawdowns: fractions (0.10 = 10 %); vols are annualised;
* yields and spreads: percent, changes in percentage points (pp; 0.25 = 25 bp);
* money: the caller's currency; shares: units of IWM.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from rotascope._record import Record

Direction = Literal["below", "above"]
"""Which side of an invalidation level proves the thesis wrong."""
VolWindow = Literal["21d", "63d"]

__all__ = [
    "AtrUnit",
    "Direction",
    "Invalidation",
    "RiskPlan",
    "Scenario",
    "Sensitivity",
    "Sizing",
    "StressFit",
    "StressResult",
    "VolWindow",
]


class AtrUnit(Record):
    """A position sized so that a stop ``atr_multiple x ATR`` below entry loses ``risk_fraction`` of capital.

    ``shares_exact = risk_fraction x capital / (atr_multiple x ATR)``; ``shares`` is that rounded down to
    whole shares (so the realised risk never exceeds the budget). ``stop = price - atr_multiple x ATR``.
    """

    capital: float
    risk_fraction: float
    atr: float
    atr_multiple: float
    price: float
    stop_distance: float
    """``atr_multiple x ATR`` in price units."""
    stop: float
    shares_exact: float
    shares: int
    notional: float
    """``shares x price``."""
    risk_amount: float
    """Loss at the stop with ``shares`` whole shares: ``shares x stop_distance`` (<= risk budget)."""


class Sizing(Record):
    """How big the small-cap tilt is as of one date, and why (every input is recorded).

    The tilt is a dollar-neutral pair (long IWM / short SPY) volatility-targeted to ``target_vol``; in a
    core-satellite portfolio the core allocation is left unchanged and the satellite overweights IWM
    against SPY by ``satellite_tilt`` of equity capital (``weight x max_tilt``). The outright IWM leg is also
    sized by ATR (a stop ``atr_multiple x ATR`` away loses ``risk_fraction`` of capital); the smaller of
    the two share counts is the one to trade.
    """

    as_of: date
    capital: float
    target_vol: float
    vol_21d: float | None
    """Annualised realised vol of the pair's daily returns over 21 days (sample std x sqrt(252))."""
    vol_63d: float | None
    vol_used: float
    vol_window_used: VolWindow
    """The larger (more conservative) of the two windows; the only finite one if the other is missing."""
    max_weight: float
    weight: float
    """``min(target_vol / vol_used, max_weight)``: pair notional per unit of the satellite budget."""
    max_tilt: float
    """Satellite budget: the largest IWM-over-SPY tilt allowed, as a fraction of equity capital."""
    satellite_tilt: float
    """``weight x max_tilt``: the IWM overweight (and SPY underweight) as a fraction of equity capital."""
    core_allocation: Literal["unchanged"] = "unchanged"
    pair_notional: float
    """``satellite_tilt x capital``: dollars long IWM and short SPY."""
    expected_pair_vol: float
    """Annualised vol of the pair position as a fraction of capital: ``satellite_tilt x vol_used``."""
    atr_n: int
    atr: float
    """14-day Wilder ATR of IWM (TA-Lib definition) at the as-of date."""
    atr_unit: AtrUnit
    tilt_shares: int
    """Whole IWM shares worth ``pair_notional`` at the as-of close."""
    iwm_overweight_shares: int
    """``min(tilt_shares, atr_unit.shares)``: the outright IWM overweight to trade."""
    stop: float
    """Stop price of the outright IWM leg (from the ATR unit)."""


class Invalidation(Record):
    """A level that, once crossed, proves the "small caps are leading" thesis wrong.

    ``direction`` says which side is wrong: ``"below"`` means the thesis fails when ``current < level``,
    ``"above"`` when ``current > level``. ``distance`` is the signed room left before the breach in the
    level's unit (``current - level`` for "below", ``level - current`` for "above"): positive is safe,
    negative is breached. ``level``/``current``/``distance``/``breached`` are ``None`` when the history is
    too short to compute them.
    """

    key: str
    """Machine name of the checked variable (``iwm_spy``, ``hy_oas``, ``ust_10y``, ``r2000_pct_above_50``,
    ``kre_spy``); stress scenarios shock these by key."""
    name: str
    level: float | None
    current: float | None
    unit: str
    direction: Direction
    distance: float | None
    rule: str
    breached: bool | None


class Sensitivity(Record):
    """The IWM-SPY weekly relative return's sensitivity to one factor (joint and univariate OLS)."""

    factor: str
    """``d_ust_10y`` (pp), ``d_hy_oas`` (pp) or ``spy_ret`` (fraction), all weekly."""
    unit: str
    beta: float | None
    """Joint-regression coefficient: relative return per unit of the factor, the others held fixed."""
    se_ols: float | None
    se_hac: float | None
    """Newey-West (Bartlett) standard error with ``hac_lags`` lags and the n/(n-k) correction."""
    t_hac: float | None
    beta_univariate: float | None
    """Coefficient of a regression on this factor alone (plus intercept), for context only."""
    se_univariate_hac: float | None
    r2_univariate: float | None


class StressFit(Record):
    """The fitted weekly regression behind the stress scenarios, as of one date (data <= as-of only)."""

    as_of: date
    model: str
    window_weeks: int
    n_weeks: int
    first_week: date | None
    last_week: date | None
    hac_lags: int
    intercept: float | None
    intercept_se_hac: float | None
    r2: float | None
    sensitivities: list[Sensitivity]


class Scenario(Record):
    """A stress scenario: instantaneous one-week shocks to the regression's factors (unshocked = 0)."""

    name: str
    description: str
    shocks: dict[str, float]
    """Factor -> shock in the factor's unit (``d_ust_10y``: pp, ``d_hy_oas``: pp, ``spy_ret``: fraction)."""


class StressResult(Record):
    """One scenario applied to the fitted sensitivities and to the position and invalidation levels."""

    as_of: date
    scenario: str
    description: str
    shocks: dict[str, float]
    pair_return: float | None
    """Estimated IWM-SPY relative return: ``sum(beta x shock)`` (intercept excluded)."""
    pair_return_low: float | None
    pair_return_high: float | None
    """90 % range from the HAC coefficient covariance: ``+/- 1.645 x sqrt(s' V s)`` (parameter uncertainty
    only, not the week's residual noise)."""
    position_notional: float
    """Signed pair exposure (``weight x notional``); positive = long IWM / short SPY."""
    pnl: float | None
    pnl_low: float | None
    pnl_high: float | None
    shocked: dict[str, float | None]
    """Invalidation variables after the shock (``current`` + shock; ratio x (1 + pair return))."""
    breaches: list[str]
    """Invalidation keys whose level the shocked value crosses (already-breached ones included)."""
    new_breaches: list[str]
    """Of ``breaches``, those not breached before the shock."""


class RiskPlan(Record):
    """Horizon, drawdown limit and exit rules for the tilt; reviewed every week."""

    as_of: date
    horizon_weeks: int
    drawdown_limit: float
    """Largest tolerated drawdown of the pair's equity since entry, as a positive fraction of its notional."""
    drawdown_rule: str
    pair_vol_63d: float | None
    exit_rules: list[str]
    review_every: Literal["weekly"] = "weekly"
