"""Words match numbers: over the whole weekly replay, a claim's text is generated from its evidence.

* no claim id is ever worded the same way (numbers aside) for bullish and for bearish evidence;
* every number a text quotes equals its evidence value (parsed back from the text, to its printed
  precision), so a text can never contradict the number beside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest

from rotascope.agents.base import AgentContext
from rotascope.agents.run import opinions_for
from rotascope.backtest.replay import replay_dates
from rotascope.executor import parallel_map
from rotascope.measures import UNITS
from rotascope.monitor.run import Monitor
from rotascope.records import Claim

NUMBER = r"([+-]?\d+(?:\.\d+)?)( %| pp|(?:st|nd|rd|th) percentile)?"


def _claims(monitor: Monitor, day: date) -> list[Claim]:
    # the universe analysis's opinions (``universe_analysis(...).opinions``), also on IWM's first weeks,
    # which have no outcome band and so no analysis
    ops = opinions_for(AgentContext(monitor.at(day), monitor.panel, None, monitor.thresholds))
    return [c for o in ops for c in o.claims]


def _template(text: str) -> str:
    return re.sub(r"[+-]?\d+(?:\.\d+)?", "#", text)


def check_numbers(c: Claim) -> None:
    """Each evidence value quoted in the text, parsed back, equals the evidence value."""
    for e in c.evidence:
        if e.value is None:
            assert f"{e.name}: no data" in c.text, c.text
            continue
        m = re.search(re.escape(e.name) + " " + NUMBER, c.text)
        assert m, f"{c.id}: {e.name} not quoted in {c.text!r}"
        shown = float(m.group(1))
        decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
        scale = UNITS[e.unit].factor if e.unit in UNITS else 1.0  # fractions quoted as %, pp or percentiles
        assert abs(shown - e.value * scale) <= 0.5 * 10**-decimals + 1e-9, (c.id, shown, e.value, c.text)


@pytest.mark.slow
def test_claim_words_follow_their_numbers_over_the_whole_replay(monitor: Monitor) -> None:
    days = [d.astype(date) for d in replay_dates(monitor)]
    assert len(days) > 1000
    worded: dict[tuple[str, str], set[str]] = defaultdict(set)
    directions: dict[str, set[str]] = defaultdict(set)
    for claims in parallel_map(lambda d: _claims(monitor, d), days):
        for c in claims:
            check_numbers(c)
            worded[(c.id, c.direction)].add(_template(c.text))
            directions[c.id].add(c.direction)
    flipped = [cid for cid, seen in directions.items() if {"bullish", "bearish"} <= seen]
    assert len(flipped) >= 10, "the replay should see most claims both ways"
    for cid in flipped:
        same = worded[(cid, "bullish")] & worded[(cid, "bearish")]
        assert not same, f"{cid} is worded the same for bullish and bearish evidence: {sorted(same)[:1]}"


def test_the_crash_weeks_quoted_in_the_issue_now_say_what_their_numbers_say(monitor: Monitor) -> None:
    by_id = {c.id: c for c in _claims(monitor, date(2020, 3, 20))}
    lead = next(c for cid, c in by_id.items() if cid.endswith("rs_trend") and "IWM" in c.text)
    assert lead.direction == "bearish" and lead.text.startswith("Does not hold")
    check_numbers(lead)
    credit = [
        c for c in _claims(monitor, date(2008, 10, 10)) if c.topic == "credit" and c.direction == "bearish"
    ]
    assert credit and all(c.text.startswith("Does not hold") for c in credit)
