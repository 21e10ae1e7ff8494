"""The size prior (issue #11): the Fama-French size factor's pre-IWM weeks labelled with the IWM/SPY rule.

Checked against an independent pandas computation from the French library CSV in ../shared/data, and for
what it may and may not change: only the bull/bear split of the base rates, and never with a label that
ends after 1999.
"""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from datapaths import SHARED
from parquetsame import assert_same_parquet
from rotascope.backtest.calendar import last_per_week
from rotascope.calibration.outcomes import BASE, BEAR, BULL, Labels, climatology
from rotascope.calibration.prior import HISTORY, size_prior

CSV = SHARED / "factors" / "F-F_Research_Data_Factors_daily.csv"
needs_csv = pytest.mark.skipif(not CSV.exists(), reason="../shared/data not present")


def _french(last: str = "1999-12-31") -> pd.DataFrame:
    lines = CSV.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date,"))
    rows = [r.split(",") for r in lines[start + 1 :] if r[:1].isdigit()]
    frame = pd.DataFrame(rows, columns=[c.strip() for c in lines[start].split(",")])
    frame.index = pd.to_datetime(frame.pop("Date").str.strip())
    cents = frame.apply(lambda col: (col.astype(float) * 100).round().astype(int))
    return cents.loc[:last]


def _independent_counts(h: int, k: float, window: int) -> tuple[int, int, int]:
    """Bear, base, bull over the pre-2000 weeks, written with pandas only (no rotascope code)."""
    f = _french()
    mkt = (f["Mkt-RF"] + f["RF"]) / 10_000
    small = (1 + mkt + f["SMB"] / 10_000).cumprod()
    market = (1 + mkt).cumprod()
    vol = np.log(small / market).diff().rolling(window).std(ddof=1) * np.sqrt(252)
    weekly = pd.DataFrame({"s": small, "b": market, "vol": vol}).groupby(f.index.to_period("W-SUN")).last()
    rel = (weekly.s.shift(-h) / weekly.s - 1) - (weekly.b.shift(-h) / weekly.b - 1)
    band = k * weekly.vol * np.sqrt(h / 52)
    ok = rel.notna() & band.notna()
    r, b = rel[ok], band[ok]
    return int((r < -b).sum()), int(((r >= -b) & (r <= b)).sum()), int((r > b).sum())


@needs_csv
@pytest.mark.parametrize("h", [4, 13])
def test_counts_equal_an_independent_computation(h: int) -> None:
    p = size_prior(h, 0.5, 63)
    assert (p.bear, p.base, p.bull) == _independent_counts(h, 0.5, 63)
    assert p.weeks > 3_800


@needs_csv
def test_bundled_history_is_the_published_csv() -> None:
    f = _french()
    table = pq.read_table(HISTORY).to_pandas()
    assert table["date"].astype(str).tolist() == [d.strftime("%Y-%m-%d") for d in f.index]
    assert table["mkt"].tolist() == (f["Mkt-RF"] + f["RF"]).tolist()
    assert table["smb"].tolist() == f["SMB"].tolist()


@pytest.mark.parametrize("h", [4, 13])
def test_no_prior_label_ends_after_1999(h: int) -> None:
    p = size_prior(h, 0.5, 63)
    assert p.first == date(1926, 9, 18)  # 63 days of returns after 1926-07-01 for the first band (a Saturday)
    assert p.last + timedelta(weeks=h) <= date(1999, 12, 31)
    assert pq.read_table(HISTORY).column("date").to_pylist()[-1] == date(1999, 12, 31)


def test_the_prior_follows_the_band_rule() -> None:
    """A wider band puts more weeks inside it; the counts always cover the same weeks."""
    narrow, wide = size_prior(13, 0.5, 63), size_prior(13, 1.0, 63)
    assert wide.base > narrow.base and wide.weeks == narrow.weeks


def test_the_prior_weeks_run_monday_to_sunday_like_the_replay() -> None:
    """One week grouping: a pre-1952 Saturday session closes its week, as a Friday does later."""
    days = np.array(["1951-06-01", "1951-06-02", "1951-06-04", "1999-12-31", "2000-01-03"], "datetime64[D]")
    assert last_per_week(days).tolist() == [
        date(1951, 6, 2),
        date(1951, 6, 4),
        date(1999, 12, 31),
        date(2000, 1, 3),
    ]


def _labels(cls: list[float], h: int = 1) -> Labels:
    n = len(cls)
    asof = np.arange(n).astype("datetime64[D]")
    return Labels(asof, h, np.zeros(n), np.ones(n), np.asarray(cls, dtype=np.float64))


def test_climatology_with_a_prior_moves_only_the_bull_bear_split() -> None:
    lab = _labels([BULL, BULL, BASE, BEAR, BULL, BASE, np.nan])
    plain = climatology(lab)
    assert np.allclose(climatology(lab, (0, 0)), plain, rtol=1e-15, atol=0)
    got = climatology(lab, (30, 10))
    assert np.allclose(got.sum(axis=1), 1.0)
    assert np.array_equal(got[:, BASE], plain[:, BASE])
    # week 6 knows weeks 0-5: 1 bear, 2 base, 3 bull; out-of-band share (1 + 3 + 2) / (6 + 3)
    out = 1 - 3 / 9
    assert got[6, BEAR] == pytest.approx(out * (1 + 30 + 1) / (1 + 3 + 40 + 2))
    assert got[6, BULL] == pytest.approx(out * (3 + 10 + 1) / (1 + 3 + 40 + 2))


def test_build_script_is_deterministic(tmp_path: Path) -> None:
    if not CSV.exists():
        pytest.skip("../shared/data not present")
    script = Path(__file__).parents[2] / "scripts" / "build_size_history.py"  # not a module of the package
    spec = importlib.util.spec_from_file_location("build_size_history", script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(CSV, tmp_path / "a.parquet")
    assert_same_parquet(tmp_path / "a.parquet", HISTORY)
