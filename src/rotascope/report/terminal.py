"""Rich terminal rendering of the monitor: relative strength, rotation, breadth, macro, ladder, checklist.

Readable at 80 columns: narrow consoles get compact tables (see :mod:`rotascope.report.termkit`) and
wrapped paragraphs; the analysis renderer lives in :mod:`rotascope.report.terminal_analysis`.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rotascope.records import PairStrength, Regime, Snapshot
from rotascope.report.factorview import HEAD, factor_rows
from rotascope.report.terminal_analysis import render_analysis
from rotascope.report.termkit import (
    DISCLAIMER,
    bullets,
    evidence_threshold,
    evidence_value,
    mark,
    num,
    para,
    pct,
    show,
    table,
)

__all__ = [
    "DISCLAIMER",
    "evidence_threshold",
    "evidence_value",
    "mark",
    "num",
    "pairs_table",
    "pct",
    "render",
    "render_analysis",
]


def pairs_table(console: Console, title: str, pairs: Iterable[PairStrength]) -> Table:
    """Returns over five windows, distance to the 50/200-day averages and weeks up (one row a pair)."""
    t = table(console, title)
    for col in ("pair", "1w", "1m", "3m", "6m", "12m", "vs 50d", "vs 200d", "up 4/13"):
        t.add_column(col, justify="left" if col == "pair" else "right", no_wrap=True)
    for p in pairs:
        weeks = (
            "n/a"
            if p.persistence_4w is None or p.persistence_13w is None
            else (f"{round(p.persistence_4w * 4)}/4 {round(p.persistence_13w * 13)}/13")
        )
        t.add_row(
            p.pair,
            *[pct(p.returns.get(w)) for w in ("1w", "1m", "3m", "6m", "12m")],
            pct(p.dist_sma50, 1),
            pct(p.dist_sma200, 1),
            weeks,
        )
    return t


def render(snap: Snapshot, regime: Regime, console: Console) -> None:
    """Print the whole monitor: header, tables in reading order, caveats and the disclaimer."""
    para(
        console,
        f"rotascope monitor — as of {snap.as_of} — source: {snap.source} (data {snap.data_fingerprint})",
        "bold",
    )
    para(console, f"Evidence ladder: level {regime.ladder.reached} of 5 reached", "bold cyan")
    show(
        console,
        pairs_table(console, "Relative strength (change of the price ratio; + = numerator led)", snap.pairs),
    )
    show(console, pairs_table(console, "Sectors vs SPY", snap.sectors))
    show(console, rotation_table(console, snap))
    show(console, breadth_table(console, snap))
    show(console, macro_table(console, snap))
    show(console, factor_table(console, snap))
    for t in ladder_tables(console, regime):
        show(console, t)
    show(console, checklist_table(console, regime))
    show(console, killers_table(console, regime))
    para(console, "Caveats", "bold")
    bullets(console, snap.caveats)
    para(console, DISCLAIMER, "italic")


def rotation_table(console: Console, snap: Snapshot) -> Table:
    """Relative rotation graph as a table: RS-Ratio, RS-Momentum, quadrant and the last four tail points."""
    rot = table(console, "Relative rotation vs SPY (RS-Ratio, RS-Momentum; 100 = neutral)")
    for col in ("symbol", "RS-Ratio", "RS-Momentum", "quadrant"):
        rot.add_column(col, no_wrap=True)
    rot.add_column("tail (5-day steps, oldest first)")
    for r in sorted(snap.rotation, key=lambda r: (r.quadrant or "", r.symbol)):
        tail = " → ".join(f"({num(p.rs_ratio, 1)},{num(p.rs_momentum, 1)})" for p in r.tail[-4:])
        rot.add_row(r.symbol, num(r.rs_ratio), num(r.rs_momentum), r.quadrant or "n/a", tail)
    return rot


def _breadth_rows(snap: Snapshot) -> list[tuple[str, list[str]]]:
    """One (label, cell per universe) row per breadth measure."""
    br = snap.breadth
    return [
        ("members with data", [f"{b.members_with_data:,}" for b in br]),
        ("advances / declines", [f"{b.advances:,} / {b.declines:,}" for b in br]),
        ("A/D line vs its 50-day avg", [num(b.ad_line_vs_sma50, 0) for b in br]),
        ("McClellan oscillator", [num(b.mcclellan_oscillator, 1) for b in br]),
        ("McClellan summation", [num(b.mcclellan_summation, 0) for b in br]),
        (
            "% above 50-day (20d ago)",
            [f"{pct(b.pct_above_50, 1, False)} ({pct(b.pct_above_50_20d_ago, 1, False)})" for b in br],
        ),
        ("% above 200-day", [pct(b.pct_above_200, 1, False) for b in br]),
        ("new 52w highs − lows", [f"{b.new_highs} − {b.new_lows} = {b.net_new_highs:+d}" for b in br]),
        (
            "Zweig thrust EMA (last thrust)",
            [f"{num(b.thrust_ema, 3)} ({b.last_thrust or 'none'})" for b in br],
        ),
        (
            "sectors improving",
            [
                pct(b.sector_participation, 0, False) if b.sector_participation is not None else "—"
                for b in br
            ],
        ),
        (
            "top-10 share of 1m move",
            [
                pct(b.top10_concentration_1m, 1, False) if b.top10_concentration_1m is not None else "—"
                for b in br
            ],
        ),
    ]


def breadth_table(console: Console, snap: Snapshot) -> Table:
    """Breadth of member closes, one column per universe."""
    bt = table(console, "Breadth (member closes; survivorship-biased, see caveats)")
    bt.add_column("measure")
    for b in snap.breadth:
        bt.add_column(b.universe, justify="right")
    for name, values in _breadth_rows(snap):
        bt.add_row(name, *values)
    return bt


_MACRO_ROWS: tuple[tuple[str, str], ...] = (
    ("ust_10y", "10-year yield"),
    ("ust_10y_chg_13w", "  13-week change"),
    ("ust_2y", "2-year yield"),
    ("curve_10y_2y", "2s10s curve"),
    ("curve_10y_3m", "3m10y curve"),
    ("hy_oas", "HY OAS"),
    ("hy_oas_chg_13w", "  13-week change"),
    ("hy_oas_pctile_5y", "  5-year percentile"),
    ("baa_spread", "Baa spread"),
    ("hyg_ief_vs_sma50", "HYG/IEF vs 50-day avg"),
    ("nfci", "NFCI"),
    ("claims_yoy", "Claims 4wk avg y/y"),
    ("cpi_core_yoy", "Core CPI y/y"),
    ("vix", "VIX"),
    ("vix_pctile_1y", "  1-year percentile"),
    ("rv_iwm_21d", "IWM realised vol"),
    ("rv_spy_21d", "SPY realised vol"),
)


def _macro_cell(key: str, unit: str, value: float | None) -> str:
    """A macro value in its unit: % for fractions, signed pp for changes of rates, plain otherwise."""
    if unit in ("fraction", "annualised"):
        return pct(value, 1, key.endswith("_vs_sma50") or key.endswith("_yoy"))
    if unit == "pp" and value is not None and "chg" in key:
        return f"{value:+.2f} pp"
    return num(value)


def macro_table(console: Console, snap: Snapshot) -> Table:
    """Rates, credit, conditions and volatility with the date each value was observed."""
    mt = table(console, "Rates, credit, conditions, volatility (latest value known on the as-of date)")
    for col in ("measure", "value", "observed"):
        mt.add_column(col, justify="right" if col == "value" else "left")
    v, obs = snap.macro.values, snap.macro.observed
    for key, label in _MACRO_ROWS:
        seen = obs.get(key)
        shown = _macro_cell(key, snap.macro.units.get(key, ""), v.get(key))
        mt.add_row(label, shown, str(seen) if seen else "market close")
    return mt


def factor_table(console: Console, snap: Snapshot) -> Table:
    """Fama-French factor lenses."""
    ft = table(console, "Factor lenses (Fama-French; value, quality, investment, momentum, size)")
    for col in HEAD:
        ft.add_column(col, justify="left" if col == HEAD[0] else "right")
    for row in factor_rows(snap):
        ft.add_row(*row)
    return ft


def ladder_tables(console: Console, regime: Regime) -> list[Table]:
    """One table per ladder level: its rule, next check and every evidence row."""
    out: list[Table] = []
    for lvl in regime.ladder.levels:
        t = table(
            console,
            f"Level {lvl.level}: {lvl.name} — {'PASS' if lvl.passed else 'FAIL'}",
            f"Rule: {lvl.rule}. Next: {lvl.next_check}" + (f"\n{lvl.proxy}" if lvl.proxy else ""),
        )
        for col in ("evidence", "value", "threshold", "", "source"):
            t.add_column(col)
        for e in lvl.evidence:
            t.add_row(e.name, evidence_value(e), evidence_threshold(e), mark(e.passed), e.source)
        out.append(t)
    return out


def checklist_table(console: Console, regime: Regime) -> Table:
    """The rotation checklist with the evidence each answer read."""
    ck = table(console, "Rotation checklist")
    for col in ("question", "answer", "evidence"):
        ck.add_column(col)
    for item in regime.checklist:
        ck.add_row(
            item.question,
            mark(item.passed),
            "; ".join(f"{e.name} {evidence_value(e)} ({evidence_threshold(e)})" for e in item.evidence),
        )
    return ck


def killers_table(console: Console, regime: Regime) -> Table:
    """The rotation killers and whether each is triggered now."""
    kt = table(console, "Rotation killers watchlist")
    for col in ("killer", "status", "trigger", "now"):
        kt.add_column(col)
    for k in regime.killers:
        status = (
            Text("n/a", style="yellow")
            if k.triggered is None
            else (Text("TRIGGERED", style="bold red") if k.triggered else Text("quiet", style="green"))
        )
        kt.add_row(k.name, status, k.trigger, "; ".join(f"{e.name} {evidence_value(e)}" for e in k.evidence))
    return kt
