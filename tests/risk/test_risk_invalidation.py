"""Invalidation levels on hand-made arrays (arithmetic in comments), causality, and on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.risk.invalidation import (
    InvalidationParams,
    breached_keys,
    breadth_level,
    crosses,
    hy_oas_level,
    invalidations,
    kre_level,
    level_series,
    ratio_atr,
    ratio_level,
    yield_level,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETF = SHARED / "prices" / "etf_ohlcv.parquet"
EXTRA = SHARED / "prices" / "etf_adjclose_extra.parquet"
CREDIT = SHARED / "macro" / "credit_spread.csv"
RATES = SHARED / "macro" / "rates.csv"
SHORT = InvalidationParams(
    ratio_sma=3, ratio_atr_n=2, ratio_k=2.0, ratio_low_n=3, hy_lookback=3, yield_lookback=3, kre_lookback=3
)


def test_yield_level_by_hand() -> None:
    y = np.array([4.0, 4.1, 4.05, 4.36, 4.30])
    s = yield_level(y, SHORT)
    # t=3: high of rows 0..2 = 4.10, + 0.25 = 4.35; 4.36 > 4.35 -> breached, distance 4.35 - 4.36 = -0.01
    inv = s.at(3)
    assert (inv.level, inv.current, inv.distance, inv.breached) == (4.35, 4.36, -0.01, True)
    assert inv.direction == "above" and inv.unit == "percent" and inv.key == "ust_10y"
    # t=4: high of rows 1..3 = 4.36 -> level 4.61; distance 4.61 - 4.30 = 0.31
    inv = s.at(4)
    assert (inv.level, inv.distance, inv.breached) == (4.61, 0.31, False)
    # t=2: only two prior rows for a 3-row window -> not computable
    assert s.at(2).level is None and s.at(2).breached is None and s.at(2).distance is None


def test_hy_oas_level_by_hand() -> None:
    # t=3: prior 3-row high = 3.2; today + 0.5 = 3.75 -> level = min = 3.2; 3.25 > 3.2 -> breached
    inv = hy_oas_level(np.array([3.0, 3.2, 3.1, 3.25]), SHORT).at(3)
    assert (inv.level, inv.distance, inv.breached) == (3.2, -0.05, True)
    # t=3: today 3.15 below the 3.2 high -> level 3.2, 5 bp of room
    inv = hy_oas_level(np.array([3.0, 3.2, 3.1, 3.15]), SHORT).at(3)
    assert (inv.level, inv.distance, inv.breached) == (3.2, 0.05, False)
    # spreads came in hard: high 5.0, today 4.0 -> today + 50 bp = 4.5 is nearer -> level 4.5, room 0.5
    inv = hy_oas_level(np.array([5.0, 4.0, 4.0, 4.0]), SHORT).at(3)
    assert (inv.level, inv.distance, inv.breached) == (4.5, 0.5, False)
    # without 3 prior rows only today + 50 bp is known (fmin): level 3.7, never breached today
    inv = hy_oas_level(np.array([3.0, 3.2, 3.1, 3.25]), SHORT).at(1)
    assert (inv.level, inv.breached) == (3.7, False)


def test_breadth_level_by_hand() -> None:
    s = breadth_level(np.array([0.55, 0.39, np.nan]))
    assert s.at(0).distance == pytest.approx(0.15) and s.at(0).breached is False  # 0.55 - 0.40
    assert s.at(1).distance == pytest.approx(-0.01) and s.at(1).breached is True  # 0.39 - 0.40
    assert s.at(2).breached is None and s.at(2).level is None
    with pytest.raises(ValueError, match="fraction"):
        breadth_level(np.array([55.0, 39.0]))


def test_kre_level_by_hand() -> None:
    s = kre_level(np.array([1.0, 0.9, 0.95, 0.89, 0.91]), SHORT)
    # t=3: low of rows 0..2 = 0.90; 0.89 < 0.90 -> breached, distance 0.89 - 0.90 = -0.01
    assert (s.at(3).level, s.at(3).distance, s.at(3).breached) == (0.9, -0.01, True)
    # t=4: low of rows 1..3 = 0.89; 0.91 -> room 0.02
    assert (s.at(4).level, s.at(4).distance, s.at(4).breached) == (0.89, 0.02, False)


def test_ratio_level_sma_atr_by_hand() -> None:
    r = np.array([1.00, 1.02, 1.01, 1.04, 1.00])
    # |diff| = -, 0.02, 0.01, 0.03, 0.04; Wilder(2): row 2 = (0.02 + 0.01)/2 = 0.015,
    # row 3 = (0.015 + 0.03)/2 = 0.0225, row 4 = (0.0225 + 0.04)/2 = 0.03125
    np.testing.assert_allclose(ratio_atr(r, 2), [np.nan, np.nan, 0.015, 0.0225, 0.03125])
    s = ratio_level(r, SHORT)
    # row 3: SMA3 = (1.02 + 1.01 + 1.04)/3 = 1.023333; level = 1.023333 - 2 x 0.0225 = 0.978333
    assert s.at(3).level == pytest.approx(0.978333, abs=1e-6)
    # row 4: SMA3 = (1.01 + 1.04 + 1.00)/3 = 1.016667; level = 1.016667 - 2 x 0.03125 = 0.954167
    inv = s.at(4)
    assert inv.level == pytest.approx(0.954167, abs=1e-6)
    assert inv.distance == pytest.approx(1.00 - 0.954167, abs=1e-6) and inv.breached is False
    assert inv.direction == "below" and "SMA" in inv.rule
    # a collapse to 0.90 at row 4 instead: SMA3 = (1.01 + 1.04 + 0.90)/3 = 0.983333,
    # ATR = (0.0225 + 0.14)/2 = 0.08125 -> level 0.983333 - 0.1625 = 0.820833: still not breached
    # (the vol buffer widens with the move); a slower slide breaches:
    slide = np.array([1.00, 1.00, 1.00, 1.00, 0.99, 0.98, 0.97])
    # |diff| rows 1..6 = 0, 0, 0, 0.01, 0.01, 0.01; Wilder(2): row 2 = 0, row 3 = 0, row 4 = 0.005,
    # row 5 = (0.005 + 0.01)/2 = 0.0075, row 6 = (0.0075 + 0.01)/2 = 0.00875; SMA3 row 6 = 0.98
    inv = ratio_level(slide, SHORT).at(6)  # level 0.98 - 2 x 0.00875 = 0.9625 < 0.97 -> holds
    assert inv.level == pytest.approx(0.9625) and inv.breached is False
    tight = InvalidationParams(ratio_sma=3, ratio_atr_n=2, ratio_k=0.5)
    inv = ratio_level(slide, tight).at(6)  # 0.98 - 0.5 x 0.00875 = 0.975625 > 0.97 -> breached
    assert inv.level == pytest.approx(0.975625) and inv.breached is True


def test_ratio_level_low_20d_variant() -> None:
    p = InvalidationParams(ratio_method="low_20d", ratio_low_n=3)
    s = ratio_level(np.array([1.0, 0.98, 0.99, 0.97]), p)
    assert (s.at(3).level, s.at(3).breached) == (0.98, True)  # low of rows 0..2 = 0.98 > 0.97
    assert "3-day low" in s.at(3).rule


def test_crosses_and_missing_values() -> None:
    assert crosses("above", 4.0, 4.01) is True and crosses("above", 4.0, 4.0) is False  # strict
    assert crosses("below", 0.4, 0.39) is True and crosses("below", 0.4, 0.4) is False
    assert crosses("below", None, 1.0) is None and crosses("above", 1.0, float("nan")) is None


def test_invalidations_truncated_equal_full_history_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    n = 400
    ratio = 0.45 * np.exp(np.cumsum(rng.normal(0, 0.006, n)))
    hy = 3.5 + np.cumsum(rng.normal(0, 0.04, n))
    y10 = 4.0 + np.cumsum(rng.normal(0, 0.05, n))
    pct = np.clip(0.5 + np.cumsum(rng.normal(0, 0.03, n)), 0, 1)
    kre = 0.12 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    hy[150:153] = np.nan  # gaps must not break causality either
    arrays = {"iwm_spy": ratio, "hy_oas": hy, "ust_10y": y10, "pct_above_50": pct, "kre_spy": kre}
    full = level_series(**arrays)
    for t in (0, 13, 49, 63, 64, 151, 200, 399):
        from_full = [s.at(t) for s in full]
        truncated = invalidations(t, **{k: v[: t + 1] for k, v in arrays.items()})
        assert [i.to_json() for i in from_full] == [i.to_json() for i in truncated]
        # future rows replaced by garbage change nothing
        poisoned = {k: np.concatenate([v[: t + 1], np.full(n - t - 1, 1e6)]) for k, v in arrays.items()}
        assert invalidations(t, **poisoned) == truncated
        for s in full:
            lvl = s.level[: t + 1]
            alone = level_series(**{_arg(s.key): arrays[_arg(s.key)][: t + 1]})[0]
            np.testing.assert_array_equal(lvl, alone.level)  # whole level arrays, not just row t
    assert [i.key for i in invalidations(399, **arrays)] == [
        "iwm_spy",
        "hy_oas",
        "ust_10y",
        "r2000_pct_above_50",
        "kre_spy",
    ]


def _arg(key: str) -> str:
    return "pct_above_50" if key == "r2000_pct_above_50" else key


def test_level_series_checks_inputs() -> None:
    with pytest.raises(ValueError, match="one calendar"):
        level_series(iwm_spy=np.ones(5), hy_oas=np.ones(4))
    with pytest.raises(ValueError, match="outside"):
        invalidations(5, iwm_spy=np.ones(5))
    assert invalidations(2, ust_10y=np.ones(5))[0].key == "ust_10y"  # only the given inputs
    s = level_series(hy_oas=np.array([3.0, 3.2, 3.1, 3.25]), params=SHORT)[0]
    np.testing.assert_array_equal(s.breached(), [0.0, 0.0, 0.0, 1.0])


def _real() -> dict[str, np.ndarray]:
    if not all(p.exists() for p in (ETF, EXTRA, CREDIT, RATES)):
        pytest.skip("../shared/data not present")
    px = pd.read_parquet(ETF, columns=["symbol", "date", "close"])
    px = px[px["symbol"].isin(["IWM", "SPY"])].pivot(index="date", columns="symbol", values="close")
    px = px[px["SPY"].notna()].sort_index()
    ex = pd.read_parquet(EXTRA)
    kre = ex[ex["symbol"] == "KRE"].set_index("date")["adj_close"].reindex(px.index)

    def on_calendar(path: Path, col: str) -> np.ndarray:
        # latest observation on each trading day, known one trading day later (published the next morning)
        s = pd.read_csv(path, parse_dates=["date"]).set_index("date")[col].dropna()
        both = s.reindex(px.index.union(s.index)).ffill().reindex(px.index)
        return both.shift(1).to_numpy(dtype=np.float64)

    return {
        "dates": px.index.to_numpy().astype("datetime64[D]"),
        "iwm_spy": (px["IWM"] / px["SPY"]).to_numpy(),
        "kre_spy": (kre / px["SPY"]).to_numpy(),
        "hy_oas": on_calendar(CREDIT, "hy_oas_full"),
        "ust_10y": on_calendar(RATES, "ust_10y"),
    }


def _row(dates: np.ndarray, day: str) -> int:
    return int(np.searchsorted(dates, np.datetime64(day), side="right")) - 1


def test_real_episodes() -> None:
    d = _real()
    dates = d.pop("dates")
    full = level_series(**d)
    by_key = {s.key: s for s in full}

    def state(day: str) -> dict[str, bool | None]:
        return {s.key: s.at(_row(dates, day)).breached for s in full}

    # COVID crash: small caps collapse vs SPY and HY OAS prints new 13-week highs; yields fell
    covid = state("2020-03-20")
    assert covid["iwm_spy"] is True and covid["hy_oas"] is True and covid["ust_10y"] is False
    # June 2022 CPI shock: the 10-year broke 25 bp above its 13-week high (3.43 % vs 3.15 + 0.25 %)
    inv = by_key["ust_10y"].at(_row(dates, "2022-06-14"))
    assert inv.breached is True and inv.level == pytest.approx(3.40) and inv.current == pytest.approx(3.43)
    # SVB week: regional banks below their 20-day low vs SPY
    assert state("2023-03-13")["kre_spy"] is True
    # July 2024 small-cap squeeze: nothing breached
    assert set(breached_keys([s.at(_row(dates, "2024-07-31")) for s in full])) == set()
    # the yield breakout is rare (a killer, not noise); the ratio trend level fails often (a tight stop)
    share = {s.key: float(np.nanmean(s.breached())) for s in full}
    assert share["ust_10y"] < 0.01 and 0.15 < share["iwm_spy"] < 0.5 and share["hy_oas"] < 0.15


def test_real_data_causal() -> None:
    d = _real()
    d.pop("dates")
    full = level_series(**d)
    n = len(d["iwm_spy"])
    for t in np.linspace(300, n - 1, 7).astype(int):
        assert [s.at(int(t)) for s in full] == invalidations(int(t), **d)
