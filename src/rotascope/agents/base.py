"""What every agent shares: the as-of context it may read, and the arithmetic of claims and stances.

A claim's *strength* is how clearly its evidence clears its threshold: the margin (value − threshold)
divided by a unit scale (2 % for fractions, 25 bp for pp, 1 for counts and index points), capped at 1.
An opinion's *score* is the weight×strength-weighted balance of its claims (+1 all bullish, −1 all
bearish); its *confidence* is |score| shrunk by the share of claims that had data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from rotascope._typing import Float64Array
from rotascope.agents import vector
from rotascope.fundamentals.store import Fundamentals
from rotascope.measures import quote
from rotascope.monitor.engine import MonitorPanel
from rotascope.monitor.run import MonitorResult
from rotascope.records import Claim, Evidence, Opinion, rnd
from rotascope.regime.spec import evidence
from rotascope.regime.thresholds import AgentRules, Thresholds, packaged_thresholds

BULLISH, NEUTRAL, BEARISH = "bullish", "neutral", "bearish"
UNIT_SCALE = vector.UNIT_SCALE


@dataclass(frozen=True)
class AgentContext:
    """The data an agent may look at: the monitor result as of a date and the panel rows up to it."""

    result: MonitorResult
    panel: MonitorPanel
    fundamentals: Fundamentals | None = None
    """Company fundamentals known by the as-of date (rotascope.fundamentals.load_fundamentals)."""
    thresholds: Thresholds | None = None
    """The monitor's thresholds (the ``[lenses]`` rules of the agents); None = the packaged defaults."""

    @property
    def as_of(self) -> date:
        return self.result.as_of

    @property
    def row(self) -> int:
        return self.panel.row(self.as_of)

    def closes(self, symbol: str, n: int) -> Float64Array:
        """The last ``n`` closes of an ETF up to and including the as-of date (never later)."""
        t = self.row
        return self.panel.data.etf.column(symbol)[max(0, t - n + 1) : t + 1]

    def member_window(self, n: int) -> Float64Array:
        """The last ``n`` rows of the R2000 member close panel, ending at the as-of date, as float64 (the
        panel may hold them as float32; agents compute in float64)."""
        t = self.row
        return np.asarray(self.panel.data.members.values[max(0, t - n + 1) : t + 1], dtype=np.float64)


def thresholds_of(ctx: AgentContext) -> Thresholds:
    """The thresholds in force: the monitor's (the thresholds file), or the packaged file's."""
    return ctx.thresholds if ctx.thresholds is not None else packaged_thresholds()


def agent_rules(ctx: AgentContext) -> AgentRules:
    """The agents' thresholds in force (``[agents.*]``)."""
    return thresholds_of(ctx).agents


def revision_floor(ctx: AgentContext) -> float:
    """The screen's ``revision_floor`` in force."""
    return thresholds_of(ctx).screen.revision_floor


ATR_ROWS = 15
"""Rows of highs and lows a Wilder ATR-14 needs at the as-of (14 true ranges and the close before)."""


def has_recent_range(high: Float64Array, low: Float64Array, t: int) -> bool:
    """Highs and lows stored for the ATR_ROWS rows ending at row ``t`` (else the close-to-close ATR)."""
    window = slice(max(0, t - ATR_ROWS + 1), t + 1)
    return bool(np.isfinite(high[window]).all() and np.isfinite(low[window]).all())


def margin(e: Evidence) -> float:
    """Signed distance of the evidence from its threshold in unit scales (+ = on the passing side)."""
    if e.value is None or e.threshold is None:
        return 0.0
    return float(vector.margins(np.array([[e.value]]), [e.threshold], [e.comparison], [e.unit])[0, 0])


def judged(evidence: list[Evidence], bullish_if_passed: bool = True) -> tuple[float, float]:
    """(direction sign, strength) of a claim on this evidence: the kernel the replay runs on every week."""
    values = np.array([np.nan if e.value is None else e.value for e in evidence], dtype=np.float64)
    sign_, strength = vector.judge(
        values.reshape(1, len(evidence)),
        [np.nan if e.threshold is None else e.threshold for e in evidence],
        [e.comparison for e in evidence],
        [e.unit for e in evidence],
        bullish_if_passed,
    )
    return float(sign_[0]), float(strength[0])


TOPIC_OF = {
    "rs_trend": "leadership",
    "rs_persistence": "leadership",
    "rs_long_trend": "leadership",
    "rotation": "leadership",
    "size_factor": "leadership",
    "rs_iwm": "leadership",
    "rs_sector": "leadership",
    "trend": "leadership",
    "breadth": "breadth",
    "ad_line": "breadth",
    "equal_weight": "breadth",
    "concentration": "breadth",
    "health": "breadth",
    "volatility": "risk",
    "calm": "quality",
    "drawdown": "quality",
    "quality_led": "quality",
    "value_breadth": "leadership",
    "rates_trend": "rates",
    "rates": "rates",
    "curve": "rates",
    "inflation": "rates",
    "credit_level": "credit",
    "credit_trend": "credit",
    "credit_market": "credit",
    "credit": "credit",
    "conditions": "growth",
    "labour": "growth",
    "cyclicals": "growth",
    "interest_cover": "quality",
    "zombies": "quality",
    "cash_flow": "quality",
    "margins": "quality",
    "profitability": "quality",
    "quality_rank": "quality",
    "profitability_dispersion": "quality",
    "junk_financing": "quality",
    "valuation": "rates",
    "balance_sheet": "quality",
    "accruals": "quality",
    "beats": "growth",
    "beat_size": "growth",
    "revisions": "growth",
    "tone": "risk",
}
"""Claim key -> topic; see agents.debate.RELATED for which topics may challenge which."""


def describe(e: Evidence) -> str:
    """One evidence item in words generated from its numbers: name, value, and the bar it meets/misses."""
    if e.value is None:
        return f"{e.name}: no data"
    if e.threshold is None or e.passed is None:
        return f"{e.name} {quote(e.value, e.unit)}"
    verb = "meets" if e.passed else "misses"
    return f"{e.name} {quote(e.value, e.unit)} ({verb} {e.comparison} {quote(e.threshold, e.unit)})"


OPPOSITE = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
"""The rule a number meets when it misses a comparison."""


def supporting(c: Claim) -> list[Evidence]:
    """The evidence behind a claim's direction, each quoted against the rule it meets: all of it when the
    thesis holds; when it does not, the items that miss their bar, with the opposite comparison (the rule
    they meet: 38.46 % misses >= 50 %, so it meets < 50 %)."""
    if all(e.passed for e in c.evidence):
        return list(c.evidence)
    return [
        e.model_copy(update={"comparison": OPPOSITE.get(e.comparison, e.comparison), "passed": True})
        for e in c.evidence
        if e.passed is False
    ]


def claim_text(thesis: str, evidence: list[Evidence], direction: str, bullish_if_passed: bool) -> str:
    """The claim's words, generated from its evidence: whether the thesis holds, then every number.

    The verdict follows the same pass/fail test as the direction, so the words can never say the
    opposite of the numbers (a fixed sentence whose direction flips was the bug this replaces).
    """
    if direction == NEUTRAL:
        verdict = "Not measurable (missing data)"
    else:
        holds = (direction == BULLISH) == bullish_if_passed
        verdict = "Holds" if holds else "Does not hold"
    return f"{verdict}: {thesis} — " + "; ".join(describe(e) for e in evidence)


def claim(
    agent: str,
    key: str,
    thesis: str,
    evidence: list[Evidence],
    weight: float,
    *,
    bullish_if_passed: bool = True,
    strength: float | None = None,
) -> Claim:
    """A claim whose direction follows its evidence: all passed → one way, any failed → the other.

    ``thesis`` is the statement the evidence tests; the claim's text says whether it holds, with the
    numbers (:func:`claim_text`). ``strength`` replaces the margin-based strength when the claim measures
    its own (the sentiment agent's shrunk net tone).
    """
    sign_, judged_strength = judged(evidence, bullish_if_passed)
    strength = judged_strength if strength is None or sign_ == 0 else strength
    direction = BULLISH if sign_ > 0 else BEARISH if sign_ < 0 else NEUTRAL
    return Claim(
        id=f"{agent}.{key}",
        agent=agent,
        text=claim_text(thesis, evidence, direction, bullish_if_passed),
        direction=direction,
        weight=rnd(weight, 4) or 0.0,
        strength=strength,
        evidence=evidence,
        topic=TOPIC_OF.get(key, ""),
    )


def sign(direction: str) -> float:
    return 1.0 if direction == BULLISH else -1.0 if direction == BEARISH else 0.0


def claim_arrays(
    claims: list[Claim], weights: dict[str, float] | None = None
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """(sign, strength, weight) of the claims as one-row arrays; ``weights`` overrides claim weights."""
    n = len(claims)
    sign_ = np.array([sign(c.direction) for c in claims], dtype=np.float64).reshape(1, n)
    strength = np.array([c.strength for c in claims], dtype=np.float64).reshape(1, n)
    w = np.array([(weights or {}).get(c.id, c.weight) for c in claims], dtype=np.float64).reshape(1, n)
    return sign_, strength, w


def score_of(claims: list[Claim], weights: dict[str, float] | None = None) -> float:
    """Weighted balance of claims in [-1, 1]; ``weights`` overrides claim weights (debate concessions)."""
    sign_, strength, w = claim_arrays(claims, weights)
    return float(vector.weighted_score(sign_, strength, w)[0])


def stance_of(score: float) -> str:
    """Bullish or bearish when |score| is above ``[agents.model] stance_band``; inside it, neutral."""
    band = packaged_thresholds().agents.model.stance_band
    return BULLISH if score > band else BEARISH if score < -band else NEUTRAL


def confidence_of(score: float, claims: list[Claim]) -> float:
    """|score| scaled to 0.2-1 by how much of the view had data behind it."""
    sign_, strength, _ = claim_arrays(claims)
    return float(vector.confidence(np.array([score]), sign_, strength)[0])


def opinion(
    agent: str, lens: str, as_of: date, claims: list[Claim], risks: list[str], note: str = ""
) -> Opinion:
    s = score_of(claims)
    return Opinion(
        agent=agent,
        lens=lens,
        as_of=as_of,
        stance=stance_of(s),
        score=rnd(s, 4) or 0.0,
        confidence=rnd(confidence_of(s, claims), 4) or 0.0,
        claims=claims,
        risks=risks,
        data_note=note,
    )


def ev(
    ctx: AgentContext,
    name: str,
    value: float | None,
    comparison: str,
    threshold: float,
    *,
    source: str,
    window: str = "",
    unit: str = "",
    note: str = "",
) -> Evidence:
    """Evidence dated at the context's as-of, sourced from the context's data source (value rounded)."""
    e = evidence(
        ctx.result.snapshot,
        name,
        value,
        comparison,
        threshold,
        source=source,
        window=window,
        unit=unit,
        note=note,
    )
    return e.model_copy(update={"value": rnd(value)})
