"""Issue #16 parts 2-4 on the real store: profitability dispersion and the valuation panel recomputed by hand,
"not available" (None, never 0) without earnings inputs, and the lenses in the scenarios and the debate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.agents.base import AgentContext
from rotascope.agents.debate import run_debate
from rotascope.agents.decision import lens_requirements
from rotascope.agents.fundamental_lenses import lens_claims, lenses
from rotascope.agents.run import universe_analysis
from rotascope.config import Settings, load_settings
from rotascope.fundamentals import load_fundamentals
from rotascope.fundamentals.lenses import NOT_AVAILABLE_EP
from rotascope.monitor.run import Monitor
from rotascope.records import Evidence, Opinion
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store, open_store
from rotascope.store.live import ensure_live_schema
from storecopy import private_home

AS_OF = date(2015, 6, 30)


def _closes(monitor: Monitor, day: date) -> tuple[pd.Series, pd.Series]:
    data = monitor.panel.data
    t = monitor.panel.row(day)
    return (
        pd.Series(data.members.values[t], index=list(data.members.symbols)),
        pd.Series(data.sp500.values[t], index=list(data.sp500.symbols)),
    )


def test_profitability_dispersion_by_hand_2015(monitor: Monitor, store: Store) -> None:
    fund = load_fundamentals(store, AS_OF)
    ctx = AgentContext(monitor.at(AS_OF), monitor.panel, fund)
    disp, _ = lenses(ctx, fund)
    small, _ = _closes(monitor, AS_OF)
    priced = small.dropna().index
    ann = fund.annual[fund.annual.symbol.isin(priced)].dropna(subset=["ebit_sales"])
    m = ann.ebit_sales.astype(float)
    assert (disp.members, disp.covered) == (len(priced), len(ann))
    assert disp.fiscal_years == [2013, 2014]  # FY2014 known 2015-03-31; FY2015 not until 2016-03-30
    assert disp.known_to is not None and disp.known_to <= AS_OF
    assert disp.median == pytest.approx(m.median(), abs=1e-6)
    assert disp.p25 == pytest.approx(m.quantile(0.25), abs=1e-6)
    assert disp.iqr == pytest.approx(m.quantile(0.75) - m.quantile(0.25), abs=1e-6)
    assert disp.share_unprofitable == pytest.approx((m < 0).mean(), abs=1e-6)
    assert 0.3 < (disp.coverage or 0) < 1.0
    print(disp.to_json())


def test_dispersion_not_available_before_any_fiscal_year(monitor: Monitor, store: Store) -> None:
    day = date(2012, 6, 29)
    fund = load_fundamentals(store, day)
    disp, val = lenses(AgentContext(monitor.at(day), monitor.panel, fund), fund)
    assert disp.covered == 0 and disp.median is None and disp.share_unprofitable is None
    assert disp.note.startswith("not available")
    assert val.available is False


def test_valuation_without_earnings_says_not_available(monitor: Monitor, store: Store) -> None:
    fund = load_fundamentals(store, AS_OF)
    result = monitor.at(AS_OF)
    _, val = lenses(AgentContext(result, monitor.panel, fund), fund)
    assert not val.available and val.small.median is None and val.large.median is None
    assert val.small.note.startswith(NOT_AVAILABLE_EP)
    assert all(s.value is None and s.note.startswith("not available") for s in val.spreads)
    macro = result.snapshot.macro.values
    baa = next(f for f in val.financing if f.name == "Baa yield")
    hy = next(f for f in val.financing if f.name == "HY yield proxy")
    assert baa.value == pytest.approx(macro["baa_spread"] + macro["ust_10y"], abs=1e-5)  # type: ignore[operator]
    assert hy.value == pytest.approx(macro["hy_oas"] + macro["ust_10y"], abs=1e-5)  # type: ignore[operator]
    assert baa.percentile_5y is not None and 0 <= baa.percentile_5y <= 1
    claims, notes = lens_claims(AgentContext(result, monitor.panel, fund), fund, None)
    valuation = next(c for c in claims if c.id == "fundamentals.valuation")
    assert valuation.direction == "neutral" and valuation.evidence[0].value is None
    assert NOT_AVAILABLE_EP in valuation.evidence[0].note
    assert any("Financing: Baa yield" in n for n in notes)


def _sec_rows(symbols: list[str], start: int) -> list[dict[str, object]]:
    """FY2023 10-K facts filed 2024-03-01: odd i files diluted EPS (i / 10), even i files net income (i * 1e6)
    and shares outstanding (1e6 * 10)."""
    rows = []
    for i, sym in enumerate(symbols, start=start):
        values = (
            {"eps_diluted": (i / 10, "USD/shares")}
            if i % 2
            else {"net_income": (i * 1e6, "USD"), "shares_outstanding": (1e7, "shares")}
        )
        for metric, (value, unit) in values.items():
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
                    "value": value,
                    "unit": unit,
                    "filed": date(2024, 3, 1),
                    "concept": metric,
                    "accession": f"acc-{i}",
                    "source": "live",
                    "fetched_at": pd.Timestamp("2024-08-01"),
                }
            )
    return rows


def test_valuation_panel_by_hand_with_sec_facts(
    monitor: Monitor, loaded_settings: Settings, tmp_path: Path
) -> None:
    day = date(2024, 7, 19)
    small, large = _closes(monitor, day)
    small_syms = list(small.dropna().index[:40])
    large_syms = [s for s in large.dropna().index if s not in small_syms][:40]
    private_home(loaded_settings, tmp_path)
    settings = load_settings({"home": str(tmp_path)}, env={})
    db = open_store(settings, write=True)
    try:
        ensure_live_schema(db)
        db.conn.register("f", pd.DataFrame(_sec_rows(small_syms, 1) + _sec_rows(large_syms, 101)))
        db.conn.execute("INSERT INTO fundamentals SELECT * FROM f")
        fund = load_fundamentals(db, day)
    finally:
        db.close()
    result = monitor.at(day)
    _, val = lenses(AgentContext(result, monitor.panel, fund), fund)
    eps = pd.Series({s: (i / 10 if i % 2 else i * 1e6 / 1e7) for i, s in enumerate(small_syms, start=1)})
    ep = eps / small[small_syms]
    assert val.available and val.small.covered == 40
    assert val.small.median == pytest.approx(float(np.median(ep)) * 100, abs=1e-5)
    even = [s for i, s in enumerate(small_syms, start=1) if i % 2 == 0]
    ni = pd.Series({s: i * 1e6 for i, s in enumerate(small_syms, start=1) if i % 2 == 0})
    assert val.small.aggregate is None  # only 20 members file net income and shares (< 30)
    assert ni.sum() > 0 and len(even) == 20
    macro = result.snapshot.macro.values
    baa = macro["baa_spread"] + macro["ust_10y"]  # type: ignore[operator]
    spread = next(s for s in val.spreads if s.name == "small-cap median E/P minus Baa yield")
    assert spread.value == pytest.approx(float(np.median(ep)) * 100 - baa, abs=1e-3)
    assert val.large.covered == 40 and val.large.median is not None
    claims, _ = lens_claims(AgentContext(result, monitor.panel, fund), fund, None)
    valuation = next(c for c in claims if c.id == "fundamentals.valuation")
    assert valuation.direction == ("bullish" if spread.value >= 0 else "bearish")  # type: ignore[operator]


def test_junk_led_rally_with_tightening_is_challenged(monitor: Monitor, store: Store) -> None:
    fund = load_fundamentals(store, AS_OF)
    result = monitor.at(AS_OF)
    claims, _ = lens_claims(AgentContext(result, monitor.panel, fund), fund, -0.06)
    junk = next(c for c in claims if c.id == "fundamentals.junk_financing")
    hy = junk.evidence[2].value
    market = junk.evidence[1].value
    assert hy is not None and market is not None
    expected = "bearish" if hy > 0 and market > 0 else "bullish"
    assert junk.direction == expected and junk.topic == "quality"
    # not junk-led: the claim is not made
    assert not any(
        c.id == "fundamentals.junk_financing"
        for c in lens_claims(AgentContext(result, monitor.panel, fund), fund, 0.01)[0]
    )
    # the debate: a bearish junk-financing claim challenges a bullish leadership claim
    bearish = junk.model_copy(update={"direction": "bearish", "strength": 0.8})
    lead = next(
        c
        for o in universe_analysis(monitor, monitor.at(AS_OF), "t").opinions
        for c in o.claims
        if c.topic == "leadership" and o.agent == "internals"
    )
    bullish = lead.model_copy(update={"direction": "bullish", "weight": 0.9, "strength": 0.5})
    ops = [
        Opinion(
            agent="internals",
            lens="x",
            as_of=AS_OF,
            stance="bullish",
            score=0.5,
            confidence=0.6,
            claims=[bullish],
            risks=[],
        ),
        Opinion(
            agent="fundamentals",
            lens="y",
            as_of=AS_OF,
            stance="bearish",
            score=-0.5,
            confidence=0.6,
            claims=[bearish],
            risks=[],
        ),
    ]
    debate = run_debate(ops, load_thresholds().agents.debate)
    first = debate.rounds[0].challenges
    assert any(ch.counter_claim_id == bearish.id and ch.claim_id == bullish.id for ch in first)
    bull, bear = lens_requirements([bearish])  # junk-led into tightening now: the words say so
    assert bear[0].startswith("the junk-led rally into tightening financing goes on — now")
    assert bull[0].startswith("the junk-led rally into tightening financing ends — now")


def test_analysis_scenarios_quote_the_lenses(monitor: Monitor, store: Store) -> None:
    fund = load_fundamentals(store, AS_OF)
    a = universe_analysis(monitor, monitor.at(AS_OF), "t", fundamentals=fund)
    fundamentals = next(o for o in a.opinions if o.agent == "fundamentals")
    disp = next(c for c in fundamentals.claims if c.id == "fundamentals.profitability_dispersion")
    e: Evidence = disp.evidence[0]
    assert e.value is not None and e.threshold == 0.4
    bull = next(s for s in a.decision.scenarios if s.name == "bull")
    line = next(r for r in bull.requires if "EBIT margin < 0" in r)
    assert f"{e.value * 100:.2f} %" in line  # a share: unsigned percent
    # the replay path (no fundamentals handed in) makes no fundamental-lens claims
    replay = universe_analysis(monitor, monitor.at(AS_OF), "t")
    ids = {c.id for o in replay.opinions for c in o.claims}
    assert not ids & {"fundamentals.profitability_dispersion", "fundamentals.valuation"}


def test_scenarios_quote_the_quality_spread_the_agent_quotes(monitor: Monitor, store: Store) -> None:
    """With SEC facts but no screen-score spread (2024-07-19), the junk-financing lens reads the same price-
    proxy spread the quality claim quotes: no scenario says "no data" for a number an agent quotes."""
    day = date(2024, 7, 19)
    a = universe_analysis(monitor, monitor.at(day), "t", fundamentals=load_fundamentals(store, day))
    claims = {c.id: c for o in a.opinions for c in o.claims}
    spread = claims["fundamentals.quality_led"].evidence[0]
    assert spread.value is not None and spread.name in claims["fundamentals.quality_led"].text
    texts = [r for s in a.decision.scenarios for r in s.requires]
    assert not any(f"{spread.name}: no data" in t for t in texts)
    junk = claims.get("fundamentals.junk_financing")
    assert junk is None or junk.evidence[0].value == spread.value
