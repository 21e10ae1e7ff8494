"""Every Russell 2000 member debated at one as-of, vectorised across members.

The single-name debate (``agents.stock``) judges one stock's claims; here the same claims are judged for
every member at once: the price measures (``stock.price_measures``) and rate betas (``stock.rate_betas``)
run over the (rows x members) close panel, the company claims over the screen's cross-section, and the
claims, opinion scores, debate and decision arithmetic through the array kernels of ``agents.vector`` that
the single-name debate runs on its one row. The result is each member's final agent scores, scenario
probabilities and conviction, ranked; the worded claims of any one name are `rotascope debate SYMBOL`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from rotascope._record import Record
from rotascope._typing import BoolArray, Float64Array
from rotascope.agents import vector
from rotascope.agents.base import TOPIC_OF, AgentContext, revision_floor, thresholds_of
from rotascope.agents.columns import ClaimSpec
from rotascope.agents.company import MEMBER_ROWS
from rotascope.agents.decision import calibrated_probabilities, calibrated_stance
from rotascope.agents.stock import (
    CALM,
    DRAWDOWN,
    RATES_HELP,
    REL_3M,
    REL_VS_SMA50,
    RET_DAYS,
    VS_PEERS,
    VS_SMA50,
    VS_SMA200,
    peer_vol,
    price_measures,
    rate_betas,
    stock_specs,
)
from rotascope.agents.vector import IntArray
from rotascope.fundamentals.screen import ScreenInputs, score_frame
from rotascope.fundamentals.store import Fundamentals
from rotascope.measures import UST_10Y_CHG_13W
from rotascope.monitor.run import Monitor, MonitorResult
from rotascope.records import Calibration, Headline, rnd
from rotascope.regime.thresholds import AgentRules
from rotascope.sentiment.scorer import load_scorer

MIN_CLOSES = 260
"""A member needs this many closes up to the as-of to be debated (as `rotascope debate SYMBOL`)."""
AGENTS = ("fundamentals", "macro", "internals", "sentiment")
"""The single-name debate's agents, in its order."""
Tilt = Literal["toward", "away", "none"]


class MemberCall(Record):
    """One member's debated view at the as-of (the numbers of `rotascope debate SYMBOL`)."""

    symbol: str
    sector: str | None
    close: float
    tilt: Tilt
    """The desk's direction: the calibrated rule (no tilt while the evidence has no measured edge, nor
    without a calibrated call)."""
    conviction: float
    """P(bull) - P(bear) of the probabilities shown."""
    consensus: float
    """Confidence-weighted mean of the agents' final scores (ranks names of equal expected return)."""
    bull: float
    base: float
    bear: float
    """The cross-section's calibrated probabilities (as `rotascope debate SYMBOL`); a name without a call of
    its own (no outcome band yet) shows the pooled member base rates."""
    expected_relative_return: float | None = None
    """The calibrated call's expected relative return (``calibration.call.expected_relative_return``; 0 at
    the base rates)."""
    base_rates: list[float] | None = None
    """bear, base, bull base rates beside the probabilities."""
    model_weight: float | None = None
    evidence: float = 0.0
    """The evidence score's conviction (``vector.conviction`` of the agents' debate): breaks ties only."""
    note: str = ""
    """Why a name shows base rates without a calibrated call of its own (empty when it has one)."""
    scores: dict[str, float]
    """Each agent's final score after the debate (-1..1)."""
    confidence: dict[str, float]
    company_data: bool
    """Company fundamentals were known for the name at the as-of (else price proxies only)."""
    headlines: int


class MembersDebate(Record):
    """Every Russell 2000 member debated at one as-of, ranked by ``rank_key`` (calibrated expected relative
    return, then consensus, then evidence)."""

    as_of: date
    source: str
    data_fingerprint: str
    benchmark: str = "IWM"
    ladder_reached: int
    killers_triggered: list[str]
    calls: list[MemberCall]
    skipped: list[str]
    """Members without enough history (fewer than 260 closes), without a close on the as-of, or without
    a calibrated call and base rates (before the cross-section's first week)."""
    off_list: list[str] = Field(default_factory=list)
    """Today's members that were not on the Russell 2000 list in force at the as-of (not debated vs IWM)."""
    caveats: list[str]


@dataclass(frozen=True)
class MemberInputs:
    """What the member debate reads besides the monitor: closes from the store and agent inputs."""

    symbols: tuple[str, ...]
    sectors: tuple[str | None, ...]
    close: Float64Array
    """(calendar rows x symbols) closes from the store, on the monitor calendar."""
    fundamentals: Fundamentals | None = None
    headlines: tuple[Headline, ...] = ()
    calibrated: dict[str, Calibration] = field(default_factory=dict)
    """Each member's calibrated call at the as-of (``calibration.name_call``), as `debate SYMBOL` gets it."""
    pooled: tuple[list[float], int] | None = None
    """The member base rates (bear, base, bull) at the as-of and the outcomes they count
    (``name_call.pooled_base_rates``): what a member without a call of its own shows."""


def loo_median(
    values: Float64Array, groups: tuple[str | None, ...], stocks: tuple[str | None, ...], own: IntArray
) -> Float64Array:
    """Per stock, ``np.median`` of the finite ``values`` of its group (``groups``: one label per value,
    ``stocks``: one per stock) leaving out the stock's own value (``own``: its column in ``values``, or
    -1); NaN without a group or without peers."""
    out = np.full(len(stocks), np.nan)
    label = np.array([g if g is not None else "" for g in groups], dtype=object)
    wanted = np.array([g if g is not None else "" for g in stocks], dtype=object)
    for g in sorted({g for g in stocks if g is not None}):
        in_group = (label == g) & np.isfinite(values)
        ranked = np.sort(values[in_group])
        who = np.flatnonzero(wanted == g)
        mine = np.where(own[who] >= 0, own[who], 0)
        drop = (own[who] >= 0) & in_group[mine]
        k = np.where(drop, np.searchsorted(ranked, values[mine]), len(ranked))
        n = len(ranked) - drop.astype(np.int64)

        def at(i: IntArray, k: IntArray = k, ranked: Float64Array = ranked) -> Float64Array:
            j = np.clip(np.where(i < k, i, i + 1), 0, max(len(ranked) - 1, 0))
            return ranked[j] if len(ranked) else np.full(len(i), np.nan)

        lo, hi = at(np.maximum((n - 1) // 2, 0)), at(np.maximum(n // 2, 0))
        med = np.where(n % 2 == 1, lo, (lo + hi) / 2.0)
        out[who] = np.where(n > 0, med, np.nan)
    return out


COMPANY = MEMBER_ROWS
"""The company claims: the single-name table's rows (``agents.company.STOCK``) as (key, screen column,
comparison, bar, weight, unit); bar "median" is the median of the other members, rounded to 6 decimals."""


def _company(
    ctx: AgentContext, inputs: MemberInputs
) -> tuple[list[tuple[str, Float64Array, Float64Array, BoolArray]], BoolArray]:
    """(key, sign, strength, made) of each company claim per stock, and which stocks had company data."""
    n = len(inputs.symbols)
    fund = inputs.fundamentals
    claims: list[tuple[str, Float64Array, Float64Array, BoolArray]] = []
    if fund is None or fund.empty:
        none = np.zeros(n, dtype=bool)
        return [(k, np.zeros(n), np.zeros(n), none) for k, *_ in COMPANY], none
    symbols = ctx.panel.data.members.symbols
    frame = score_frame(
        ScreenInputs(ctx.as_of, symbols, {}, {}, ctx.member_window(253)), fund, revision_floor(ctx)
    )
    index = pd.Index(frame.index)
    pos = index.get_indexer(pd.Index(list(inputs.symbols)))
    listed = pos >= 0

    def col(name: str) -> Float64Array:
        v = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(listed, v[np.maximum(pos, 0)], np.nan)

    quality = col("quality")
    has = listed & np.isfinite(quality)
    ebit_known = np.isfinite(col("ebit_margin"))
    for key, name, comparison, bar, _weight, unit in COMPANY:
        value = vector.rnd_array(col(name))
        if bar == "median":
            everyone = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
            threshold: vector.Bar = vector.rnd_array(
                loo_median(everyone, ("",) * len(everyone), ("",) * n, pos.astype(np.int64))
            )
        else:
            threshold = 0.5 if bar == "half" else 0.0
        made = has & np.isfinite(value)
        if key in ("balance_sheet", "accruals"):
            made &= ebit_known
        sign, strength = vector.judge(value[:, None], [threshold], [comparison], [unit])
        claims.append((key, np.where(made, sign, 0.0), np.where(made, strength, 0.0), made))
    return claims, has


def _tone(inputs: MemberInputs, as_of: date) -> tuple[Float64Array, Float64Array, BoolArray, IntArray]:
    """The sentiment agent's claim per stock from the headlines naming it in the week to the as-of."""
    n = len(inputs.symbols)
    start = as_of - timedelta(days=7)
    recent = [h for h in inputs.headlines if start < h.known_at <= as_of]
    count = np.zeros(n, dtype=np.int64)
    positive = np.zeros(n)
    negative = np.zeros(n)
    if recent:
        labels = np.asarray(load_scorer().predict([h.text for h in recent]).labels)
        for j, sym in enumerate(inputs.symbols):  # only the week's headlines are scanned for each name
            hit = [i for i, h in enumerate(recent) if sym in h.tickers or f"${sym}" in h.text]
            if hit:
                count[j] = len(hit)
                positive[j] = float((labels[hit] == "positive").sum())
                negative[j] = float((labels[hit] == "negative").sum())
    made = count > 0
    net, strength = vector.tone(positive, negative, count.astype(np.float64))
    sign, _ = vector.judge(net[:, None], [0.0], [">"], ["score"])
    return np.where(made, sign, 0.0), np.where(made, strength, 0.0), made, count


def _measures(
    monitor: Monitor, ctx: AgentContext, inputs: MemberInputs, upto: Float64Array
) -> dict[str, Float64Array]:
    """Every member's single-name price measures at the as-of row, by the stock columns' names (the values
    ``stock_specs`` judges; ``upto``: the closes up to that row)."""
    t = ctx.row
    m = price_measures(upto, monitor.panel.data.etf.column("IWM")[: t + 1])
    beta, _ = rate_betas(upto, monitor.panel.macro["ust_10y"].values, t)
    d10 = UST_10Y_CHG_13W.of(ctx.result.snapshot)
    members = ctx.member_window(RET_DAYS + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        member_ret = members[-1] / members[0] - 1
    own = (
        pd.Index(ctx.panel.data.members.symbols).get_indexer(pd.Index(list(inputs.symbols))).astype(np.int64)
    )
    peers = loo_median(member_ret, tuple(ctx.panel.data.member_sectors), inputs.sectors, own)
    typical = peer_vol(ctx)
    return {
        VS_SMA50.name: m["vs_sma50"],
        VS_SMA200.name: m["vs_sma200"],
        REL_3M.name: m["rel_3m"],
        REL_VS_SMA50.name: m["rel_vs_sma50"],
        VS_PEERS.name: m["ret_3m"] - peers,
        CALM.name: m["vol_63d"] - (typical if typical is not None else np.nan),
        DRAWDOWN.name: m["drawdown"],
        RATES_HELP.name: beta * (d10 if d10 is not None else np.nan),
    }


@dataclass(frozen=True)
class _Scored:
    """The agents' debated scores per member (members x agents) and what went into them."""

    score: Float64Array
    conf: Float64Array
    consensus: Float64Array
    evidence: Float64Array
    """The evidence score's conviction (``vector.conviction``)."""
    has_company: BoolArray
    news: IntArray


def _claims(
    ctx: AgentContext, inputs: MemberInputs, values: dict[str, Float64Array]
) -> tuple[vector.Claims, BoolArray, IntArray]:
    """Every member's claims judged at once (company, price, macro and tone), as one claims table; with
    which members had company data and how many headlines named each."""
    n, t = len(inputs.symbols), ctx.row
    specs = stock_specs("", "IWM", None)
    rows: list[tuple[str, str, Float64Array, Float64Array, BoolArray]] = []
    company, has_company = _company(ctx, inputs)
    rows += [("fundamentals", key, sg, st, made) for key, sg, st, made in company]

    def judged(agent: str, spec: ClaimSpec) -> tuple[str, str, Float64Array, Float64Array, BoolArray]:
        got = {
            c.name: vector.rnd_array(values[c.name]) if c.name in values else c.at(ctx.panel, np.full(n, t))
            for c in spec.columns
        }
        sg, st = spec.judge(got, thresholds_of(ctx))
        return agent, spec.key, sg, st, np.ones(n, dtype=bool)

    rows += [judged("fundamentals", spec) for spec in specs["fundamentals"]]
    rows += [judged("macro", spec) for spec in specs["macro"]]
    rows += [judged("internals", spec) for spec in specs["internals"]]
    tone_sign, tone_strength, tone_made, news = _tone(inputs, ctx.result.as_of)
    rows.append(("sentiment", "tone", tone_sign, tone_strength, tone_made))
    keys = [k for _, k, *_ in rows]
    table = vector.Claims(
        agents=AGENTS,
        ids=tuple(f"{a}.{k}" for a, k, *_ in rows),
        agent_of=np.array([AGENTS.index(a) for a, *_ in rows], dtype=np.int64),
        topics=tuple(TOPIC_OF.get(k, "") for k in keys),
        weight=vector.rnd_array(np.array([_WEIGHTS[(a, k)] for a, k, *_ in rows]), 4),
        sign=np.column_stack([r[2] for r in rows]),
        strength=np.column_stack([r[3] for r in rows]),
        present=np.column_stack([r[4] for r in rows]),
    )
    return table, has_company, news


def _scored(
    ctx: AgentContext, inputs: MemberInputs, values: dict[str, Float64Array], rules: AgentRules
) -> _Scored:
    """The debate over every member's claims table: final scores, confidences, consensus and the
    evidence conviction given the regime's ladder and fired killers."""
    n = len(inputs.symbols)
    table, has_company, news = _claims(ctx, inputs, values)
    _, conf0 = table.opinion_scores()
    played = vector.debate(table, vector.rnd_array(conf0, 4), rules.debate)
    raw, _ = table.opinion_scores(played.weights)
    score, conf = vector.rnd_array(raw, 4), vector.rnd_array(played.confidence, 4)
    regime = ctx.result.regime
    fired = [k.key for k in regime.killers if k.triggered]
    reached = np.full(n, float(regime.ladder.reached))
    conviction = vector.conviction(score, conf, reached, np.full(n, float(len(fired))))
    consensus = vector.rnd_array(vector.consensus(score, conf), 4)
    return _Scored(score, conf, consensus, conviction, has_company, news)


def _no_call_note(pooled: tuple[list[float], int] | None) -> str:
    """What a member without a calibrated call of its own shows instead (the pooled member base rates)."""
    return (
        ""
        if pooled is None
        else "no calibrated call: no outcome band for the name at the as-of; showing the member base rates "
        f"over {pooled[1]:,} member outcomes known then (the desk view stands aside)"
    )


def _member_call(
    j: int, inputs: MemberInputs, close: float, reached: int, scored: _Scored, no_call: str
) -> MemberCall:
    """Member ``j``'s call: its calibrated desk view (as `debate SYMBOL`), else the pooled base rates."""
    sym = inputs.symbols[j]
    cal = inputs.calibrated.get(sym)
    pooled = inputs.pooled
    tilt: Tilt = "none"  # without a calibrated call the desk stands aside, as at the base rates
    if cal is not None:  # the calibrated desk view `debate SYMBOL` shows (agents/decision.py)
        probs = calibrated_probabilities(cal)
        tilt = calibrated_stance(cal, reached, None, sym).direction
        rates, e, weight = cal.base_rates, cal.expected_relative_return, cal.model_weight
    else:  # the member base rates (``called`` in debate_members keeps only names with one or the other)
        rates = pooled[0] if pooled is not None else []
        bull_r, bear_r = round(rates[2], 2), round(rates[0], 2)
        probs = (bull_r, round(1.0 - bull_r - bear_r, 2), bear_r)
        e, weight = 0.0, 0.0  # p = the base rates: no expected return beyond the cross-section's mean
    return MemberCall(
        symbol=sym,
        sector=inputs.sectors[j],
        close=rnd(close) or 0.0,
        tilt=tilt,
        conviction=round(probs[0] - probs[2], 2),
        consensus=float(scored.consensus[j]),
        bull=probs[0],
        base=probs[1],
        bear=probs[2],
        expected_relative_return=e,
        base_rates=rates,
        model_weight=weight,
        evidence=float(scored.evidence[j]),
        note="" if cal is not None else no_call,
        scores={a: float(scored.score[j, i]) for i, a in enumerate(AGENTS)},
        confidence={a: float(scored.conf[j, i]) for i, a in enumerate(AGENTS)},
        company_data=bool(scored.has_company[j]),
        headlines=int(scored.news[j]),
    )


def debate_members(monitor: Monitor, result: MonitorResult, inputs: MemberInputs) -> MembersDebate:
    """Debate every stock of ``inputs`` against IWM on the session ``result`` was resolved to, as
    `rotascope debate SYMBOL` does."""
    ctx = AgentContext(result, monitor.panel, inputs.fundamentals, monitor.thresholds)
    upto = inputs.close[: ctx.row + 1]
    enough = (np.isfinite(upto).sum(axis=0) >= MIN_CLOSES) & np.isfinite(upto[-1])
    scored = _scored(ctx, inputs, _measures(monitor, ctx, inputs, upto), monitor.thresholds.agents)
    regime = result.regime
    no_call = _no_call_note(inputs.pooled)
    called = enough & np.array(
        [inputs.pooled is not None or s in inputs.calibrated for s in inputs.symbols], dtype=bool
    )
    calls = [
        _member_call(int(j), inputs, float(upto[-1, j]), regime.ladder.reached, scored, no_call)
        for j in np.flatnonzero(called)
    ]
    calls.sort(key=rank_key)
    snap = result.snapshot
    return MembersDebate(
        as_of=result.as_of,
        source=snap.source,
        data_fingerprint=snap.data_fingerprint,
        ladder_reached=regime.ladder.reached,
        killers_triggered=[k.key for k in regime.killers if k.triggered],
        calls=calls,
        skipped=[inputs.symbols[j] for j in np.flatnonzero(~called)],
        caveats=[
            "Today's Russell 2000 members (survivorship bias before the point-in-time lists).",
            "Company claims where fundamentals were known at the as-of; price proxies elsewhere.",
        ],
    )


def rank_key(c: MemberCall) -> tuple[float, ...]:
    """Ranking: the calibrated expected relative return, then consensus, then the evidence score's
    conviction and the agents' scores (evidence, never the alphabet); the symbol only orders exact ties of
    all of them."""
    e = c.expected_relative_return if c.expected_relative_return is not None else 0.0
    return (-e, -c.consensus, -c.evidence, *(-c.scores[a] for a in AGENTS), -c.conviction)


_WEIGHTS: dict[tuple[str, str], float] = {
    **{("fundamentals", key): w for key, _, _, _, w, _ in COMPANY},
    **{
        (spec.agent, spec.key): spec.weight
        for group in stock_specs("", "IWM", None).values()
        for spec in group
    },
    ("sentiment", "tone"): 0.6,
}
