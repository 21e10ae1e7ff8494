"""Names outside the index: a stock that is not a Russell 2000 member at the as-of (point in time where a
dated list was known, else today's members) is debated against SPY and labelled so, never as a small cap;
members stay against IWM and regime ETFs against SPY."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from rotascope.analysis.index_member import R2000, SP500, membership
from rotascope.analysis.service import Analyst
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.store.db import Store

DAY = date(2024, 7, 19)


def listed_at(store: Store, universe: str, symbol: str, day: date) -> bool | None:
    """Independent of the monitor: the latest stored list known by ``day`` (None before the first); only
    members with stored prices count (one without cannot be debated)."""
    lists = store.membership(universe)
    known = lists[pd.to_datetime(lists.known_at) <= pd.Timestamp(day)]
    if known.empty:
        return None
    latest = known[known.date == known.date.max()]
    return symbol in set(latest.symbol[latest.priced.astype(bool)])


@pytest.mark.parametrize("day", [DAY, date(2022, 3, 4), date(2025, 11, 28)])
def test_membership_is_the_list_in_force(store: Store, monitor: Monitor, day: date) -> None:
    for symbol in ("AAPL", "BE", "CALM", "SAIA", "MSTR", "KRT"):
        for universe in (R2000, SP500):
            got = membership(monitor.panel, universe, symbol, day)
            expected = listed_at(store, universe, symbol, day)
            assert expected is not None  # these dates all have a dated list of both indexes
            assert got.member == expected, (symbol, universe, day)
            assert got.basis.startswith(f"the {universe} list of ")


def test_before_the_first_list_today_s_members_decide(store: Store, monitor: Monitor) -> None:
    day = date(2019, 5, 3)
    assert listed_at(store, R2000, "BE", day) is None
    today = set(store.member_symbols(R2000))
    for symbol in ("AAPL", "BE", "SAIA"):
        got = membership(monitor.panel, R2000, symbol, day)
        assert got.member == (symbol in today) and got.basis.startswith("today's members")


def test_a_stock_outside_the_index_is_debated_against_spy_and_said_so(
    store: Store, loaded_settings: Settings, monitor: Monitor
) -> None:
    analyst = Analyst(store, loaded_settings, monitor)
    aapl = analyst.single("AAPL", analyst.session(DAY))
    assert aapl.kind == "stock" and aapl.subject == "AAPL"
    assert aapl.decision.rationale[0] == (
        "AAPL is not a Russell 2000 member at 2024-07-19 (the R2000 list of 2024-06-30): debated against "
        "SPY, as a large cap."
    )
    assert aapl.decision.base_rates is not None and "AAPL vs SPY" in aapl.decision.base_rates.note
    texts = [c.text for o in aapl.opinions for c in o.claims] + [s.summary for s in aapl.decision.scenarios]
    assert any("AAPL is beating SPY over 3 months" in t for t in texts)
    assert not any("IWM" in t for t in texts)
    assert "SPY re-takes the lead" in aapl.decision.scenarios[2].summary
    member = analyst.single(
        "BE", analyst.session(DAY)
    )  # on the list: the cross-section's call (vs the median member), no label
    cal = member.decision.calibration
    assert cal is not None and "median Russell 2000 member" in cal.outcomes[0]
    assert not member.decision.rationale[0].startswith("BE is not")
    kre = analyst.single(
        "KRE", analyst.session(DAY)
    )  # regime ETFs stay against SPY, and are not called one stock
    assert kre.kind == "regime" and "KRE vs SPY" in (kre.decision.base_rates or aapl.decision.base_rates).note
    assert "one stock" not in json.dumps(kre.model_dump(mode="json"))
