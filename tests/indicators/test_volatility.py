"""Volatility: realised vol vs pandas, ATR vs a TA-Lib-definition loop (and TA-Lib itself if installed),
drawdowns vs brute force, causality, and real SPY figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.indicators.volatility import (
    atr,
    drawdown,
    log_returns,
    realized_vol,
    rolling_max_drawdown,
    true_range,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
needs_data = pytest.mark.skipif(not ETF.exists(), reason="../shared/data not present")
HAS_TALIB = importlib.util.find_spec("talib") is not None


def ohlc(seed: int, t: int = 500, n: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, (t, n)), axis=0))
    spread = close * rng.uniform(0.002, 0.03, (t, n))
    high = close + spread * rng.uniform(0.0, 1.0, (t, n))
    low = close - spread * rng.uniform(0.0, 1.0, (t, n))
    gap = np.exp(rng.normal(0.0, 0.01, (t, n)))  # overnight gaps make |h - c_prev| matter
    return high * gap, low * gap, close * gap


def atr_reference(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """TA-Lib ATR, written from its definition: TR from bar 1; ATR_n = mean(TR_1..TR_n); then Wilder."""
    out = np.full(len(c), np.nan)
    trs = []
    prev_atr = np.nan
    for t in range(1, len(c)):
        tr = max(h[t] - lo[t], abs(h[t] - c[t - 1]), abs(lo[t] - c[t - 1]))
        if len(trs) < n:
            trs.append(tr)
            if len(trs) == n:
                total = 0.0
                for v in trs:
                    total += v
                prev_atr = total / n
                out[t] = prev_atr
            continue
        prev_atr = (prev_atr * (n - 1) + tr) / n
        out[t] = prev_atr
    return out


@pytest.mark.parametrize("n", [1, 2, 14, 20])
def test_atr_matches_talib_definition_loop(n: int) -> None:
    h, lo, c = ohlc(n)
    out = atr(h, lo, c, n)
    for j in range(c.shape[1]):
        ref = atr_reference(h[:, j], lo[:, j], c[:, j], n)
        np.testing.assert_allclose(out[:, j], ref, rtol=1e-12, equal_nan=True)
    assert np.isnan(out[:n]).all() and np.isfinite(out[n:]).all()  # TA-Lib lookback = n


@pytest.mark.skipif(not HAS_TALIB, reason="TA-Lib not installed (optional reference)")
@pytest.mark.parametrize("n", [2, 14, 30])
def test_atr_matches_talib(n: int) -> None:
    import talib

    h, lo, c = ohlc(100 + n, n=1)
    ref = talib.ATR(h[:, 0], lo[:, 0], c[:, 0], timeperiod=n)
    np.testing.assert_allclose(atr(h[:, 0], lo[:, 0], c[:, 0], n), ref, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(
        true_range(h, lo, c)[:, 0], talib.TRANGE(h[:, 0], lo[:, 0], c[:, 0]), equal_nan=True
    )


def test_atr_tiny_by_hand() -> None:
    high = np.array([10.0, 11.0, 12.0, 11.5, 13.0])
    low = np.array([9.0, 9.5, 10.5, 10.0, 11.0])
    close = np.array([9.5, 10.5, 11.0, 10.5, 12.5])
    # TR: -, max(1.5, 1.5, 0) = 1.5, max(1.5, 1.5, 0) = 1.5, max(1.5, 0.5, 1.0) = 1.5,
    # max(2.0, 2.5, 0.5) = 2.5
    np.testing.assert_allclose(true_range(high, low, close), [np.nan, 1.5, 1.5, 1.5, 2.5])
    # ATR(2): first at bar 2 = (1.5 + 1.5) / 2 = 1.5; bar 3 = (1.5 + 1.5) / 2 = 1.5;
    # bar 4 = (1.5 + 2.5) / 2 = 2.0
    np.testing.assert_allclose(atr(high, low, close, 2), [np.nan, np.nan, 1.5, 1.5, 2.0])


def test_realized_vol_matches_pandas() -> None:
    _, _, c = ohlc(5)
    c[200, 1] = np.nan
    df = pd.DataFrame(c)
    ref = np.log(df).diff().rolling(21).std() * np.sqrt(252)
    np.testing.assert_allclose(realized_vol(c), ref.to_numpy(), rtol=1e-9, equal_nan=True)
    ref_r = np.log(df).diff().to_numpy()
    np.testing.assert_allclose(log_returns(c), ref_r, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_log_returns_reject_non_positive_prices() -> None:
    out = log_returns(np.array([1.0, 0.0, 2.0, -1.0, 4.0]))
    assert np.isnan(out[[0, 1, 2, 3, 4]]).tolist() == [True, True, True, True, True]
    assert log_returns(np.array([1.0, np.e]))[1] == pytest.approx(1.0)


def test_drawdown_and_rolling_max_drawdown_vs_brute_force() -> None:
    _, _, c = ohlc(6, t=300, n=3)
    c[:20, 2] = np.nan
    c[150, 1] = np.nan
    dd = drawdown(c)
    n = 30
    mdd = rolling_max_drawdown(c, n)
    for j in range(3):
        peak = -np.inf
        for t in range(300):
            v = c[t, j]
            if np.isfinite(v):
                peak = max(peak, v)
                assert dd[t, j] == pytest.approx(v / peak - 1.0, rel=1e-12, abs=1e-15)
            else:
                assert np.isnan(dd[t, j])
            if t < n - 1:
                assert np.isnan(mdd[t, j])
                continue
            win = c[t - n + 1 : t + 1, j]
            if not np.isfinite(win).all():
                assert np.isnan(mdd[t, j])
                continue
            worst = 0.0
            for s in range(n):  # peak and trough both inside the window
                worst = min(worst, win[s] / win[: s + 1].max() - 1.0)
            assert mdd[t, j] == pytest.approx(worst, rel=1e-12, abs=1e-15)
    assert np.nanmax(dd) == 0.0 and np.nanmax(mdd) <= 0.0


def test_causal_bit_identical_under_truncation() -> None:
    h, lo, c = ohlc(7, t=400)
    c[:30, 1] = np.nan
    fns = {
        "atr": lambda k: atr(h[:k], lo[:k], c[:k], 14),
        "vol": lambda k: realized_vol(c[:k], 21),
        "dd": lambda k: drawdown(c[:k]),
        "mdd": lambda k: rolling_max_drawdown(c[:k], 63),
    }
    for name, f in fns.items():
        full = f(400)
        for cut in (1, 2, 14, 15, 22, 62, 63, 64, 200, 399):
            assert np.array_equal(f(cut), full[:cut], equal_nan=True), (name, cut)


@needs_data
def test_real_spy_volatility_figures() -> None:
    raw = pd.read_parquet(ETF)
    spy = raw[raw.symbol == "SPY"].set_index("date")
    h, lo, c = (spy[k].to_numpy(np.float64) for k in ("high", "low", "close"))
    ref = atr_reference(h, lo, c, 14)
    np.testing.assert_allclose(atr(h, lo, c, 14), ref, rtol=1e-10, equal_nan=True)
    # covid crash, hand-read closes: 308.4034 on 2020-02-19 (peak), 204.4182 on 2020-03-23 (trough)
    dd = drawdown(c)
    i = spy.index.get_loc(pd.Timestamp("2020-03-23"))
    assert dd[i] == pytest.approx(204.4182 / 308.4034 - 1.0, abs=1e-6)  # -33.7 %
    assert rolling_max_drawdown(c, 252)[i] == pytest.approx(204.4182 / 308.4034 - 1.0, abs=1e-6)
    vol = realized_vol(c, 21)
    ref_vol = np.log(spy.close).diff().rolling(21).std() * np.sqrt(252)
    assert vol[i] == pytest.approx(ref_vol.iloc[i], rel=1e-9)
    assert 0.6 < vol[i] < 1.2  # about 81 % annualised over the 21 days to 2020-03-23
