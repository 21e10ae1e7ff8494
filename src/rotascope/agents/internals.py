"""Market-internals agent: relative strength, breadth, rotation, persistence, concentration, volatility."""

from __future__ import annotations

from rotascope.agents.base import AgentContext, agent_rules, opinion
from rotascope.agents.columns import (
    IWM_RS_MOMENTUM,
    IWM_RS_RATIO,
    R2000_ABOVE_50,
    R2000_AD_VS_SMA50,
    R2000_NET_NEW_HIGHS,
    R2000_TOP10_CONCENTRATION,
    ClaimSpec,
    EvidenceSpec,
    factor,
    macro,
    pair_persistence,
    pair_return,
    pair_vs_sma200,
)
from rotascope.measures import MOM, RMW, RV_IWM_21D, RV_SPY_21D, SMB, VIX_PCTILE_1Y, Measure
from rotascope.records import Claim, Opinion, Snapshot
from rotascope.regime.spec import r2000

NAME = "internals"
FACTOR_LENSES = ("quality_led", "value_breadth")
LENS = "relative strength, breadth, rotation, persistence, concentration, volatility"
SRC = "IWM, SPY closes"
MEMBERS = "R2000 member closes"


def _r2000_caveat(snap: Snapshot) -> str:
    return r2000(snap).caveat


def _factor_note(snap: Snapshot, m: Measure) -> str:
    seen = snap.factors_observed.get(m.name)
    return f"Fama-French data through {seen} (published monthly, with a lag)" if seen else "no factor data"


CLAIMS: tuple[ClaimSpec, ...] = (
    ClaimSpec(
        NAME,
        "rs_trend",
        "IWM is outperforming SPY over one and three months",
        1.0,
        (
            EvidenceSpec(
                "IWM/SPY 1m relative return", pair_return("IWM/SPY", "1m"), ">=", 0.0, SRC, "21d", "fraction"
            ),
            EvidenceSpec(
                "IWM/SPY 3m relative return", pair_return("IWM/SPY", "3m"), ">=", 0.0, SRC, "63d", "fraction"
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "rs_persistence",
        "Small caps led in most of the last 13 weeks",
        0.6,
        (
            EvidenceSpec(
                "Share of the last 13 weeks IWM/SPY rose",
                pair_persistence("IWM/SPY", 13),
                ">=",
                "agents.internals.min_persistence_13w",
                SRC,
                "13 weekly steps",
                "share",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "rs_long_trend",
        "The IWM/SPY ratio is above its 200-day average",
        0.6,
        (
            EvidenceSpec(
                "IWM/SPY vs its 200-day average", pair_vs_sma200("IWM/SPY"), ">", 0.0, SRC, "200d", "fraction"
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "breadth",
        "Most small caps are above their 50-day average",
        0.8,
        (
            EvidenceSpec(
                "R2000 members above 50-day average",
                R2000_ABOVE_50,
                ">=",
                "agents.internals.min_pct_above_50",
                MEMBERS,
                "50d",
                "share",
                _r2000_caveat,
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "ad_line",
        "The small-cap A/D line and new highs confirm",
        0.6,
        (
            EvidenceSpec(
                "R2000 A/D line vs its 50-day average", R2000_AD_VS_SMA50, ">=", 0.0, MEMBERS, "50d", "count"
            ),
            EvidenceSpec(
                "R2000 net new 52-week highs", R2000_NET_NEW_HIGHS, ">=", 0.0, MEMBERS, "252d", "count"
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "equal_weight",
        "The average stock is beating the cap-weighted index (RSP/SPY)",
        0.5,
        (
            EvidenceSpec(
                "RSP/SPY 1m relative return",
                pair_return("RSP/SPY", "1m"),
                ">=",
                0.0,
                "RSP, SPY closes",
                "21d",
                "fraction",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "rotation",
        "IWM sits in the leading quadrant of the rotation graph",
        0.5,
        (
            EvidenceSpec("IWM RS-Ratio", IWM_RS_RATIO, ">=", 100.0, SRC, unit="index"),
            EvidenceSpec("IWM RS-Momentum", IWM_RS_MOMENTUM, ">=", 100.0, SRC, unit="index"),
        ),
    ),
    ClaimSpec(
        NAME,
        "concentration",
        "The index move is not carried by a handful of names",
        0.3,
        (
            EvidenceSpec(
                "Top-10 share of the R2000's 1m move",
                R2000_TOP10_CONCENTRATION,
                "<=",
                "agents.internals.max_top10_concentration",
                "R2000 member closes, IWM weights (Nov 2025)",
                "21d",
                "share",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "volatility",
        "Volatility is not in the stressed tail",
        0.3,
        (
            EvidenceSpec(
                "VIX 1-year percentile",
                macro(VIX_PCTILE_1Y),
                "<=",
                "agents.internals.max_vix_percentile",
                "VIX",
                "252d",
                "percentile",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "quality_led",
        "Small-cap leadership is not junk-led: the profitability factor is not falling",
        0.4,
        (
            EvidenceSpec(
                "Profitability factor (RMW) 3m return",
                factor(RMW["3m"]),
                ">=",
                "agents.internals.min_rmw_3m",
                RMW["3m"].source,
                RMW["3m"].window,
                RMW["3m"].unit,
                lambda snap: _factor_note(snap, RMW["3m"]),
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "value_breadth",
        "Small-cap value keeps up with small-cap growth (a broad rotation, not a growth squeeze)",
        0.3,
        (
            EvidenceSpec(
                "IWN/IWO 3m relative return",
                pair_return("IWN/IWO", "3m"),
                ">=",
                0.0,
                "IWN, IWO closes",
                "63d",
                "fraction",
            ),
        ),
    ),
)
"""The internals agent's claims, the factor lenses last (the replay judges the same specs every week).

Profitability (RMW) falling hard while size (SMB) rises is the junk rally the article warns about;
small-cap value (IWN) keeping up with small-cap growth (IWO) says the move is not a growth squeeze.
"""


def analyze(ctx: AgentContext) -> Opinion:
    """Is the small-cap move broad, persistent and orderly, or narrow and violent?"""
    snap = ctx.result.snapshot
    iwm = snap.pair("IWM/SPY")
    r2000 = next(b for b in snap.breadth if b.universe == "R2000")
    claims = [spec.make(ctx) for spec in CLAIMS]
    risks = factor_lens_risks(ctx)
    rules = agent_rules(ctx).internals
    rv_iwm, rv_spy = RV_IWM_21D.of(snap), RV_SPY_21D.of(snap)
    if rv_iwm is not None and rv_spy and rv_iwm / rv_spy > rules.max_vol_ratio:
        risks.append(
            f"IWM realised vol {rv_iwm:.0%} is {rv_iwm / rv_spy:.1f}x SPY's: violent moves reverse fast."
        )
    if (
        iwm.returns.get("1w") is not None
        and iwm.returns.get("3m") is not None
        and ((iwm.returns["1w"] or 0) > rules.squeeze_burst_1w and (iwm.returns["3m"] or 0) < 0)
    ):
        risks.append(
            "A sharp one-week burst inside a losing quarter: the signature of a squeeze, not a trend."
        )
    if r2000.pct_above_50 is not None and r2000.pct_above_50 < rules.narrow_pct_above_50:
        risks.append(f"Only {r2000.pct_above_50:.0%} of small caps are above their 50-day average: narrow.")
    risks.append("Breadth uses today's index members (survivorship bias).")
    return opinion(NAME, LENS, ctx.as_of, claims, risks)


def factor_lens_claims(ctx: AgentContext) -> list[Claim]:
    """Is leadership quality-led or cheap-junk driven, and is it broad across value and growth?"""
    return [spec.make(ctx) for spec in CLAIMS if spec.key in FACTOR_LENSES]


def factor_lens_risks(ctx: AgentContext) -> list[str]:
    """Risks read off the factor lenses, each sentence generated from its numbers."""
    snap = ctx.result.snapshot
    smb, rmw, mom = SMB["1m"].of(snap), RMW["1m"].of(snap), MOM["1m"].of(snap)
    rules = agent_rules(ctx).internals
    risks = []
    if smb is not None and rmw is not None and smb > 0 and rmw < rules.junk_rally_rmw_1m:
        risks.append(
            f"Size up {smb:+.1%} while profitability fell {rmw:+.1%} over a month: a cheap-junk rally, "
            "which tends to fade."
        )
    if mom is not None and mom < rules.momentum_crash_1m:
        risks.append(f"Momentum factor {mom:+.1%} over a month: a momentum crash often marks a squeeze.")
    return risks
