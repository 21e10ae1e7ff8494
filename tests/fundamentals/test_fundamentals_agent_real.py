"""The fundamentals agent on the stored company data: real claims where data exists, no defensive bull."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.agents import universe_analysis
from rotascope.agents.base import BULLISH
from rotascope.agents.fundamentals import quality_text
from rotascope.agents.stock import stock_analysis
from rotascope.fundamentals import load_fundamentals
from rotascope.monitor.data import align
from rotascope.monitor.run import Monitor
from rotascope.records import Opinion
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store


def fundamentals_opinion(monitor: Monitor, store: Store, day: date) -> Opinion:
    a = universe_analysis(
        monitor, monitor.at(day), "t", full_risk=False, fundamentals=load_fundamentals(store, day)
    )
    return next(o for o in a.opinions if o.agent == "fundamentals")


def test_2008_crash_defensive_pattern_is_not_bullish(monitor: Monitor, store: Store) -> None:
    op = fundamentals_opinion(monitor, store, date(2008, 10, 10))
    assert op.stance != BULLISH
    q = next(c for c in op.claims if c.id == "fundamentals.quality_led")
    spread, market = (e.value for e in q.evidence)
    assert spread is not None and market is not None and spread > 0 > market  # calm names fell less
    assert q.direction == "bearish" and "price proxy" in q.text
    assert any(r.startswith("Defensive pattern (price proxy") for r in op.risks)
    assert "No company fundamentals are known" in op.data_note


def test_2015_claims_cite_annual_fundamentals_known_by_the_as_of(monitor: Monitor, store: Store) -> None:
    op = fundamentals_opinion(monitor, store, date(2015, 6, 30))
    ids = {c.id for c in op.claims}
    assert {"fundamentals.profitability", "fundamentals.balance_sheet", "fundamentals.accruals"} <= ids
    q = next(c for c in op.claims if c.id == "fundamentals.quality_led")
    assert "screen quality score" in q.text
    prof = next(c for c in op.claims if c.id == "fundamentals.profitability")
    assert "FY2013/FY2014" in prof.evidence[0].source and "known 2015-03-31" in op.data_note
    assert prof.evidence[0].name == "Median EBIT margin" and prof.evidence[0].value is not None


def test_2019_claims_use_earnings_surprises(monitor: Monitor, store: Store) -> None:
    op = fundamentals_opinion(monitor, store, date(2019, 6, 28))
    beats = next(c for c in op.claims if c.id == "fundamentals.beats")
    share = beats.evidence[0].value
    assert share is not None and 0.3 < share < 0.9
    assert beats.direction == ("bullish" if share >= 0.6 else "bearish")
    # the same measure as evidence-ladder level 4 on the same day
    level4 = next(lv for lv in monitor.at(date(2019, 6, 28)).regime.ladder.levels if lv.level == 4)
    assert level4.evidence[0].value == share


@pytest.mark.parametrize(
    ("spread", "market", "start"),
    [(0.05, -0.10, "Defensive pattern"), (-0.08, 0.10, "Junk-led"), (0.01, 0.05, "Higher-quality")],
)
def test_quality_text_follows_its_numbers(spread: float, market: float, start: str) -> None:
    falling = load_thresholds().agents.fundamentals.market_falling
    assert quality_text(spread, market, "x", falling).startswith(start)


def test_saia_debate_cites_a_company_fundamental(monitor: Monitor, store: Store) -> None:
    day = date(2015, 6, 30)
    close = align(store.close_panel(["SAIA"]), monitor.panel.calendar).column("SAIA")
    a = stock_analysis(
        monitor,
        "SAIA",
        close,
        "Industrials",
        monitor.at(day),
        "t",
        fundamentals=load_fundamentals(store, day),
    )
    op = next(o for o in a.opinions if o.agent == "fundamentals")
    prof = next(c for c in op.claims if c.id == "fundamentals.profitability")
    assert "SAIA's FY2014 EBIT margin" in prof.text
    e = prof.evidence[0]
    assert "known 2015-03-31" in e.source and e.name == "SAIA FY2014 EBIT margin"
    raw = pd.read_parquet(SHARED / "fundamentals/russell3000_annual_fy2013_2016.parquet")
    assert e.value == pytest.approx(raw[(raw.coid == "SAIA") & (raw.period == "FY2014")].ebit_sales.item())
    assert e.threshold is not None and e.passed == (e.value >= e.threshold)
