"""Words that hold: every claim, scenario, reason and challenge of a replay (the universe analysis every
13th week since 2000) and of the single-name debates `debate --all` ranks top and bottom on three dates is
read back as text, and fails on

* a quoted number whose unit disagrees with its measure's unit (the declared one in ``measures.UNITS``, and
  what the name says it is: a percentile, a share, a difference in pp);
* a "meets" whose number misses its bar, or a "misses" whose number meets it (counter-evidence included);
* a stance word that disagrees with its sign (an agent's stance vs its score, "strongest [bearish]" on a
  bullish agent, "Holds" with a missed bar, "tilt toward" with a tilt away);
* a subject/verb agreement slip of the templates ("small caps keeps").

The text is parsed on its own (numbers and units by regular expression), not re-derived from the records.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from rotascope.agents.run import universe_analysis
from rotascope.analysis.service import Analyst
from rotascope.backtest.replay import replay_dates
from rotascope.config import Settings
from rotascope.errors import DataError
from rotascope.measures import UNITS
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis, Claim
from rotascope.store.db import Store

NUM = r"[+-]?\d[\d,]*(?:\.\d+)?"
UNIT = r"(?: %| pp|(?:st|nd|rd|th) percentile)?"
QUOTE = re.compile(
    rf"(?<![\w.])(?P<v>{NUM})(?P<u>{UNIT}) \((?P<verb>meets|misses) (?P<cmp>>=|<=|>|<) "
    rf"(?P<t>{NUM})(?P<tu>{UNIT})\)"
)
VALUE = re.compile(rf"(?P<v>{NUM})(?P<u>{UNIT})(?![\w.])")
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
SHOWN = {"%": "%", "pp": "pp", "percentile": "percentile", "number": ""}
"""``measures.Unit.quoted`` -> the suffix the text shows."""
PLURAL_SINGULAR = re.compile(
    r"(?<!on )(?<!of )(?<!in )(?<!for )\b(?:small|mega|large) caps (?:keeps|is|has|leads|beats|stays)\b"
)
"""A plural subject with a singular verb ("evidence on small caps is" has the verb agree with evidence)."""
SINGULAR_PLURAL = re.compile(r"\b[A-Z]{2,5} (?:keep|are|have|lead|stay) ")  # "beat" may be past tense
STANCE_LINE = re.compile(r"^(\w+): (bullish|bearish|neutral) \(score ([+-]\d+\.\d+)")


def _unit(suffix: str) -> str:
    s = suffix.strip()
    return "percentile" if s.endswith("percentile") else s


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def quote_slips(text: str) -> list[str]:
    """Each "(meets|misses cmp bar)" whose verb disagrees with its own numbers, or whose value and bar are
    quoted in different units (a tie at the quoted precision may go either way)."""
    slips = []
    for m in QUOTE.finditer(text):
        v, t = _number(m["v"]), _number(m["t"])
        if _unit(m["u"]) != _unit(m["tu"]):
            slips.append(f"value and bar in different units: {m[0]!r}")
        if v != t and OPS[m["cmp"]](v, t) != (m["verb"] == "meets"):
            slips.append(f"{m['verb']} disagrees with the numbers: {m[0]!r}")
    return slips


def expected_by_name(name: str) -> str | None:
    """The unit a measure's name says it has, independent of the declared table (None: no rule)."""
    low = name.lower()
    if "percentile" in low:
        return "percentile"
    if " minus " in low or "(up - down)" in low:
        return "pp"
    if low.startswith("share") or " share of " in low or "members above" in low:
        return "%"
    if "change over" in low and any(w in low for w in ("yield", "oas", "2s10s", "cpi", "spread")):
        return "pp"
    if "relative return" in low or "return" in low:
        return "%"
    return None


def claim_slips(c: Claim) -> list[str]:
    """The unit of each quoted evidence value against its measure's unit, and the verdict against its bars."""
    slips = quote_slips(c.text)
    for e in c.evidence:
        if e.value is None or f"{e.name} " not in c.text:
            continue
        m = VALUE.match(c.text.split(f"{e.name} ", 1)[1])
        if m is None:
            slips.append(f"no number after {e.name!r}: {c.text!r}")
            continue
        shown = _unit(m["u"])
        declared = UNITS.get(e.unit)
        if declared is not None and shown != SHOWN[declared.quoted]:
            slips.append(f"{e.name!r} shown in {shown!r}, its unit {e.unit!r} says {declared.quoted!r}")
        by_name = expected_by_name(e.name)
        if by_name is not None and shown != by_name:
            slips.append(f"{e.name!r} shown in {shown!r}, its name says {by_name!r}: {c.text!r}")
        if by_name == "%" and "share" in e.name.lower() and m["v"][0] in "+-":
            slips.append(f"a share carries a sign: {e.name!r} {m[0]!r}")
    verbs = [m["verb"] for m in QUOTE.finditer(c.text)]
    if c.text.startswith("Holds:") and "misses" in verbs:
        slips.append(f"'Holds' with a missed bar: {c.text!r}")
    if c.text.startswith("Does not hold:") and verbs and "misses" not in verbs:
        slips.append(f"'Does not hold' with every bar met: {c.text!r}")
    return slips


def analysis_slips(a: Analysis) -> list[str]:
    """Every slip in one analysis's words: claims, scenarios, reasons, stance, challenges and answers."""
    slips: list[str] = []
    d = a.decision
    free: list[str] = [d.stance, *d.rationale]
    for o in [*a.opinions, *a.debate.final]:
        band = 0.2
        if (o.stance == "bullish") != (o.score > band) or (o.stance == "bearish") != (o.score < -band):
            slips.append(f"{o.agent} is {o.stance} with score {o.score:+.4f}")
        slips += [s for c in o.claims for s in claim_slips(c)]
    for s in d.scenarios:
        free += [s.summary, *s.requires]
    for r in a.debate.rounds:
        free += [c.argument for c in r.challenges] + [x.argument for x in r.answers]
    slips += [s for text in free for s in quote_slips(text)]
    for text in free + [c.text for o in a.opinions for c in o.claims]:
        slips += [f"agreement slip: {m[0]!r} in {text!r}" for m in PLURAL_SINGULAR.finditer(text)]
        slips += [f"agreement slip: {m[0]!r} in {text!r}" for m in SINGULAR_PLURAL.finditer(text)]
    for line in d.rationale:
        m = STANCE_LINE.match(line)
        if m is None:
            continue
        stance, score = m[2], float(m[3])
        if (stance == "bullish" and score <= 0) or (stance == "bearish" and score >= 0):
            slips.append(f"stance word against its sign: {line[:80]!r}")
        top = re.search(r"strongest \[(\w+)\]", line)
        if top is not None and stance != "neutral" and top[1] != stance:
            slips.append(f"a {stance} agent quotes its strongest [{top[1]}] claim: {line[:120]!r}")
    toward, away = d.stance.startswith("tilt toward "), d.stance.startswith("tilt away from ")
    if (toward and (d.direction != "toward" or d.tilt < 0)) or (
        away and (d.direction != "away" or d.tilt > 0)
    ):
        slips.append(f"stance {d.stance!r} against direction {d.direction} and tilt {d.tilt:+.4f}")
    if d.stance.startswith("no tilt") and d.tilt != 0:
        slips.append(f"'no tilt' with tilt {d.tilt:+.4f}")
    return slips


def test_the_checker_fails_on_the_slips_the_issue_found() -> None:
    """The reader is not a test that cannot fail: each slip quoted in issue 23 is caught."""
    assert quote_slips("Share of the last 13 weeks IWM/SPY rose +38.46 % (meets >= +50.00 %)")
    assert quote_slips("HY OAS change over 13 weeks -0.33 pp (meets <= +0.00 %)")
    assert not quote_slips(
        "HY OAS percentile in trailing 5 years 4.4th percentile (meets <= 60th percentile)"
    )
    assert not quote_slips("R2000 net new 52-week highs 23 (meets >= 0); x -0.00 % (misses > +0.00 %)")
    assert expected_by_name("HY OAS percentile in trailing 5 years") == "percentile"
    assert expected_by_name("Net EPS estimate revisions (up - down) / revised") == "pp"
    assert PLURAL_SINGULAR.search("small caps keeps leading: the ladder holds level 5")
    assert not PLURAL_SINGULAR.search("no tilt: evidence on small caps is balanced")
    assert SINGULAR_PLURAL.search("KRE keep leading: the ladder holds")
    assert not SINGULAR_PLURAL.search("KRE keeps leading; IWM/SPY ratio")
    line = "fundamentals: bullish (score +1.00, confidence 0.90) — strongest [bearish]: Does not hold"
    m = STANCE_LINE.match(line)
    assert m is not None and m[2] == "bullish" and re.search(r"strongest \[(\w+)\]", line)


def replay_weeks(monitor: Monitor, step: int = 13) -> list[date]:
    return [d.astype("datetime64[D]").astype(date) for d in replay_dates(monitor)[::step]]


def test_every_13th_replay_week_words_hold(monitor: Monitor) -> None:
    """The universe analysis as the replay words it (no company data, no headlines), every 13th week."""
    slips: list[str] = []
    weeks = replay_weeks(monitor)
    assert len(weeks) > 100
    no_band = 0
    for day in weeks:
        try:
            a = universe_analysis(monitor, monitor.at(day), "words", full_risk=False)
        except DataError as e:  # IWM's first 63 days: no outcome band, so no analysis (one sentence)
            assert "no base rates: IWM vs SPY has fewer than 63 days" in str(e)
            no_band += 1
            continue
        slips += [f"{day}: {s}" for s in analysis_slips(a)]
    assert no_band <= 2
    assert not slips, f"{len(slips)} slips:\n" + "\n".join(dict.fromkeys(s.split(": ", 1)[1] for s in slips))


DAYS = [date(2019, 5, 3), date(2024, 7, 19), date(2025, 11, 28)]


def debated(analyst: Analyst, day: date, n: int = 3) -> Iterator[Analysis]:
    """The universe with the data the agents may read that day, then the names `debate --all` ranks
    highest and lowest, each debated on its own (`debate SYMBOL`)."""
    session = analyst.session(day)
    got = analyst.inputs(session.as_of)
    yield universe_analysis(
        analyst.monitor,
        analyst.monitor.on(session.as_of),
        "words",
        got.headlines or None,
        fundamentals=got.fundamentals,
    )
    calls = analyst.members(session).calls
    for c in [*calls[:n], *calls[-n:]]:
        yield analyst.single(c.symbol, session)


@pytest.mark.parametrize("day", DAYS)
def test_debate_all_top_and_bottom_words_hold(
    store: Store, loaded_settings: Settings, monitor: Monitor, day: date
) -> None:
    analyst = Analyst(store, loaded_settings, monitor)
    slips: list[str] = []
    seen = 0
    for a in debated(analyst, day):
        seen += 1
        slips += [f"{a.subject} {a.as_of}: {s}" for s in analysis_slips(a)]
    extra = [analyst.single(s, analyst.session(day)) for s in ("KRE", "AAPL")] if day == DAYS[1] else []
    for a in extra:
        slips += [f"{a.subject} {a.as_of}: {s}" for s in analysis_slips(a)]
    assert seen == 7
    assert not slips, f"{len(slips)} slips:\n" + "\n".join(dict.fromkeys(s.split(": ", 1)[1] for s in slips))
