"""The valuation lens in words and rows: one function each for the terminal, Markdown/HTML and the web."""

from __future__ import annotations

from rich.console import Console

from rotascope.records import Percentiles, ValuationLens
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
