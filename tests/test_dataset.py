"""The embedded real dataset: integrity, coverage, reproducibility and glitch cleaning."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from parquetsame import assert_same_parquet
from rotascope.config import load_settings
from rotascope.errors import DatasetError
from rotascope.providers import bundled
from rotascope.providers.base import DataBatch
from rotascope.providers.quality import clean_bars, clean_panel, glitch_mask
from rotascope.store.db import Store, open_store

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_is_compact_and_matches_its_manifest() -> None:
    folder = bundled.dataset_dir()
    files = bundled.manifest()["files"]
    assert isinstance(files, dict)
    total = 0
    for name, meta in files.items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        total += len(data)
    assert total < 60e6


def test_store_row_counts_and_ranges(store: Store) -> None:
    ranges = bundled.manifest()["ranges"]
    assert isinstance(ranges, dict)
    counts = dict(
        store.conn.execute(
            "SELECT symbol, count(*) FROM bars WHERE symbol IN ('SPY','IWM','RSP','VIX') GROUP BY symbol"
        ).fetchall()
    )
    # every raw bar except the cleaned glitches is stored
    assert counts["SPY"] == ranges["etf_bars"]["SPY"][2]
    assert counts["IWM"] == ranges["etf_bars"]["IWM"][2] == 6562
    first, last = store.span("IWM")
    assert str(first) == "2000-05-26" and str(last) == "2026-07-01"
    first, last = store.span("hy_oas")
    assert str(first) == "1996-12-31" and str(last) == "2026-06-30"
    members = store.conn.execute(
        "SELECT count(DISTINCT symbol), min(date), max(date) FROM bars b JOIN instruments i "
        "USING (symbol) WHERE i.kind = 'stock'"
    ).fetchall()[0]
    assert members[0] == 2598
    assert str(members[1]) == "2000-01-03" and str(members[2]) == "2026-07-31"
    raw_cells = ranges["members_close"][3]
    stored = store.conn.execute(
        "SELECT count(*) FROM bars b JOIN instruments i USING (symbol) WHERE i.kind = 'stock'"
    ).fetchall()[0][0]
    cleaned = store.conn.execute(
        "SELECT count(*) FROM quality_flags WHERE field = 'close' AND symbol IN "
        "(SELECT symbol FROM instruments WHERE kind = 'stock')"
    ).fetchall()
    assert stored == raw_cells - cleaned[0][0]
    assert len(store.member_symbols("R2000")) > 1700


def test_no_duplicate_symbol_dates(store: Store) -> None:
    dup_bars = store.conn.execute(
        "SELECT count(*) FROM (SELECT symbol, date FROM bars GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0][0]
    dup_series = store.conn.execute(
        "SELECT count(*) FROM (SELECT series_id, date FROM series GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0][0]
    assert dup_bars == 0 and dup_series == 0


def test_series_known_at_is_never_before_the_observation(store: Store) -> None:
    bad = store.conn.execute("SELECT count(*) FROM series WHERE known_at < date").fetchall()[0][0]
    assert bad == 0
    # NFCI for the week ending Friday 2020-03-20 was public only the next Wednesday
    nfci = store.series(
        "nfci", start=pd.Timestamp("2020-03-01").date(), known_by=pd.Timestamp("2020-03-24").date()
    )
    assert str(nfci.date.iloc[-1].date()) == "2020-03-13"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_build_script_reproduces_the_embedded_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/build_dataset.py"),
            "--shared",
            str(SHARED),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    files = bundled.manifest()["files"]
    assert isinstance(files, dict)
    for name in files:
        assert_same_parquet(tmp_path / name, bundled.dataset_dir() / name)


def test_real_glitches_are_cleaned_and_reported(store: Store) -> None:
    flags = store.conn.execute(
        "SELECT symbol, CAST(date AS VARCHAR), field, original, reason FROM quality_flags"
    ).df()
    flags.columns = ["symbol", "date", "field", "original", "reason"]

    def flagged(symbol: str, day: str, field: str = "close") -> pd.DataFrame:
        return flags[(flags.symbol == symbol) & (flags.date == day) & (flags.field == field)]

    # HURA printed 7,140 for one day in May 2019 between closes near 2 (a Yahoo glitch)
    hura = flagged("HURA", "2019-05-31")
    assert len(hura) == 1 and hura.original.iloc[0] == pytest.approx(7140.0)
    assert "spike" in hura.reason.iloc[0]
    assert (
        store.conn.execute("SELECT count(*) FROM bars WHERE symbol='HURA' AND date='2019-05-31'").fetchall()[
            0
        ][0]
        == 0
    )
    # VIX's last row has zero open/high/low: those fields become missing, the close is kept
    for field in ("open", "high", "low"):
        assert len(flagged("VIX", "2026-07-01", field)) == 1
    vix = store.bars("VIX", start=pd.Timestamp("2026-07-01").date())
    assert np.isnan(vix.open.iloc[0]) and vix.close.iloc[0] > 0
    # non-positive prices (VHI starts with negative adjusted closes) never reach the store
    assert len(flagged("VHI", "2000-01-03")) == 1
    assert store.conn.execute("SELECT count(*) FROM bars WHERE close <= 0").fetchall()[0][0] == 0


def test_glitch_rule_keeps_real_moves() -> None:
    # a doubling that holds is a real move; a doubling undone the next day is a glitch
    x = np.array([[10.0, 10.0], [25.0, 25.0], [26.0, 10.5], [27.0, 10.4]])
    mask = glitch_mask(x, spike_up=1.0, spike_down=0.5, reversal=0.25)
    assert mask.tolist() == [[False, False], [False, True], [False, False], [False, False]]
    # the newest bar cannot be judged (no next day): never flagged
    assert not glitch_mask(np.array([10.0, 10.0, 30.0]), 1.0, 0.5, 0.25).any()


def test_clean_bars_does_not_compare_across_symbols() -> None:
    bars = pd.DataFrame(
        {
            "symbol": ["A", "A", "B", "B"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-02"] * 2),
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": [10.0, 10.0, 100.0, 100.0],
            "volume": 1,
        }
    )
    cleaned, flags = clean_bars(bars, "t", 1.0, 0.5, 0.25)
    assert len(cleaned) == 4 and flags == []


def test_corrupt_embedded_file_is_refused(tmp_path: Path) -> None:
    folder = bundled.dataset_dir()
    for p in folder.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    data = bytearray((tmp_path / "series.parquet").read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / "series.parquet").write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="checksum"):
        bundled.load(load_settings(env={}), folder=tmp_path)


def test_streamed_member_bars_equal_a_whole_panel_clean(store: Store) -> None:
    """`init` unpivots the member file inside DuckDB a block of columns at a time; what it stores equals the
    whole panel read by pandas and cleaned at once (every close, no extra row), with the same flags."""
    settings = load_settings(env={})
    panel = pd.read_parquet(bundled.dataset_dir() / "members_close.parquet")
    rules = (settings.spike_up, settings.spike_down, settings.spike_reversal)
    cleaned, flags = clean_panel(panel, bundled.SOURCE, *rules)
    expected = cleaned.to_numpy(dtype=np.float64)
    symbols = [str(c) for c in panel.columns]
    got = store.conn.execute(
        "SELECT symbol, date, close, open, high, low, volume FROM bars WHERE list_contains(?, symbol)",
        [symbols],
    ).fetchnumpy()
    col = pd.Index(symbols).get_indexer(got["symbol"])
    row = pd.Index(panel.index.to_numpy().astype("datetime64[D]")).get_indexer(
        np.asarray(got["date"]).astype("datetime64[D]")
    )
    assert (col >= 0).all() and (row >= 0).all()
    assert len(got["close"]) == np.isfinite(expected).sum()  # nothing missing or duplicated
    stored = np.full(expected.shape, np.nan)
    stored[row, col] = np.asarray(got["close"], dtype=np.float64)
    assert np.array_equal(stored, expected, equal_nan=True)
    for field in ("open", "high", "low", "volume"):
        assert np.ma.getmaskarray(np.ma.asarray(got[field])).all()  # close-only bars: NULL, never 0
    rows = store.conn.execute(
        "SELECT symbol, CAST(date AS VARCHAR), original, reason FROM quality_flags "
        "WHERE field = 'close' AND action = 'set to missing'"
    ).fetchall()
    assert rows == [(f.symbol, f.date, f.original, f.reason) for f in flags]


def test_member_file_checked_in_blocks_flags_like_a_whole_panel(tmp_path: Path) -> None:
    """Blocks of two columns find the same glitches, in the same order, as one whole-panel clean."""
    dates = pd.date_range("2020-01-01", periods=6, name="date")
    panel = pd.DataFrame(
        {
            "A": [10.0, 10.0, 40.0, 10.1, 10.2, 10.3],  # a spike that reverses
            "B": [5.0, -1.0, 5.0, 5.1, np.nan, 5.2],  # a non-positive price, a missing day
            "C": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
            "D": [np.nan] * 6,
            "E": [2.0, 2.0, 9.0, 2.0, 2.0, 2.0],
        },
        index=dates,
    ).astype(np.float32)
    path = tmp_path / "wide.parquet"
    panel.to_parquet(path)
    wide, flags = bundled.read_members(path, "t", (1.0, 0.5, 0.25), width=2)
    cleaned, whole = clean_panel(panel, "t", 1.0, 0.5, 0.25)
    assert flags == whole and len(flags) == 4
    assert wide.rows == int(np.isfinite(cleaned.to_numpy()).sum())
    assert wide.symbols == ("A", "B", "C", "D", "E") and wide.date_column == "date"
    assert sorted(zip(wide.dropped.symbol, wide.dropped.date.astype(str), strict=True)) == [
        ("A", "2020-01-03"),
        ("B", "2020-01-02"),
        ("C", "2020-01-06"),
        ("E", "2020-01-03"),
    ]


def test_a_wide_file_that_gives_other_counts_loads_nothing(tmp_path: Path) -> None:
    """The store checks the unpivoted count against the cleaning pass; a mismatch rolls the load back."""
    panel = pd.DataFrame(
        {"A": [1.0, 2.0, np.nan], "B": [3.0, 3.5, 4.0]},
        index=pd.date_range("2020-01-01", periods=3, name="date"),
    ).astype(np.float32)
    panel.to_parquet(tmp_path / "wide.parquet")
    wide, _flags = bundled.read_members(tmp_path / "wide.parquet", "t", (1.0, 0.5, 0.25))
    assert wide.rows == 5

    def batch(rows: int) -> DataBatch:
        return DataBatch(
            "t",
            [dataclasses.replace(wide, rows=rows)],
            pd.DataFrame({k: [] for k in ("series_id", "date", "value", "known_at")}),
            pd.DataFrame(
                {"symbol": ["A", "B"], "name": "", "kind": "stock", "sector": "", "universes": [[], []]}
            ).assign(weight_r2000=np.nan),
            pd.DataFrame({k: [] for k in ("series_id", "name", "unit", "frequency", "origin")}),
            f"fp{rows}",
        )

    settings = load_settings({"home": str(tmp_path / "home")}, env={})
    with open_store(settings, write=True) as store:
        with pytest.raises(DatasetError, match="gave 5 bars where 6 were expected"):
            store.load(batch(6))
        assert store.conn.execute("SELECT count(*) FROM bars").fetchall()[0][0] == 0
        assert store.load(batch(5)).bars == 5
        got = store.conn.execute(
            "SELECT symbol, CAST(date AS VARCHAR), close FROM bars ORDER BY 1, 2"
        ).fetchall()
        assert got == [
            ("A", "2020-01-01", 1.0),
            ("A", "2020-01-02", 2.0),
            ("B", "2020-01-01", 3.0),
            ("B", "2020-01-02", 3.5),
            ("B", "2020-01-03", 4.0),
        ]
