"""SEC EDGAR company facts (a recorded companyfacts reply) write the same fund_annual table, point in time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from rotascope.config import Settings, load_settings
from rotascope.fundamentals import load_fundamentals
from rotascope.fundamentals.store import annual_from_sec, upsert_sec_annual
from rotascope.providers.sec import parse_company_facts
from rotascope.store.db import open_store
from storecopy import private_home

RECORDING = Path(__file__).resolve().parents[1] / "providers/recordings/sec/CIK0000320193.json"


def test_sec_facts_become_annual_rows_known_at_their_first_filing(
    loaded_settings: Settings, tmp_path: Path
) -> None:
    facts = parse_company_facts(RECORDING.read_bytes(), "AAPL", 320193).facts
    rows = annual_from_sec(facts)
    assert not rows.empty and (rows["known_at"] > rows["period_end"]).all()
    one = rows.iloc[-1]
    f = facts[(facts.form.str.startswith("10-K")) & (facts.fiscal_period == "FY")]
    f = f[pd.to_datetime(f.period_end).dt.date == one.period_end]
    rev = f[f.metric == "revenue"].sort_values("filed").iloc[0]
    op = f[f.metric == "operating_income"].sort_values("filed").iloc[0]
    assert one.ebit_sales == pytest.approx(op.value / rev.value)
    assert one.known_at == max(rev.filed, op.filed).date()

    private_home(loaded_settings, tmp_path)
    store = open_store(load_settings({"home": str(tmp_path)}, env={}), write=True)
    try:
        assert upsert_sec_annual(store.conn, facts) == len(rows)
        assert upsert_sec_annual(store.conn, facts) == 0  # idempotent
        seen = load_fundamentals(store, one.known_at).annual
        before = load_fundamentals(store, date.fromordinal(one.known_at.toordinal() - 1)).annual
    finally:
        store.close()
    got = seen[seen.symbol == "AAPL"].iloc[0]
    assert got.period_end == one.period_end and got.source == "sec"
    assert not ((before.symbol == "AAPL") & (before.period_end == one.period_end)).any()
