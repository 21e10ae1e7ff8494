"""Report sections about the market: headline, evidence ladder, charts, relative strength, breadth, rates
and the rotation killers — each built from ``ReportData`` into document blocks (no layout, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable

from rotascope.records import EarningsYield, PairStrength
from rotascope.report.document import (
    Block,
    Bullets,
    FigureBlock,
    Para,
    ReportData,
    Section,
    TableBlock,
    ev_text,
    fmt_value,
    mark,
)
from rotascope.report.factorview import HEAD, factor_rows
from rotascope.report.termkit import evidence_threshold, evidence_value, num, pct
from rotascope.report.valuationview import (
    EY_COLUMNS,
    earnings_yield_notes,
    earnings_yield_rows,
    valuation_notes,
    valuation_rows,
)


def _pairs(pairs: Iterable[PairStrength], caption: str) -> TableBlock:
    rows = []
    for p in pairs:
        weeks = (
            "n/a"
            if p.persistence_4w is None or p.persistence_13w is None
            else f"{round(p.persistence_4w * 4)}/4, {round(p.persistence_13w * 13)}/13"
        )
        rows.append(
            (
                p.pair,
                num(p.ratio, 4),
                *[pct(p.returns.get(w)) for w in ("1w", "1m", "3m", "6m", "12m")],
                pct(p.dist_sma50, 1),
                pct(p.dist_sma200, 1),
                weeks,
            )
        )
    head = ("pair", "ratio", "1w", "1m", "3m", "6m", "12m", "vs 50d", "vs 200d", "weeks up 4/13")
    return TableBlock(head, tuple(rows), caption)


def headline(data: ReportData) -> Section:
    a, d, snap = data.analysis, data.analysis.decision, data.monitor.snapshot
    facts = (
        ("subject", a.subject),
        ("analysis", f"{a.kind} {a.id}"),
        ("as of", str(a.as_of)),
        ("data source", f"{snap.source} (fingerprint {a.data_fingerprint})"),
        ("config hash", a.config_hash),
        ("evidence ladder", f"level {a.ladder_reached} of 5" if a.ladder_reached is not None else "n/a"),
        ("killers triggered", ", ".join(a.killers_triggered) or "none"),
        ("stance", d.stance),
        ("direction", d.direction),
        ("mode", d.mode),
        ("conviction", f"{d.conviction:+.2f} (P(bull) − P(bear))"),
        ("satellite tilt", f"{d.tilt:+.1%} of equity"),
    )
    lead = (
        f"{d.stance.capitalize()} — mode: {d.mode} — conviction {d.conviction:+.2f} — "
        f"as of {a.as_of} — data: {snap.source}."
    )
    fresh = tuple(Para(line, emphasis=True) for line in (data.freshness.lines() if data.freshness else ()))
    return Section(
        "headline",
        "Headline",
        (
            *fresh,
            Para(lead, emphasis=True),
            TableBlock(("item", "value"), facts),
            Bullets(tuple(d.rationale)),
        ),
    )


def ladder(data: ReportData) -> Section:
    lad = data.monitor.regime.ladder
    blocks: list[Block] = [Para(f"Level {lad.reached} of 5 reached (every level below it passed).")]
    head = ("evidence", "value", "threshold", "pass", "as of", "window", "source")
    for lvl in lad.levels:
        rows = tuple(
            (
                e.name,
                evidence_value(e),
                evidence_threshold(e),
                mark(e.passed),
                str(e.as_of),
                e.window,
                e.source,
            )
            for e in lvl.evidence
        )
        note = f"Rule: {lvl.rule}. Next: {lvl.next_check}" + (f" {lvl.proxy}" if lvl.proxy else "")
        blocks.append(
            TableBlock(head, rows, f"Level {lvl.level}: {lvl.name} — {mark(lvl.passed)}", note=note)
        )
    return Section("ladder", "Evidence ladder", tuple(blocks))


def dashboard(data: ReportData) -> Section:
    if not data.charts:
        return Section("charts", "Rotation dashboard", (Para("Charts were not rendered for this report."),))
    return Section(
        "charts", "Rotation dashboard", tuple(FigureBlock(c.key, c.title, c.note) for c in data.charts)
    )


def relative(data: ReportData) -> Section:
    snap = data.monitor.snapshot
    rot_rows = tuple(
        (
            r.symbol,
            num(r.rs_ratio),
            num(r.rs_momentum),
            r.quadrant or "n/a",
            " → ".join(f"({num(p.rs_ratio, 1)}, {num(p.rs_momentum, 1)})" for p in r.tail[-4:]),
        )
        for r in sorted(snap.rotation, key=lambda r: (r.quadrant or "", r.symbol))
    )
    return Section(
        "relative",
        "Relative strength",
        (
            _pairs(snap.pairs, "Pairs: change of the price ratio (+ = numerator led)"),
            _pairs(snap.sectors, "Sectors vs SPY"),
            TableBlock(
                ("symbol", "RS-Ratio", "RS-Momentum", "quadrant", "tail (weekly, oldest first)"),
                rot_rows,
                "Relative rotation vs SPY (100 = neutral)",
            ),
        ),
    )


def breadth(data: ReportData) -> Section:
    snap = data.monitor.snapshot
    bs = snap.breadth
    measures: list[tuple[str, list[str]]] = [
        ("members with data", [f"{b.members_with_data:,}" for b in bs]),
        ("advances / declines", [f"{b.advances:,} / {b.declines:,}" for b in bs]),
        ("A/D line vs its 50-day average", [num(b.ad_line_vs_sma50, 0) for b in bs]),
        ("McClellan oscillator", [num(b.mcclellan_oscillator, 1) for b in bs]),
        ("McClellan summation", [num(b.mcclellan_summation, 0) for b in bs]),
        ("% above 50-day", [pct(b.pct_above_50, 1, False) for b in bs]),
        ("% above 50-day 20 days ago", [pct(b.pct_above_50_20d_ago, 1, False) for b in bs]),
        ("% above 200-day", [pct(b.pct_above_200, 1, False) for b in bs]),
        ("new 52-week highs − lows", [f"{b.new_highs} − {b.new_lows} = {b.net_new_highs:+d}" for b in bs]),
        (
            "Zweig thrust EMA (last thrust)",
            [f"{num(b.thrust_ema, 3)} ({b.last_thrust or 'none'})" for b in bs],
        ),
        ("sectors improving", [pct(b.sector_participation, 0, False) for b in bs]),
        ("top-10 share of the 1m move", [pct(b.top10_concentration_1m, 1, False) for b in bs]),
    ]
    blocks: list[Block] = [
        TableBlock(
            ("measure", *[b.universe for b in bs]),
            tuple((name, *vals) for name, vals in measures),
            f"Breadth of member closes as of {snap.as_of}",
        )
    ]
    for b in bs:
        if b.sectors:
            blocks.append(
                TableBlock(
                    ("sector", "members", "% above 50-day", "20 days ago", "improving"),
                    tuple(
                        (
                            s.sector,
                            str(s.members),
                            pct(s.pct_above_50, 1, False),
                            pct(s.pct_above_50_20d_ago, 1, False),
                            fmt_value(s.improving),
                        )
                        for s in b.sectors
                    ),
                    f"{b.universe} sector participation",
                )
            )
    caveats = sorted({b.caveat for b in bs if b.caveat})
    blocks.append(
        Para("Survivorship caveat: " + " ".join(caveats) if caveats else "Survivorship caveat: n/a.")
    )
    return Section("breadth", "Breadth", tuple(blocks))


MACRO_ROWS = (
    ("ust_10y", "10-year yield"),
    ("ust_10y_chg_13w", "10-year yield, 13-week change"),
    ("ust_2y", "2-year yield"),
    ("curve_10y_2y", "2s10s curve"),
    ("curve_10y_3m", "3m10y curve"),
    ("hy_oas", "HY OAS"),
    ("hy_oas_chg_13w", "HY OAS, 13-week change"),
    ("hy_oas_pctile_5y", "HY OAS, 5-year percentile"),
    ("baa_spread", "Baa spread"),
    ("hyg_ief_vs_sma50", "HYG/IEF vs its 50-day average"),
    ("nfci", "Chicago Fed NFCI"),
    ("claims_yoy", "Initial claims 4-week average y/y"),
    ("cpi_core_yoy", "Core CPI y/y"),
    ("vix", "VIX"),
    ("vix_pctile_1y", "VIX, 1-year percentile"),
)


def _macro_value(key: str, value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("fraction", "annualised"):
        return pct(value, 1, key.endswith("_vs_sma50") or key.endswith("_yoy"))
    if unit == "pp" or "_chg_" in key:
        return f"{value:+.2f} pp"
    return num(value) + (" %" if unit == "percent" else "")


def rates(data: ReportData) -> Section:
    m = data.monitor.snapshot.macro
    rows = []
    for key, label in MACRO_ROWS:
        if key not in m.values:
            continue
        seen = m.observed.get(key)
        rows.append(
            (
                label,
                _macro_value(key, m.values.get(key), m.units.get(key, "")),
                str(seen) if seen else "close",
            )
        )
    return Section(
        "rates",
        "Rates and credit",
        (
            TableBlock(
                ("measure", "value", "observed"),
                tuple(rows),
                "Latest value known on the as-of date (observation date shown: staleness is visible)",
            ),
            TableBlock(
                HEAD,
                tuple(factor_rows(data.monitor.snapshot)),
                "Factor lenses: is leadership quality-led or cheap junk? (French library, published monthly)",
            ),
        ),
    )


def killers(data: ReportData) -> Section:
    regime = data.monitor.regime
    rows = tuple(
        (
            k.name,
            "n/a" if k.triggered is None else ("TRIGGERED" if k.triggered else "quiet"),
            k.trigger,
            "; ".join(ev_text(e) for e in k.evidence),
        )
        for k in regime.killers
    )
    checks = tuple(
        (c.question, mark(c.passed), "; ".join(ev_text(e) for e in c.evidence)) for c in regime.checklist
    )
    return Section(
        "killers",
        "Rotation killers and checklist",
        (
            TableBlock(("killer", "status", "trigger", "now"), rows, "Rotation-killers watchlist"),
            TableBlock(("question", "answer", "evidence"), checks, "Rotation checklist"),
        ),
    )


def valuation(data: ReportData) -> Section | None:
    """Small vs big caps' book-to-market against financing conditions (None: no portfolio data stored)."""
    lens = data.valuation
    if lens is None:
        return None
    return Section(
        "valuation",
        "Valuation vs financing",
        (
            TableBlock(
                ("measure", "value", "percentile"),
                tuple(valuation_rows(lens)),
                f"Fama-French size x book-to-market portfolios, data {lens.data_date:%Y-%m} (known "
                f"{lens.known_at}); financing percentiles over each series' stored history",
            ),
            Bullets(tuple(valuation_notes(lens))),
            *_earnings_yield_blocks(lens.earnings_yield),
        ),
    )


def _earnings_yield_blocks(ey: EarningsYield | None) -> tuple[TableBlock | Bullets, ...]:
    """The SimFin earnings yields beside the lens (nothing when none is stored)."""
    if ey is None:
        return ()
    return (
        TableBlock(
            EY_COLUMNS,
            tuple(earnings_yield_rows(ey)),
            "SimFin trailing-four-quarter net income over market value of the index members covered; "
            "financials absent",
        ),
        Bullets(tuple(earnings_yield_notes(ey))),
    )
