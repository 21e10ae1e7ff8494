"""`rotascope report` (shareable HTML/Markdown/PDF desk report) and `rotascope diff` (run-to-run diff).

``register(app)`` adds both commands to a Typer app. The analysis comes from the analysis service; the
report file is written before the analysis is stored, so a failed write stores nothing.

Writing is atomic: the report is written to a temporary file in the target folder and moved into place
with ``os.replace``; Markdown chart PNGs are written the same way before the ``.md``. A bad output path
(missing folder, read-only folder, a folder given as the file) ends with one sentence and leaves nothing
half-written.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rotascope.atomicfile import atomic_write
from rotascope.backtest.replay import regime_signals
from rotascope.backtest.store import list_backtests, load_backtest
from rotascope.console import check_format, friendly_errors, out, settings_of
from rotascope.errors import RotascopeError
from rotascope.fundamentals.valuation import valuation_at
from rotascope.monitor.asof import parse_date
from rotascope.monitor.valcache import revisions_reading
from rotascope.records import Analysis
from rotascope.report.chartdata import chart_data
from rotascope.report.diff import diff_analyses
from rotascope.report.diffview import render_diff
from rotascope.report.pdf import html_to_pdf, weasyprint_module
from rotascope.store.analyses import load_analysis, save_analysis
from rotascope.store.db import reading, writing

if TYPE_CHECKING:
    from rich.console import Console

    from rotascope.analysis.service import Analyst
    from rotascope.config import Settings
    from rotascope.monitor.run import MonitorResult
    from rotascope.monitor.session import Session
    from rotascope.report.diff import AnalysisDiff
    from rotascope.report.document import BacktestVerdict, ReportData
    from rotascope.store.db import Store

FORMATS = ("html", "md", "pdf")
SUFFIX = {"html": ".html", "md": ".md", "pdf": ".pdf"}


# ------------------------------------------------------------------------------------------ gathering
def fired_signals(result: MonitorResult) -> tuple[str, ...]:
    """Names of the backtest signals that fire on the as-of date (signal > 0, the attribution rule)."""
    return tuple(sorted(k for k, v in regime_signals(result).items() if v == v and v > 0))


def backtest_verdict(store: Store, fired: tuple[str, ...]) -> BacktestVerdict | None:
    """The newest stored backtest's attribution rows for ``fired`` (None when no backtest is stored)."""
    # deferred: the report document pulls in matplotlib (~0.6 s), not needed by `diff` or by
    # `analyze`/`debate`, which import this module for check_target
    from rotascope.report.document import BacktestVerdict

    runs = list_backtests(store)
    if not runs:
        return None
    newest = runs[0]
    result = load_backtest(store, newest.id)
    stats = result.attribution.stats if result is not None else []
    wanted = set(fired)
    rows = sorted((s for s in stats if s.signal in wanted), key=lambda s: (s.signal, str(s.horizon_weeks)))
    return BacktestVerdict(
        run_id=newest.id,
        start=str(newest.start),
        end=str(newest.end),
        data_fingerprint=newest.data_fingerprint,
        stats=tuple(rows),
    )


def report_data(analyst: Analyst, session: Session, analysis: Analysis, charts: bool = True) -> ReportData:
    """Everything the report shows for an analysis the service made at ``session``: monitor, charts,
    backtest verdict, freshness."""
    # deferred: matplotlib (~0.6 s) loads only when a report is drawn, not for `diff` or `analyze`
    from rotascope.report.charts import render_charts
    from rotascope.report.document import ReportData  # deferred: matplotlib, as above

    monitor = analyst.monitor
    result = monitor.on(session.as_of)
    fired = fired_signals(result)
    selected = analysis.subject if analysis.kind == "regime" else None  # its RRG tail is drawn too
    drawn = chart_data(monitor.panel, result.as_of, selected=selected) if charts else None
    images = tuple(render_charts(drawn)) if drawn is not None else ()
    improve, source = revisions_reading(result.regime)
    return ReportData(
        analysis=analysis,
        monitor=result,
        charts=images,
        fired_signals=fired,
        backtest=backtest_verdict(analyst.store, fired),
        valuation=valuation_at(analyst.store, result.as_of, improve, source),
        freshness=session.fresh,
    )


def gather(analyst: Analyst, session: Session, symbol: str | None = None, charts: bool = True) -> ReportData:
    """Run the service at ``session`` (universe, or one stock/regime ETF with ``symbol``) and collect the
    report data."""
    analysis = analyst.single(symbol, session) if symbol else analyst.universe(session)
    return report_data(analyst, session, analysis, charts)


def report_kind(path: Path) -> str:
    """The report format a file name asks for (.md, .pdf; anything else is HTML)."""
    return {".md": "md", ".pdf": "pdf"}.get(path.suffix.lower(), "html")


# ------------------------------------------------------------------------------------------- writing
def default_path(data: ReportData, fmt: str) -> Path:
    """``rotascope-<as-of>-<subject>.<ext>`` in the current folder."""
    a = data.analysis
    subject = "universe" if a.kind == "universe" else a.subject.lower()
    return Path(f"rotascope-{a.as_of}-{subject}{SUFFIX[fmt]}")


def check_target(path: Path) -> None:
    """One sentence for the usual bad paths, before anything is computed or written."""
    parent = path.parent
    if path.is_dir():
        raise RotascopeError(f"Cannot write the report to {path}: it is a folder; give a file name.")
    if not parent.is_dir():
        raise RotascopeError(f"Cannot write the report to {path}: folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RotascopeError(f"Cannot write the report to {path}: folder {parent} is not writable.")
    try:  # access() says yes to root everywhere: prove it with a real file (e.g. /proc refuses)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise RotascopeError(
            f"Cannot write the report to {path}: folder {parent} refuses new files ({exc.strerror})."
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def render(data: ReportData, fmt: str, path: Path) -> dict[Path, bytes]:
    """The files of a report in ``fmt`` for ``path``: {path: bytes} (Markdown adds its chart PNGs)."""
    # deferred: the renderers pull in matplotlib (~0.6 s), needed only when a report is written
    from rotascope.report.desk_sections import build_document
    from rotascope.report.html import render_html  # deferred: matplotlib, as above
    from rotascope.report.markdown import render_markdown  # deferred: matplotlib, as above

    doc = build_document(data)
    if fmt == "html":
        return {path: render_html(doc).encode("utf-8")}
    if fmt == "pdf":
        return {path: html_to_pdf(render_html(doc))}
    chart_dir = f"{path.stem}_charts" if data.charts else None
    text, files = render_markdown(doc, chart_dir)
    out = {path.parent / rel: png for rel, png in files.items()}
    out[path] = text.encode("utf-8")
    return out


def write_report(files: Mapping[Path, bytes], main: Path) -> None:
    """Write the assets first, then the main file, each atomically (the main file appears last)."""
    for path, payload in sorted(files.items()):
        if path != main:
            try:
                path.parent.mkdir(exist_ok=True)
            except OSError as exc:
                raise RotascopeError(f"Cannot create {path.parent}: {exc.strerror or exc}.") from None
            atomic_write(path, payload)
    atomic_write(main, files[main])


# ----------------------------------------------------------------------------------------------- diff
def diff_table(d: AnalysisDiff, console: Console) -> None:
    """The diff in the terminal (see :func:`rotascope.report.diffview.render_diff`)."""
    render_diff(d, console)


# ------------------------------------------------------------------------------------------- commands
def make_report(
    settings: Settings, wanted: date | None, fmt: str, output: Path | None, symbol: str | None = None
) -> Path:
    """Run the analysis (universe, or one name), write its report atomically, then store the analysis
    (nothing is stored when the report cannot be written); returns the path."""
    if output is not None:
        check_target(output)
    if fmt == "pdf":
        weasyprint_module()  # fail before the slow part when the PDF route is missing
    with reading(settings) as store:
        # deferred: the agents and scikit-learn (~1.5 s) for `report`, not for `diff`
        from rotascope.analysis.service import Analyst

        analyst = Analyst(store, settings)
        data = gather(analyst, analyst.session(wanted), symbol)
        path = write_analysis_report(data, fmt, output)
    with writing(settings) as store:
        save_analysis(store, data.analysis)
    return path


def write_analysis_report(data: ReportData, fmt: str, output: Path | None) -> Path:
    """Render and write the report of gathered data (default name when ``output`` is None)."""
    path = output if output is not None else default_path(data, fmt)
    check_target(path)
    write_report(render(data, fmt, path), path)
    return path


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``diff`` to ``app``."""

    @app.command("report")
    def report(
        ctx: typer.Context,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: latest stored).")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="html, md or pdf.")] = "html",
        output: Annotated[
            Path | None,
            typer.Option(
                "--output", "-o", help="File to write (default: rotascope-<as-of>-<subject>.<ext>)."
            ),
        ] = None,
        symbol: Annotated[
            str | None, typer.Option("--symbol", help="A stored stock: single-stock report instead.")
        ] = None,
    ) -> None:
        """Shareable desk report (HTML, Markdown or PDF): stance, evidence ladder, charts, agents and their
        debate, scenarios, risk controls, killers, the backtest's verdict, sources and caveats. Stored."""
        if fmt not in FORMATS:
            raise typer.BadParameter(f"must be 'html', 'md' or 'pdf', got {fmt!r}", param_hint="--format")
        settings: Settings = settings_of(ctx)
        with friendly_errors():
            wanted = parse_date(as_of) if as_of is not None else None
            path = make_report(settings, wanted, fmt, output, symbol)
        out.print(str(path))

    @app.command("diff")
    def diff(
        ctx: typer.Context,
        a: Annotated[
            str, typer.Argument(help="Earlier analysis: id or unique id prefix (`rotascope history`).")
        ],
        b: Annotated[str, typer.Argument(help="Later analysis: id or unique id prefix.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    ) -> None:
        """What changed between two stored analyses, and whether the rotation is broadening."""
        check_format(fmt)
        with friendly_errors(), reading(settings_of(ctx)) as store:
            first = load_analysis(store, a.strip())
            second = load_analysis(store, b.strip())
        result = diff_analyses(first, second)
        if fmt == "json":
            sys.stdout.write(result.to_json())
            return
        diff_table(result, out)


__all__ = [
    "backtest_verdict",
    "default_path",
    "diff_table",
    "fired_signals",
    "gather",
    "register",
    "render",
    "write_report",
]
