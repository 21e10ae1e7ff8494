"""Relative strength: ratio, windowed relative returns, trend vs SMAs and persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.indicators.relative_strength import (
    PERSISTENCE_STEPS,
    RS_WINDOWS,
    persistence,
    ratio,
    ratio_returns,
    ratio_trend,
    relative_strength,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
needs_data = pytest.mark.skipif(not ETF.exists(), reason="../shared/data not present")


def series(seed: int, t: int = 600, n: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (t,) if n is None else (t, n)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, shape), axis=0))


def test_windows_constant() -> None:
    assert dict(RS_WINDOWS) == {"1w": 5, "1m": 21, "3m": 63, "6m": 126, "12m": 252}
    assert PERSISTENCE_STEPS == (4, 13)


def test_ratio_broadcasts_and_rejects_bad_prices() -> None:
    a = series(1, 50, 3)
    b = series(2, 50)
    b[10] = np.nan
    b[11] = 0.0
    a[12, 1] = -1.0
    r = ratio(a, b)
    assert r.shape == (50, 3)
    np.testing.assert_array_equal(r[:10], a[:10] / b[:10, None])
    assert np.isnan(r[10]).all() and np.isnan(r[11]).all()
    assert np.isnan(r[12, 1]) and np.isfinite(r[12, [0, 2]]).all()
    with pytest.raises(ValueError, match="rows"):
        ratio(a, b[:-1])


def test_ratio_returns_by_hand() -> None:
    a = series(3)
    b = series(4)
    a[100] = np.nan
    r = a / b
    out = ratio_returns(ratio(a, b))
    assert set(out) == set(RS_WINDOWS)
    for name, k in RS_WINDOWS.items():
        expected = np.full(r.shape, np.nan)
        for t in range(k, len(r)):  # plain loop reference
            if np.isfinite(r[t]) and np.isfinite(r[t - k]):
                expected[t] = r[t] / r[t - k] - 1.0
        np.testing.assert_allclose(out[name], expected, rtol=1e-13, atol=1e-15, equal_nan=True)


def test_trend_matches_pandas() -> None:
    r = pd.Series(series(5) / series(6))
    tr = ratio_trend(r.to_numpy())
    s50 = r.rolling(50).mean()
    s200 = r.rolling(200).mean()
    np.testing.assert_allclose(tr.sma_50, s50, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(tr.sma_200, s200, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(tr.dist_50_pct, (r / s50 - 1) * 100, rtol=1e-9, atol=1e-11, equal_nan=True)
    np.testing.assert_allclose(tr.dist_200_pct, (r / s200 - 1) * 100, rtol=1e-9, atol=1e-11, equal_nan=True)
    np.testing.assert_allclose(
        tr.slope_50, (s50 / s50.shift(20) - 1) * 100, rtol=1e-9, atol=1e-12, equal_nan=True
    )
    np.testing.assert_array_equal(tr.above_50, (r > s50).to_numpy())
    np.testing.assert_array_equal(tr.below_200, (r < s200).to_numpy())
    assert not tr.above_200[:199].any() and not tr.below_200[:199].any()  # undefined during warm-up
    assert np.isnan(tr.slope_50[: 49 + 20]).all() and np.isfinite(tr.slope_50[49 + 20 :]).all()


def persistence_reference(r: np.ndarray, n_steps: int, step: int = 5) -> np.ndarray:
    out = np.full(r.shape, np.nan)
    for t in range(n_steps * step, len(r)):
        pts = [r[t - j * step] for j in range(n_steps + 1)]
        if all(np.isfinite(pts)):
            out[t] = sum(pts[j] > pts[j + 1] for j in range(n_steps)) / n_steps
    return out


@pytest.mark.parametrize("n_steps", [1, 4, 13])
def test_persistence_matches_loop(n_steps: int) -> None:
    r = series(7) / series(8)
    r[300] = np.nan
    r[301] = r[296]  # a tie: not a rise
    np.testing.assert_array_equal(persistence(r, n_steps), persistence_reference(r, n_steps))


def test_persistence_tiny_by_hand() -> None:
    # weekly samples (every 5th row ending at t=20): r[0]=1, r[5]=2, r[10]=1.5, r[15]=3, r[20]=4
    r = np.full(21, 7.0)
    r[[0, 5, 10, 15, 20]] = [1.0, 2.0, 1.5, 3.0, 4.0]
    p4 = persistence(r, 4)
    assert p4[20] == 0.75  # rises 1->2, 1.5->3, 3->4; fall 2->1.5
    assert np.isnan(p4[19])


def test_relative_strength_bundle_and_panel() -> None:
    a = series(9, 400, 4)
    b = series(10, 400)
    rs = relative_strength(a, b)
    assert rs.ratio.shape == (400, 4)
    assert set(rs.persistence) == {4, 13}
    np.testing.assert_array_equal(rs.returns["1m"][:, 2], ratio_returns(ratio(a[:, 2], b))["1m"])
    np.testing.assert_array_equal(rs.trend.sma_50[:, 1], ratio_trend(ratio(a[:, 1], b)).sma_50)


def test_causal_bit_identical_under_truncation() -> None:
    a = series(11, 700, 3)
    b = series(12, 700)
    a[:40, 1] = np.nan
    full = relative_strength(a, b)
    for cut in (1, 5, 21, 64, 199, 200, 252, 253, 400, 699):
        part = relative_strength(a[:cut], b[:cut])
        assert np.array_equal(part.ratio, full.ratio[:cut], equal_nan=True)
        for k in RS_WINDOWS:
            assert np.array_equal(part.returns[k], full.returns[k][:cut], equal_nan=True), (cut, k)
        for n in PERSISTENCE_STEPS:
            assert np.array_equal(part.persistence[n], full.persistence[n][:cut], equal_nan=True), (cut, n)
        for field in (
            "sma_50",
            "sma_200",
            "dist_50_pct",
            "dist_200_pct",
            "slope_50",
            "above_50",
            "below_200",
        ):
            got, exp = getattr(part.trend, field), getattr(full.trend, field)[:cut]
            assert np.array_equal(got, exp, equal_nan=got.dtype.kind == "f"), (cut, field)


@needs_data
def test_iwm_spy_relative_returns_on_real_dates_by_hand() -> None:
    raw = pd.read_parquet(ETF)
    closes = raw.pivot(index="date", columns="symbol", values="close")[["IWM", "SPY"]].dropna()
    rs = relative_strength(closes.IWM.to_numpy(), closes.SPY.to_numpy())
    i = closes.index.get_loc(pd.Timestamp("2024-11-06"))  # the day after the 2024 election
    # closes read off the file: 2024-11-06 IWM 232.9183 SPY 579.1426; 5 rows back 2024-10-30 IWM 217.4245
    # SPY 568.3347; 21 rows back 2024-10-08 IWM 213.6345 SPY 561.6323; 63 rows back 2024-08-08 IWM 202.4475
    # SPY 518.3782
    now = 232.9183 / 579.1426
    assert rs.ratio[i] == pytest.approx(now, abs=2e-6)
    assert rs.returns["1w"][i] == pytest.approx(now / (217.4245 / 568.3347) - 1, abs=2e-6)  # +4.7 %
    assert rs.returns["1m"][i] == pytest.approx(now / (213.6345 / 561.6323) - 1, abs=2e-6)
    assert rs.returns["3m"][i] == pytest.approx(now / (202.4475 / 518.3782) - 1, abs=2e-6)
    assert rs.returns["1w"][i] > 0.04
    # the same on 2024-07-19 (IWM 212.1838 SPY 536.2941; 2024-07-12 IWM 208.5633 SPY 547.0397)
    j = closes.index.get_loc(pd.Timestamp("2024-07-19"))
    assert rs.returns["1w"][j] == pytest.approx((212.1838 / 536.2941) / (208.5633 / 547.0397) - 1, abs=2e-6)


@needs_data
def test_iwm_spy_trend_matches_pandas_on_real_data() -> None:
    raw = pd.read_parquet(ETF)
    closes = raw.pivot(index="date", columns="symbol", values="close")[["IWM", "SPY"]].dropna()
    r = closes.IWM / closes.SPY
    tr = ratio_trend(ratio(closes.IWM.to_numpy(), closes.SPY.to_numpy()))
    np.testing.assert_allclose(tr.sma_200, r.rolling(200).mean(), rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(tr.above_200, (r > r.rolling(200).mean()).to_numpy())
