"""Typed records that cross module boundaries (DESIGN.md): Evidence and the monitor's outputs.

All floats are rounded at construction (``rnd``) so that the same data gives byte-identical JSON.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from rotascope._code import code_digest, optional_models
from rotascope._record import DECIMALS as DECIMALS
from rotascope._record import Record as Record
from rotascope._record import rnd as rnd
from rotascope.risk.models import Invalidation, RiskPlan, Sizing, StressFit, StressResult

Direction = Literal["bullish", "neutral", "bearish"]
"""Which way a claim or an agent's stance points on the subject's leadership."""
Mode = Literal["allocate", "trade", "stand aside"]
"""'allocate' (structural tilt), 'trade' (tactical), or 'stand aside'."""
TiltDirection = Literal["toward", "away", "none"]
"""Which way the decision tilts: toward the subject (tilt >= 0), away from it (tilt <= 0), or no tilt (0)."""
AnalysisKind = Literal["universe", "stock", "regime"]
"""The universe (small caps vs SPY), one stock (vs the Russell 2000), or a regime ETF (vs SPY)."""
AnswerOutcome = Literal["conceded", "rebutted"]


class Evidence(Record):
    """One measured fact a claim rests on: the value, the rule it is judged by, and where it comes from."""

    name: str
    value: float | None
    threshold: float | None = None
    comparison: str = ""
    passed: bool | None = None
    as_of: date
    source: str
    window: str = ""
    unit: str = ""
    note: str = ""


class RelativeStrength(Record):
    """A ratio pair's relative returns over the standard windows, as of one date."""

    pair: str
    numerator: str
    denominator: str
    as_of: date
    ratio: float | None
    returns: dict[str, float | None]
    """Relative return of the ratio over each window (e.g. "1m": 0.021 = +2.1 % vs the denominator)."""
    source: str


class PairStrength(Record):
    """Relative strength of one pair: ratio, returns over windows, trend and persistence."""

    pair: str
    numerator: str
    denominator: str
    ratio: float | None
    returns: dict[str, float | None]
    above_sma50: bool | None
    above_sma200: bool | None
    dist_sma50: float | None
    dist_sma200: float | None
    slope_sma50_20d: float | None
    persistence_4w: float | None
    persistence_13w: float | None


class RotationPoint(Record):
    """One RRG point (RS-Ratio, RS-Momentum) on a date."""

    date: date
    rs_ratio: float | None
    rs_momentum: float | None


class Rotation(Record):
    """Where a symbol sits on the relative rotation graph vs SPY, with its recent tail."""

    symbol: str
    rs_ratio: float | None
    rs_momentum: float | None
    quadrant: str | None
    tail: list[RotationPoint]


class SectorParticipation(Record):
    """Share of a sector's small-cap members above their 50-day average, now and 20 days ago."""

    sector: str
    members: int
    pct_above_50: float | None
    pct_above_50_20d_ago: float | None
    improving: bool | None


class Breadth(Record):
    """Breadth of one member universe on the as-of date (closes only; survivorship caveat attached)."""

    universe: str
    members_with_data: int
    advances: int
    declines: int
    ad_line: float | None
    ad_line_vs_sma50: float | None
    mcclellan_oscillator: float | None
    mcclellan_summation: float | None
    pct_above_50: float | None
    pct_above_50_20d_ago: float | None
    pct_above_200: float | None
    new_highs: int
    new_lows: int
    net_new_highs: int
    pct_new_highs: float | None
    thrust_ema: float | None
    last_thrust: date | None
    sector_participation: float | None
    sectors: list[SectorParticipation]
    top10_concentration_1m: float | None
    caveat: str
    membership: Literal["point_in_time", "current"] = "current"
    """Whose members were counted: the dated list in force on the as-of, or today's members."""
    membership_date: date | None = None
    """Date of the point-in-time list in use (None: today's members)."""
    members_listed: int | None = None
    """Stocks on the list in use (priced or not)."""
    coverage: float | None = None
    """Members with a close on the as-of date over members_listed."""
    pct_above_50_current_members: float | None = None
    """The same measure on today's members (the survivorship-biased reading), in the point-in-time window."""
    pct_above_200_current_members: float | None = None
    price: Literal["adjusted", "traded", "mixed"] = "adjusted"
    """Closes counted: dividend-adjusted (embedded data), traded (unadjusted, live updates) or a mix."""
    traded_members: int | None = None
    """Members counted with a traded close on the as-of (None: the store holds no traded closes)."""
    traded_coverage: float | None = None
    """traded_members over members_with_data."""
    traded_minus_adjusted_50: float | None = None
    """Adjustment effect: % above the 50-day on the closes in use minus on adjusted closes (fraction)."""
    traded_minus_adjusted_200: float | None = None


class Macro(Record):
    """Rates, credit, conditions and volatility on the as-of date (values as known then)."""

    values: dict[str, float | None]
    """Named values, e.g. ust_10y, ust_10y_chg_13w, hy_oas_pctile_5y (units in ``units``)."""
    units: dict[str, str]
    observed: dict[str, date | None]
    """Date of the observation behind each series-based value (staleness is visible)."""


class Snapshot(Record):
    """Everything the monitor measured as of one date. The regime layer and the agents read only this."""

    as_of: date
    source: str
    data_fingerprint: str
    pairs: list[PairStrength]
    sectors: list[PairStrength]
    rotation: list[Rotation]
    breadth: list[Breadth]
    macro: Macro
    factors: dict[str, float | None]
    """Fama-French factor returns over windows, e.g. ``rmw_3m`` (profitability, 63 trading days)."""
    factors_observed: dict[str, date | None] = Field(default_factory=dict)
    """The last factor date behind each value (the library publishes monthly, weeks later)."""
    internals: dict[str, float | None]
    """Derived market-internal measures the rules use (sector medians, stress-episode measures)."""
    caveats: list[str]

    def pair(self, name: str) -> PairStrength:
        for p in (*self.pairs, *self.sectors):
            if p.pair == name:
                return p
        raise KeyError(name)


class LadderLevel(Record):
    """One rung of the evidence ladder: pass/fail, the numbers, the rule, and what to check next."""

    level: int
    name: str
    passed: bool
    evidence: list[Evidence]
    rule: str
    next_check: str
    proxy: str | None = None
    """Set when the level is judged on a stand-in for data rotascope does not have (said plainly)."""


class Ladder(Record):
    """The evidence ladder: the highest level reached with every level below it passed."""

    as_of: date
    reached: int
    levels: list[LadderLevel]


class CheckItem(Record):
    """A rotation-checklist question with its answer and numbers."""

    key: str
    question: str
    passed: bool | None
    evidence: list[Evidence]


class Killer(Record):
    """A rotation killer on the watchlist: its trigger, current values, and whether it fired."""

    key: str
    name: str
    triggered: bool | None
    trigger: str
    evidence: list[Evidence]


class Regime(Record):
    """The regime layer's verdict as of a date: ladder, checklist and killers."""

    as_of: date
    ladder: Ladder
    checklist: list[CheckItem]
    killers: list[Killer]


class Claim(Record):
    """One thing an agent asserts, the direction it points, and the Evidence it rests on."""

    id: str
    agent: str
    text: str
    """Generated from the evidence values (agents.base.claim): it can never contradict its numbers."""
    direction: Direction
    weight: float
    """Importance of the claim inside the agent's view (0-1)."""
    strength: float
    """How clearly the evidence clears (or misses) its threshold (0-1); see agents.base.margin."""
    evidence: list[Evidence]
    topic: str = ""
    """What the claim is about (leadership, breadth, rates, credit, growth, quality, risk): the debate
    only lets related topics challenge each other."""


class Opinion(Record):
    """A specialist agent's structured view as of a date."""

    agent: str
    lens: str
    as_of: date
    stance: Direction
    score: float
    """Weighted balance of the claims, -1 (bearish) .. +1 (bullish)."""
    confidence: float
    claims: list[Claim]
    risks: list[str]
    data_note: str = ""


class Challenge(Record):
    """An agent disputing another agent's claim with its own, contrary evidence."""

    round: int
    by: str
    to_agent: str
    claim_id: str
    argument: str
    counter_claim_id: str
    counter_evidence: list[Evidence]
    strength: float


class Answer(Record):
    """The challenged agent's reply: concede, or rebut with evidence."""

    round: int
    by: str
    claim_id: str
    challenger: str
    outcome: AnswerOutcome
    argument: str
    evidence: list[Evidence]


class ConfidenceChange(Record):
    """A confidence move and the documented debate rule that caused it."""

    round: int
    agent: str
    before: float
    after: float
    rule: str


class DebateRound(Record):
    round: int
    challenges: list[Challenge]
    answers: list[Answer]
    confidence_changes: list[ConfidenceChange]


class Debate(Record):
    """The typed transcript: rounds of challenges and answers, and the opinions after them."""

    rounds: list[DebateRound]
    initial: list[Opinion]
    final: list[Opinion]


class TrackRecord(Record):
    """How calls like this one did out of sample: calls in the same 10-point probability bin."""

    scenario: str
    bin_low: float
    bin_high: float
    n: int
    happened: float | None
    text: str


class Scenario(Record):
    """Bull, base or bear: its probability and what has to be true for it."""

    name: str
    probability: float
    summary: str
    requires: list[str]
    outcome: str = ""
    """The measurable event, with its numbers and horizon (set when the probability is calibrated)."""
    horizon_weeks: int | None = None
    band: float | None = None
    base_rate: float | None = None
    """Climatology: frequency of this outcome among the labels known at the as-of."""
    track_record: TrackRecord | None = None


class BaseRates(Record):
    """A single name's outcome climatology (its probabilities when it has no calibrated call).

    Outcomes as for the universe (``rotascope.calibration.outcomes``): the subject against its benchmark
    over the horizon, with the band from the pair's trailing volatility known at the as-of; the rates count
    only the subject's own labels known by the as-of (expanding, one pseudo-count per class).
    """

    subject: str
    benchmark: str
    horizon_weeks: int
    band: float | None
    outcomes: list[str]
    """bear, base, bull: the measurable events (empty when no band is known at the as-of)."""
    base_rates: list[float] | None
    """bear, base, bull; None only when no outcome band is known (below ``min_labelled_weeks`` known
    outcomes they are shown and the note says how few they count)."""
    labelled_weeks: int
    min_labelled_weeks: int
    first_labelled: date | None
    """As-of of the subject's first labelled week (None when none)."""
    note: str


class Calibration(Record):
    """Where the scenario probabilities came from and what they have earned out of sample."""

    method: Literal["model", "base rates"]
    horizon_weeks: int
    band: float
    outcomes: list[str]
    """bear, base, bull: the measurable events, generated from the band and horizon."""
    probabilities: list[float]
    """bear, base, bull (unrounded to two decimals: rounded to 6)."""
    base_rates: list[float]
    """bear, base, bull."""
    base_rate_source: str = ""
    """Where the base rates come from, with their counts (IWM's own labels; the size prior's weeks)."""
    class_means: list[float]
    """Mean realised relative return of bear, base and bull outcomes known at the as-of, against the
    benchmark the tilt is held against (a member's: the cross-section's mean; ``calibration.call``)."""
    expected_relative_return: float
    """Sum of probability x class mean (``calibration.call.expected_relative_return``)."""
    round_trip_cost: float
    """Cost of entering and leaving the pair, as a relative return (the stance must clear it)."""
    model_weight: float
    brier_skill_oos: float | None
    """Brier skill of the probabilities shown against the plain expanding climatology of IWM's own labels."""
    model_brier_skill_oos: float | None = None
    """Brier skill of the model alone over its out-of-sample calls against the base rates it is blended with
    (what its blend weight is learned from)."""
    n_oos: int
    labelled_weeks: int
    min_labelled_weeks: int
    no_measured_edge: bool
    track_records: list[TrackRecord]
    """bear, base, bull."""
    note: str


AtrMethod = Literal["wilder_true_range_14", "close_to_close_14"]
"""Wilder ATR-14 of the true range (stored highs/lows), or of |Δclose| when only closes exist."""


class RiskView(Record):
    """The decision's risk controls, typed: size, stop, where the thesis is wrong, plan and stress.

    ``price``, ``stop`` and invalidation levels are in the stored (dividend-adjusted) prices, as
    ``price_basis`` says; ``stop_distance`` is the stop's distance below the as-of close (a fraction).
    Whatever could not be computed is named in ``not_available`` (one sentence each), never faked.
    """

    subject: str
    as_of: date
    price: float | None
    atr: float | None
    atr_method: AtrMethod
    stop: float | None
    stop_distance: float | None
    realised_vol_63d: float | None
    vol_target: float
    vol_weight: float | None
    """Weight that brings the position to ``vol_target`` (<= 1)."""
    position: float | None
    """Position as a fraction of equity (single names; the universe tilt is ``Decision.tilt``)."""
    capital_basis: float
    sizing: Sizing | None = None
    """The IWM/SPY pair sizing (universe analyses)."""
    invalidation: list[Invalidation] = Field(default_factory=list)
    plan: RiskPlan | None = None
    stress_fit: StressFit | None = None
    stress: list[StressResult] = Field(default_factory=list)
    not_available: list[str] = Field(default_factory=list)
    price_basis: str = "Levels are in dividend-adjusted prices (the stored closes), not traded prices."


class Decision(Record):
    """The decision/risk agent's desk view: scenarios, stance, sizing, invalidation, risk plan, stress."""

    as_of: date
    subject: str
    direction: TiltDirection
    """Set by the decision rule (``rotascope.agents.decision``); the stance sentence is generated from it."""
    stance: str
    mode: Mode
    conviction: float
    tilt: float
    """Satellite tilt as a fraction of equity: + toward the subject (small caps / the stock), - away."""
    scenarios: list[Scenario]
    rationale: list[str]
    risk: RiskView | None
    """Sizing, stop, invalidation levels, drawdown limit, horizon, exit rules and stress tests."""
    calibration: Calibration | None = None
    """Set when the probabilities are calibrated (the universe analysis): method, skill, track record."""
    base_rates: BaseRates | None = None
    """Set for single names: the outcome base rates beside the (uncalibrated) evidence-score probabilities."""

    @model_validator(mode="before")
    @classmethod
    def _direction_of_older_rows(cls, data: Any) -> Any:
        """Analyses stored before ``direction`` existed: their stance sentence was generated by the same
        rule ("tilt toward …", "tilt away from …", "no tilt: …"), so its opening words give it back."""
        if isinstance(data, dict) and "direction" not in data and isinstance(data.get("stance"), str):
            stance = data["stance"]
            way = "toward" if stance.startswith("tilt toward ") else "none"
            data = {**data, "direction": "away" if stance.startswith("tilt away from ") else way}
        return data


class Analysis(Record):
    """One stored analysis run: everything needed to show it, diff it and audit it."""

    id: str
    kind: AnalysisKind
    subject: str
    as_of: date
    config_hash: str
    data_fingerprint: str
    opinions: list[Opinion]
    debate: Debate
    decision: Decision
    ladder_reached: int | None = None
    killers_triggered: list[str] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)
    disclaimer: str = "Research tooling, not investment advice."


UNIVERSE_SUBJECT = "small caps (IWM vs SPY)"
"""The subject of the universe-level analysis."""


def analysis_id(kind: str, subject: str, as_of: date, config_hash: str, fingerprint: str) -> str:
    """Content-derived id: the same question on the same data, config and code has the same id, so a
    stored analysis with this id is the answer (a new rotascope version asks afresh)."""
    key = "|".join(
        [kind, subject, as_of.isoformat(), config_hash, fingerprint, code_digest(), optional_models()]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Headline(Record):
    """A stored headline with the date it became known (the sentiment agent reads only these)."""

    text: str
    known_at: date
    source: str
    tickers: tuple[str, ...] = ()


# -------------------------------------------------------------- valuation lens (fundamentals/valuation.py)
class Percentiles(Record):
    """Share of months up to the data date at or below the value: whole history, last 30 and 10 years."""

    all: float | None
    y30: float | None
    y10: float | None
    since: date


class FinancingReading(Record):
    """One financing measure at the as-of and its percentile over its own stored history."""

    name: str
    value: float | None
    percentile: float | None
    observed: date | None
    since: date | None


class EarningsYieldReading(Record):
    """One index's aggregate trailing earnings yield (SimFin) at the latest week known by the as-of."""

    universe: str
    value: float
    """sum(trailing-four-quarter net income) / sum(market value), a fraction."""
    data_date: date
    covered: int
    members: int
    losers: float
    """Share of the covered members with a trailing loss."""
    top_loss: float
    """The largest single member's trailing loss over the aggregate market value (<= 0, a fraction)."""
    minus_baa_pp: float | None
    """value (in %) minus the Baa yield at the data date, percentage points."""
    minus_hy_pp: float | None
    """value (in %) minus the HY-yield proxy (HY OAS + 10-year yield) at the data date."""


class EarningsYield(Record):
    """The SimFin earnings yields of the valuation lens, with what they mean and what they omit."""

    readings: list[EarningsYieldReading]
    definition: str
    notes: list[str]


class ValuationLens(Record):
    """The valuation lens as of a date (see the module docstring for each definition)."""

    as_of: date
    data_date: date
    known_at: date
    variant: str
    known_rule: str
    be_me_small: float
    be_me_big: float
    spread: float
    spread_percentile: Percentiles
    spread_now: float | None
    spread_now_percentile: Percentiles | None
    roll_method: str
    op_small: float | None
    op_big: float | None
    relative_profitability: float | None
    relative_profitability_percentile: Percentiles | None
    financing: list[FinancingReading]
    ust_10y_change_13w: float | None
    rates_easing: bool | None
    revisions_improve: bool | None
    revisions_source: str
    rule: str
    notes: list[str]
    earnings_yield: EarningsYield | None = None
