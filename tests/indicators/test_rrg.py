"""Relative rotation graph: formula vs a pandas reference, quadrants, tails, causality, real sectors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.indicators.rrg import QUADRANTS, quadrant, rrg, tails

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
needs_data = pytest.mark.skipif(not ETF.exists(), reason="../shared/data not present")
SECTORS = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY", "XLC", "XLRE"]


def weekly(seed: int, t: int = 300, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bench = 100.0 * np.exp(np.cumsum(rng.normal(0.001, 0.02, t)))
    rel = np.exp(np.cumsum(rng.normal(0.0, 0.015, (t, n)), axis=0))
    closes = bench[:, None] * rel * 0.5
    closes[:30, 1] = np.nan  # listed later
    return closes, bench


def pandas_reference(
    closes: np.ndarray, bench: np.ndarray, span: int = 10, window: int = 52
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The documented formula written directly with pandas, column by column."""
    rs = pd.DataFrame(100.0 * closes / bench[:, None])
    trend = 100.0 * (rs / rs.ewm(span=span, adjust=False, min_periods=span).mean() - 1.0)
    z = (trend - trend.rolling(window).mean()) / trend.rolling(window).std()
    ratio = 100.0 + z
    roc = 100.0 * ratio.pct_change(1, fill_method=None)
    mom = 100.0 + (roc - roc.rolling(window).mean()) / roc.rolling(window).std()
    return rs.to_numpy(), ratio.to_numpy(), mom.to_numpy()


def test_matches_pandas_reference() -> None:
    closes, bench = weekly(1)
    out = rrg(closes, bench)
    rs, ratio, mom = pandas_reference(closes, bench)
    np.testing.assert_allclose(out.rs, rs, rtol=1e-13, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(out.rs_ratio), np.isnan(ratio))
    np.testing.assert_allclose(out.rs_ratio, ratio, rtol=1e-8, atol=1e-8, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(out.rs_momentum), np.isnan(mom))
    np.testing.assert_allclose(out.rs_momentum, mom, rtol=1e-7, atol=1e-7, equal_nan=True)
    # warm-up: RS-Ratio from week span+window-2 (0-based), RS-Momentum `window` weeks later
    first_ratio = np.isfinite(out.rs_ratio[:, 0]).argmax()
    first_mom = np.isfinite(out.rs_momentum[:, 0]).argmax()
    assert (first_ratio, first_mom) == (10 + 52 - 2, 10 + 52 - 2 + 52)


def test_scale_one_sigma_is_one_point() -> None:
    closes, bench = weekly(2, t=2000, n=3)
    out = rrg(closes, bench)
    dev = out.rs_ratio[200:] - 100.0
    # a rolling z-score has mean ~0 and spread ~1 over a long sample
    assert abs(np.nanmean(dev)) < 0.1
    assert 0.8 < np.nanstd(dev) < 1.2


def test_rotation_is_clockwise_on_a_cycle() -> None:
    t = np.arange(420)
    bench = 100.0 * np.exp(0.001 * t)
    order = list(QUADRANTS)  # leading -> weakening -> lagging -> improving
    for period in (13, 26, 52):
        a = bench * np.exp(0.05 * np.sin(2 * np.pi * t / period))
        out = rrg(a, bench)
        q = quadrant(out.rs_ratio, out.rs_momentum)
        seq = [x for i, x in enumerate(q) if x and (i == 0 or x != q[i - 1])]
        assert len(seq) >= 8
        for prev, nxt in itertools.pairwise(seq):
            assert order.index(nxt) == (order.index(prev) + 1) % 4, (period, seq)


def test_quadrant_rules_and_boundaries() -> None:
    assert quadrant(100.0, 100.0) == "leading"
    assert quadrant(100.0, 99.99) == "weakening"
    assert quadrant(99.99, 99.99) == "lagging"
    assert quadrant(99.99, 100.0) == "improving"
    assert quadrant(float("nan"), 101.0) is None
    arr = quadrant(np.array([101.0, 101.0, 99.0, 99.0, np.nan]), np.array([101.0, 99.0, 99.0, 101.0, 100.0]))
    assert arr.tolist() == ["leading", "weakening", "lagging", "improving", ""]


def test_tails() -> None:
    closes, bench = weekly(3)
    out = rrg(closes, bench)
    tl = tails(out, 6)
    np.testing.assert_array_equal(tl.rs_ratio, out.rs_ratio[-6:])
    np.testing.assert_array_equal(tl.rs_momentum, out.rs_momentum[-6:])
    assert tl.quadrant.tolist() == quadrant(out.rs_ratio[-1], out.rs_momentum[-1]).tolist()
    dx = out.rs_ratio[-1] - out.rs_ratio[-2]
    dy = out.rs_momentum[-1] - out.rs_momentum[-2]
    np.testing.assert_allclose(tl.heading_deg, np.degrees(np.arctan2(dy, dx)))
    mid = tails(out, 4, end=200)
    np.testing.assert_array_equal(mid.rs_ratio, out.rs_ratio[197:201])
    early = tails(out, 4, end=1)  # fewer rows than k available
    assert early.rs_ratio.shape == (2, 5)
    one = rrg(closes[:, 0], bench)
    assert tails(one, 3).quadrant.shape == ()
    with pytest.raises(ValueError):
        tails(out, 3, end=10_000)


def test_causal_bit_identical_under_truncation() -> None:
    closes, bench = weekly(4, t=320)
    full = rrg(closes, bench)
    for cut in (1, 9, 10, 60, 61, 62, 113, 114, 115, 200, 319):
        part = rrg(closes[:cut], bench[:cut])
        for f in ("rs", "rs_ratio", "rs_momentum"):
            assert np.array_equal(getattr(part, f), getattr(full, f)[:cut], equal_nan=True), (cut, f)


@needs_data
def test_real_sector_rrg_is_causal_and_matches_reference() -> None:
    raw = pd.read_parquet(ETF)
    closes = raw.pivot(index="date", columns="symbol", values="close")
    wk = closes[[*SECTORS, "SPY"]].resample("W-FRI").last()
    wk = wk[wk.SPY.notna()]
    sec = wk[SECTORS].to_numpy()
    spy = wk.SPY.to_numpy()
    out = rrg(sec, spy)
    _rs, ratio, mom = pandas_reference(sec, spy)
    np.testing.assert_allclose(out.rs_ratio, ratio, rtol=1e-8, atol=1e-8, equal_nan=True)
    np.testing.assert_allclose(out.rs_momentum, mom, rtol=1e-7, atol=1e-7, equal_nan=True)
    # a week's position never moves when later weeks are added (no full-sample normalisation)
    i = wk.index.get_loc(pd.Timestamp("2020-03-20"))
    early = rrg(sec[: i + 1], spy[: i + 1])
    assert np.array_equal(early.rs_ratio[-1], out.rs_ratio[i], equal_nan=True)
    # XLC (2018) and XLRE (2015) start late: NaN before their history allows a value
    assert np.isnan(out.rs_ratio[: wk.index.get_loc(pd.Timestamp("2018-06-22")), SECTORS.index("XLC")]).all()
    # 2022: energy led the market (XLE +64% vs SPY -18%): XLE's RS-Ratio above 100 most of that year
    yr = (wk.index.year == 2022) & np.isfinite(out.rs_ratio[:, SECTORS.index("XLE")])
    assert np.mean(out.rs_ratio[yr, SECTORS.index("XLE")] > 100.0) > 0.5
