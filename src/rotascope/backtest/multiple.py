"""Corrections for trying many variants: Hansen's SPA test and the deflated Sharpe ratio.

The best of N backtests looks good by construction. Two checks judge it against that search:

* Hansen's Superior Predictive Ability test (``arch.bootstrap.SPA``): can ANY of the N variants beat a
  benchmark (here: standing aside, a zero pair return), given how their returns co-move? Stationary
  block bootstrap, studentised; the "consistent" p-value is the one reported.
* The deflated Sharpe ratio (Bailey & López de Prado, 2014, J. Portfolio Management 40(5)): the
  probability that the best variant's Sharpe exceeds the Sharpe the best of N skill-less trials would
  show, given the trials' Sharpe dispersion, the sample length and the returns' skewness and kurtosis.

The verdict's words are generated from the two numbers, so the text cannot be kinder than the test.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from rotascope.records import Record, rnd

ALPHA = 0.05
"""SPA p-value below which the best variant is said to beat standing aside."""
DSR_LEVEL = 0.95
"""Deflated Sharpe ratio at or above which the best variant's Sharpe is said to survive the search."""
SPA_REPS = 1000
SPA_BLOCK = 21
"""Mean block length of the stationary bootstrap, in trading days (about a month)."""
SPA_SEED = 20240719


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe of ``n_trials`` skill-less trials (Bailey & López de Prado, eq. for
    SR0): sqrt(V) * ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e))), γ the Euler-Mascheroni constant."""
    if n_trials <= 1 or not sharpe_variance > 0:
        return 0.0
    g = float(np.euler_gamma)
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1.0 - g) * float(z1) + g * float(z2))


def deflated_sharpe(
    sharpe: float, n_obs: int, n_trials: int, sharpe_variance: float, skew: float, kurtosis: float
) -> float:
    """Deflated Sharpe ratio: P(true Sharpe > SR0) for a per-period ``sharpe`` over ``n_obs`` returns
    with ``skew`` and (non-excess) ``kurtosis``, SR0 the expected best of ``n_trials``."""
    sr0 = expected_max_sharpe(n_trials, sharpe_variance)
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or not denom > 0:
        return math.nan
    z = (sharpe - sr0) * math.sqrt(n_obs - 1) / math.sqrt(denom)
    return float(stats.norm.cdf(z))


class Correction(Record):
    """The best variant judged against the number of variants tried."""

    n_variants: int
    best: int
    """Index of the variant with the highest out-of-sample Sharpe."""
    best_sharpe: float | None
    """Its annualised out-of-sample Sharpe (the number a naive reader would quote)."""
    expected_max_sharpe: float | None
    """Annualised Sharpe the best of ``n_variants`` skill-less trials would show (SR0 of the DSR)."""
    deflated_sharpe: float | None
    """P(the best variant's true Sharpe > SR0); survives at >= ``dsr_level``."""
    spa_pvalue: float | None
    """Hansen's SPA consistent p-value: H0 = no variant beats standing aside."""
    spa_pvalue_lower: float | None
    spa_pvalue_upper: float | None
    spa_models: int
    """Variants the SPA test saw (those never in the market equal the benchmark and are left out)."""
    spa_reps: int = SPA_REPS
    spa_block_days: int = SPA_BLOCK
    spa_seed: int = SPA_SEED
    alpha: float = ALPHA
    dsr_level: float = DSR_LEVEL
    survives: bool
    verdict: str


def _fmt_p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3f}"


def verdict(c: Correction, label: str) -> str:
    """One paragraph, generated from the p-values: does the best of N survive the correction?"""
    n = c.n_variants
    head = (
        f"The best of {n} variant{'s' if n != 1 else ''} ({label}, out-of-sample Sharpe "
        f"{'n/a' if c.best_sharpe is None else f'{c.best_sharpe:+.2f}'})"
    )
    spa_ok = c.spa_pvalue is not None and c.spa_pvalue < c.alpha
    dsr_ok = c.deflated_sharpe is not None and c.deflated_sharpe >= c.dsr_level
    spa = f"Hansen's SPA p = {_fmt_p(c.spa_pvalue)} ({'below' if spa_ok else 'not below'} {c.alpha:g})"
    sr0 = "n/a" if c.expected_max_sharpe is None else f"{c.expected_max_sharpe:+.2f}"
    dsr = (
        f"deflated Sharpe ratio {_fmt_p(c.deflated_sharpe)} ({'at or above' if dsr_ok else 'below'} "
        f"{c.dsr_level:g}; the best of {n} skill-less variants would show a Sharpe near {sr0})"
    )
    if spa_ok and dsr_ok:
        return (
            f"{head} survives the correction for {n} variants tried: {spa}, {dsr}. It beat standing aside "
            "over this one history; that is evidence, not a promise."
        )
    failed = [w for w, ok in (("the SPA test", spa_ok), ("the deflated Sharpe ratio", dsr_ok)) if not ok]
    rejects = f"{' and '.join(failed)} reject{'s' if len(failed) == 1 else ''} it"
    return (
        f"{head} does not survive the correction for {n} variants tried ({rejects}): {spa}, "
        f"{dsr}. Its record is what the search alone would produce; do not read it as an edge."
    )


def correct(returns: npt.NDArray[np.float64], labels: list[str], periods_per_year: int = 252) -> Correction:
    """SPA and DSR over ``returns`` (periods x variants, out-of-sample, no NaN) against standing aside."""
    from arch.bootstrap import SPA  # deferred: arch and statsmodels (~1.5 s) only when a sweep is corrected

    t, n = returns.shape
    sd = returns.std(axis=0, ddof=1) if t > 1 else np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(sd > 0, returns.mean(axis=0) / sd, np.nan)
    scores = np.where(np.isfinite(sharpe), sharpe, -np.inf)
    best = int(np.argmax(scores)) if n else 0
    ann = math.sqrt(periods_per_year)
    live = np.flatnonzero(sd > 0)
    spa_p: tuple[float | None, float | None, float | None] = (None, None, None)
    if len(live) and t > 2 * SPA_BLOCK:
        spa = SPA(
            np.zeros(t),
            -returns[:, live],
            reps=SPA_REPS,
            block_size=SPA_BLOCK,
            bootstrap="stationary",
            studentize=True,
            seed=SPA_SEED,
        )
        spa.compute()
        pv = spa.pvalues
        spa_p = (rnd(float(pv["consistent"])), rnd(float(pv["lower"])), rnd(float(pv["upper"])))
    elif t > 2 * SPA_BLOCK:
        spa_p = (1.0, 1.0, 1.0)  # no variant ever took a position: none can beat standing aside
    finite = sharpe[np.isfinite(sharpe)]
    var = float(finite.var(ddof=1)) if len(finite) > 1 else 0.0
    sr0 = expected_max_sharpe(n, var)
    dsr: float | None = None
    best_sr = float(sharpe[best]) if n and math.isfinite(float(sharpe[best])) else math.nan
    if math.isfinite(best_sr):
        r = returns[:, best]
        skew = float(stats.skew(r, bias=False))
        kurt = float(stats.kurtosis(r, fisher=False, bias=False))
        dsr = rnd(deflated_sharpe(best_sr, t, n, var, skew, kurt))
    c = Correction(
        n_variants=n,
        best=best,
        best_sharpe=rnd(best_sr * ann),
        expected_max_sharpe=rnd(sr0 * ann),
        deflated_sharpe=dsr,
        spa_pvalue=spa_p[0],
        spa_pvalue_lower=spa_p[1],
        spa_pvalue_upper=spa_p[2],
        spa_models=len(live),
        survives=False,
        verdict="",
    )
    survives = (
        c.spa_pvalue is not None
        and c.spa_pvalue < ALPHA
        and c.deflated_sharpe is not None
        and c.deflated_sharpe >= DSR_LEVEL
    )
    c = c.model_copy(update={"survives": survives})
    label = labels[best] if n else "none"
    return c.model_copy(update={"verdict": verdict(c, label)})
