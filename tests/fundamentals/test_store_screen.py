"""Fundamentals store and screen on the real files: known values, point in time, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from parquetsame import assert_same_parquet
from rotascope.config import Settings, load_settings
from rotascope.errors import DataError, DatasetError
from rotascope.fundamentals.files import read_annual, read_surprises
from rotascope.fundamentals.screen import screen_at
from rotascope.fundamentals.store import coverage, embedded_dir, load_embedded, load_fundamentals
from rotascope.store.db import Store, open_store
from storecopy import private_home

FUND = SHARED / "fundamentals"


def test_saia_ebit_margin_and_when_it_became_known(store: Store) -> None:
    raw = pd.read_parquet(FUND / "russell3000_annual_fy2013_2016.parquet")
    want = raw[(raw.coid == "SAIA") & (raw.period == "FY2014")]["ebit_sales"].item()
    before = load_fundamentals(store, date(2015, 3, 30)).annual.set_index("symbol")
    after = load_fundamentals(store, date(2015, 3, 31)).annual.set_index("symbol")
    assert before.at["SAIA", "fiscal_year"] == 2013  # FY2014 not known until 90 days after 2014-12-31
    assert after.at["SAIA", "fiscal_year"] == 2014
    assert after.at["SAIA", "known_at"] == date(2015, 3, 31)
    assert after.at["SAIA", "ebit_sales"] == pytest.approx(want)
    assert 0.05 < want < 0.08


def test_one_surprise_is_known_the_business_day_after_its_report_date(store: Store) -> None:
    """Many companies report after the close: a surprise is public from the next business day's close."""
    raw = pd.read_csv(FUND / "earnings_surprises_2018_2021.csv")
    row = raw[raw.symbol == "A"].iloc[0]
    day = date.fromisoformat(row["date"])
    known = (pd.Timestamp(day) + pd.offsets.BDay(1)).date()
    seen = load_fundamentals(store, known).surprises
    got = seen[(seen.symbol == "A") & (seen.report_date == day)].iloc[0]
    assert got["known_at"] == known
    assert got["surprise"] == pytest.approx((row.eps_actual - row.eps_estimate) / abs(row.eps_estimate))
    assert bool(got["beat"]) == (row.eps_actual > row.eps_estimate)
    same_day = load_fundamentals(store, day).surprises  # the report day's close: not public yet
    assert not ((same_day.symbol == "A") & (same_day.report_date == day)).any()


def test_coverage_lists_each_table(store: Store) -> None:
    by_source = {(c.kind, c.source): c for c in coverage(store)}
    assert by_source[("annual", "bundled_simfin")].first_known >= date(2019, 1, 1)
    cov = {c.kind: c for c in coverage(store) if c.source == "bundled_fundamentals"}
    assert set(cov) == {"annual", "surprises", "estimates"}
    assert cov["annual"].tickers == 2289 and cov["annual"].rows == 8777
    assert cov["annual"].first_known == date(2014, 3, 31) and cov["annual"].last_known == date(2017, 3, 31)
    assert 600 <= cov["annual"].members <= cov["annual"].tickers
    assert cov["estimates"].first_known == date(2025, 11, 7)


def test_screen_2015_ranks_members_point_in_time(store: Store) -> None:
    as_of = date(2015, 6, 30)
    result = screen_at(store, as_of)
    assert result.scored >= 300
    assert result.scored + len(result.unscored) == result.members
    ranked = {r.symbol for r in result.rows}
    assert not ranked & {u.symbol for u in result.unscored}
    known = [r.fiscal_year_known_at for r in result.rows if r.fiscal_year_known_at]
    assert known and max(known) <= as_of
    assert {r.fiscal_year for r in result.rows} <= {2013, 2014, None}
    scores = [r.score for r in result.rows]
    assert scores == sorted(scores, key=lambda s: -(s or 0.0))
    assert all(r.quality is not None for r in result.rows)
    # the score is a function of the inputs: the best EBIT margins rank higher on average
    frame = pd.DataFrame([r.to_dict() for r in result.rows]).dropna(subset=["ebit_margin"])
    assert np.corrcoef(frame["rank"], frame["ebit_margin"].rank())[0, 1] < -0.2


def test_screen_without_any_fundamentals_ranks_on_momentum_and_says_so(store: Store) -> None:
    result = screen_at(store, date(2010, 6, 30))
    assert result.rows and all(r.quality is None and r.momentum == r.score for r in result.rows)
    assert result.scored + len(result.unscored) == result.members
    assert any("ranked on momentum alone" in n for n in result.notes)
    assert any(n.startswith("Not used: profitability") for n in result.notes)


def test_bad_input_is_one_sentence_or_a_row_flag(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,symbol,eps_actual,eps_estimate\n2019-01-02,CAF\xe9,1,1\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_surprises(latin)
    missing = tmp_path / "missing.csv"
    missing.write_text("date,symbol,eps_actual\n2019-01-02,A,1\n")
    with pytest.raises(DataError, match="lacks the column"):
        read_surprises(missing)
    with pytest.raises(DataError, match="Cannot read"):
        read_surprises(tmp_path / "nope.csv")
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(DataError, match="not a readable Parquet"):
        read_annual(junk)
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "date,symbol,eps_actual,eps_estimate\n\n2019-01-02,A,1.1,1.0\n\nbad-date,B,1,1\n2019-01-03,C,x,1\n"
    )
    frame, flags = read_surprises(rows)
    assert frame["symbol"].tolist() == ["A"]
    assert [(f.symbol, f.reason) for f in flags] == [
        ("B", "date is not YYYY-MM-DD"),
        ("C", "eps_actual is not a number"),
    ]


def test_screen_cli_formats(cli_env: dict[str, str]) -> None:
    run = [sys.executable, "-m", "rotascope", "screen", "--as-of", "2015-06-30", "--top", "5"]
    got = subprocess.run([*run, "-f", "json"], env=cli_env, capture_output=True, text=True, check=True)
    payload = json.loads(got.stdout)
    assert len(payload["rows"]) == 5 and payload["scored"] >= 300
    csv = subprocess.run([*run, "-f", "csv"], env=cli_env, capture_output=True, text=True, check=True)
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("rank,symbol") and len(lines) == 1 + 5 + len(payload["unscored"])
    bad = subprocess.run([*run, "-f", "xml"], env=cli_env, capture_output=True, text=True)
    assert bad.returncode != 0 and "table, json, csv" in bad.stderr


def test_embedded_fundamentals_rebuild_byte_identical(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [
            sys.executable,
            str(root / "scripts/build_fundamentals.py"),
            "--shared",
            str(SHARED),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    built = json.loads((tmp_path / "manifest.json").read_text())
    shipped = json.loads((root / "src/rotascope/data/fundamentals/manifest.json").read_text())
    assert sorted(built["files"]) == sorted(shipped["files"])
    for name in shipped["files"]:
        assert_same_parquet(tmp_path / name, root / "src/rotascope/data/fundamentals" / name)
    assert built["dropped_rows"] == shipped["dropped_rows"]
    assert shipped["dropped_rows"]["surprises"] == {"eps_estimate is not a number": 1}


def test_a_bad_embedded_file_changes_nothing_stored(loaded_settings: Settings, tmp_path: Path) -> None:
    home = private_home(loaded_settings, tmp_path / "home")
    folder = tmp_path / "fund"
    shutil.copytree(embedded_dir(), folder)
    frame = pd.read_parquet(folder / "surprises.parquet").drop(columns=["eps_estimate"])
    frame.to_parquet(folder / "surprises.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["surprises.parquet"]["sha256"] = hashlib.sha256(
        (folder / "surprises.parquet").read_bytes()
    ).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    store = open_store(load_settings({"home": str(home)}, env={}), write=True)
    try:
        before = {c.kind: c.rows for c in coverage(store)}
        with pytest.raises(DatasetError, match="lacks the column"):
            load_embedded(store, folder=folder, force=True)
        (folder / "annual.parquet").write_bytes(b"garbage")
        with pytest.raises(DatasetError, match="checksum"):
            load_embedded(store, folder=folder, force=True)
        assert {c.kind: c.rows for c in coverage(store)} == before
    finally:
        store.close()


def test_data_status_lists_the_fundamentals(cli_env: dict[str, str]) -> None:
    got = subprocess.run(
        [sys.executable, "-m", "rotascope", "data", "status", "-f", "json"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    )
    fund = {
        c["kind"]: c for c in json.loads(got.stdout)["fundamentals"] if c["source"] == "bundled_fundamentals"
    }
    assert fund["annual"]["rows"] == 8777 and fund["surprises"]["tickers"] == 2123
