"""The rules: evidence ladder (levels 1-5), rotation checklist and rotation killers over a Snapshot.

Every rule is a comparison of a measured value against a threshold from ``thresholds.toml``; every
result carries its Evidence (value, threshold, as-of, source). Missing data never passes silently: a rule
whose value is unknown fails (ladder/checklist) or is reported as unknown (killers). The rules are tables
of ``regime.spec`` records (what each reads, how it compares, which threshold, how the checks combine),
judged by the one rule engine (``regime.engine``): for one snapshot (:func:`evaluate`, worded records) or
for every row of a replay at once (:func:`signals`, float columns).
"""

from __future__ import annotations

import numpy as np

from rotascope._typing import Float64Array
from rotascope.measures import (
    CLAIMS_YOY,
    CORE_CPI_YOY_CHG_3M,
    CURVE_10Y_2Y_CHG_13W,
    HY_OAS_CHG_4W,
    HY_OAS_CHG_13W,
    HY_OAS_PCTILE_5Y,
    IWM_SPY_DAYS_ABOVE_SMA20,
    IWM_SPY_DRAWDOWN_LOOKBACK,
    IWM_SPY_SINCE_STRESS,
    R2000_BEAT_SHARE_1Q,
    R2000_CYC_MEDIAN_1M,
    R2000_CYC_MINUS_DEF_3M,
    R2000_NET_REVISIONS_4W,
    R2000_REPORTERS_1Q,
    R2000_REVISED_4W,
    STRESS_SEEN,
    UST_10Y_CHG_4W,
    UST_10Y_CHG_13W,
)
from rotascope.records import CheckItem, Killer, Ladder, Regime, Snapshot
from rotascope.regime.engine import reached
from rotascope.regime.spec import (
    Check,
    CountUp,
    Flag,
    Judge,
    KillerSpec,
    Known,
    LevelSpec,
    PairField,
    PairReturn,
    QuestionSpec,
    R2000Breadth,
    Reader,
    Rules,
    Text,
    evidence,
    reads_of,
)
from rotascope.regime.thresholds import Thresholds

__all__ = [
    "CHECKLIST",
    "KILLERS",
    "LADDER",
    "PROXY_EARNINGS",
    "READS",
    "all_levels",
    "checklist",
    "evaluate",
    "evidence",
    "killers",
    "ladder",
    "signals",
]

PROXY_EARNINGS = (
    "PROXY: no earnings surprises or estimate revisions are stored for this date, so level 4 reads the "
    "market's own verdict on small-cap earnings (cyclical vs defensive small-cap sectors, jobless "
    "claims); it is a stand-in, not revisions data."
)
IWM_SPY, KRE_SPY = "IWM, SPY closes", "KRE, SPY closes"
MEMBERS, BY_SECTOR, HY = "R2000 member closes", "R2000 member closes by GICS sector", "FRED BAMLH0A0HYM2"
L1, L2, L3, L4, L5 = (
    f"ladder.{s}." for s in ("relative_strength", "breadth", "credit", "earnings", "persistence")
)
LOOKBACK = "{t.ladder.persistence.lookback}d"
BREADTH_CHANGE = R2000Breadth("pct_above_50", minus="pct_above_50_20d_ago")

_CLAIMS = Check(
    "Initial claims (4-week average) vs a year ago",
    CLAIMS_YOY,
    "<=",
    L4 + "max_claims_yoy",
    source="FRED ICSA",
    window="52w",
    unit="fraction",
)
_BEAT, _NET = Known((R2000_BEAT_SHARE_1Q,)), Known((R2000_NET_REVISIONS_4W,))
_L4_PROXY = LevelSpec(
    4,
    "Earnings revisions improve",
    "Persistence: does leadership hold through the next volatility spike or index drawdown?",
    (
        Check(
            "Small-cap cyclicals minus defensives, median 63-day return",
            R2000_CYC_MINUS_DEF_3M,
            ">=",
            L4 + "min_cyclical_minus_defensive_3m",
            source=BY_SECTOR,
            window="63d",
            unit="fraction",
            note="{caveat}",
        ),
        _CLAIMS,
    ),
    (
        Text(
            "cyclical small-cap sectors (Industrials, Financials, Consumer Discretionary, "
            "Materials, Energy) beat defensive ones (Utilities, Consumer Staples, Health "
            "Care, Real Estate) over 63 days; claims up <= {t.ladder.earnings.max_claims_yoy:.0%} y/y"
        ),
    ),
    proxy=PROXY_EARNINGS,
)

LADDER: tuple[LevelSpec, ...] = (
    LevelSpec(
        1,
        "Relative strength: the Russell outperforms for days/weeks",
        "Breadth: is the move carried by many small caps, not a few squeezed "
        "names? Watch RSP/SPY and % of members above their 50-day average.",
        (
            Check(
                "IWM/SPY relative return",
                PairReturn("IWM/SPY", "1m"),
                ">=",
                L1 + "min_rel_1m",
                source=IWM_SPY,
                window="21d",
                unit="fraction",
            ),
            Check(
                "IWM/SPY weeks up (share of last 4)",
                PairField("IWM/SPY", "persistence_4w"),
                ">=",
                L1 + "min_persistence_4w",
                source=IWM_SPY,
                window="4 weekly steps",
                unit="fraction",
            ),
            Check(
                "IWM/SPY ratio vs its 50-day average",
                PairField("IWM/SPY", "dist_sma50"),
                ">",
                0.0,
                source=IWM_SPY,
                window="50d",
                unit="fraction",
                when=Flag(L1 + "require_above_sma50"),
            ),
        ),
        (
            Text(
                "IWM/SPY up >= {t.ladder.relative_strength.min_rel_1m:.1%} over 21 days, up in >= "
                "{t.ladder.relative_strength.min_persistence_4w:.0%} of the last 4 weeks"
            ),
            Text(", above its 50-day average", when=Flag(L1 + "require_above_sma50")),
        ),
    ),
    LevelSpec(
        2,
        "Equal weight and breadth improve",
        "Credit: are high-yield spreads stable or tightening, and are regional banks (KRE) holding up?",
        (
            Check(
                "RSP/SPY relative return",
                PairReturn("RSP/SPY", "1m"),
                ">=",
                L2 + "min_rsp_rel_1m",
                source="RSP, SPY closes",
                window="21d",
                unit="fraction",
            ),
            Check(
                "R2000 members above 50-day average",
                R2000Breadth("pct_above_50"),
                ">=",
                L2 + "min_pct_above_50",
                source=MEMBERS,
                window="50d",
                unit="fraction",
                note="{caveat}",
            ),
            Check(
                "Change of that share over 20 days",
                BREADTH_CHANGE,
                ">",
                L2 + "min_pct_above_50_change",
                source=MEMBERS,
                window="20d",
                unit="fraction",
            ),
            Check(
                "R2000 A/D line vs its 50-day average",
                R2000Breadth("ad_line_vs_sma50"),
                ">=",
                L2 + "min_ad_line_vs_sma50",
                source=MEMBERS,
                window="50d",
                unit="advances-declines",
            ),
        ),
        (
            Text(
                "RSP/SPY 21-day return >= {t.ladder.breadth.min_rsp_rel_1m:.1%}; >= "
                "{t.ladder.breadth.min_pct_above_50:.0%} of R2000 members above their 50-day average "
                "and rising; A/D line at or above its 50-day average"
            ),
        ),
    ),
    LevelSpec(
        3,
        "Credit stable or tightening; regional banks stabilise",
        "Earnings: are small-cap earnings expectations improving? (Proxy "
        "offline: cyclical vs defensive small caps, jobless claims.)",
        (
            Check(
                "HY OAS change over 13 weeks",
                HY_OAS_CHG_13W,
                "<=",
                L3 + "max_hy_oas_change_13w",
                source=HY,
                window="63d",
                unit="pp",
            ),
            Check(
                "HY OAS percentile in trailing 5 years",
                HY_OAS_PCTILE_5Y,
                "<=",
                L3 + "max_hy_oas_percentile",
                source=HY,
                window="5y",
                unit="fraction",
            ),
            Check(
                "KRE/SPY relative return",
                PairReturn("KRE/SPY", "1m"),
                ">=",
                L3 + "min_kre_rel_1m",
                source=KRE_SPY,
                window="21d",
                unit="fraction",
            ),
        ),
        (
            Text(
                "HY OAS up <= {t.ladder.credit.max_hy_oas_change_13w:.2f} pp over 13 weeks and below its "
                "{t.ladder.credit.max_hy_oas_percentile:.0%} 5-year percentile; KRE/SPY 21-day return >= "
                "{t.ladder.credit.min_kre_rel_1m:.1%}"
            ),
        ),
    ),
    LevelSpec(
        4,
        _L4_PROXY.name,
        _L4_PROXY.next_check,
        (
            Check(
                "Share of R2000 members beating consensus EPS",
                R2000_BEAT_SHARE_1Q,
                ">=",
                L4 + "min_beat_share",
                source="earnings surprises, each known the business day after its report date",
                window="91d",
                unit="fraction",
                when=_BEAT,
                note="{0:.0f} reports; today's members (survivorship)",
                note_values=(R2000_REPORTERS_1Q,),
            ),
            Check(
                "Net EPS estimate revisions of R2000 members, (raised - cut) / revised",
                R2000_NET_REVISIONS_4W,
                ">=",
                L4 + "min_net_revisions",
                source="consensus EPS snapshots, each known on its snapshot date",
                window="28d",
                unit="fraction",
                when=_NET,
                note="{0:.0f} members revised",
                note_values=(R2000_REVISED_4W,),
            ),
            _CLAIMS,
        ),
        (
            Text(
                "at least {t.ladder.earnings.min_beat_share:.0%} of reporting small caps beat consensus "
                "(91 days)",
                when=_BEAT,
            ),
            Text("net estimate revisions >= {t.ladder.earnings.min_net_revisions:+.0%} (28 days)", when=_NET),
        ),
        join=" and ",
        tail="; claims up <= {t.ladder.earnings.max_claims_yoy:.0%} y/y",
        when=Known((R2000_BEAT_SHARE_1Q, R2000_NET_REVISIONS_4W)),
        otherwise=_L4_PROXY,
    ),
    LevelSpec(
        5,
        "Leadership persists through a volatility spike/drawdown",
        "Keep the killers watchlist: a yield spike or credit widening ends most rotations.",
        (
            Check(
                "Stress episode in lookback (VIX jump or SPY drawdown)",
                STRESS_SEEN,
                ">=",
                1.0,
                source="VIX, SPY closes",
                window=LOOKBACK,
                unit="flag",
                note="stress = VIX >= {t.ladder.persistence.min_vix_jump:.0%} above its lookback low or "
                "SPY >= {t.ladder.persistence.min_spy_drawdown:.0%} below its lookback high",
            ),
            Check(
                "IWM/SPY drawdown from its lookback high",
                IWM_SPY_DRAWDOWN_LOOKBACK,
                "<=",
                L5 + "max_ratio_drawdown",
                source=IWM_SPY,
                window=LOOKBACK,
                unit="fraction",
            ),
            Check(
                "IWM/SPY since the worst stress day",
                IWM_SPY_SINCE_STRESS,
                ">=",
                L5 + "min_rel_since_stress",
                source=IWM_SPY,
                window=LOOKBACK,
                unit="fraction",
            ),
        ),
        (
            Text(
                "a stress episode happened in the lookback, and through it IWM/SPY fell at "
                "most {t.ladder.persistence.max_ratio_drawdown:.0%} and is not below its level on the worst "
                "stress day (no stress episode = not yet tested = not passed)"
            ),
        ),
    ),
)
"""The evidence ladder, level by level: every check of a level must pass."""

CHECKLIST: tuple[QuestionSpec, ...] = (
    QuestionSpec(
        "trend_persistent",
        "Is the small-cap trend persistent beyond 1-3 days?",
        (
            Check(
                "Days IWM/SPY has closed above its 20-day average",
                IWM_SPY_DAYS_ABOVE_SMA20,
                ">=",
                "checklist.trend_days",
                source=IWM_SPY,
                unit="days",
            ),
        ),
    ),
    QuestionSpec(
        "breadth_improving",
        "Is breadth improving?",
        (
            Check(
                "Change of % R2000 members above 50-day average over 20 days",
                BREADTH_CHANGE,
                ">",
                "checklist.min_pct_above_50_change",
                source=MEMBERS,
                window="20d",
                unit="fraction",
                note="{caveat}",
            ),
        ),
    ),
    QuestionSpec(
        "yields_helping",
        "Are yields helping (falling, or the curve steepening)?",
        (
            Check(
                "10-year yield change over 13 weeks",
                UST_10Y_CHG_13W,
                "<=",
                "checklist.max_yield_change_13w",
                source="FRED DGS10",
                window="63d",
                unit="pp",
            ),
            Check(
                "2s10s curve change over 13 weeks",
                CURVE_10Y_2Y_CHG_13W,
                ">=",
                "checklist.min_curve_change_13w",
                source="FRED T10Y2Y",
                window="63d",
                unit="pp",
            ),
        ),
    ),
    QuestionSpec(
        "credit_stable",
        "Is credit stable?",
        (
            Check(
                "HY OAS change over 13 weeks",
                HY_OAS_CHG_13W,
                "<=",
                "checklist.max_hy_oas_change_13w",
                source=HY,
                window="63d",
                unit="pp",
            ),
        ),
    ),
    QuestionSpec(
        "cyclicals_confirming",
        "Are cyclicals confirming (XLI, XLF, XLY vs SPY)?",
        (
            Check(
                "Cyclical sector ETFs up vs SPY over 21 days (count of 3)",
                CountUp(("XLI/SPY", "XLF/SPY", "XLY/SPY"), "1m"),
                ">=",
                "checklist.min_cyclicals_confirming",
                source="XLI, XLF, XLY, SPY closes",
                window="21d",
                unit="count",
            ),
        ),
    ),
)
"""The five questions a desk asks before calling a rotation: yes when a known check says yes."""

KILLERS: tuple[KillerSpec, ...] = (
    KillerSpec(
        "yield_spike",
        "Yield spike",
        "10-year up >= {t.killers.yield_spike_13w:.2f} pp in 13 weeks or >= "
        "{t.killers.yield_spike_4w:.2f} pp in 4 weeks",
        (
            Check(
                "10-year yield change over 13 weeks",
                UST_10Y_CHG_13W,
                ">=",
                "killers.yield_spike_13w",
                source="FRED DGS10",
                window="63d",
                unit="pp",
            ),
            Check(
                "10-year yield change over 4 weeks",
                UST_10Y_CHG_4W,
                ">=",
                "killers.yield_spike_4w",
                source="FRED DGS10",
                window="21d",
                unit="pp",
            ),
        ),
    ),
    KillerSpec(
        "inflation",
        "Renewed inflation pressure",
        "core CPI y/y up >= {t.killers.inflation_core_cpi_3m_change:.2f} pp over 3 months",
        (
            Check(
                "Core CPI y/y change over 3 months",
                CORE_CPI_YOY_CHG_3M,
                ">=",
                "killers.inflation_core_cpi_3m_change",
                source="BLS CPI (as released)",
                window="3 releases",
                unit="pp",
            ),
        ),
    ),
    KillerSpec(
        "credit_widening",
        "Credit widening",
        "HY OAS up >= {t.killers.credit_widening_4w:.2f} pp in 4 weeks or >= "
        "{t.killers.credit_widening_13w:.2f} pp in 13 weeks",
        (
            Check(
                "HY OAS change over 4 weeks",
                HY_OAS_CHG_4W,
                ">=",
                "killers.credit_widening_4w",
                source=HY,
                window="21d",
                unit="pp",
            ),
            Check(
                "HY OAS change over 13 weeks",
                HY_OAS_CHG_13W,
                ">=",
                "killers.credit_widening_13w",
                source=HY,
                window="63d",
                unit="pp",
            ),
        ),
    ),
    KillerSpec(
        "cyclical_downdraft",
        "Earnings downdraft in domestic cyclicals",
        "median small-cap cyclical member <= {t.killers.cyclical_downdraft_1m:.0%} over 21 days or "
        "KRE/SPY <= {t.killers.kre_downdraft_1m:.0%}",
        (
            Check(
                "Median R2000 cyclical member return",
                R2000_CYC_MEDIAN_1M,
                "<=",
                "killers.cyclical_downdraft_1m",
                source=BY_SECTOR,
                window="21d",
                unit="fraction",
            ),
            Check(
                "KRE/SPY relative return",
                PairReturn("KRE/SPY", "1m"),
                "<=",
                "killers.kre_downdraft_1m",
                source=KRE_SPY,
                window="21d",
                unit="fraction",
            ),
        ),
    ),
)
"""The rotation killers: each triggers when any of its known checks crosses its line."""


def all_levels() -> list[LevelSpec]:
    """Every ladder level with its alternatives (``otherwise``)."""
    return [s for spec in LADDER for s in spec.chain()]


READS = reads_of([*all_levels(), *CHECKLIST, *KILLERS])
"""Every value the rules read (checks, conditions, notes), once each: the columns a replay or a sweep
reads at every week before the engine judges them."""


def signals(read: Reader, t: Thresholds, n: int) -> dict[str, Float64Array]:
    """The regime verdicts on every one of ``n`` rows at once, as float signals: ``ladder_reached``,
    ``ladder_l{n}`` (1/0), ``check_{key}`` and ``killer_{key}`` (1/0, NaN unknown) -- the weekly replay's
    columns, judged by the same engine and specs as :func:`evaluate`."""
    rules = Rules(read, t, n)
    levels = [rules.level(spec) for spec in LADDER]
    out = {"ladder_reached": reached(np.vstack(levels), tuple(s.level for s in LADDER))}
    out.update({f"ladder_l{s.level}": v for s, v in zip(LADDER, levels, strict=True)})
    out.update({f"check_{q.key}": rules.question(q) for q in CHECKLIST})
    out.update({f"killer_{k.key}": rules.killer(k) for k in KILLERS})
    return out


def ladder(snap: Snapshot, t: Thresholds) -> Ladder:
    """Levels 1-5; ``reached`` is the highest level with it and every level below passed."""
    j = Judge(snap, t)
    levels = [j.level(spec) for spec in LADDER]
    top = reached(np.array([[float(lvl.passed)] for lvl in levels]), tuple(lvl.level for lvl in levels))
    return Ladder(as_of=snap.as_of, reached=int(top[0]), levels=levels)


def checklist(snap: Snapshot, t: Thresholds) -> list[CheckItem]:
    """The five questions a desk asks before calling a rotation, answered."""
    j = Judge(snap, t)
    return [j.question(spec) for spec in CHECKLIST]


def killers(snap: Snapshot, t: Thresholds) -> list[Killer]:
    """The rotation killers: each triggers when any of its evidence crosses its line."""
    j = Judge(snap, t)
    return [j.killer(spec) for spec in KILLERS]


def evaluate(snap: Snapshot, t: Thresholds) -> Regime:
    """Ladder, checklist and killers for one snapshot."""
    return Regime(
        as_of=snap.as_of, ladder=ladder(snap, t), checklist=checklist(snap, t), killers=killers(snap, t)
    )
