"""Stress: OLS/HAC vs statsmodels (or a hand HAC), weekly alignment, no look-ahead, scenario arithmetic."""

from __future__ import annotations

import importlib.util
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.errors import DataError
from rotascope.monitor.run import Monitor
from rotascope.risk.models import Invalidation, Scenario
from rotascope.risk.stress import (
    DEFAULT_SCENARIOS,
    FACTORS,
    Z90,
    OLSResult,
    StressModel,
    fit_stress_model,
    newey_west,
    ols,
    run_scenario,
    run_scenarios,
    weekly_design,
    weekly_rows,
)

HAS_SM = importlib.util.find_spec("statsmodels") is not None
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
CREDIT = SHARED / "macro" / "credit_spread.csv"
RATES = SHARED / "macro" / "rates.csv"
AS_OF = date(2024, 6, 28)


def test_z90_is_the_normal_quantile() -> None:
    from scipy.stats import norm

    assert norm.ppf(0.95) == pytest.approx(Z90, abs=1e-15)


def test_ols_and_hac_tiny_example_by_hand() -> None:
    # intercept-only model: y = 1, 2, 3, 6 -> beta = mean = 3, residuals u = -2, -1, 0, 3
    x = np.ones((4, 1))
    y = np.array([1.0, 2.0, 3.0, 6.0])
    fit = ols(y, x, hac_lags=1, small_sample=False)
    assert fit.beta[0] == pytest.approx(3.0)
    # OLS: RSS = 4 + 1 + 0 + 9 = 14, s^2 = 14 / (4 - 1), (X'X)^-1 = 1/4 -> var = 14/12 = 1.166667
    assert fit.cov_ols[0, 0] == pytest.approx(14 / 12)
    # HAC, 1 lag, Bartlett weight 1 - 1/2 = 0.5: S = sum u^2 + 0.5 x 2 x sum u_t u_{t-1}
    #   sum u_t u_{t-1} = (-1)(-2) + 0(-1) + 3(0) = 2 -> S = 14 + 0.5 x 4 = 16; var = 16 / 4^2 = 1.0
    assert fit.cov_hac[0, 0] == pytest.approx(1.0)
    # small-sample correction n / (n - k) = 4 / 3
    assert ols(y, x, hac_lags=1).cov_hac[0, 0] == pytest.approx(4 / 3)
    # 0 lags = White's heteroskedasticity-robust covariance: 14 / 16
    assert ols(y, x, hac_lags=0, small_sample=False).cov_hac[0, 0] == pytest.approx(14 / 16)
    # R^2 of an intercept-only fit is 0
    assert fit.r2 == pytest.approx(0.0, abs=1e-15)


def test_ols_matches_numpy_lstsq_and_loop_hac() -> None:
    rng = np.random.default_rng(5)
    n, lags = 120, 3
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = x @ np.array([0.1, -0.5, 0.2, 1.0]) + rng.normal(size=n) * (1 + np.abs(x[:, 1]))
    fit = ols(y, x, hac_lags=lags)
    np.testing.assert_allclose(fit.beta, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-12)
    u = y - x @ fit.beta
    s = np.zeros((4, 4))
    for t in range(n):  # the textbook double loop
        s += u[t] ** 2 * np.outer(x[t], x[t])
        for lag in range(1, lags + 1):
            if t - lag >= 0:
                g = u[t] * u[t - lag] * (np.outer(x[t], x[t - lag]) + np.outer(x[t - lag], x[t]))
                s += (1 - lag / (lags + 1)) * g
    inv = np.linalg.inv(x.T @ x)
    np.testing.assert_allclose(fit.cov_hac, inv @ s @ inv * n / (n - 4), rtol=1e-10)
    np.testing.assert_allclose(newey_west(x, u, lags, inv, small_sample=False), inv @ s @ inv, rtol=1e-10)


@pytest.mark.skipif(not HAS_SM, reason="statsmodels (test-only reference) not installed")
@pytest.mark.parametrize("correction", [False, True])
def test_ols_matches_statsmodels(correction: bool) -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    n = 260
    f = rng.normal(size=(n, 3)) * np.array([0.1, 0.15, 0.02])
    e = np.convolve(rng.normal(size=n + 2), [1.0, 0.5, 0.25], mode="valid") * 0.01  # autocorrelated noise
    y = 0.0005 + f @ np.array([-0.01, -0.03, 0.2]) + e
    x = sm.add_constant(f)
    ref_ols = sm.OLS(y, x).fit()
    ref = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": correction})
    fit = ols(y, x, hac_lags=4, small_sample=correction)
    np.testing.assert_allclose(fit.beta, ref.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fit.se_ols, ref_ols.bse, rtol=1e-8)
    np.testing.assert_allclose(fit.se_hac, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(fit.cov_hac, ref.cov_params(), rtol=1e-8, atol=1e-16)
    assert fit.r2 == pytest.approx(ref.rsquared, abs=1e-12)


def test_ols_rejects_bad_designs() -> None:
    with pytest.raises(ValueError, match="degrees of freedom"):
        ols(np.ones(2), np.ones((2, 2)), hac_lags=1)
    x = np.column_stack([np.ones(10), np.zeros(10)])
    with pytest.raises(ValueError, match="rank deficient"):
        ols(np.arange(10.0), x, hac_lags=1)


def test_weekly_rows() -> None:
    np.testing.assert_array_equal(weekly_rows(12, 3), [2, 7, 12])  # 12 - 15 < 0 dropped
    np.testing.assert_array_equal(weekly_rows(20, 3), [5, 10, 15, 20])


def synthetic(n_rows: int, t: int, noise: float, seed: int = 1) -> dict[str, np.ndarray]:
    """Daily arrays whose weekly steps ending at ``t`` obey the model exactly (+ noise).

    Only rows t, t-5, t-10, ... are filled with model values; every other row holds garbage (1e6), so a
    misaligned week would wreck the fit.
    """
    rng = np.random.default_rng(seed)
    rows = weekly_rows(t, (t // 5))
    k = len(rows) - 1
    d10 = rng.normal(0, 0.12, k)
    dhy = rng.normal(0, 0.15, k)
    spy_r = rng.normal(0.002, 0.02, k)
    rel = 0.0004 - 0.012 * d10 - 0.025 * dhy + 0.15 * spy_r + rng.normal(0, noise, k)
    iwm_r = rel + spy_r
    out = {name: np.full(n_rows, 1e6) for name in ("iwm_close", "spy_close", "ust_10y", "hy_oas")}
    out["spy_close"][rows] = 400 * np.concatenate([[1.0], np.cumprod(1 + spy_r)])
    out["iwm_close"][rows] = 200 * np.concatenate([[1.0], np.cumprod(1 + iwm_r)])
    out["ust_10y"][rows] = 4.0 + np.concatenate([[0.0], np.cumsum(d10)])
    out["hy_oas"][rows] = 3.5 + np.concatenate([[0.0], np.cumsum(dhy)])
    return out


def test_fit_recovers_known_betas_from_weekly_rows_only() -> None:
    t = 1499
    data = synthetic(1600, t, noise=0.0)
    m = fit_stress_model(t, AS_OF, **data, window_weeks=260)
    # noise-free: the weekly design reproduces the model exactly
    np.testing.assert_allclose(m.joint.beta, [0.0004, -0.012, -0.025, 0.15], atol=1e-10)
    assert m.joint.n == 260 and m.joint.r2 == pytest.approx(1.0)
    assert m.rows[-1] == t and m.rows[0] == t - 5 * 259
    noisy = fit_stress_model(t, AS_OF, **synthetic(1600, t, noise=0.002), window_weeks=260)
    b = noisy.joint.beta
    se = noisy.joint.se_hac
    assert np.all(np.abs(b - [0.0004, -0.012, -0.025, 0.15]) < 4 * se)
    rec = noisy.record()
    assert [s.factor for s in rec.sensitivities] == list(FACTORS)
    assert rec.n_weeks == 260 and rec.window_weeks == 260 and rec.hac_lags == 4
    assert rec.to_json() == noisy.record().to_json()


def test_weekly_design_drops_incomplete_weeks() -> None:
    t = 599
    data = synthetic(700, t, noise=0.001)
    data["hy_oas"][t - 50] = np.nan  # breaks the two weeks around row t-50
    rows, rel, fac = weekly_design(t, **data, window_weeks=100)
    assert len(rel) == 98 and t - 50 not in rows and t - 45 not in rows
    assert np.isfinite(fac).all() and fac.shape == (98, 3)


def test_fit_has_no_look_ahead_bit_identical() -> None:
    n = 1600
    data = synthetic(n, n - 1, noise=0.003, seed=9)
    rng = np.random.default_rng(2)
    for name in data:  # fill the garbage rows with plausible values so every row could matter
        bad = data[name] == 1e6
        data[name][bad] = np.nanmedian(data[name][~bad]) * (1 + rng.normal(0, 0.01, bad.sum()))
    for t in (900, 1203, 1599):
        full = fit_stress_model(t, AS_OF, **data)
        cut = fit_stress_model(t, AS_OF, **{k: v[: t + 1] for k, v in data.items()})
        poisoned = {k: np.concatenate([v[: t + 1], np.full(n - t - 1, 7.0)]) for k, v in data.items()}
        fut = fit_stress_model(t, AS_OF, **poisoned)
        for other in (cut, fut):
            for a, b in ((full.joint, other.joint), *zip(full.univariate, other.univariate, strict=True)):
                assert np.array_equal(a.beta, b.beta)
                assert np.array_equal(a.cov_hac, b.cov_hac) and np.array_equal(a.cov_ols, b.cov_ols)
                assert a.r2 == b.r2
            assert full.record().to_json() == other.record().to_json()


def test_fit_needs_enough_weeks() -> None:
    data = synthetic(200, 199, noise=0.001)
    with pytest.raises(DataError, match="complete weeks"):
        fit_stress_model(199, AS_OF, **data)  # 39 weeks < 52


def hand_model() -> StressModel:
    """A model with chosen betas and HAC covariance, so scenario numbers can be worked by hand."""
    beta = np.array([0.0005, -0.02, -0.03, 0.25])  # intercept, d10y, dHY, SPY
    cov = np.zeros((4, 4))
    cov[1, 1] = 0.005**2
    cov[2, 2] = 0.01**2
    cov[3, 3] = 0.05**2
    cov[2, 3] = cov[3, 2] = -0.0001
    fit = OLSResult(beta, cov, cov, np.zeros(10), 0.2, 10, 4)
    return StressModel(AS_OF, 0, 260, 4, np.arange(10, dtype=np.int64), fit, (fit, fit, fit))


def hand_levels() -> list[Invalidation]:
    def inv(key: str, level: float, current: float, direction: str, breached: bool) -> Invalidation:
        dist = current - level if direction == "below" else level - current
        return Invalidation(
            key=key,
            name=key,
            level=level,
            current=current,
            unit="",
            direction=direction,  # type: ignore[arg-type]
            distance=dist,
            rule="",
            breached=breached,
        )

    return [
        inv("iwm_spy", 0.36, 0.37, "below", False),
        inv("hy_oas", 3.3, 2.8, "above", False),
        inv("ust_10y", 4.75, 4.40, "above", False),
        inv("r2000_pct_above_50", 0.40, 0.35, "below", True),  # already breached
    ]


def test_scenarios_by_hand() -> None:
    res = {
        r.scenario: r
        for r in run_scenarios(hand_model(), weight=0.5, notional=200_000.0, invalidations=hand_levels())
    }
    # position = 0.5 x 200,000 = 100,000 long IWM / short SPY
    rate = res["rate_spike"]
    # +1 pp x beta -0.02 = -2 %; 90 % half-width = 1.6449 x 1 x 0.005 = 0.0082243
    assert rate.pair_return == pytest.approx(-0.02)
    assert rate.pair_return_low == pytest.approx(-0.02 - Z90 * 0.005, abs=1e-6)
    assert rate.pair_return_high == pytest.approx(-0.02 + Z90 * 0.005, abs=1e-6)
    assert (rate.position_notional, rate.pnl) == (100_000.0, -2000.0)
    assert rate.pnl_low == pytest.approx(-2822.43, abs=0.01) and rate.pnl_high == pytest.approx(
        -1177.57, abs=0.01
    )
    # shocked: 10-year 4.40 + 1 = 5.40 > 4.75 (new); ratio 0.37 x 0.98 = 0.3626 > 0.36 holds;
    # HY unchanged 2.8; breadth already below 40 %
    assert rate.shocked["ust_10y"] == pytest.approx(5.40) and rate.shocked["iwm_spy"] == pytest.approx(0.3626)
    assert rate.breaches == ["ust_10y", "r2000_pct_above_50"] and rate.new_breaches == ["ust_10y"]

    credit = res["credit_widening"]
    # +2 pp x -0.03 = -6 %; sd = 2 x 0.01 = 0.02 -> half-width 1.6449 x 0.02 = 0.032897
    assert credit.pair_return == pytest.approx(-0.06)
    assert credit.pair_return_low == pytest.approx(-0.06 - Z90 * 0.02, abs=1e-6)
    assert credit.pnl == -6000.0
    # HY 2.8 + 2 = 4.8 > 3.3; ratio 0.37 x 0.94 = 0.3478 < 0.36
    assert credit.breaches == ["iwm_spy", "hy_oas", "r2000_pct_above_50"]
    assert credit.new_breaches == ["iwm_spy", "hy_oas"]

    growth = res["growth_shock"]
    # 1.5 x -0.03 + (-0.10) x 0.25 = -0.045 - 0.025 = -0.07
    # var = 1.5^2 x 1e-4 + 0.1^2 x 0.0025 + 2 x 1.5 x (-0.1) x (-1e-4) = 2.25e-4 + 2.5e-5 + 3e-5 = 2.8e-4
    assert growth.pair_return == pytest.approx(-0.07)
    half = Z90 * math.sqrt(2.8e-4)  # = 0.027524
    assert growth.pair_return_high == pytest.approx(-0.07 + half, abs=1e-6)
    assert growth.pnl == -7000.0 and growth.pnl_low == pytest.approx(-100_000 * (0.07 + half), abs=0.01)
    # HY 2.8 + 1.5 = 4.3 > 3.3; ratio 0.37 x 0.93 = 0.3441 < 0.36; 10-year unchanged
    assert growth.shocked == {"iwm_spy": 0.3441, "hy_oas": 4.3, "ust_10y": 4.4, "r2000_pct_above_50": 0.35}
    assert growth.new_breaches == ["iwm_spy", "hy_oas"]
    assert [s.name for s in DEFAULT_SCENARIOS] == ["rate_spike", "credit_widening", "growth_shock"]


def test_short_position_swaps_pnl_range_and_unknown_factor_rejected() -> None:
    r = run_scenario(hand_model(), DEFAULT_SCENARIOS[0], position_notional=-50_000.0)
    # short the pair: P&L = -0.02 x -50,000 = +1,000; range ends swap
    assert r.pnl == 1000.0 and r.pnl_low is not None and r.pnl_high is not None
    assert r.pnl_low < r.pnl < r.pnl_high
    assert r.pnl_low == pytest.approx(-50_000 * (-0.02 + Z90 * 0.005), abs=0.01)
    assert r.breaches == [] and r.shocked == {}
    with pytest.raises(ValueError, match="unknown factors"):
        run_scenario(
            hand_model(), Scenario(name="x", description="", shocks={"oil": 1.0}), position_notional=1.0
        )


def _real() -> dict[str, np.ndarray]:
    if not all(p.exists() for p in (ETF, CREDIT, RATES)):
        pytest.skip("../shared/data not present")
    px = pd.read_parquet(ETF, columns=["symbol", "date", "close"])
    px = px[px["symbol"].isin(["IWM", "SPY"])].pivot(index="date", columns="symbol", values="close")
    px = px[px["SPY"].notna()].sort_index()

    def on_calendar(path: Path, col: str) -> np.ndarray:
        s = pd.read_csv(path, parse_dates=["date"]).set_index("date")[col].dropna()
        both = s.reindex(px.index.union(s.index)).ffill().reindex(px.index)
        return both.shift(1).to_numpy(dtype=np.float64)  # known the next trading day

    return {
        "dates": px.index.to_numpy().astype("datetime64[D]"),
        "iwm_close": px["IWM"].to_numpy(),
        "spy_close": px["SPY"].to_numpy(),
        "ust_10y": on_calendar(RATES, "ust_10y"),
        "hy_oas": on_calendar(CREDIT, "hy_oas_full"),
    }


def test_real_fit_matches_statsmodels_and_is_causal() -> None:
    d = _real()
    dates = d.pop("dates")
    t = int(np.searchsorted(dates, np.datetime64("2024-06-28"), side="right")) - 1
    m = fit_stress_model(t, AS_OF, **d, dates=dates)
    rec = m.record()
    assert rec.n_weeks == 260 and rec.last_week == date(2024, 6, 28)
    # credit widening hurts small caps relative to large caps (the most robust of the three signs)
    hy = rec.sensitivities[1]
    assert hy.beta is not None and hy.beta < 0 and hy.beta_univariate is not None and hy.beta_univariate < 0
    cut = fit_stress_model(t, AS_OF, **{k: v[: t + 1] for k, v in d.items()}, dates=dates[: t + 1])
    assert cut.record().to_json() == rec.to_json()
    assert np.array_equal(cut.joint.cov_hac, m.joint.cov_hac)
    if HAS_SM:
        import statsmodels.api as sm

        _, rel, fac = weekly_design(t, **d)
        ref = sm.OLS(rel, sm.add_constant(fac)).fit(
            cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True}
        )
        np.testing.assert_allclose(m.joint.beta, ref.params, rtol=0, atol=1e-12)
        np.testing.assert_allclose(m.joint.se_hac, ref.bse, rtol=1e-8)
        for i in range(3):
            uni = sm.OLS(rel, sm.add_constant(fac[:, i])).fit(
                cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True}
            )
            np.testing.assert_allclose(m.univariate[i].beta, uni.params, rtol=0, atol=1e-12)
            np.testing.assert_allclose(m.univariate[i].se_hac, uni.bse, rtol=1e-8)
    res = run_scenarios(m, weight=0.6, notional=100_000.0)
    credit = next(r for r in res if r.scenario == "credit_widening")
    assert (
        credit.pair_return is not None
        and credit.pair_return < 0
        and credit.pnl is not None
        and credit.pnl < 0
    )


def test_wired_to_the_monitor_panel(monitor: Monitor) -> None:
    """The toolkit reads the monitor's full-history arrays as they are (macro already on the calendar)."""
    from rotascope.risk.invalidation import invalidations
    from rotascope.risk.rules import risk_plan
    from rotascope.risk.sizing import pair_returns, pair_vol, vol_target_weight

    p = monitor.panel
    col = p.data.etf.column
    t = len(p.calendar) - 1
    as_of = p.calendar[t].astype(date)
    iwm, spy = col("IWM"), col("SPY")
    m = fit_stress_model(
        t,
        as_of,
        iwm_close=iwm,
        spy_close=spy,
        ust_10y=p.macro["ust_10y"].values,
        hy_oas=p.macro["hy_oas"].values,
        dates=p.calendar,
    )
    assert m.record().n_weeks >= 200
    levels = invalidations(
        t,
        iwm_spy=p.pairs["IWM/SPY"].ratio,
        hy_oas=p.macro["hy_oas"].values,
        ust_10y=p.macro["ust_10y"].values,
        pct_above_50=p.breadth["R2000"].panel.pct_above_50 / 100.0,
        kre_spy=p.pairs["KRE/SPY"].ratio,
    )
    assert [i.key for i in levels] == ["iwm_spy", "hy_oas", "ust_10y", "r2000_pct_above_50", "kre_spy"]
    assert all(i.level is not None and i.breached is not None for i in levels)
    vol63 = float(pair_vol(pair_returns(iwm, spy), 63)[t])
    w = vol_target_weight(vol63, 0.10, 1.5)
    results = run_scenarios(m, weight=w, notional=100_000.0, invalidations=levels)
    assert {r.scenario for r in results} == {"rate_spike", "credit_widening", "growth_shock"}
    rate = next(r for r in results if r.scenario == "rate_spike")
    y10 = levels[2]
    assert y10.distance is not None
    assert ("ust_10y" in rate.breaches) is (y10.distance < 1.0)  # +100 bp breaches when room < 1 pp
    plan = risk_plan(as_of, pair_vol_63d=vol63, invalidations=levels)
    assert 0 < plan.drawdown_limit <= 0.15 and len(plan.exit_rules) == 7
