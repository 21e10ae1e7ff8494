"""Generic kernels against pandas/scipy/hand loops, on random panels with gaps and on real prices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from rotascope.indicators import kernels
from rotascope.indicators.kernels import (
    ema,
    pct_change,
    rolling_max,
    rolling_min,
    rolling_std,
    rolling_sum,
    rolling_zscore,
    shift,
    sma,
    wilder,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
MEMBERS = SHARED / "universe" / "members_adjclose.parquet"
needs_data = pytest.mark.skipif(not (ETF.exists() and MEMBERS.exists()), reason="../shared/data not present")

T, N = 420, 37  # N > BLOCK_COLS so that column blocking is exercised


def make_panel(seed: int = 0, *, gaps: bool = True) -> np.ndarray:
    """Random-walk prices with staggered listings (leading NaNs), optional interior gaps and a dead column."""
    rng = np.random.default_rng(seed)
    x = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (T, N)), axis=0))
    starts = rng.integers(0, 120, N)
    starts[0] = 0
    for j, s in enumerate(starts):  # test set-up only
        x[:s, j] = np.nan
    x[:, 5] = np.nan  # never listed
    if gaps:
        x[200, 3] = np.nan
        x[250:254, 7] = np.nan
        x[300, 11] = np.inf  # non-finite counts as missing
        x[-30:, 13] = np.nan  # delisted
    return x


def leading_only(x: np.ndarray) -> np.ndarray:
    """Column indices whose NaNs are all at the start (and which have data)."""
    valid = np.isfinite(x)
    first = valid.argmax(axis=0)
    return np.array([j for j in range(x.shape[1]) if valid[:, j].any() and valid[first[j] :, j].all()])


def pandas_frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(np.where(np.isfinite(x), x, np.nan))


def assert_close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


WINDOWS = [1, 2, 3, 5, 16, 20, 21, 50, 63, 100, 200, 252]


@pytest.mark.parametrize("n", WINDOWS)
def test_window_kernels_match_pandas_rolling(n: int) -> None:
    x = make_panel(n)
    df = pandas_frame(x)
    roll = df.rolling(n, min_periods=n)
    assert_close(sma(x, n), roll.mean().to_numpy())
    assert_close(rolling_sum(x, n), roll.sum().to_numpy())
    np.testing.assert_array_equal(rolling_max(x, n), roll.max().to_numpy())  # exact: max does not round
    np.testing.assert_array_equal(rolling_min(x, n), roll.min().to_numpy())
    if n >= 2:
        # pandas' online (add/remove) variance drifts by ~1e-8 relative over a long history: loose check
        assert_close(rolling_std(x, n), roll.std().to_numpy(), rtol=1e-7)
        assert_close(rolling_std(x, n, ddof=0), roll.std(ddof=0).to_numpy(), rtol=1e-7)
        z_ref = ((df - roll.mean()) / roll.std()).to_numpy()
        assert_close(rolling_zscore(x, n), z_ref, rtol=1e-6, atol=1e-7)
        # ... and a tight check against an exact per-window two-pass computation
        assert_close(rolling_std(x, n), window_std(x, n, ddof=1), rtol=1e-12)
        assert_close(rolling_std(x, n, ddof=0), window_std(x, n, ddof=0), rtol=1e-12)


def window_std(x: np.ndarray, n: int, ddof: int) -> np.ndarray:
    """Reference: np.std over every explicit trailing window (NaN if the window has a missing value)."""
    clean = np.where(np.isfinite(x), x, np.nan)
    win = np.lib.stride_tricks.sliding_window_view(clean, n, axis=0)
    out = np.full(x.shape, np.nan)
    out[n - 1 :] = np.std(win, axis=-1, ddof=ddof)  # NaN propagates through np.std
    return out


@pytest.mark.parametrize("n", [2, 20, 252])
def test_rolling_extremes_match_scipy_filters(n: int) -> None:
    x = make_panel(3, gaps=False)[:, 6:]  # scipy does not handle NaN: compare on fully listed part
    x = x[130:]
    org = (n - 1) // 2
    ref_max = maximum_filter1d(x, n, axis=0, origin=org)
    ref_min = minimum_filter1d(x, n, axis=0, origin=org)
    full = np.isfinite(x)
    ok = np.zeros_like(full)
    ok[n - 1 :] = True
    ok &= np.isfinite(rolling_max(x, n))
    assert ok[n - 1 :].any()
    np.testing.assert_array_equal(rolling_max(x, n)[ok], ref_max[ok])
    np.testing.assert_array_equal(rolling_min(x, n)[ok], ref_min[ok])


def test_window_needs_full_window_and_nan_poisons_it() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(sma(x, 2), [np.nan, 1.5, np.nan, np.nan, 4.5, 5.5, 6.5])
    np.testing.assert_array_equal(rolling_max(x, 3), [np.nan, np.nan, np.nan, np.nan, np.nan, 6.0, 7.0])
    np.testing.assert_array_equal(rolling_sum(x, 8), np.full(7, np.nan))


@pytest.mark.parametrize("span", [1, 2, 5, 10, 19, 39, 100])
def test_ema_equals_pandas_on_leading_nan_columns(span: int) -> None:
    x = make_panel(span)
    cols = leading_only(x)
    assert len(cols) > 20
    ref = pandas_frame(x).ewm(span=span, adjust=False, min_periods=span).mean().to_numpy()
    assert_close(ema(x, span)[:, cols], ref[:, cols], rtol=1e-12)


@pytest.mark.parametrize("span", [3, 10, 39])
def test_ema_skips_interior_gaps_like_pandas_ignore_na(span: int) -> None:
    x = make_panel(span + 100)
    df = pandas_frame(x)
    ref = df.ewm(span=span, adjust=False, min_periods=span, ignore_na=True).mean().where(df.notna())
    assert_close(ema(x, span), ref.to_numpy(), rtol=1e-12)


def test_ema_min_periods_and_seed_by_hand() -> None:
    x = np.array([np.nan, np.nan, 10.0, 13.0, np.nan, 7.0])
    a = 2.0 / 4.0  # span 3
    y2 = 10.0
    y3 = (1 - a) * y2 + a * 13.0
    y5 = (1 - a) * y3 + a * 7.0  # the gap row is skipped
    np.testing.assert_allclose(ema(x, 3, min_periods=1), [np.nan, np.nan, y2, y3, np.nan, y5], equal_nan=True)
    np.testing.assert_allclose(ema(x, 3), [np.nan] * 5 + [y5], equal_nan=True)


def wilder_reference(col: np.ndarray, n: int) -> np.ndarray:
    """Per-column TA-Lib-style loop: SMA seed over the first n valid values, then ((n-1)*prev + x)/n."""
    out = np.full(col.shape, np.nan)
    seen: list[float] = []
    prev = np.nan
    for t, v in enumerate(col):
        if not np.isfinite(v):
            continue
        if len(seen) < n:
            seen.append(float(v))
            if len(seen) == n:
                prev = sum(seen) / n
                out[t] = prev
            continue
        prev = ((n - 1) * prev + v) / n
        out[t] = prev
    return out


@pytest.mark.parametrize("n", [1, 2, 14, 30])
def test_wilder_matches_reference_loop(n: int) -> None:
    x = make_panel(n + 7)
    ref = np.column_stack([wilder_reference(x[:, j], n) for j in range(x.shape[1])])
    assert_close(wilder(x, n), ref, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 5, 21])
def test_pct_change_and_shift_match_pandas(k: int) -> None:
    x = make_panel(k)
    df = pandas_frame(x)
    assert_close(pct_change(x, k), df.pct_change(k, fill_method=None).to_numpy(), rtol=1e-13)
    np.testing.assert_array_equal(shift(x, k), df.shift(k).to_numpy())
    np.testing.assert_array_equal(shift(x, 0), df.to_numpy())


def test_pct_change_zero_base_is_nan() -> None:
    np.testing.assert_array_equal(pct_change(np.array([0.0, 1.0, 2.0])), [np.nan, np.nan, 1.0])


def test_constant_window_has_zero_std_and_undefined_zscore() -> None:
    x = np.r_[np.full(30, 101.37), np.linspace(101.0, 103.0, 10)]
    std = rolling_std(x, 20)
    assert np.all(std[19:30] == 0.0)
    assert np.all(np.isnan(rolling_zscore(x, 20)[19:30]))
    assert np.all(std[30:] > 0.0)


def test_one_dimensional_equals_each_panel_column() -> None:
    x = make_panel(11)
    fns: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda a: sma(a, 20),
        lambda a: rolling_max(a, 63),
        lambda a: rolling_std(a, 21),
        lambda a: rolling_zscore(a, 13),
        lambda a: ema(a, 10),
        lambda a: wilder(a, 14),
        lambda a: pct_change(a, 5),
    ]
    for f in fns:
        full = f(x)
        for j in (0, 3, 7, 13, 36):
            np.testing.assert_array_equal(f(x[:, j]), full[:, j])


def test_column_blocking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    x = make_panel(12)
    fns: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda a: sma(a, 50),
        lambda a: rolling_min(a, 21),
        lambda a: ema(a, 10),
        lambda a: wilder(a, 14),
    ]
    base = [f(x) for f in fns]
    for width in (1, 5, 64):
        monkeypatch.setattr(kernels, "BLOCK_COLS", width)
        monkeypatch.setattr(kernels, "_FILTER_BLOCK_COLS", width)
        for f, expected in zip(fns, base, strict=True):
            np.testing.assert_array_equal(f(x), expected)


def test_float32_input_is_promoted() -> None:
    x = make_panel(4)
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(sma(x32, 20), sma(x32.astype(np.float64), 20))


KERNELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sma": lambda a: sma(a, 50),
    "rolling_sum": lambda a: rolling_sum(a, 7),
    "rolling_max": lambda a: rolling_max(a, 252),
    "rolling_min": lambda a: rolling_min(a, 63),
    "rolling_std": lambda a: rolling_std(a, 21),
    "rolling_zscore": lambda a: rolling_zscore(a, 52),
    "ema": lambda a: ema(a, 19),
    "wilder": lambda a: wilder(a, 14),
    "pct_change": lambda a: pct_change(a, 21),
    "shift": lambda a: shift(a, 3),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_causal_bit_identical_under_truncation(name: str) -> None:
    f = KERNELS[name]
    x = make_panel(99)
    full = f(x)
    for cut in (1, 2, 3, 17, 50, 51, 119, 200, 201, 251, 252, 253, 300, 377, T - 1):
        part = f(x[:cut])
        assert np.array_equal(part, full[:cut], equal_nan=True), (name, cut)


def test_bad_arguments_raise() -> None:
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="positive integer"):
        sma(x, 0)
    with pytest.raises(ValueError, match="causal"):
        shift(x, -1)
    with pytest.raises(ValueError, match="ndim"):
        sma(np.zeros((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="ddof"):
        rolling_std(x, 3, ddof=3)


@needs_data
def test_real_spy_kernels_match_pandas() -> None:
    raw = pd.read_parquet(ETF)
    spy = raw[raw.symbol == "SPY"].set_index("date").close
    x = spy.to_numpy(np.float64)
    assert_close(sma(x, 200), spy.rolling(200).mean().to_numpy(), rtol=1e-12)
    assert_close(ema(x, 21), spy.ewm(span=21, adjust=False, min_periods=21).mean().to_numpy(), rtol=1e-12)
    assert_close(rolling_std(x, 63), spy.rolling(63).std().to_numpy(), rtol=1e-8)
    np.testing.assert_array_equal(rolling_max(x, 252), spy.rolling(252).max().to_numpy())
    # hand-read: SPY closed at 204.4182 on 2020-03-23 and 308.4034 on 2020-02-19 (its 52-week high then)
    i = spy.index.get_loc(pd.Timestamp("2020-03-23"))
    assert x[i] == pytest.approx(204.4182, abs=1e-4)
    assert rolling_max(x, 252)[i] == pytest.approx(308.4034, abs=1e-4)


@needs_data
def test_real_members_panel_kernels_match_pandas() -> None:
    members = pd.read_parquet(MEMBERS)
    rng = np.random.default_rng(5)
    cols = rng.choice(members.shape[1], size=150, replace=False)
    df = members.iloc[:, cols].astype(np.float64)
    x = df.to_numpy()
    assert_close(sma(x, 50), df.rolling(50).mean().to_numpy(), rtol=1e-11)
    np.testing.assert_array_equal(rolling_max(x, 252), df.rolling(252).max().to_numpy())
    np.testing.assert_array_equal(rolling_min(x, 252), df.rolling(252).min().to_numpy())
    assert_close(
        ema(x, 39),
        df.ewm(span=39, adjust=False, min_periods=39, ignore_na=True).mean().where(df.notna()).to_numpy(),
    )
