"""Terminal building blocks: number words, PASS/FAIL marks, wrapped paragraphs, bullet lists, tables.

Shared by the monitor and analysis renderers so both read well at 80 columns: below :data:`WIDE` columns
tables switch to a compact style (no vertical rules) and long text is wrapped at the console width rather
than left to the terminal, so nothing is cut or ellipsised when the output is piped or recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rotascope.measures import quote
from rotascope.records import Evidence
from rotascope.tablefit import show_table

DISCLAIMER = "Research tooling, not investment advice."
WIDE = 100
"""Consoles at least this wide get ruled tables; narrower ones the compact layout."""


def pct(value: float | None, digits: int = 2, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}%}" if signed else f"{value:.{digits}%}"


def num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def mark(passed: bool | None) -> Text:
    if passed is None:
        return Text("?", style="yellow")
    return Text("PASS", style="green") if passed else Text("FAIL", style="red")


QUOTED_UNITS = frozenset({"share", "share_diff", "vol_diff"})
"""Units the tables quote as the claims do (``measures.quote``): shares, differences in pp. A percentile
stays a plain 0-1 rank in its history (0.83) to keep the tables narrow."""
DELTA_UNIT = {"share": "share_diff", "share_diff": "share_diff", "vol_diff": "vol_diff"}
"""A change of a share or of a difference is quoted in pp (a percentile's, like its rank, plainly)."""


def unit_value(value: float | None, unit: str) -> str:
    """A value in its unit's words: fractions as signed percent, pp as pp, counts whole, else 2 decimals."""
    if value is None:
        return "n/a"
    if unit in QUOTED_UNITS:
        return quote(value, unit)
    if unit == "fraction":
        return pct(value)
    if unit == "pp":
        return f"{value:+.2f} pp"
    if unit in ("days", "count", "flag"):
        return f"{value:.0f}"
    return num(value)


def evidence_value(e: Evidence) -> str:
    return unit_value(e.value, e.unit)


def evidence_threshold(e: Evidence) -> str:
    if e.threshold is None:
        return ""
    if e.unit in QUOTED_UNITS:
        return f"{e.comparison} {quote(e.threshold, e.unit)}"
    if e.unit == "fraction":
        return f"{e.comparison} {pct(e.threshold, 1)}"
    if e.unit == "pp":
        return f"{e.comparison} {e.threshold:+.2f} pp"
    return f"{e.comparison} {e.threshold:g}"


def narrow(console: Console) -> bool:
    """True when the console is too narrow for ruled multi-column tables."""
    return console.width < WIDE


def table(console: Console, title: str, caption: str | None = None) -> Table:
    """A titled table: ruled when wide, compact (header rule only, 2-space gaps) when narrow."""
    if narrow(console):
        return Table(
            title=title,
            title_justify="left",
            caption=caption,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            collapse_padding=True,
            pad_edge=False,
        )
    return Table(title=title, title_justify="left", caption=caption, caption_justify="left")


def para(console: Console, text: str, style: str = "") -> None:
    """A paragraph wrapped at the console width (the shared console soft-wraps by default)."""
    console.print(Text(text, style=style), soft_wrap=False)


def bullets(console: Console, items: Iterable[str], indent: int = 2, marker: str = "•") -> None:
    """A bullet list with hanging indents: wrapped lines align under the item's first word."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=indent + len(marker), justify="right", no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for item in items:
        grid.add_row(marker, item)
    if grid.row_count:
        console.print(grid, soft_wrap=False)


def show(console: Console, renderable: Table) -> None:
    """Print a table that fits the console without cutting a number, date or name.

    Title and caption wrap at the console width; short cells (numbers, dates, symbols) stay whole and long
    text wraps at spaces. When even that is wider than the console, the rows are stacked as
    ``header: value`` blocks instead (the issue-25 rule: never an ellipsis inside a value).
    """
    show_table(console, renderable)
