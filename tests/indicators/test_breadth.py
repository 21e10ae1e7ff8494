"""Breadth: counts against plain loops, McClellan and Zweig by hand, sectors, concentration, real members."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.indicators import kernels
from rotascope.indicators.breadth import (
    BreadthPanel,
    advance_decline,
    breadth_panel,
    concentration,
    mcclellan,
    new_highs_lows,
    pct_above_sma,
    sector_participation,
    zweig_thrust,
)
from rotascope.indicators.kernels import sma

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MEMBERS = SHARED / "universe" / "members_adjclose.parquet"
SECTORS_CSV = SHARED / "universe" / "members_sectors.csv"
needs_data = pytest.mark.skipif(not MEMBERS.exists(), reason="../shared/data not present")

T, N = 640, 41


def make_closes(seed: int = 0, t: int = T, n: int = N) -> np.ndarray:
    """Prices rounded to cents (so unchanged days occur) with staggered listings, gaps and delistings."""
    rng = np.random.default_rng(seed)
    x = np.round(20.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, (t, n)), axis=0)), 2)
    starts = rng.integers(0, 300, n)
    starts[:3] = 0
    for j, s in enumerate(starts):  # set-up only
        x[:s, j] = np.nan
    x[100:103, 4] = np.nan
    x[400, 9] = np.nan
    x[-50:, 10] = np.nan
    x[:, 12] = np.nan
    return x


def ad_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, n = x.shape
    a, d, u = np.zeros(t, int), np.zeros(t, int), np.zeros(t, int)
    for i in range(1, t):
        for j in range(n):
            p, c = x[i - 1, j], x[i, j]
            if np.isfinite(p) and np.isfinite(c):
                if c > p:
                    a[i] += 1
                elif c < p:
                    d[i] += 1
                else:
                    u[i] += 1
    return a, d, u


def ema_reference(values: np.ndarray, span: int) -> np.ndarray:
    """Scalar loop EMA: seed with the first valid value, skip NaN, output after `span` valid values."""
    alpha = 2.0 / (span + 1.0)
    out = np.full(len(values), np.nan)
    y = np.nan
    seen = 0
    for i, v in enumerate(values):
        if not np.isfinite(v):
            continue
        y = v if seen == 0 else y + alpha * (v - y)
        seen += 1
        if seen >= span:
            out[i] = y
    return out


def test_advances_declines_match_loop() -> None:
    x = make_closes(1)
    a, d, u = advance_decline(x)
    ra, rd, ru = ad_reference(x)
    np.testing.assert_array_equal(a, ra)
    np.testing.assert_array_equal(d, rd)
    np.testing.assert_array_equal(u, ru)
    assert u.sum() > 0  # ties exist in this panel
    assert a[0] == d[0] == u[0] == 0


def test_mcclellan_matches_loop() -> None:
    x = make_closes(2)
    a, d, _ = ad_reference(x)
    mc = mcclellan(a, d)
    rana = np.array(
        [1000.0 * (ai - di) / (ai + di) if ai + di else np.nan for ai, di in zip(a, d, strict=True)]
    )
    np.testing.assert_allclose(mc.rana, rana, rtol=1e-14, equal_nan=True)
    osc = ema_reference(rana, 19) - ema_reference(rana, 39)
    np.testing.assert_allclose(mc.oscillator, osc, rtol=1e-9, atol=1e-9, equal_nan=True)
    ok = np.isfinite(osc)
    np.testing.assert_allclose(mc.summation[ok], np.cumsum(osc[ok]), rtol=1e-9, atol=1e-8)
    assert np.isnan(mc.summation[~ok]).all()
    # RANA row 0 has no issues; the oscillator starts on the 39th valid RANA
    assert np.isnan(mc.rana[0]) and np.flatnonzero(ok)[0] == 39


def test_mcclellan_smoothing_constants() -> None:
    # the classic 10% and 5% trends are EMAs with span 19 and 39: 2 / (19 + 1) = 0.10, 2 / (39 + 1) = 0.05
    rana = np.r_[np.zeros(39), 1000.0]
    a = np.r_[np.full(39, 5.0), 10.0]
    d = np.r_[np.full(39, 5.0), 0.0]
    mc = mcclellan(a, d)
    np.testing.assert_allclose(mc.rana, rana)
    assert mc.oscillator[-1] == pytest.approx(0.10 * 1000.0 - 0.05 * 1000.0)  # RANA jumps 0 -> 1000


def test_zweig_thrust_by_hand() -> None:
    # 10 days at 30% advancing (EMA10 = 0.30, valid from day 9), then all-advance days:
    # EMA_k = 1 - 0.7 * (9/11)^k -> 0.4273, 0.5314, 0.6166 (> 0.615 on the 3rd day, t = 12)
    adv = np.r_[np.full(10, 3.0), np.full(15, 10.0)]
    dec = np.r_[np.full(10, 7.0), np.zeros(15)]
    zt = zweig_thrust(adv, dec)
    k = np.arange(1, 16)
    np.testing.assert_allclose(zt.ema[10:], 1.0 - 0.7 * (9.0 / 11.0) ** k, rtol=1e-12)
    assert np.isnan(zt.ema[:9]).all() and zt.ema[9] == pytest.approx(0.3)
    # last day below 0.40 is t = 9, so the rule holds for t = 12..19 and expires at t = 20
    assert np.flatnonzero(zt.signal).tolist() == list(range(12, 20))


def test_zweig_thrust_too_slow_does_not_fire() -> None:
    # share 0.39 for 10 days (below 0.40), then 0.62 (EMA creeps up: needs > 10 days to exceed 0.615)
    adv = np.r_[np.full(10, 39.0), np.full(60, 62.0)]
    dec = 100.0 - adv
    zt = zweig_thrust(adv, dec)
    assert not zt.signal.any()
    assert np.nanmax(zt.ema) > 0.615  # it does get there, but too slowly
    fast = zweig_thrust(adv, dec, lookback=60)
    assert fast.signal.any()


def test_pct_above_sma_and_highs_match_pandas() -> None:
    x = make_closes(3)
    df = pd.DataFrame(x)
    for n in (50, 200):
        m = df.rolling(n).mean()
        above = (df > m).sum(axis=1).to_numpy()
        valid = m.notna().sum(axis=1).to_numpy()
        expected = np.where(valid > 0, 100.0 * above / np.maximum(valid, 1), np.nan)
        np.testing.assert_allclose(pct_above_sma(x, n), expected, rtol=1e-14, equal_nan=True)
    hi, lo, full = new_highs_lows(x)
    rmax, rmin = df.rolling(252).max(), df.rolling(252).min()
    np.testing.assert_array_equal(hi, (df >= rmax).sum(axis=1))
    np.testing.assert_array_equal(lo, (df <= rmin).sum(axis=1))
    np.testing.assert_array_equal(full, rmax.notna().sum(axis=1))
    assert hi.sum() > 0 and lo.sum() > 0


def test_breadth_panel_fields_agree_with_parts() -> None:
    x = make_closes(4)
    bp = breadth_panel(x)
    a, d, u = advance_decline(x)
    np.testing.assert_array_equal(bp.advances, a)
    np.testing.assert_array_equal(bp.declines, d)
    np.testing.assert_array_equal(bp.unchanged, u)
    np.testing.assert_array_equal(bp.ad_line, np.cumsum(a - d))
    mc = mcclellan(a, d)
    np.testing.assert_array_equal(bp.mcclellan_osc, mc.oscillator)
    np.testing.assert_array_equal(bp.summation, mc.summation)
    np.testing.assert_array_equal(bp.pct_above_50, pct_above_sma(x, 50))
    np.testing.assert_array_equal(bp.pct_above_200, pct_above_sma(x, 200))
    hi, lo, full = new_highs_lows(x)
    np.testing.assert_array_equal(bp.net_highs, hi - lo)
    np.testing.assert_array_equal(
        bp.pct_new_highs, np.where(full > 0, 100.0 * hi / np.maximum(full, 1), np.nan)
    )
    zt = zweig_thrust(a, d)
    np.testing.assert_array_equal(bp.thrust_ema, zt.ema)
    np.testing.assert_array_equal(bp.thrust_signal, zt.signal)
    # the "above SMA" decisions use exactly the sma kernel's values
    s = sma(x, 50)
    with np.errstate(invalid="ignore"):
        above = (x > s).sum(axis=1)
    np.testing.assert_array_equal(
        np.round(bp.pct_above_50 * np.isfinite(s).sum(axis=1) / 100.0)[49:], above[49:]
    )


def test_block_width_and_dtype_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    x = make_closes(5, n=300)
    base = breadth_panel(x)
    x32 = np.asfortranarray(x.astype(np.float32))  # like a pandas float32 table
    same32 = breadth_panel(x32)
    ref32 = breadth_panel(x32.astype(np.float64))
    for width in (1, 7):  # width 1 -> 300 blocks: exercises the uint8 lane flush every 255 blocks
        monkeypatch.setattr(kernels, "BLOCK_COLS", width)
        other = breadth_panel(x)
        for f in dataclasses.fields(BreadthPanel):
            assert np.array_equal(getattr(other, f.name), getattr(base, f.name), equal_nan=True), (
                width,
                f.name,
            )
    for f in dataclasses.fields(BreadthPanel):
        assert np.array_equal(getattr(same32, f.name), getattr(ref32, f.name), equal_nan=True), f.name


def test_causal_bit_identical_under_truncation() -> None:
    x = make_closes(6)
    full = breadth_panel(x)
    secs = np.arange(N) % 5
    sp_full = sector_participation(x, secs)
    w = np.linspace(1.0, 3.0, N)
    cc_full = concentration(x, w, 21)
    for cut in (1, 2, 20, 39, 40, 50, 51, 199, 200, 251, 252, 253, 400, 500, T - 1):
        part = breadth_panel(x[:cut])
        for f in dataclasses.fields(BreadthPanel):
            got, exp = getattr(part, f.name), getattr(full, f.name)[:cut]
            assert np.array_equal(got, exp, equal_nan=got.dtype.kind == "f"), (cut, f.name)
        sp = sector_participation(x[:cut], secs)
        assert np.array_equal(sp.pct_above, sp_full.pct_above[:cut], equal_nan=True)
        assert np.array_equal(sp.improving, sp_full.improving[:cut])
        assert np.array_equal(sp.share_improving, sp_full.share_improving[:cut], equal_nan=True)
        cc = concentration(x[:cut], w, 21)
        assert np.array_equal(cc.share_top, cc_full.share_top[:cut], equal_nan=True)
        assert np.array_equal(cc.total, cc_full.total[:cut], equal_nan=True)


def test_sector_participation_matches_loop() -> None:
    x = make_closes(7)
    secs = np.array([(j % 4) if j % 9 else -1 for j in range(N)])  # a few unknown (-1) sectors
    sp = sector_participation(x, secs, n=50, lookback=20)
    assert sp.codes.tolist() == [0, 1, 2, 3]
    df = pd.DataFrame(x)
    m = df.rolling(50).mean()
    for s_i, code in enumerate(sp.codes):
        cols = np.flatnonzero(secs == code)
        above = (df[cols] > m[cols]).sum(axis=1).to_numpy()
        valid = m[cols].notna().sum(axis=1).to_numpy()
        pct = np.where(valid > 0, 100.0 * above / np.maximum(valid, 1), np.nan)
        np.testing.assert_allclose(sp.pct_above[:, s_i], pct, rtol=1e-14, equal_nan=True)
    past = pd.DataFrame(sp.pct_above).shift(20).to_numpy()
    cmp = np.isfinite(sp.pct_above) & np.isfinite(past)
    with np.errstate(invalid="ignore"):
        imp = cmp & (sp.pct_above > past)
    np.testing.assert_array_equal(sp.improving, imp)
    for t in (69, 300, T - 1):
        assert sp.share_improving[t] == pytest.approx(imp[t].sum() / cmp[t].sum())
    assert np.isnan(sp.share_improving[:69]).all()  # 50-day SMA + 20 rows before any comparison
    with pytest.raises(ValueError, match="one code per column"):
        sector_participation(x, secs[:-1])


def test_concentration_matches_loop() -> None:
    x = make_closes(8)
    rng = np.random.default_rng(8)
    w = rng.random(N)
    k = 21
    cc = concentration(x, w, k, top=10)
    for t in (0, 20, 21, 300, T - 1):
        contrib = [w[j] * (x[t, j] / x[t - k, j] - 1.0) for j in range(N) if t >= k]
        contrib = [c for c in contrib if np.isfinite(c)]
        if not contrib:
            assert np.isnan(cc.total[t]) and np.isnan(cc.share_top[t])
            continue
        mags = sorted((abs(c) for c in contrib), reverse=True)
        assert cc.total[t] == pytest.approx(sum(contrib), rel=1e-12)
        assert cc.share_top[t] == pytest.approx(sum(mags[:10]) / sum(mags), rel=1e-12)
    # time-varying weights are taken at the start of the window
    w2 = np.tile(w, (T, 1)) * np.linspace(1.0, 2.0, T)[:, None]
    cc2 = concentration(x, w2, k)
    t = 300
    contrib2 = w2[t - k] * (x[t] / x[t - k] - 1.0)
    assert cc2.total[t] == pytest.approx(np.nansum(contrib2), rel=1e-12)
    few = concentration(x[:, :5], w[:5], k)
    assert np.nanmax(few.share_top) == 1.0 and few.top == 5


@needs_data
def test_real_members_breadth_on_real_days() -> None:
    members = pd.read_parquet(MEMBERS)
    bp = breadth_panel(members.to_numpy())  # float32, column-major as pandas hands it over
    df = members.astype(np.float64)
    for day in ("2020-03-16", "2024-11-06", "2008-10-13"):
        i = members.index.get_loc(pd.Timestamp(day))
        today, prev = df.iloc[i], df.iloc[i - 1]
        assert bp.advances[i] == int((today > prev).sum())
        assert bp.declines[i] == int((today < prev).sum())
        assert bp.unchanged[i] == int((today == prev).sum())
        win50 = df.iloc[i - 49 : i + 1]
        ok50 = win50.notna().all()
        m50 = win50.mean()
        assert bp.pct_above_50[i] == pytest.approx(
            100.0 * ((today > m50) & ok50).sum() / ok50.sum(), abs=1e-12
        )
        win = df.iloc[i - 251 : i + 1]
        ok = win.notna().all()
        assert bp.new_highs[i] == int(((today >= win.max()) & ok).sum())
        assert bp.new_lows[i] == int(((today <= win.min()) & ok).sum())
    crash = members.index.get_loc(pd.Timestamp("2020-03-16"))  # S&P 500 -12% that day
    assert bp.declines[crash] > 20 * bp.advances[crash]
    election = members.index.get_loc(pd.Timestamp("2024-11-06"))  # small caps +5.8% that day
    assert bp.advances[election] > 3 * bp.declines[election]
    assert bp.rana[election] > 500


@needs_data
def test_real_sector_participation() -> None:
    members = pd.read_parquet(MEMBERS)
    sectors = pd.read_csv(SECTORS_CSV)
    mapping = dict(zip(sectors.ticker, sectors.sector, strict=False))
    names = sorted(set(mapping.values()))
    codes = np.array([names.index(mapping[c]) if c in mapping else -1 for c in members.columns])
    sp = sector_participation(members.to_numpy(), codes)
    i = members.index.get_loc(pd.Timestamp("2024-11-06"))
    s = int(sp.codes[0])
    cols = members.columns[codes == s]
    df = members[cols].astype(np.float64)
    win = df.iloc[i - 49 : i + 1]
    ok = win.notna().all()
    expected = 100.0 * ((df.iloc[i] > win.mean()) & ok).sum() / ok.sum()
    assert sp.pct_above[i, 0] == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= np.nanmin(sp.share_improving) <= np.nanmax(sp.share_improving) <= 1.0
