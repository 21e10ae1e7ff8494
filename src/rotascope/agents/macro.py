"""Macro agent: rates level and trend, curve, credit spreads, financial conditions, labour, inflation."""

from __future__ import annotations

from rotascope.agents.base import AgentContext, agent_rules, opinion
from rotascope.agents.columns import ClaimSpec, EvidenceSpec, macro
from rotascope.measures import (
    CLAIMS_YOY,
    CORE_CPI_YOY_CHG_3M,
    CURVE_10Y_2Y_CHG_13W,
    HY_OAS_CHG_13W,
    HY_OAS_PCTILE_5Y,
    HYG_IEF_VS_SMA50,
    NFCI,
    UST_10Y,
    UST_10Y_CHG_13W,
)
from rotascope.records import Opinion

NAME = "macro"
LENS = "rates, curve, credit, financial conditions, labour, inflation"
HY = "FRED BAMLH0A0HYM2"


def _one(key: str, thesis: str, weight: float, e: EvidenceSpec) -> ClaimSpec:
    return ClaimSpec(NAME, key, thesis, weight, (e,))


CLAIMS: tuple[ClaimSpec, ...] = (
    _one(
        "rates_trend",
        "The 10-year yield has not risen over the quarter",
        0.8,
        EvidenceSpec(
            "10-year yield change over 13 weeks",
            macro(UST_10Y_CHG_13W),
            "<=",
            0.0,
            "FRED DGS10",
            "63d",
            "pp",
        ),
    ),
    _one(
        "curve",
        "The 2s10s curve is steepening",
        0.4,
        EvidenceSpec(
            "2s10s change over 13 weeks", macro(CURVE_10Y_2Y_CHG_13W), ">=", 0.0, "FRED T10Y2Y", "63d", "pp"
        ),
    ),
    _one(
        "credit_level",
        "High-yield spreads are not stressed",
        0.8,
        EvidenceSpec(
            "HY OAS percentile in trailing 5 years",
            macro(HY_OAS_PCTILE_5Y),
            "<=",
            "agents.macro.max_hy_oas_percentile",
            HY,
            "5y",
            "percentile",
        ),
    ),
    _one(
        "credit_trend",
        "High-yield spreads are stable or tightening",
        0.8,
        EvidenceSpec("HY OAS change over 13 weeks", macro(HY_OAS_CHG_13W), "<=", 0.0, HY, "63d", "pp"),
    ),
    _one(
        "credit_market",
        "Credit is outperforming Treasuries (HYG/IEF above its 50-day average)",
        0.4,
        EvidenceSpec(
            "HYG/IEF vs its 50-day average",
            macro(HYG_IEF_VS_SMA50),
            ">=",
            0.0,
            "HYG, IEF closes",
            "50d",
            "fraction",
        ),
    ),
    _one(
        "conditions",
        "Financial conditions are looser than average (NFCI below 0)",
        0.5,
        EvidenceSpec("Chicago Fed NFCI", macro(NFCI), "<=", 0.0, "FRED NFCI", unit="index"),
    ),
    _one(
        "labour",
        "Jobless claims are not climbing",
        0.5,
        EvidenceSpec(
            "Initial claims 4-week average vs a year ago",
            macro(CLAIMS_YOY),
            "<=",
            "agents.macro.max_claims_yoy",
            "FRED ICSA",
            "52w",
            "fraction",
        ),
    ),
    _one(
        "inflation",
        "Core inflation is not re-accelerating",
        0.4,
        EvidenceSpec(
            "Core CPI y/y change over 3 months",
            macro(CORE_CPI_YOY_CHG_3M),
            "<=",
            "agents.macro.max_core_cpi_chg_3m",
            "BLS CPI (as released)",
            "3 releases",
            "pp",
        ),
    ),
)
"""The macro agent's claims (the replay judges the same specs on every week)."""


def analyze(ctx: AgentContext) -> Opinion:
    """Small caps are rate- and credit-sensitive borrowers: does the backdrop let them lead?"""
    snap = ctx.result.snapshot
    claims = [spec.make(ctx) for spec in CLAIMS]
    risks = [f"{k.name} triggered: {k.trigger}." for k in ctx.result.regime.killers if k.triggered]
    y10 = UST_10Y.of(snap)
    if y10 is not None and y10 > agent_rules(ctx).macro.high_yield_10y:
        risks.append(f"10-year yield at {y10:.2f} %: refinancing costs weigh on small borrowers.")
    stale = [c for c in snap.caveats if c.startswith("Stale")]
    return opinion(NAME, LENS, ctx.as_of, claims, risks + stale)
