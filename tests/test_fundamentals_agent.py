"""The fundamentals agent on stored SEC facts: point in time by filing date, medians checked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from rotascope.agents import universe_analysis
from rotascope.agents.fundamentals import company_health
from rotascope.config import Settings, load_settings
from rotascope.fundamentals import load_fundamentals as load_company_fundamentals
from rotascope.monitor.run import Monitor
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import open_store
from rotascope.store.live import ensure_live_schema, load_sec_facts
from storecopy import private_home

METRICS = ("revenue", "operating_income", "interest_expense", "operating_cash_flow")


def facts_frame(symbols: list[str]) -> pd.DataFrame:
    """FY2023 10-K facts filed 2024-03-01; company i has revenue 100, operating income i, interest 2."""
    rows = []
    for i, sym in enumerate(symbols):
        values = {
            "revenue": 100.0,
            "operating_income": float(i),
            "interest_expense": 2.0,
            "operating_cash_flow": float(i) - 10,
        }
        for metric in METRICS:
            rows.append(
                {
                    "symbol": sym,
                    "cik": 1000 + i,
                    "metric": metric,
                    "period_start": date(2023, 1, 1),
                    "period_end": date(2023, 12, 31),
                    "fiscal_year": 2023,
                    "fiscal_period": "FY",
                    "form": "10-K",
                    "value": values[metric],
                    "unit": "USD",
                    "filed": date(2024, 3, 1),
                    "concept": metric,
                    "accession": f"acc-{i}",
                    "source": "live",
                    "fetched_at": pd.Timestamp("2024-08-01"),
                }
            )
    # a restatement filed AFTER the as-of date must not leak back: operating income 1000 for the first name
    late = dict(rows[1], value=1000.0, filed=date(2024, 9, 1), accession="acc-late")
    return pd.DataFrame([*rows, late])


def test_point_in_time_facts_and_hand_checked_medians(
    monitor: Monitor, loaded_settings: Settings, tmp_path: Path
) -> None:
    private_home(loaded_settings, tmp_path)
    settings = load_settings({"home": str(tmp_path)}, env={})
    members = list(monitor.panel.data.members.symbols[:40])
    store = open_store(settings, write=True)
    try:
        ensure_live_schema(store)
        store.conn.register("f", facts_frame(members))
        store.conn.execute("INSERT INTO fundamentals SELECT * FROM f")
        facts = load_sec_facts(store, date(2024, 7, 19))
        early = load_sec_facts(store, date(2024, 2, 1))
        view = load_company_fundamentals(store, date(2024, 7, 19))
    finally:
        store.close()
    assert early.empty  # nothing was filed yet
    first = facts[(facts.symbol == members[0]) & (facts.metric == "operating_income")]
    assert first.value.iloc[0] == 0.0  # the 2024-09-01 restatement is invisible on 2024-07-19
    least = load_thresholds().agents.fundamentals.min_companies
    n, cover, zombies, ocf, margin = company_health(facts, set(members), least)  # type: ignore[misc]
    # cover_i = i / 2 for i = 0..39 → median (19 + 20) / 2 / 2 = 9.75; cover < 1 for i = 0, 1 → 2 / 40
    assert (n, cover, zombies) == (40, 9.75, 0.05)
    assert ocf == pytest.approx((19.5 - 10) / 100) and margin == pytest.approx(19.5 / 100)
    assert view.sec.equals(facts)
    a = universe_analysis(monitor, monitor.at(date(2024, 7, 19)), "t", fundamentals=view)
    fund = next(o for o in a.opinions if o.agent == "fundamentals")
    ids = {c.id for c in fund.claims}
    assert {"fundamentals.interest_cover", "fundamentals.zombies", "fundamentals.cash_flow"} <= ids
    assert "SEC EDGAR for 40 members" in fund.data_note
    assert company_health(facts, set(members[: least - 1]), least) is None  # too few companies: no claim
