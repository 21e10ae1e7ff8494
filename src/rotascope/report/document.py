"""The desk report's content as one neutral document model, and the typed inputs it is built from.

Why one document model: the HTML, Markdown and PDF reports must say exactly the same thing. The content
is assembled once (``rotascope.report.desk_sections.build_document``) from typed inputs (``ReportData``:
the stored Analysis, the monitor's snapshot and regime on the same as-of date, the rendered charts and the
stored backtest's attribution rows) into the blocks below; ``rotascope.report.html.render_html`` and
``rotascope.report.markdown.render_markdown`` only lay them out, and the PDF is printed from the HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rotascope.backtest.attribution import SignalStat
from rotascope.monitor.freshness import Freshness
from rotascope.monitor.run import MonitorResult
from rotascope.records import Analysis, Evidence, ValuationLens
from rotascope.report.charts import ChartImage
from rotascope.report.termkit import evidence_threshold, evidence_value

DISCLAIMER = "Research tooling, not investment advice."
NO_BACKTEST = "No backtest stored: run `rotascope backtest`."


# --------------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class BacktestVerdict:
    """The newest stored backtest run and its attribution rows for the signals that fire today."""

    run_id: str
    start: str
    end: str
    data_fingerprint: str
    stats: tuple[SignalStat, ...]
    """The stored attribution rows of the signals firing on the report's as-of date."""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, gathered before rendering (rendering does no I/O)."""

    analysis: Analysis
    monitor: MonitorResult
    charts: tuple[ChartImage, ...] = ()
    fired_signals: tuple[str, ...] = ()
    """Backtest signal names (``ladder_l2``, ``killer_credit_widening``…) that fire on the as-of date."""
    backtest: BacktestVerdict | None = None
    valuation: ValuationLens | None = None
    """The valuation lens at the as-of (None: no Fama-French portfolio data stored)."""
    freshness: Freshness | None = None
    """How old the data is on the day the report is written (said first; never stored)."""


# ------------------------------------------------------------------------------------- document model
@dataclass(frozen=True)
class Para:
    """A paragraph of plain text."""

    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    """A table of plain-text cells with an optional caption above it and a note below it."""

    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class FigureBlock:
    """A chart, referenced by its key in ``Document.charts``."""

    key: str
    title: str
    note: str = ""


Block = Para | Bullets | TableBlock | FigureBlock


@dataclass(frozen=True)
class Section:
    """A titled section; ``anchor`` is a stable id for links."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """The report's content, independent of the output format."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    charts: Mapping[str, ChartImage] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER


# ---------------------------------------------------------------------------------------- formatting
def fmt_value(value: object) -> str:
    """Generic cell text for values of unknown shape (risk records, stored backtest rows)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={fmt_value(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, list | tuple):
        return "; ".join(fmt_value(v) for v in value)
    return str(value)


def mark(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def ev_text(e: Evidence) -> str:
    """'name value (threshold) PASS' in one line, for cells that cite evidence."""
    thr = evidence_threshold(e)
    return f"{e.name}: {evidence_value(e)}" + (f" ({thr})" if thr else "") + f" {mark(e.passed)}"
