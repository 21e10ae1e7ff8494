"""Sizing: pair returns, vol-target weight, ATR unit and the full Sizing record, checked by hand."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.risk.sizing import atr_unit, pair_returns, pair_vol, size_tilt, vol_target_weight

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"


def test_pair_returns_by_hand() -> None:
    iwm = np.array([100.0, 110.0, 99.0, np.nan, 100.0])
    spy = np.array([200.0, 210.0, 210.0, 220.0, 220.0])
    # row 1: 110/100 - 1 = 0.10 minus 210/200 - 1 = 0.05 -> 0.05
    # row 2: 99/110 - 1 = -0.10 minus 0 -> -0.10; rows 3, 4: IWM missing on row 3 -> NaN (no forward fill)
    out = pair_returns(iwm, spy)
    np.testing.assert_allclose(out, [np.nan, 0.05, -0.10, np.nan, np.nan], atol=1e-15)
    with pytest.raises(ValueError, match="equal length"):
        pair_returns(iwm, spy[:3])


def test_vol_target_weight_by_hand() -> None:
    assert vol_target_weight(0.20, 0.10, 1.5) == pytest.approx(0.5)  # 0.10 / 0.20
    assert vol_target_weight(0.05, 0.10, 1.5) == 1.5  # 0.10 / 0.05 = 2.0, capped at 1.5
    assert vol_target_weight(0.08, 0.10, 2.0) == pytest.approx(1.25)  # 0.10 / 0.08


@pytest.mark.parametrize(
    ("realised", "target", "cap", "name"),
    [
        (0.0, 0.1, 1.0, "realised_vol_annual"),
        (-0.2, 0.1, 1.0, "realised_vol_annual"),
        (math.nan, 0.1, 1.0, "realised_vol_annual"),
        (0.2, 0.0, 1.0, "target_vol_annual"),
        (0.2, 0.1, -1.0, "max_weight"),
        (0.2, 0.1, math.inf, "max_weight"),
    ],
)
def test_vol_target_weight_rejects_non_positive(
    realised: float, target: float, cap: float, name: str
) -> None:
    with pytest.raises(ValueError, match=name):
        vol_target_weight(realised, target, cap)


def test_atr_unit_by_hand() -> None:
    # stop distance = 2 x 4.0 = 8.0; risk budget = 0.005 x 100,000 = 500
    # shares = 500 / 8 = 62.5 -> 62 whole shares; stop = 200 - 8 = 192
    # notional = 62 x 200 = 12,400; loss at the stop = 62 x 8 = 496 (<= 500)
    u = atr_unit(100_000.0, 0.005, 4.0, 2.0, 200.0)
    assert u.stop_distance == 8.0
    assert u.shares_exact == 62.5
    assert u.shares == 62
    assert u.stop == 192.0
    assert u.notional == 12_400.0
    assert u.risk_amount == 496.0


def test_atr_unit_exact_multiple() -> None:
    # 1 % of 250,000 = 2,500 at risk; 3 x ATR 2.5 = 7.5 away -> 2,500 / 7.5 = 333.33 -> 333 shares,
    # stop 50 - 7.5 = 42.5, loss 333 x 7.5 = 2,497.5
    u = atr_unit(250_000.0, 0.01, 2.5, 3.0, 50.0)
    assert (u.shares, u.stop, u.risk_amount) == (333, 42.5, 2497.5)
    assert u.shares_exact == pytest.approx(333.333333, abs=1e-6)


def test_atr_unit_errors() -> None:
    with pytest.raises(ValueError, match="capital"):
        atr_unit(0.0, 0.01, 1.0, 2.0, 10.0)
    with pytest.raises(ValueError, match="risk_fraction"):
        atr_unit(1000.0, 1.0, 1.0, 2.0, 10.0)
    with pytest.raises(ValueError, match="atr"):
        atr_unit(1000.0, 0.01, -1.0, 2.0, 10.0)
    with pytest.raises(ValueError, match="stop"):
        atr_unit(1000.0, 0.01, 6.0, 2.0, 10.0)  # 2 x 6 = 12 > price 10


def alternating(n_rows: int, small_from: int | None = None) -> tuple[np.ndarray, ...]:
    """IWM closes alternating 100, 101 with high = close + 1 and low = close - 1; SPY flat at 400.

    True range is 2 every day: close 101 after 100 -> max(102 - 100, |102 - 100|, |100 - 100|) = 2;
    close 100 after 101 -> max(101 - 99, |101 - 101|, |99 - 101|) = 2. So the ATR is exactly 2.
    From row ``small_from`` the swing shrinks to 100, 100.5 (high/low stay +/- 1: TR still 2).
    """
    c = np.where(np.arange(n_rows) % 2 == 0, 100.0, 101.0)
    if small_from is not None:
        c[small_from:] = np.where(np.arange(small_from, n_rows) % 2 == 0, 100.0, 100.5)
    return c + 1.0, c - 1.0, c, np.full(n_rows, 400.0)


def test_size_tilt_by_hand() -> None:
    h, lo, c, spy = alternating(100)
    t = 99  # odd row: close 101
    s = size_tilt(t, date(2024, 1, 5), iwm_high=h, iwm_low=lo, iwm_close=c, spy_close=spy, capital=1e6)
    # pair returns alternate a = 101/100 - 1 = 0.01 and b = 100/101 - 1 = -1/101 (SPY flat).
    # A window of n values with m of one and n - m of the other has sample variance
    # m (n - m) / (n (n - 1)) x (a - b)^2:
    #   21 days: m = 11 or 10 -> 110 / 420; 63 days: m = 32 or 31 -> 992 / 3906.
    a_b = 0.01 + 1 / 101
    v21 = math.sqrt(110 / 420) * a_b * math.sqrt(252)  # = 0.161675...
    v63 = math.sqrt(992 / 3906) * a_b * math.sqrt(252)  # = 0.159204...
    assert s.vol_21d == pytest.approx(v21, abs=1e-6)
    assert s.vol_63d == pytest.approx(v63, abs=1e-6)
    assert s.vol_window_used == "21d" and s.vol_used == s.vol_21d  # the larger one
    w = 0.10 / v21  # = 0.618526 (below the 1.5 cap)
    assert s.weight == pytest.approx(w, abs=1e-6)
    assert s.satellite_tilt == pytest.approx(0.10 * w, abs=1e-6)  # 6.19 % of equity
    assert s.pair_notional == pytest.approx(1e6 * 0.10 * w, abs=1e-3)  # ~61,852.6
    assert s.expected_pair_vol == pytest.approx(0.10 * w * v21, abs=1e-6)  # = 0.10 x 0.10 = 1 %
    assert s.atr == 2.0
    # ATR unit: 0.5 % x 1e6 = 5,000 at risk, 2 x ATR 2 = 4 away -> 1,250 shares; stop 101 - 4 = 97
    assert s.atr_unit.shares == 1250 and s.stop == 97.0
    # tilt shares: floor(61,852.6 / 101) = 612; the smaller count is traded
    assert s.tilt_shares == math.floor(1e6 * 0.10 * w / 101.0) == 612
    assert s.iwm_overweight_shares == 612
    assert s.core_allocation == "unchanged"
    assert s.to_json() == s.to_json() and '"as_of": "2024-01-05"' in s.to_json()


def test_size_tilt_uses_63d_when_larger_and_caps_weight() -> None:
    h, lo, c, spy = alternating(120, small_from=90)  # last month calm, the quarter before it not
    s = size_tilt(119, date(2024, 1, 5), iwm_high=h, iwm_low=lo, iwm_close=c, spy_close=spy, capital=1e6)
    assert s.vol_63d is not None and s.vol_21d is not None and s.vol_63d > s.vol_21d
    assert s.vol_window_used == "63d" and s.vol_used == s.vol_63d
    capped = size_tilt(
        119,
        date(2024, 1, 5),
        iwm_high=h,
        iwm_low=lo,
        iwm_close=c,
        spy_close=spy,
        capital=1e6,
        target_vol=1.0,
        max_weight=1.2,
    )
    assert capped.weight == 1.2 and capped.satellite_tilt == pytest.approx(0.12)


def test_size_tilt_matches_numpy_reference_and_ignores_future_rows() -> None:
    rng = np.random.default_rng(3)
    n = 300
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.013, n)))
    spy = 400 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    h, lo = c * 1.01, c * 0.99
    t = 200
    s = size_tilt(t, date(2024, 1, 5), iwm_high=h, iwm_low=lo, iwm_close=c, spy_close=spy, capital=5e5)
    r = c[1 : t + 1] / c[:t] - (spy[1 : t + 1] / spy[:t])
    ref21 = np.std(r[-21:], ddof=1) * np.sqrt(252)
    ref63 = np.std(r[-63:], ddof=1) * np.sqrt(252)
    assert s.vol_21d == pytest.approx(ref21, abs=1e-6) and s.vol_63d == pytest.approx(ref63, abs=1e-6)
    assert s.vol_used == pytest.approx(max(ref21, ref63), abs=1e-6)
    garbage = c.copy()
    garbage[t + 1 :] = 1e9
    s2 = size_tilt(t, date(2024, 1, 5), iwm_high=h, iwm_low=lo, iwm_close=garbage, spy_close=spy, capital=5e5)
    assert s2.to_json() == s.to_json()


def test_size_tilt_errors() -> None:
    h, lo, c, spy = alternating(30)
    kw = {"iwm_high": h, "iwm_low": lo, "iwm_close": c, "spy_close": spy, "capital": 1e6}
    with pytest.raises(ValueError, match="outside"):
        size_tilt(30, date(2024, 1, 5), **kw)
    with pytest.raises(ValueError, match="21-day pair vol"):
        size_tilt(15, date(2024, 1, 5), **kw)
    with pytest.raises(ValueError, match="max_tilt"):
        size_tilt(29, date(2024, 1, 5), max_tilt=1.5, **kw)


def test_pair_vol_is_annualised_std() -> None:
    r = np.array([0.01, -0.01] * 20)
    # alternating +/-1 %: 21-day window has m = 11 or 10 -> var = 110/420 x 0.02^2
    assert pair_vol(r, 21)[-1] == pytest.approx(math.sqrt(110 / 420) * 0.02 * math.sqrt(252))
    assert np.isnan(pair_vol(r, 21)[19])


@pytest.mark.skipif(not ETF.exists(), reason="../shared/data not present")
def test_size_tilt_on_real_iwm_spy() -> None:
    px = pd.read_parquet(ETF, columns=["symbol", "date", "high", "low", "close"])
    px = px[px["symbol"].isin(["IWM", "SPY"])]
    wide = px.pivot(index="date", columns="symbol").sort_index()
    wide = wide[wide[("close", "SPY")].notna()]
    t = int(np.searchsorted(wide.index.to_numpy(), np.datetime64("2024-07-31"), side="right")) - 1
    s = size_tilt(
        t,
        date(2024, 7, 31),
        iwm_high=wide[("high", "IWM")].to_numpy(),
        iwm_low=wide[("low", "IWM")].to_numpy(),
        iwm_close=wide[("close", "IWM")].to_numpy(),
        spy_close=wide[("close", "SPY")].to_numpy(),
        capital=1e6,
    )
    # July 2024: the small-cap squeeze; the IWM-SPY spread ran at ~10-25 % annualised vol
    assert 0.05 < s.vol_used < 0.40
    assert s.vol_used == max(v for v in (s.vol_21d, s.vol_63d) if v is not None)
    assert 0 < s.stop < s.atr_unit.price and 0.5 < s.atr < 10
    assert s.iwm_overweight_shares == min(s.tilt_shares, s.atr_unit.shares)
