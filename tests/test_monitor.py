"""The monitor engine and regime layer: no look-ahead, independent checks, real episodes, thresholds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.errors import ConfigError
from rotascope.monitor.data import MarketData
from rotascope.monitor.engine import MonitorPanel, compute
from rotascope.monitor.run import Monitor
from rotascope.regime import evaluate, load_thresholds
from rotascope.regime.thresholds import default_path

LOOKAHEAD_DATES = ["2008-10-10", "2016-11-18", "2020-03-23", "2023-03-17", "2024-07-19"]


@pytest.mark.parametrize("day", LOOKAHEAD_DATES)
def test_no_look_ahead_truncated_data_gives_identical_outputs(
    monitor: Monitor, market: MarketData, day: str
) -> None:
    """Compute on the data as it stood at the close of `day` and compare with the full run sliced at `day`."""
    cut = np.datetime64(day, "D")
    truncated = market.upto(cut)
    assert truncated.calendar[-1] == cut and len(truncated.calendar) < len(market.calendar)
    short = compute(truncated, monitor.thresholds)
    full_snap = monitor.panel.snapshot(date.fromisoformat(day))
    short_snap = short.snapshot(date.fromisoformat(day))
    assert short_snap.to_json() == full_snap.to_json()
    assert (
        evaluate(short_snap, monitor.thresholds).to_json()
        == evaluate(full_snap, monitor.thresholds).to_json()
    )
    # and every full-history array of the short run equals the full run's prefix, bit for bit
    n = len(truncated.calendar)
    for name, rs in short.pairs.items():
        assert np.array_equal(rs.ratio, monitor.panel.pairs[name].ratio[:n], equal_nan=True)
        for w, arr in rs.returns.items():
            assert np.array_equal(arr, monitor.panel.pairs[name].returns[w][:n], equal_nan=True), (name, w)
    for sym, (ratio, mom) in short.rotation.items():
        assert np.array_equal(ratio, monitor.panel.rotation[sym][0][:n], equal_nan=True), sym
        assert np.array_equal(mom, monitor.panel.rotation[sym][1][:n], equal_nan=True), sym
    for key, arr in short.internals.items():
        assert np.array_equal(arr, monitor.panel.internals[key][:n], equal_nan=True), key
    for key, m in short.macro.items():
        assert np.array_equal(m.values, monitor.panel.macro[key].values[:n], equal_nan=True), key
    assert set(short.breadth) == set(monitor.panel.breadth)
    for universe in short.breadth:
        _same_breadth(short, monitor, universe, n)


def _same_breadth(short: MonitorPanel, monitor: Monitor, universe: str, n: int) -> None:
    b_short, b_full = short.breadth[universe].panel, monitor.panel.breadth[universe].panel
    for field in (
        "advances",
        "ad_line",
        "mcclellan_osc",
        "summation",
        "pct_above_50",
        "pct_above_200",
        "net_highs",
        "thrust_ema",
    ):
        assert np.array_equal(getattr(b_short, field), getattr(b_full, field)[:n], equal_nan=True), field


def test_macro_values_respect_publication_dates(monitor: Monitor) -> None:
    # NFCI for the week ending Fri 2020-03-20 was published Wed 2020-03-25: on Tue 2020-03-24 the latest
    # known NFCI is the one dated 2020-03-13
    snap = monitor.panel.snapshot(date(2020, 3, 24))
    assert snap.macro.observed["nfci"] == date(2020, 3, 13)
    # daily FRED data are known the next business day
    assert snap.macro.observed["hy_oas"] == date(2020, 3, 23)


def members_frame(market: MarketData) -> pd.DataFrame:
    return market.members.to_frame()


def listed_on(day: str, universe: str = "R2000 (iShares IWM holdings)") -> set[str] | None:
    """Tickers of the raw point-in-time list in force on ``day`` (None before the first list)."""
    raw = pd.read_parquet(SHARED / "universe/pit/index_members_monthly.parquet")
    raw = raw[(raw["index"] == universe) & ~raw.non_equity]
    dates = sorted(d for d in raw.date.unique() if d <= day)
    if not dates:
        return None
    return set(raw.ticker[raw.date == dates[-1]].str.replace(".", "-"))


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_breadth_matches_pandas_on_real_days(monitor: Monitor, market: MarketData) -> None:
    """Counts equal pandas on the members of the day: today's members before 2022, the raw IWM list after."""
    everyone = market.pit["R2000"].close.to_frame()
    for day in ("2009-03-09", "2020-03-23", "2024-07-19"):
        listed = listed_on(day)
        cols = list(market.members.symbols) if listed is None else [c for c in everyone if c in listed]
        assert (listed is None) == (day < "2022")
        frame = everyone[cols]
        ma50 = frame.rolling(50).mean()
        ma200 = frame.rolling(200).mean()
        snap = monitor.panel.snapshot(date.fromisoformat(day))
        b = next(x for x in snap.breadth if x.universe == "R2000")
        i = frame.index.get_loc(pd.Timestamp(day))
        today, prev = frame.iloc[i], frame.iloc[i - 1]
        assert b.members_with_data == int(today.notna().sum())
        both = today.notna() & prev.notna()
        assert b.advances == int((today[both] > prev[both]).sum())
        assert b.declines == int((today[both] < prev[both]).sum())
        valid50 = ma50.iloc[i].notna() & today.notna()
        assert b.pct_above_50 == pytest.approx((today[valid50] > ma50.iloc[i][valid50]).mean(), abs=1e-6)
        valid200 = ma200.iloc[i].notna() & today.notna()
        assert b.pct_above_200 == pytest.approx((today[valid200] > ma200.iloc[i][valid200]).mean(), abs=1e-6)
        window = frame.iloc[i - 251 : i + 1]
        full = window.notna().all()
        highs = int((today[full] >= window.loc[:, full].max()).sum())
        lows = int((today[full] <= window.loc[:, full].min()).sum())
        assert (b.new_highs, b.new_lows) == (highs, lows)


def test_mcclellan_matches_pandas_ewm(monitor: Monitor, market: MarketData) -> None:
    frame = members_frame(market)
    diff = frame.diff()
    adv = (diff > 0).sum(axis=1).astype(float)
    dec = (diff < 0).sum(axis=1).astype(float)
    rana = 1000 * (adv - dec) / (adv + dec)
    rana = rana.where(adv + dec > 0)
    osc = rana.ewm(span=19, adjust=False).mean() - rana.ewm(span=39, adjust=False).mean()
    got = monitor.panel.breadth["R2000"].panel.mcclellan_osc.copy()
    got[np.asarray(monitor.panel.breadth["R2000"].list_row) >= 0] = np.nan  # point-in-time rows: below
    # both EMAs are seeded at the first valid RANA, as pandas does; the kernel waits 39 values to report
    ok = np.isfinite(got)
    assert ok.sum() > 5000
    assert np.allclose(got[ok], osc.to_numpy()[ok], atol=1e-8)


def test_hy_oas_change_and_percentile_by_hand(monitor: Monitor) -> None:
    snap = monitor.panel.snapshot(date(2020, 3, 23))
    hy = monitor.panel.macro["hy_oas"]
    t = monitor.panel.row(date(2020, 3, 23))
    assert snap.macro.values["hy_oas"] == pytest.approx(
        10.09
    )  # FRED BAMLH0A0HYM2 on 2020-03-20 (known 03-23)
    assert snap.macro.values["hy_oas_chg_13w"] == pytest.approx(hy.values[t] - hy.values[t - 63], abs=1e-9)
    window = hy.values[t - 1259 : t + 1]
    assert snap.macro.values["hy_oas_pctile_5y"] == pytest.approx(np.mean(window <= hy.values[t]), abs=1e-6)
    assert snap.macro.values["hy_oas_pctile_5y"] == pytest.approx(1.0)  # the widest spread in five years


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_smb_window_matches_the_french_library_file(monitor: Monitor) -> None:
    lines = (SHARED / "factors/F-F_Research_Data_5_Factors_2x3_daily.csv").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date,"))
    rows = [r.split(",") for r in lines[start + 1 :] if r[:1].isdigit()]
    smb = pd.Series([float(r[2]) for r in rows], index=pd.to_datetime([r[0] for r in rows]))
    day = pd.Timestamp("2024-07-19")
    # the library publishes month M weeks later: taken as known at the end of M+1, so on 2024-07-19 the
    # latest known day is 2024-05-31 (June is known on 2024-07-31)
    last21 = smb.loc[:"2024-05-31"].iloc[-21:]
    expected = float(np.prod(1 + last21 / 100) - 1)
    snap = monitor.panel.snapshot(day.date())
    assert snap.factors["smb_1m"] == pytest.approx(expected, abs=2e-6)


def test_real_episodes_read_from_the_data(monitor: Monitor) -> None:
    # 2020-03-23, the COVID low: HY OAS up 6.5 pp in 4 weeks, 2 % of small caps above their 50-day average
    covid = monitor.at(date(2020, 3, 23))
    killers = {k.key: k.triggered for k in covid.regime.killers}
    assert killers["credit_widening"] is True and killers["cyclical_downdraft"] is True
    assert covid.regime.ladder.reached == 0
    assert (
        covid.snapshot.breadth[0].pct_above_50 is not None and covid.snapshot.breadth[0].pct_above_50 < 0.05
    )
    # 2023-03-17, the regional-bank failures: KRE collapsed vs SPY and spreads widened
    svb = monitor.at(date(2023, 3, 17))
    assert svb.snapshot.pair("KRE/SPY").returns["1m"] < -0.15
    assert {k.key for k in svb.regime.killers if k.triggered} >= {"cyclical_downdraft", "credit_widening"}
    # 2016-11-18, after the election: small caps surged (+5.9 % vs SPY in a month) while the 10-year jumped
    election = monitor.at(date(2016, 11, 18))
    assert election.regime.ladder.levels[0].passed
    assert {k.key for k in election.regime.killers if k.triggered} == {"yield_spike"}
    # 2024-07-19: the July 2024 rotation, broad (73 % of members above their 50-day average) with calm credit
    july = monitor.at(date(2024, 7, 19))
    assert july.regime.ladder.reached >= 3
    assert not any(k.triggered for k in july.regime.killers)
    # the widely reported Zweig breadth thrust of early November 2023 shows up in small-cap breadth too
    assert july.snapshot.breadth[0].last_thrust == date(2023, 11, 3)


def test_ladder_reached_is_the_first_unbroken_run(monitor: Monitor) -> None:
    for day in ("2003-06-13", "2008-10-10", "2020-11-13", "2026-06-30"):
        ladder = monitor.at(date.fromisoformat(day)).regime.ladder
        passed = [lvl.passed for lvl in ladder.levels]
        expected = next((i for i, p in enumerate(passed) if not p), 5)
        assert ladder.reached == expected
        for lvl in ladder.levels:
            assert lvl.passed == all(e.passed is True for e in lvl.evidence)
            assert all(e.as_of == ladder.as_of and e.source.startswith("bundled: ") for e in lvl.evidence)
        real = any(e.name.startswith("Share of R2000 members beating") for e in ladder.levels[3].evidence)
        assert real == (day == "2020-11-13")  # earnings surprises are stored for 2018-2021 only
        assert real or (ladder.levels[3].proxy and "PROXY" in ladder.levels[3].proxy)


def test_every_output_carries_survivorship_caveat(monitor: Monitor) -> None:
    result = monitor.at(date(2012, 6, 1))
    assert all("Survivorship" in b.caveat for b in result.snapshot.breadth)
    assert any("Survivorship" in c for c in result.snapshot.caveats)


def test_thresholds_file_changes_the_verdict_and_bad_files_are_refused(
    monitor: Monitor, tmp_path: Path
) -> None:
    text = default_path().read_text()
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace("min_rel_1m = 0.01", "min_rel_1m = 0.50"))
    result = monitor.at(date(2024, 7, 19))
    assert result.regime.ladder.levels[0].passed
    assert not evaluate(result.snapshot, load_thresholds(strict)).ladder.levels[0].passed
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("min_rel_1m = 0.01", "min_rel_1m = 'a lot'"))
    with pytest.raises(ConfigError, match="min_rel_1m"):
        load_thresholds(broken)
    partial = tmp_path / "partial.toml"  # a user file names only what it changes: the rest is the default
    partial.write_text("\n".join(line for line in text.splitlines() if not line.startswith("min_rel_1m")))
    assert load_thresholds(partial) == load_thresholds()
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[ladder.relative_strength]\nmin_rel_one_month = 0.5\n")
    with pytest.raises(ConfigError, match="min_rel_one_month"):
        load_thresholds(unknown)


def test_snapshot_json_is_deterministic(monitor: Monitor) -> None:
    a = monitor.at(date(2019, 5, 31)).to_json()
    b = monitor.at(date(2019, 5, 31)).to_json()
    assert a == b and "NaN" not in a


def test_weekend_as_of_resolves_to_friday(monitor: Monitor) -> None:
    friday = date(2024, 7, 19)
    assert monitor.at(friday + timedelta(days=2)).as_of == friday
