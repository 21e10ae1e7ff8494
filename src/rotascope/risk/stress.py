"""Stress scenarios from historical sensitivities fitted on data up to the as-of date (no look-ahead).

Model (one JOINT regression, used by the scenarios; univariate fits are reported for context)::

    rel_k = a + b1 * d10y_k + b2 * dHY_k + b3 * spy_k + e_k

over weekly steps ``k`` (every 5th trading row ending at the as-of row ``t``, so the last week ends at
``t``) in a trailing window (default 260 weeks = 5 years): ``rel`` = IWM weekly return - SPY weekly
return, ``d10y``/``dHY`` = weekly change of the 10-year yield / HY OAS in percentage points, ``spy`` = SPY
weekly return (the growth/beta factor). Joint, because rates, credit and equities move together: a
univariate rate beta would also carry the equity and credit moves that usually come with a rate move, and
the growth-shock scenario shocks two factors at once, which only a joint fit prices consistently.

Standard errors: plain OLS (``s^2 (X'X)^-1``) and Newey-West HAC (Bartlett kernel, ``hac_lags`` lags,
``(X'X)^-1 S (X'X)^-1``, times ``n/(n-k)`` when ``small_sample=True``, the default; statsmodels'
``cov_type="HAC"`` without ``use_correction`` equals ``small_sample=False``). Implemented here with NumPy
so statsmodels is not a runtime dependency; the tests check it against statsmodels to 1e-8.

Scenarios are instantaneous one-week shocks; the estimated pair return is ``sum(beta x shock)`` (the
intercept, a drift, is left out) and its 90 % range is ``+/- 1.645 x sqrt(s' V_hac s)`` over the shocked
factors (coefficient uncertainty only; the residual noise of a single week is larger and not included).
Factors a scenario does not name are held at zero: the rate-spike beta is the effect of rates with the
equity market and credit unchanged. A linear fit on ordinary weeks extrapolates to shocks larger than most
weeks in the sample; read the numbers as direction and order of magnitude.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from rotascope._typing import DateArray, Float64Array
from rotascope.errors import DataError
from rotascope.records import rnd
from rotascope.risk.invalidation import crosses
from rotascope.risk.models import Invalidation, Scenario, Sensitivity, StressFit, StressResult

__all__ = [
    "DEFAULT_SCENARIOS",
    "FACTORS",
    "FACTOR_UNITS",
    "Z90",
    "OLSResult",
    "StressModel",
    "fit_stress_model",
    "newey_west",
    "ols",
    "run_scenario",
    "run_scenarios",
    "weekly_design",
    "weekly_rows",
]

IntArray = npt.NDArray[np.int64]

FACTORS: tuple[str, ...] = ("d_ust_10y", "d_hy_oas", "spy_ret")
FACTOR_UNITS: dict[str, str] = {
    "d_ust_10y": "pp (weekly change of the 10-year yield)",
    "d_hy_oas": "pp (weekly change of HY OAS)",
    "spy_ret": "fraction (SPY weekly return)",
}
Z90 = 1.6448536269514722
"""Two-sided 90 % normal quantile, ``scipy.stats.norm.ppf(0.95)``."""
WEEK = 5
DEFAULT_WINDOW_WEEKS = 260
DEFAULT_HAC_LAGS = 4
"""A few lags: the Newey-West rule of thumb ``floor(4 (n/100)^(2/9))`` gives 4 for 260 weeks."""
MIN_WEEKS = 52

DEFAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="rate_spike",
        description="10-year yield +100 bp in a week, equities and credit unchanged",
        shocks={"d_ust_10y": 1.0},
    ),
    Scenario(
        name="credit_widening",
        description="HY OAS +200 bp in a week, rates and equities unchanged",
        shocks={"d_hy_oas": 2.0},
    ),
    Scenario(
        name="growth_shock",
        description="Joint shock: SPY -10 % and HY OAS +150 bp in the same week, rates unchanged",
        shocks={"spy_ret": -0.10, "d_hy_oas": 1.5},
    ),
)


@dataclass(frozen=True)
class OLSResult:
    """An OLS fit with plain and Newey-West covariances (raw floats; records round later)."""

    beta: Float64Array
    """Coefficients, intercept first when the design has a constant column."""
    cov_ols: Float64Array
    cov_hac: Float64Array
    resid: Float64Array
    r2: float
    n: int
    k: int

    @property
    def se_ols(self) -> Float64Array:
        out: Float64Array = np.sqrt(np.diag(self.cov_ols))
        return out

    @property
    def se_hac(self) -> Float64Array:
        out: Float64Array = np.sqrt(np.diag(self.cov_hac))
        return out


def newey_west(
    x: Float64Array, resid: Float64Array, lags: int, xtx_inv: Float64Array, *, small_sample: bool = True
) -> Float64Array:
    """Newey-West HAC covariance ``(X'X)^-1 S (X'X)^-1`` with Bartlett weights ``1 - l/(lags+1)``.

    ``S = sum_t u_t^2 x_t x_t' + sum_{l=1..lags} w_l sum_t (x_t u_t u_{t-l} x_{t-l}' + transpose)``;
    multiplied by ``n/(n-k)`` when ``small_sample``. Observations are taken as consecutive.
    """
    if int(lags) != lags or lags < 0:
        raise ValueError(f"lags must be a non-negative integer, got {lags!r}")
    xu = x * resid[:, np.newaxis]
    s = xu.T @ xu
    n, k = x.shape
    for lag in range(1, min(lags, n - 1) + 1):
        gamma = xu[lag:].T @ xu[:-lag]
        s += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    cov: Float64Array = xtx_inv @ s @ xtx_inv
    if small_sample:
        cov *= n / (n - k)
    return cov


def ols(y: Float64Array, x: Float64Array, *, hac_lags: int, small_sample: bool = True) -> OLSResult:
    """OLS of ``y`` on the design ``x`` (include a constant column yourself) with OLS and HAC covariances.

    Solved by least squares (``numpy.linalg.lstsq``); ``R^2`` is centred (``1 - RSS/TSS``) when the design
    has a constant. Raises ValueError when the design is rank deficient or has no residual degrees of freedom.
    """
    yv = np.asarray(y, dtype=np.float64)
    xv = np.asarray(x, dtype=np.float64)
    if xv.ndim != 2 or yv.ndim != 1 or xv.shape[0] != yv.shape[0]:
        raise ValueError(f"need y (n,) and x (n, k), got {yv.shape} and {xv.shape}")
    n, k = xv.shape
    if n <= k:
        raise ValueError(f"{n} observations for {k} coefficients: no residual degrees of freedom")
    solution, _, rank, _ = np.linalg.lstsq(xv, yv, rcond=None)
    beta = np.asarray(solution, dtype=np.float64)
    if rank < k:
        raise ValueError(f"design matrix is rank deficient (rank {rank} < {k}): a factor did not move")
    resid = yv - xv @ beta
    xtx_inv = np.asarray(np.linalg.inv(xv.T @ xv), dtype=np.float64)
    rss = float(resid @ resid)
    cov_ols = xtx_inv * (rss / (n - k))
    has_const = bool(np.any(np.all(xv == 1.0, axis=0)))
    centred = yv - yv.mean() if has_const else yv
    tss = float(centred @ centred)
    r2 = 1.0 - rss / tss if tss > 0.0 else math.nan
    cov_hac = newey_west(xv, resid, hac_lags, xtx_inv, small_sample=small_sample)
    return OLSResult(beta, cov_ols, cov_hac, resid, r2, n, k)


def weekly_rows(t: int, n_weeks: int, step: int = WEEK) -> IntArray:
    """Rows ``t - step*n_weeks, ..., t - step, t`` (ascending, negatives dropped): ``n_weeks`` steps."""
    rows = t - step * np.arange(n_weeks, -1, -1, dtype=np.int64)
    out: IntArray = rows[rows >= 0]
    return out


def weekly_design(
    t: int,
    *,
    iwm_close: Float64Array,
    spy_close: Float64Array,
    ust_10y: Float64Array,
    hy_oas: Float64Array,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
    step: int = WEEK,
) -> tuple[IntArray, Float64Array, Float64Array]:
    """Weekly observations ending at row ``t``: ``(end_rows, rel, factors)`` with NaN weeks dropped.

    ``rel`` = IWM minus SPY weekly return; ``factors`` columns follow :data:`FACTORS`. Only rows ``<= t``
    are read; each week ends on a row of ``weekly_rows(t, window_weeks, step)``.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (iwm_close, spy_close, ust_10y, hy_oas)]
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError("iwm_close, spy_close, ust_10y, hy_oas must share one calendar (equal lengths)")
    if not 0 <= t < lengths.pop():
        raise ValueError(f"as-of row t={t} outside the arrays")
    rows = weekly_rows(t, window_weeks, step)
    iwm, spy, y10, hy = (a[rows] for a in arrays)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_iwm = iwm[1:] / iwm[:-1] - 1.0
        r_spy = spy[1:] / spy[:-1] - 1.0
    rel = r_iwm - r_spy
    factors = np.column_stack([np.diff(y10), np.diff(hy), r_spy])
    ok = np.isfinite(rel) & np.isfinite(factors).all(axis=1)
    return rows[1:][ok], rel[ok], factors[ok]


@dataclass(frozen=True)
class StressModel:
    """The fitted joint and univariate regressions as of one date (raw floats for the scenario maths)."""

    as_of: date
    t: int
    window_weeks: int
    hac_lags: int
    rows: IntArray
    """Calendar rows on which the weeks used end."""
    joint: OLSResult
    """Coefficients: intercept, then :data:`FACTORS` in order."""
    univariate: tuple[OLSResult, ...]
    first_week: date | None = None
    last_week: date | None = None

    def beta(self, factor: str) -> float:
        return float(self.joint.beta[1 + FACTORS.index(factor)])

    def record(self) -> StressFit:
        """The fit as a rounded record."""
        j = self.joint
        se_o, se_h = j.se_ols, j.se_hac
        sens = []
        for i, name in enumerate(FACTORS):
            u = self.univariate[i]
            b, sh = float(j.beta[i + 1]), float(se_h[i + 1])
            sens.append(
                Sensitivity(
                    factor=name,
                    unit=FACTOR_UNITS[name],
                    beta=rnd(b, 8),
                    se_ols=rnd(float(se_o[i + 1]), 8),
                    se_hac=rnd(sh, 8),
                    t_hac=rnd(b / sh if sh > 0 else math.nan, 4),
                    beta_univariate=rnd(float(u.beta[1]), 8),
                    se_univariate_hac=rnd(float(u.se_hac[1]), 8),
                    r2_univariate=rnd(u.r2),
                )
            )
        return StressFit(
            as_of=self.as_of,
            model="joint OLS: IWM-SPY weekly return on d10y (pp), dHY OAS (pp), SPY weekly return",
            window_weeks=self.window_weeks,
            n_weeks=j.n,
            first_week=self.first_week,
            last_week=self.last_week,
            hac_lags=self.hac_lags,
            intercept=rnd(float(j.beta[0]), 8),
            intercept_se_hac=rnd(float(se_h[0]), 8),
            r2=rnd(j.r2),
            sensitivities=sens,
        )


def fit_stress_model(
    t: int,
    as_of: date,
    *,
    iwm_close: Float64Array,
    spy_close: Float64Array,
    ust_10y: Float64Array,
    hy_oas: Float64Array,
    dates: DateArray | None = None,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
    hac_lags: int = DEFAULT_HAC_LAGS,
    step: int = WEEK,
    min_weeks: int = MIN_WEEKS,
    small_sample: bool = True,
) -> StressModel:
    """Fit the joint and univariate weekly regressions on the ``window_weeks`` weeks ending at row ``t``.

    Arrays are on one trading calendar (macro values as known on each day); only rows ``<= t`` are read, so
    the fit equals the fit on arrays truncated at ``t``, bit for bit. ``dates`` (optional, the calendar)
    labels the first and last week. Raises :class:`~rotascope.errors.DataError` with fewer than
    ``min_weeks`` complete weeks.
    """
    rows, rel, fac = weekly_design(
        t,
        iwm_close=iwm_close,
        spy_close=spy_close,
        ust_10y=ust_10y,
        hy_oas=hy_oas,
        window_weeks=window_weeks,
        step=step,
    )
    if len(rel) < max(min_weeks, len(FACTORS) + 2):
        raise DataError(
            f"stress fit as of {as_of}: {len(rel)} complete weeks of IWM, SPY, 10-year and HY OAS data, "
            f"need {max(min_weeks, len(FACTORS) + 2)}"
        )
    const = np.ones((len(rel), 1))
    joint = ols(rel, np.hstack([const, fac]), hac_lags=hac_lags, small_sample=small_sample)
    uni = tuple(
        ols(rel, np.hstack([const, fac[:, i : i + 1]]), hac_lags=hac_lags, small_sample=small_sample)
        for i in range(len(FACTORS))
    )
    first = last = None
    if dates is not None:
        first, last = (np.asarray(dates)[r].astype("datetime64[D]").astype(date) for r in (rows[0], rows[-1]))
    return StressModel(as_of, t, window_weeks, hac_lags, rows, joint, uni, first, last)


def _shocked_value(inv: Invalidation, shocks: dict[str, float], pair_return: float | None) -> float | None:
    """The invalidation variable after the shock: yields/spreads add their pp shock, the IWM/SPY ratio
    moves by the estimated pair return; variables the model does not link to the shock stay put."""
    if inv.current is None:
        return None
    if inv.key == "ust_10y":
        return inv.current + shocks.get("d_ust_10y", 0.0)
    if inv.key == "hy_oas":
        return inv.current + shocks.get("d_hy_oas", 0.0)
    if inv.key == "iwm_spy":
        return None if pair_return is None else inv.current * (1.0 + pair_return)
    return inv.current


def run_scenario(
    model: StressModel,
    scenario: Scenario,
    *,
    position_notional: float,
    invalidations: Sequence[Invalidation] = (),
) -> StressResult:
    """Apply one scenario: estimated pair return and 90 % range, P&L on the position, invalidation breaches.

    ``position_notional`` is the signed pair exposure (positive = long IWM / short SPY). P&L = pair return x
    position; its range is the pair-return range times the position (ends swapped for a short position).
    """
    unknown = set(scenario.shocks) - set(FACTORS)
    if unknown:
        raise ValueError(f"scenario {scenario.name!r} shocks unknown factors {sorted(unknown)}")
    s = np.array([scenario.shocks.get(f, 0.0) for f in FACTORS])
    b = model.joint.beta[1:]
    v = model.joint.cov_hac[1:, 1:]
    est = float(s @ b)
    half = Z90 * math.sqrt(max(float(s @ v @ s), 0.0))
    lo, hi = est - half, est + half
    pos = float(position_notional)
    pnl_ends = sorted((lo * pos, hi * pos))
    shocked: dict[str, float | None] = {}
    breaches: list[str] = []
    new: list[str] = []
    for inv in invalidations:
        val = _shocked_value(inv, scenario.shocks, est)
        shocked[inv.key] = rnd(val)
        if crosses(inv.direction, inv.level, val):
            breaches.append(inv.key)
            if not inv.breached:
                new.append(inv.key)
    return StressResult(
        as_of=model.as_of,
        scenario=scenario.name,
        description=scenario.description,
        shocks=dict(scenario.shocks),
        pair_return=rnd(est),
        pair_return_low=rnd(lo),
        pair_return_high=rnd(hi),
        position_notional=float(rnd(pos) or 0.0),
        pnl=rnd(est * pos, 2),
        pnl_low=rnd(pnl_ends[0], 2),
        pnl_high=rnd(pnl_ends[1], 2),
        shocked=shocked,
        breaches=breaches,
        new_breaches=new,
    )


def run_scenarios(
    model: StressModel,
    *,
    weight: float,
    notional: float,
    invalidations: Sequence[Invalidation] = (),
    scenarios: Sequence[Scenario] = DEFAULT_SCENARIOS,
) -> list[StressResult]:
    """Every scenario on a position of ``weight x notional`` (e.g. ``Sizing.weight x max_tilt x capital``)."""
    return [
        run_scenario(model, sc, position_notional=weight * notional, invalidations=invalidations)
        for sc in scenarios
    ]
