"""Drawdown limit and exit rules for the small-cap tilt, as a typed :class:`RiskPlan`.

Drawdown limit (fraction of the pair's notional)::

    limit = min(k x sigma_63 x sqrt(horizon_weeks / 52), cap)        k = 2, cap = 15 %

``sigma_63`` is the pair's 63-day annualised vol, scaled to the horizon by the square root of time. Why 2
sigma: with no edge, the chance that a driftless pair ever falls 2 sigma-of-the-horizon below its entry
before the horizon ends is about 2 x P(Z < -2) ~ 4.6 % (reflection principle), so hitting the limit is
evidence against the thesis rather than ordinary noise. The fixed cap bounds the limit when the
spread's vol is extreme; without a vol estimate the cap alone is used (said in ``drawdown_rule``).

Exit rules are plain sentences built from the invalidation levels (their current numbers included), the
regime layer's rotation killers, the drawdown limit and the horizon; the plan is reviewed weekly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from rotascope._typing import Float64Array
from rotascope.indicators.volatility import drawdown
from rotascope.records import Killer, rnd
from rotascope.risk.models import Invalidation, RiskPlan

__all__ = [
    "DEFAULT_DRAWDOWN_CAP",
    "DEFAULT_DRAWDOWN_K",
    "DEFAULT_HORIZON_WEEKS",
    "drawdown_breached",
    "drawdown_limit",
    "exit_rules",
    "max_drawdown",
    "pair_equity",
    "risk_plan",
]

DEFAULT_HORIZON_WEEKS = 13
"""One quarter: long enough for a rotation to show in breadth and credit, short enough to re-underwrite."""
DEFAULT_DRAWDOWN_K = 2.0
DEFAULT_DRAWDOWN_CAP = 0.15
_TOL = 1e-12


def drawdown_limit(
    pair_vol_63d: float | None,
    horizon_weeks: int = DEFAULT_HORIZON_WEEKS,
    *,
    k: float = DEFAULT_DRAWDOWN_K,
    cap: float = DEFAULT_DRAWDOWN_CAP,
) -> tuple[float, str]:
    """``(limit, rule)``: ``min(k x vol x sqrt(horizon/52), cap)``, or ``cap`` when the vol is unknown.

    Raises ValueError for a non-positive horizon, ``k`` or cap, or a cap of 100 % or more.
    """
    if int(horizon_weeks) != horizon_weeks or horizon_weeks < 1:
        raise ValueError(f"horizon_weeks must be a positive integer, got {horizon_weeks!r}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be > 0, got {k!r}")
    if not (math.isfinite(cap) and 0 < cap < 1):
        raise ValueError(f"cap must be a fraction in (0, 1), got {cap!r}")
    if pair_vol_63d is None or not math.isfinite(pair_vol_63d) or pair_vol_63d <= 0:
        return cap, f"fixed cap {cap:.0%} (no 63-day pair vol available)"
    scaled = k * pair_vol_63d * math.sqrt(horizon_weeks / 52.0)
    if scaled >= cap:
        return cap, (
            f"fixed cap {cap:.0%} (binding: {k:g} x 63-day pair vol {pair_vol_63d:.1%} x "
            f"sqrt({horizon_weeks}/52) = {scaled:.1%})"
        )
    return scaled, f"{k:g} x 63-day pair vol {pair_vol_63d:.1%} x sqrt({horizon_weeks}/52), cap {cap:.0%}"


def pair_equity(iwm_close: Float64Array, spy_close: Float64Array, entry: int, t: int) -> Float64Array:
    """Equity per unit notional of a pair opened at row ``entry`` and held (not rebalanced) to row ``t``.

    ``1 + IWM_s / IWM_entry - SPY_s / SPY_entry`` for ``s = entry..t`` (1.0 at entry). Reads rows <= t only.
    """
    iwm = np.asarray(iwm_close, dtype=np.float64)
    spy = np.asarray(spy_close, dtype=np.float64)
    if not 0 <= entry <= t < min(len(iwm), len(spy)):
        raise ValueError(f"need 0 <= entry ({entry}) <= t ({t}) < length ({min(len(iwm), len(spy))})")
    with np.errstate(divide="ignore", invalid="ignore"):
        eq: Float64Array = 1.0 + iwm[entry : t + 1] / iwm[entry] - spy[entry : t + 1] / spy[entry]
    return eq


def max_drawdown(equity_since_entry: Float64Array) -> float:
    """Largest peak-to-trough fall of an equity curve since entry, as a positive fraction (0 if none).

    Peaks are running maxima of the valid values (NaN rows ignored); a non-positive equity counts as a
    total loss (drawdown 1).
    """
    eq = np.asarray(equity_since_entry, dtype=np.float64)
    if eq.ndim != 1:
        raise ValueError(f"equity_since_entry must be 1-D, got ndim={eq.ndim}")
    ok = np.isfinite(eq)
    if not ok.any():
        return 0.0
    vals = eq[ok]
    if (vals <= 0).any():
        return 1.0
    dd = drawdown(vals)
    return float(max(0.0, -float(np.nanmin(dd))))


def drawdown_breached(equity_since_entry: Float64Array, limit: float) -> bool:
    """True when the equity curve has at any point since entry fallen ``limit`` (or more) below its peak.

    ``limit`` is a positive fraction (0.10 = 10 %); "at any point" because a breach at the last review is an
    exit even if the pair has bounced since. A drawdown within 1e-12 of the limit counts as reaching it
    (``1.08 / 1.2 - 1`` is not exactly -0.1 in binary). Raises ValueError for a limit outside (0, 1].
    """
    if not (math.isfinite(limit) and 0 < limit <= 1):
        raise ValueError(f"limit must be a fraction in (0, 1], got {limit!r}")
    return max_drawdown(equity_since_entry) >= limit - _TOL


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "fraction":
        return f"{value:.0%}"
    if unit == "percent":
        return f"{value:.2f} %"
    return f"{value:.4f}"


def exit_rules(
    invalidations: Sequence[Invalidation],
    killers: Sequence[Killer] = (),
    *,
    drawdown_limit: float | None = None,
    horizon_weeks: int | None = None,
) -> list[str]:
    """Exit rules as sentences: one per invalidation level, one per killer, drawdown and horizon.

    Levels that cannot be computed yet are kept with "n/a" so the rule is still visible.
    """
    rules: list[str] = []
    for inv in invalidations:
        rules.append(
            f"Exit if {inv.name} ({inv.key}) closes {inv.direction} {_fmt(inv.level, inv.unit)} "
            f"(now {_fmt(inv.current, inv.unit)}): {inv.rule}."
        )
    for k in killers:
        state = {True: "TRIGGERED", False: "not triggered", None: "unknown"}[k.triggered]
        rules.append(f"Exit if the rotation killer '{k.name}' fires: {k.trigger} (now {state}).")
    if drawdown_limit is not None:
        rules.append(f"Exit if the pair's drawdown since entry reaches {drawdown_limit:.1%} of its notional.")
    if horizon_weeks is not None:
        rules.append(
            f"Close or re-underwrite after {horizon_weeks} weeks even if no rule has fired; review weekly."
        )
    return rules


def risk_plan(
    as_of: date,
    *,
    pair_vol_63d: float | None,
    invalidations: Sequence[Invalidation],
    killers: Sequence[Killer] = (),
    horizon_weeks: int = DEFAULT_HORIZON_WEEKS,
    k: float = DEFAULT_DRAWDOWN_K,
    cap: float = DEFAULT_DRAWDOWN_CAP,
) -> RiskPlan:
    """The risk plan as of ``as_of``: drawdown limit (see :func:`drawdown_limit`) and exit rules."""
    limit, rule = drawdown_limit(pair_vol_63d, horizon_weeks, k=k, cap=cap)
    return RiskPlan(
        as_of=as_of,
        horizon_weeks=horizon_weeks,
        drawdown_limit=float(rnd(limit) or cap),
        drawdown_rule=rule,
        pair_vol_63d=rnd(pair_vol_63d),
        exit_rules=exit_rules(invalidations, killers, drawdown_limit=limit, horizon_weeks=horizon_weeks),
    )
