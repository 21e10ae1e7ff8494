"""The bundled Benzinga headline sample: rebuilt byte-identically, loaded point in time, read by the agent."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from datapaths import SHARED
from parquetsame import assert_same_parquet
from rotascope.config import load_settings
from rotascope.monitor.data import _source_label
from rotascope.sentiment.sample import SAMPLE_SOURCE, headline_sample, load_headline_sample
from rotascope.store.db import open_store
from rotascope.store.live import load_headlines

CSV = SHARED / "news" / "benzinga_headlines_sample.csv"
ROOT = Path(__file__).resolve().parents[2]


def test_sample_rows_are_dated_scored_and_unique() -> None:
    frame = headline_sample()
    assert frame["id"].is_unique and len(frame) > 9_000
    assert frame["published"].min() >= pd.Timestamp("2009-01-01") and frame["known_at"].equals(
        frame["published"]
    )
    assert frame["tone"].between(-1, 1).all() and frame["tickers"].map(len).min() >= 1
    assert not frame["headline"].str.contains("\ufeff").any()


@pytest.mark.skipif(not CSV.exists(), reason="shared headline CSV not present")
def test_build_script_rebuilds_the_bundled_file(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_headline_sample", ROOT / "scripts" / "build_headline_sample.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "sample.parquet"
    rows, dropped = module.build(CSV, out)
    shipped = ROOT / "src" / "rotascope" / "sentiment" / "headlines_sample.parquet"
    assert_same_parquet(out, shipped)  # else: run scripts/build_headline_sample.py and commit the file
    raw = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    assert dropped == 4 and rows <= len(raw) - dropped  # two broken records span two lines each


def test_loaded_point_in_time_once_and_read_by_the_agent_window(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path)}, env={})
    store = open_store(settings, write=True)
    try:
        added = load_headline_sample(store)
        assert added == len(headline_sample(scored=False))
        assert load_headline_sample(store) == 0  # idempotent
        week = load_headlines(store, date(2020, 6, 1), date(2020, 6, 5))
        assert week and all(date(2020, 6, 1) <= h.known_at <= date(2020, 6, 5) for h in week)
        assert {h.source for h in week} == {SAMPLE_SOURCE}
        stored = store.conn.execute("SELECT count(*), count(tone) FROM news").fetchall()[0]
        assert stored == (added, added)
        # embedded data: recorded as a bundled load, never as 'live' (that label means an update wrote data)
        assert [s.split(":")[0] for s in store.fingerprint().split("+")] == ["bundled_headlines"]
        assert _source_label(store.fingerprint()) == "bundled"
    finally:
        store.close()
