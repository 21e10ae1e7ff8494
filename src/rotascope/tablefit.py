"""Tables that fit the console without cutting a value: short cells whole, long text wrapped, else stacked.

A leaf (rich only), so every command module can print its tables through it, not only the report stage.
"""

from __future__ import annotations

import textwrap

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

SHORT_CELL = 16
"""Columns whose cells are all at most this long (numbers, dates, symbols) are never wrapped or cut."""


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _fit(renderable: Table) -> None:
    """Short-celled columns get a fixed width that holds their longest cell (their header may wrap at a
    space); the others wrap at spaces; no column ellipsises."""
    for column in renderable.columns:
        cells = [_plain(c) for c in column.cells]
        column.no_wrap = False
        column.overflow = "fold"
        if cells and all(len(c) <= SHORT_CELL for c in cells):
            header_words = _plain(column.header).split() or [""]
            column.width = max(*(len(c) for c in cells), *(len(w) for w in header_words))


def _compact(renderable: Table) -> None:
    """Drop the vertical rules and outer padding (the narrow style of the report tables)."""
    renderable.box = box.SIMPLE_HEAD
    renderable.show_edge = False
    renderable.collapse_padding = True
    renderable.pad_edge = False


def _min_width(console: Console, renderable: Table) -> int:
    unbounded = console.options.update_width(1_000_000)
    return Measurement.get(console, unbounded, renderable).minimum


def _stacked(renderable: Table) -> Table:
    """The same rows as blocks of ``header: value`` lines, for a console too narrow for the columns."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    columns = renderable.columns
    rows = list(zip(*(list(c.cells) for c in columns), strict=True)) if columns else []
    for i, row in enumerate(rows):
        if i:
            grid.add_row("", "")
        for column, cell in zip(columns, row, strict=True):
            grid.add_row(f"{_plain(column.header)}:", cell)
    return grid


TRANSPOSE_ROWS = 6
"""Tables of at most this many rows are turned on their side (rows become columns) before stacking."""


def _transposed(renderable: Table) -> Table | None:
    """Rows as columns (the first cell of each row heads its column), or None for a table of many rows."""
    columns = renderable.columns
    if not columns or not 0 < renderable.row_count <= TRANSPOSE_ROWS:
        return None
    rows = list(zip(*(list(c.cells) for c in columns), strict=True))
    turned = Table(
        title=renderable.title, caption=renderable.caption, title_justify="left", caption_justify="left"
    )
    turned.add_column(_plain(columns[0].header))
    for row in rows:
        turned.add_column(_plain(row[0]), justify="right")
    for i, column in enumerate(columns[1:], start=1):
        turned.add_row(_plain(column.header), *(row[i] for row in rows))
    _fit(turned)
    return turned


def _fits(console: Console, renderable: Table) -> bool:
    """True when ``renderable`` fits as it is or without its vertical rules (then it is left compact)."""
    if _min_width(console, renderable) > console.width:
        _compact(renderable)
    return _min_width(console, renderable) <= console.width


def show_table(console: Console, renderable: Table) -> None:
    """Print ``renderable`` fitted to ``console`` (:func:`_fit`): as it is, else without vertical rules,
    else on its side when it has few rows, else as stacked ``header: value`` rows under its title."""
    _fit(renderable)
    if _fits(console, renderable):
        console.print(renderable, soft_wrap=False)
        return
    turned = _transposed(renderable)
    if turned is not None and _fits(console, turned):
        console.print(turned, soft_wrap=False)
        return
    for words in (renderable.title, renderable.caption):
        if words:
            console.print(words, soft_wrap=False)
    console.print(_stacked(renderable), soft_wrap=False)


def wrapped(lines: list[str], width: int) -> list[str]:
    """Plain report lines wrapped at ``width`` between words (never inside a number or a name); a wrapped
    line's continuation is indented four spaces past its own indent."""
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(
            line,
            width=width,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
    return out
