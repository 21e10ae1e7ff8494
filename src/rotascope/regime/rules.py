"""The rules: evidence ladder (levels 1-5), rotation checklist and rotation killers over a Snapshot.

Every rule is a comparison of a measured value against a threshold from ``thresholds.toml``; every
result carries its Evidence (value, threshold, as-of, source). Missing data never passes silently: a rule
whose value is unknown fails (ladder/checklist) or is reported as unknown (killers).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date

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
    Measure,
)
from rotascope.records import CheckItem, Evidence, Killer, Ladder, LadderLevel, Regime, Snapshot, rnd
from rotascope.regime.thresholds import Thresholds

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
PROXY_EARNINGS = (
    "PROXY: no earnings surprises or estimate revisions are stored for this date, so level 4 reads the "
    "market's own verdict on small-cap earnings (cyclical vs defensive small-cap sectors, jobless "
    "claims); it is a stand-in, not revisions data."
)


def evidence(
    snap: Snapshot,
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
    """Evidence judged by ``comparison`` against ``threshold``, dated and sourced from the snapshot."""
    passed = None if value is None else _OPS[comparison](value, threshold)
    return Evidence(
        name=name,
        value=value,
        threshold=threshold,
        comparison=comparison,
        passed=passed,
        as_of=snap.as_of,
        source=f"{snap.source}: {source}",
        window=window,
        unit=unit,
        note=note,
    )


class _Ctx:
    """Builds Evidence for one snapshot."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.as_of: date = snap.as_of

    def ev(
        self,
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
        return evidence(
            self.snap, name, value, comparison, threshold, source=source, window=window, unit=unit, note=note
        )

    def value(self, measure: Measure) -> float | None:
        return measure.of(self.snap)


def _all(evidence: list[Evidence]) -> bool:
    return all(e.passed is True for e in evidence)


def _flag(value: bool | None) -> float | None:
    return None if value is None else float(value)


def ladder(snap: Snapshot, t: Thresholds) -> Ladder:
    """Levels 1-5; ``reached`` is the highest level with it and every level below passed."""
    c = _Ctx(snap)
    iwm, rsp, kre = snap.pair("IWM/SPY"), snap.pair("RSP/SPY"), snap.pair("KRE/SPY")
    r1, r2, r3, r4, r5 = (
        t.ladder.relative_strength,
        t.ladder.breadth,
        t.ladder.credit,
        t.ladder.earnings,
        t.ladder.persistence,
    )
    r2000 = next(b for b in snap.breadth if b.universe == "R2000")
    levels: list[LadderLevel] = []

    e1 = [
        c.ev(
            "IWM/SPY relative return",
            iwm.returns.get("1m"),
            ">=",
            r1.min_rel_1m,
            source="IWM, SPY closes",
            window="21d",
            unit="fraction",
        ),
        c.ev(
            "IWM/SPY weeks up (share of last 4)",
            iwm.persistence_4w,
            ">=",
            r1.min_persistence_4w,
            source="IWM, SPY closes",
            window="4 weekly steps",
            unit="fraction",
        ),
    ]
    if r1.require_above_sma50:
        e1.append(
            c.ev(
                "IWM/SPY ratio vs its 50-day average",
                iwm.dist_sma50,
                ">",
                0.0,
                source="IWM, SPY closes",
                window="50d",
                unit="fraction",
            )
        )
    levels.append(
        LadderLevel(
            level=1,
            name="Relative strength: the Russell outperforms for days/weeks",
            passed=_all(e1),
            evidence=e1,
            rule=f"IWM/SPY up >= {r1.min_rel_1m:.1%} over 21 days, up in >= "
            f"{r1.min_persistence_4w:.0%} of the last 4 weeks"
            + (", above its 50-day average" if r1.require_above_sma50 else ""),
            next_check="Breadth: is the move carried by many small caps, not a few squeezed "
            "names? Watch RSP/SPY and % of members above their 50-day average.",
        )
    )
    e2 = [
        c.ev(
            "RSP/SPY relative return",
            rsp.returns.get("1m"),
            ">=",
            r2.min_rsp_rel_1m,
            source="RSP, SPY closes",
            window="21d",
            unit="fraction",
        ),
        c.ev(
            "R2000 members above 50-day average",
            r2000.pct_above_50,
            ">=",
            r2.min_pct_above_50,
            source="R2000 member closes",
            window="50d",
            unit="fraction",
            note=r2000.caveat,
        ),
        c.ev(
            "Change of that share over 20 days",
            _diff(r2000.pct_above_50, r2000.pct_above_50_20d_ago),
            ">",
            r2.min_pct_above_50_change,
            source="R2000 member closes",
            window="20d",
            unit="fraction",
        ),
        c.ev(
            "R2000 A/D line vs its 50-day average",
            r2000.ad_line_vs_sma50,
            ">=",
            r2.min_ad_line_vs_sma50,
            source="R2000 member closes",
            window="50d",
            unit="advances-declines",
        ),
    ]
    levels.append(
        LadderLevel(
            level=2,
            name="Equal weight and breadth improve",
            passed=_all(e2),
            evidence=e2,
            rule=f"RSP/SPY 21-day return >= {r2.min_rsp_rel_1m:.1%}; >= {r2.min_pct_above_50:.0%} "
            "of R2000 members above their 50-day average and rising; A/D line at or above "
            "its 50-day average",
            next_check="Credit: are high-yield spreads stable or tightening, and are regional "
            "banks (KRE) holding up?",
        )
    )
    e3 = [
        c.ev(
            "HY OAS change over 13 weeks",
            c.value(HY_OAS_CHG_13W),
            "<=",
            r3.max_hy_oas_change_13w,
            source="FRED BAMLH0A0HYM2",
            window="63d",
            unit="pp",
        ),
        c.ev(
            "HY OAS percentile in trailing 5 years",
            c.value(HY_OAS_PCTILE_5Y),
            "<=",
            r3.max_hy_oas_percentile,
            source="FRED BAMLH0A0HYM2",
            window="5y",
            unit="fraction",
        ),
        c.ev(
            "KRE/SPY relative return",
            kre.returns.get("1m"),
            ">=",
            r3.min_kre_rel_1m,
            source="KRE, SPY closes",
            window="21d",
            unit="fraction",
        ),
    ]
    levels.append(
        LadderLevel(
            level=3,
            name="Credit stable or tightening; regional banks stabilise",
            passed=_all(e3),
            evidence=e3,
            rule=f"HY OAS up <= {r3.max_hy_oas_change_13w:.2f} pp over 13 weeks and below its "
            f"{r3.max_hy_oas_percentile:.0%} 5-year percentile; KRE/SPY 21-day return >= "
            f"{r3.min_kre_rel_1m:.1%}",
            next_check="Earnings: are small-cap earnings expectations improving? (Proxy "
            "offline: cyclical vs defensive small caps, jobless claims.)",
        )
    )
    claims_ev = c.ev(
        "Initial claims (4-week average) vs a year ago",
        c.value(CLAIMS_YOY),
        "<=",
        r4.max_claims_yoy,
        source="FRED ICSA",
        window="52w",
        unit="fraction",
    )
    beat, net = c.value(R2000_BEAT_SHARE_1Q), c.value(R2000_NET_REVISIONS_4W)
    real: list[Evidence] = []
    if beat is not None:
        real.append(
            c.ev(
                "Share of R2000 members beating consensus EPS",
                beat,
                ">=",
                r4.min_beat_share,
                source="earnings surprises, each known the business day after its report date",
                window="91d",
                unit="fraction",
                note=f"{c.value(R2000_REPORTERS_1Q) or 0:.0f} reports; today's members (survivorship)",
            )
        )
    if net is not None:
        real.append(
            c.ev(
                "Net EPS estimate revisions of R2000 members, (raised - cut) / revised",
                net,
                ">=",
                r4.min_net_revisions,
                source="consensus EPS snapshots, each known on its snapshot date",
                window="28d",
                unit="fraction",
                note=f"{c.value(R2000_REVISED_4W) or 0:.0f} members revised",
            )
        )
    if real:
        e4 = [*real, claims_ev]
        rule4 = (
            " and ".join(
                (
                    [f"at least {r4.min_beat_share:.0%} of reporting small caps beat consensus (91 days)"]
                    if beat is not None
                    else []
                )
                + (
                    [f"net estimate revisions >= {r4.min_net_revisions:+.0%} (28 days)"]
                    if net is not None
                    else []
                )
            )
            + f"; claims up <= {r4.max_claims_yoy:.0%} y/y"
        )
        proxy4: str | None = None
    else:
        e4 = [
            c.ev(
                "Small-cap cyclicals minus defensives, median 63-day return",
                c.value(R2000_CYC_MINUS_DEF_3M),
                ">=",
                r4.min_cyclical_minus_defensive_3m,
                source="R2000 member closes by GICS sector",
                window="63d",
                unit="fraction",
                note=r2000.caveat,
            ),
            claims_ev,
        ]
        rule4 = (
            "cyclical small-cap sectors (Industrials, Financials, Consumer Discretionary, "
            "Materials, Energy) beat defensive ones (Utilities, Consumer Staples, Health "
            f"Care, Real Estate) over 63 days; claims up <= {r4.max_claims_yoy:.0%} y/y"
        )
        proxy4 = PROXY_EARNINGS
    levels.append(
        LadderLevel(
            level=4,
            name="Earnings revisions improve",
            passed=_all(e4),
            evidence=e4,
            rule=rule4,
            next_check="Persistence: does leadership hold through the next volatility spike "
            "or index drawdown?",
            proxy=proxy4,
        )
    )
    stress = c.value(STRESS_SEEN)
    e5 = [
        c.ev(
            "Stress episode in lookback (VIX jump or SPY drawdown)",
            stress,
            ">=",
            1.0,
            source="VIX, SPY closes",
            window=f"{r5.lookback}d",
            unit="flag",
            note=f"stress = VIX >= {r5.min_vix_jump:.0%} above its lookback low or SPY >= "
            f"{r5.min_spy_drawdown:.0%} below its lookback high",
        ),
        c.ev(
            "IWM/SPY drawdown from its lookback high",
            c.value(IWM_SPY_DRAWDOWN_LOOKBACK),
            "<=",
            r5.max_ratio_drawdown,
            source="IWM, SPY closes",
            window=f"{r5.lookback}d",
            unit="fraction",
        ),
        c.ev(
            "IWM/SPY since the worst stress day",
            c.value(IWM_SPY_SINCE_STRESS),
            ">=",
            r5.min_rel_since_stress,
            source="IWM, SPY closes",
            window=f"{r5.lookback}d",
            unit="fraction",
        ),
    ]
    levels.append(
        LadderLevel(
            level=5,
            name="Leadership persists through a volatility spike/drawdown",
            passed=_all(e5),
            evidence=e5,
            rule="a stress episode happened in the lookback, and through it IWM/SPY fell at "
            f"most {r5.max_ratio_drawdown:.0%} and is not below its level on the worst "
            "stress day (no stress episode = not yet tested = not passed)",
            next_check="Keep the killers watchlist: a yield spike or credit widening ends most rotations.",
        )
    )
    reached = 0
    for lvl in levels:
        if not lvl.passed:
            break
        reached = lvl.level
    return Ladder(as_of=snap.as_of, reached=reached, levels=levels)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else rnd(a - b)


def checklist(snap: Snapshot, t: Thresholds) -> list[CheckItem]:
    """The five questions a desk asks before calling a rotation."""
    c = _Ctx(snap)
    k = t.checklist
    r2000 = next(b for b in snap.breadth if b.universe == "R2000")
    cyc = [snap.pair(p).returns.get("1m") for p in ("XLI/SPY", "XLF/SPY", "XLY/SPY")]
    confirming = (
        None if any(v is None for v in cyc) else float(sum(1 for v in cyc if v is not None and v > 0))
    )
    yields = c.ev(
        "10-year yield change over 13 weeks",
        c.value(UST_10Y_CHG_13W),
        "<=",
        k.max_yield_change_13w,
        source="FRED DGS10",
        window="63d",
        unit="pp",
    )
    curve = c.ev(
        "2s10s curve change over 13 weeks",
        c.value(CURVE_10Y_2Y_CHG_13W),
        ">=",
        k.min_curve_change_13w,
        source="FRED T10Y2Y",
        window="63d",
        unit="pp",
    )
    return [
        CheckItem(
            key="trend_persistent",
            question="Is the small-cap trend persistent beyond 1-3 days?",
            passed=None,
            evidence=[
                c.ev(
                    "Days IWM/SPY has closed above its 20-day average",
                    c.value(IWM_SPY_DAYS_ABOVE_SMA20),
                    ">=",
                    float(k.trend_days),
                    source="IWM, SPY closes",
                    unit="days",
                )
            ],
        ),
        CheckItem(
            key="breadth_improving",
            question="Is breadth improving?",
            passed=None,
            evidence=[
                c.ev(
                    "Change of % R2000 members above 50-day average over 20 days",
                    _diff(r2000.pct_above_50, r2000.pct_above_50_20d_ago),
                    ">",
                    k.min_pct_above_50_change,
                    source="R2000 member closes",
                    window="20d",
                    unit="fraction",
                    note=r2000.caveat,
                )
            ],
        ),
        CheckItem(
            key="yields_helping",
            question="Are yields helping (falling, or the curve steepening)?",
            passed=(yields.passed is True or curve.passed is True)
            if (yields.passed is not None or curve.passed is not None)
            else None,
            evidence=[yields, curve],
        ),
        CheckItem(
            key="credit_stable",
            question="Is credit stable?",
            passed=None,
            evidence=[
                c.ev(
                    "HY OAS change over 13 weeks",
                    c.value(HY_OAS_CHG_13W),
                    "<=",
                    k.max_hy_oas_change_13w,
                    source="FRED BAMLH0A0HYM2",
                    window="63d",
                    unit="pp",
                )
            ],
        ),
        CheckItem(
            key="cyclicals_confirming",
            question="Are cyclicals confirming (XLI, XLF, XLY vs SPY)?",
            passed=None,
            evidence=[
                c.ev(
                    "Cyclical sector ETFs up vs SPY over 21 days (count of 3)",
                    confirming,
                    ">=",
                    float(k.min_cyclicals_confirming),
                    source="XLI, XLF, XLY, SPY closes",
                    window="21d",
                    unit="count",
                )
            ],
        ),
    ]


def _settle(items: list[CheckItem]) -> list[CheckItem]:
    """Items without an explicit answer pass when their single piece of evidence passes."""
    out = []
    for item in items:
        if item.key != "yields_helping":
            item = item.model_copy(update={"passed": item.evidence[0].passed})
        out.append(item)
    return out


def killers(snap: Snapshot, t: Thresholds) -> list[Killer]:
    """The rotation killers: each triggers when any of its evidence crosses its line."""
    c = _Ctx(snap)
    k = t.killers
    kre = snap.pair("KRE/SPY")

    def killer(key: str, name: str, trigger: str, evidence: list[Evidence]) -> Killer:
        known = [e for e in evidence if e.passed is not None]
        fired = None if not known else any(e.passed for e in known)
        return Killer(key=key, name=name, triggered=fired, trigger=trigger, evidence=evidence)

    return [
        killer(
            "yield_spike",
            "Yield spike",
            f"10-year up >= {k.yield_spike_13w:.2f} pp in 13 weeks or >= "
            f"{k.yield_spike_4w:.2f} pp in 4 weeks",
            [
                c.ev(
                    "10-year yield change over 13 weeks",
                    c.value(UST_10Y_CHG_13W),
                    ">=",
                    k.yield_spike_13w,
                    source="FRED DGS10",
                    window="63d",
                    unit="pp",
                ),
                c.ev(
                    "10-year yield change over 4 weeks",
                    c.value(UST_10Y_CHG_4W),
                    ">=",
                    k.yield_spike_4w,
                    source="FRED DGS10",
                    window="21d",
                    unit="pp",
                ),
            ],
        ),
        killer(
            "inflation",
            "Renewed inflation pressure",
            f"core CPI y/y up >= {k.inflation_core_cpi_3m_change:.2f} pp over 3 months",
            [
                c.ev(
                    "Core CPI y/y change over 3 months",
                    c.value(CORE_CPI_YOY_CHG_3M),
                    ">=",
                    k.inflation_core_cpi_3m_change,
                    source="BLS CPI (as released)",
                    window="3 releases",
                    unit="pp",
                )
            ],
        ),
        killer(
            "credit_widening",
            "Credit widening",
            f"HY OAS up >= {k.credit_widening_4w:.2f} pp in 4 weeks or >= "
            f"{k.credit_widening_13w:.2f} pp in 13 weeks",
            [
                c.ev(
                    "HY OAS change over 4 weeks",
                    c.value(HY_OAS_CHG_4W),
                    ">=",
                    k.credit_widening_4w,
                    source="FRED BAMLH0A0HYM2",
                    window="21d",
                    unit="pp",
                ),
                c.ev(
                    "HY OAS change over 13 weeks",
                    c.value(HY_OAS_CHG_13W),
                    ">=",
                    k.credit_widening_13w,
                    source="FRED BAMLH0A0HYM2",
                    window="63d",
                    unit="pp",
                ),
            ],
        ),
        killer(
            "cyclical_downdraft",
            "Earnings downdraft in domestic cyclicals",
            f"median small-cap cyclical member <= {k.cyclical_downdraft_1m:.0%} over 21 days or KRE/SPY <= "
            f"{k.kre_downdraft_1m:.0%}",
            [
                c.ev(
                    "Median R2000 cyclical member return",
                    c.value(R2000_CYC_MEDIAN_1M),
                    "<=",
                    k.cyclical_downdraft_1m,
                    source="R2000 member closes by GICS sector",
                    window="21d",
                    unit="fraction",
                ),
                c.ev(
                    "KRE/SPY relative return",
                    kre.returns.get("1m"),
                    "<=",
                    k.kre_downdraft_1m,
                    source="KRE, SPY closes",
                    window="21d",
                    unit="fraction",
                ),
            ],
        ),
    ]


def evaluate(snap: Snapshot, t: Thresholds) -> Regime:
    """Ladder, checklist and killers for one snapshot."""
    return Regime(
        as_of=snap.as_of,
        ladder=ladder(snap, t),
        checklist=_settle(checklist(snap, t)),
        killers=killers(snap, t),
    )
