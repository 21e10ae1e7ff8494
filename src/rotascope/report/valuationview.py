"""The valuation lens in words and rows: one function each for the terminal, Markdown/HTML and the web."""

from __future__ import annotations

from rich.console import Console

from rotascope.records import EarningsYield, EarningsYieldReading, Percentiles, ValuationLens
from rotascope.report.termkit import para, show, table


def _pct(p: Percentiles | None) -> str:
    if p is None:
        return "n/a"
    parts = [(p.all, "all"), (p.y30, "30y"), (p.y10, "10y")]
    return ", ".join(f"{v:.0%} {label}" for v, label in parts if v is not None)


def valuation_rows(lens: ValuationLens) -> list[tuple[str, str, str]]:
    """(measure, value, percentile over its history) rows, in display order."""
    rows = [
        ("BE/ME small / big (spread)", f"{lens.spread:.2f}", _pct(lens.spread_percentile)),
        (
            "  at current prices (rolled from June)",
            f"{lens.spread_now:.2f}" if lens.spread_now is not None else "n/a",
            _pct(lens.spread_now_percentile),
        ),
        ("BE/ME small, big", f"{lens.be_me_small:.3f}, {lens.be_me_big:.3f}", ""),
    ]
    if lens.relative_profitability is not None:
        rows.append(
            (
                "OP small - big (relative profitability)",
                f"{lens.relative_profitability:+.3f} ({lens.op_small:.3f} - {lens.op_big:.3f})",
                _pct(lens.relative_profitability_percentile),
            )
        )
    for f in lens.financing:
        rows.append(
            (
                f"{f.name}, {f.observed}" if f.observed else f.name,
                f"{f.value:.2f}" if f.value is not None else "n/a",
                f"{f.percentile:.0%} since {f.since}" if f.percentile is not None else "n/a",
            )
        )
    return rows


def valuation_notes(lens: ValuationLens) -> list[str]:
    """The rule and what each number means, as sentences."""
    return [
        lens.rule,
        f"Spread: {lens.variant}; current-price version: {lens.roll_method}.",
        *lens.notes,
    ]


EY_COLUMNS = ("index", "earnings yield", "minus Baa yield", "minus HY-yield proxy", "members covered")


def _pp(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f} pp"


def earnings_yield_rows(ey: EarningsYield) -> list[tuple[str, str, str, str, str]]:
    """(index and data date, yield, minus Baa, minus HY proxy, coverage) rows."""
    return [
        (
            f"{r.universe}, {r.data_date}",
            f"{r.value:.2%}",
            _pp(r.minus_baa_pp),
            _pp(r.minus_hy_pp),
            f"{r.covered:,} of {r.members:,} ({r.covered / r.members:.0%})",
        )
        for r in ey.readings
    ]


def _sentence(r: EarningsYieldReading) -> str:
    against = []
    if r.minus_baa_pp is not None:
        against.append(
            f"{abs(r.minus_baa_pp):.2f} pp {'above' if r.minus_baa_pp >= 0 else 'below'} the Baa yield"
        )
    if r.minus_hy_pp is not None:
        against.append(
            f"{abs(r.minus_hy_pp):.2f} pp {'above' if r.minus_hy_pp >= 0 else 'below'} the HY-yield proxy "
            "(HY OAS + 10-year yield)"
        )
    text = (
        f"{r.universe} members' aggregate trailing earnings yield on {r.data_date}: {r.value:.2%}"
        + (f", {' and '.join(against)}" if against else "")
        + f"; it covers {r.covered:,} of the {r.members:,} members on the list "
        f"({r.covered / r.members:.0%}), {r.losers:.0%} of them with a trailing loss"
        + (f"; the largest single loss takes {-r.top_loss * 100:.2f} pp of it." if r.top_loss < 0 else ".")
    )
    if r.value < 0:
        text += " Negative: the covered members' losses exceed their profits."
    return text


def earnings_yield_notes(ey: EarningsYield) -> list[str]:
    """Each reading in words, the definition and the caveats."""
    return [*(_sentence(r) for r in ey.readings), f"Earnings yield: {ey.definition}.", *ey.notes]


def render_valuation(lens: ValuationLens | None, console: Console) -> None:
    """The monitor's valuation section (said plainly when there is no valuation data)."""
    if lens is None:
        para(console, "Valuation vs financing: no Fama-French portfolio data stored (run `rotascope init`).")
        return
    t = table(console, f"Valuation vs financing (small vs big caps; data {lens.data_date:%Y-%m})")
    for col in ("measure", "value", "percentile"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for row in valuation_rows(lens):
        t.add_row(*row)
    show(console, t)
    for note in valuation_notes(lens):
        para(console, note)
    ey = lens.earnings_yield
    if ey is None:
        return
    t = table(console, "Earnings yield vs financing (SimFin, trailing four quarters; financials absent)")
    for col in EY_COLUMNS:
        t.add_column(col, justify="left" if col == "index" else "right")
    for ey_row in earnings_yield_rows(ey):
        t.add_row(*ey_row)
    show(console, t)
    for note in earnings_yield_notes(ey):
        para(console, note)
