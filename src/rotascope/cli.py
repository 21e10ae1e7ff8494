"""The `rotascope` command line: thin over the modules; every failure is one clear sentence."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rotascope import __version__
from rotascope.config import Settings, load_settings
from rotascope.errors import RotascopeError
from rotascope.monitor.asof import parse_date

if TYPE_CHECKING:
    from rotascope.agents.sentiment import Headline
    from rotascope.monitor.run import Monitor, MonitorResult
    from rotascope.records import Analysis
    from rotascope.store.db import Store

app = typer.Typer(
    name="rotascope",
    help="Is U.S. equity leadership rotating from mega caps to small caps, and is it real? "
    "Research tooling, not investment advice.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Inspect the stored data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: latest stored).")]


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn rotascope errors into one line on stderr and exit code 1; Ctrl-C into exit code 130."""
    try:
        yield
    except RotascopeError as exc:
        err.print(f"[bold red]Error:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("Interrupted; nothing was changed.")
        raise typer.Exit(130) from None


def settings_of(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def check_format(fmt: str) -> str:
    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"must be 'table' or 'json', got {fmt!r}", param_hint="--format")
    return fmt


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, sort_keys=True, indent=2, default=str) + "\n")


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data directory (env ROTASCOPE_HOME).")] = None,
    db: Annotated[Path | None, typer.Option(help="DuckDB store file (env ROTASCOPE_DB).")] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Is U.S. equity leadership rotating from mega caps to small caps, and is it real?"""
    if version:
        out.print(f"rotascope {__version__}")
        raise typer.Exit(0)
    with friendly_errors():
        ctx.obj = load_settings({"home": str(home) if home else None, "db": str(db) if db else None})


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Reload even if the same dataset is already stored.")] = False,
) -> None:
    """Load the embedded real dataset into the store (idempotent, all-or-nothing)."""
    from rotascope.providers import bundled
    from rotascope.sentiment.sample import load_headline_sample
    from rotascope.store import open_store

    settings = settings_of(ctx)
    with friendly_errors():
        store = open_store(settings, write=True)
        try:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress:
                task = progress.add_task("Reading and cleaning the embedded dataset")
                current = bundled.dataset_fingerprint(settings)
                if not force and store.loaded_fingerprint(bundled.SOURCE) == current:
                    out.print(
                        f"Store {settings.db}: embedded dataset already up to date (fingerprint "
                        f"{current}); `rotascope init --force` reloads it."
                    )
                    return
                batch = bundled.load(settings)

                def step(msg: str) -> None:
                    progress.update(task, description=f"Loading into the store: {msg}")
                    if not err.is_terminal:  # logs and pipes get plain progress lines
                        err.print(f"init: loading {msg}")
                        err.file.flush()

                report = store.load(batch, progress=step, force=force)
                progress.update(task, description="Loading the Benzinga headline sample into the news table")
                headlines = load_headline_sample(store)
            flags = store.flag_summary()
        finally:
            store.close()
    verb = "already up to date" if report.unchanged else "loaded"
    out.print(
        f"Store {settings.db}: embedded dataset {verb} ({report.bars:,} bars, {report.series:,} series "
        f"observations, {report.instruments:,} instruments)."
    )
    if headlines:
        out.print(f"Loaded {headlines:,} dated sample headlines (Benzinga, 2009-2020) into the news table.")
    if not flags.empty:
        out.print("Cleaned glitches (values set to missing, listed in table quality_flags):")
        for row in flags.itertuples():
            out.print(f"  {row.n:>5} × {row.reason} ({row.action})")
    out.print("Next: `rotascope monitor`.")


@data_app.command("status")
def data_status(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """What is stored: kinds, items, ranges, and staleness of each ETF and series."""
    from rotascope.store.db import reading

    check_format(fmt)
    settings = settings_of(ctx)
    with friendly_errors(), reading(settings) as store:
        summary = store.status()
        items = store.item_ranges()
        loaded = store.last_load()
    today = pd.Timestamp(date.today())
    items["age_days"] = (today - pd.to_datetime(items["last"])).dt.days
    items["first"] = pd.to_datetime(items["first"]).dt.date
    items["last"] = pd.to_datetime(items["last"]).dt.date
    items["stale"] = items["age_days"] > settings.stale_days
    if fmt == "json":
        emit_json(
            {
                "store": str(settings.db),
                "loaded_at": loaded,
                "summary": [s.__dict__ for s in summary],
                "items": items.to_dict(orient="records"),
            }
        )
        return
    table = Table(
        title=f"rotascope store {settings.db} (loaded {loaded:%Y-%m-%d %H:%M} UTC)" if loaded else None
    )
    for col in ("source", "kind", "items", "rows", "first", "last"):
        table.add_column(col, justify="right" if col in ("items", "rows") else "left")
    for s in summary:
        table.add_row(s.source, s.kind, f"{s.items:,}", f"{s.rows:,}", str(s.first), str(s.last))
    out.print(table)
    detail = Table(
        title=f"ETFs and series (stale = last value more than {settings.stale_days} days before today)"
    )
    for col in ("kind", "item", "first", "last", "rows", "age (days)", "stale"):
        detail.add_column(col)
    for r in items.itertuples():
        detail.add_row(
            str(r.kind),
            str(r.item),
            str(r.first),
            str(r.last),
            f"{r.rows:,}",
            str(r.age_days),
            "STALE" if r.stale else "",
        )
    out.print(detail)
    out.print("Member stocks are today's index members: breadth over past years carries survivorship bias.")


@data_app.command("show")
def data_show(
    ctx: typer.Context,
    item: Annotated[
        str, typer.Argument(help="A symbol (SPY, IWM, AAPL…) or a series id (hy_oas, ust_10y…).")
    ],
    start: Annotated[str | None, typer.Option(help="First date YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last date YYYY-MM-DD.")] = None,
    fmt: FormatOpt = "table",
    limit: Annotated[int, typer.Option(help="Rows to print in table format (latest ones).")] = 20,
) -> None:
    """Print the stored bars of a symbol or the observations of a series."""
    from rotascope.errors import DataError, UnknownSymbolError
    from rotascope.store.db import reading

    check_format(fmt)
    with friendly_errors(), reading(settings_of(ctx)) as store:
        first = parse_date(start, "--start") if start else None
        last = parse_date(end, "--end") if end else None
        if first and last and first > last:
            raise DataError(f"--start {first} is after --end {last}.")
        name = item.strip()
        if store.has_symbol(name.upper()):
            frame = store.bars(name.upper(), first, last)
        elif store.has_series(name.lower()):
            frame = store.series(name.lower(), first, last)
        else:
            raise UnknownSymbolError(
                f"Unknown symbol or series {item!r}: `rotascope data status` lists what is stored."
            )
    if fmt == "json":
        emit_json({"item": name, "rows": frame.to_dict(orient="records")})
        return
    table = Table(title=f"{name} ({len(frame):,} rows; last {min(limit, len(frame))} shown)")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for row in frame.tail(limit).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    return "" if value is None else str(value)


@app.command()
def monitor(ctx: typer.Context, as_of: AsOfOpt = None, fmt: FormatOpt = "table") -> None:
    """The rotation monitor as of a date: relative strength, rotation, breadth, rates and credit, the
    evidence ladder, the checklist and the rotation killers."""
    from rotascope.monitor.run import build_monitor
    from rotascope.report.terminal import render
    from rotascope.store.db import reading

    check_format(fmt)
    settings = settings_of(ctx)
    with friendly_errors(), reading(settings) as store:
        wanted = parse_date(as_of) if as_of else None
        result = build_monitor(store, settings).at(wanted)
    if fmt == "json":
        sys.stdout.write(result.to_json())
        return
    render(result.snapshot, result.regime, out)


def config_hash(settings: Settings) -> str:
    """Hash of everything that changes an analysis besides the data: settings and thresholds."""
    import hashlib

    from rotascope.regime import load_thresholds

    thresholds = load_thresholds(settings.thresholds).model_dump_json()
    return hashlib.sha256((settings.fingerprint() + thresholds).encode()).hexdigest()[:16]


def headlines_for(store: Store, day: date, days: int = 7) -> list[Headline]:
    """Stored headlines known in the week before ``day`` (none when no news was fetched)."""
    from datetime import timedelta

    from rotascope.store.live import load_headlines

    return load_headlines(store, day - timedelta(days=days), day)


@app.command()
def analyze(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    save: Annotated[bool, typer.Option(help="Store the analysis in the history.")] = True,
) -> None:
    """Universe-level analysis: the four agents, their debate, and the decision/risk agent. Stored."""
    from rotascope.agents import universe_analysis
    from rotascope.monitor.run import build_monitor

    def compute(store: Store, settings: Settings) -> Analysis:
        wanted = parse_date(as_of) if as_of else None
        monitor = build_monitor(store, settings)
        day = monitor.at(wanted).as_of
        from rotascope.store.live import load_fundamentals

        return universe_analysis(
            monitor,
            wanted,
            config_hash(settings),
            headlines_for(store, day),
            fundamentals=load_fundamentals(store, day),
        )

    run_analysis(ctx, fmt, save, compute)


def run_analysis(
    ctx: typer.Context, fmt: str, save: bool, compute: Callable[[Store, Settings], Analysis]
) -> None:
    """Open the store (for writing when saving), compute an analysis, store it, then print it."""
    from rotascope.report.terminal import render_analysis
    from rotascope.store import open_store
    from rotascope.store.analyses import save_analysis

    check_format(fmt)
    settings = settings_of(ctx)
    with friendly_errors():
        store = open_store(settings, write=save)
        try:
            store.require_data()
            analysis = compute(store, settings)
            if save:
                save_analysis(store, analysis)
        finally:
            store.close()
    if fmt == "json":
        sys.stdout.write(analysis.to_json())
        return
    render_analysis(analysis, out)


@app.command()
def debate(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="A stored stock symbol, e.g. a Russell 2000 member.")],
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    save: Annotated[bool, typer.Option(help="Store the analysis in the history.")] = True,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a desk report of this debate (.html, .md or .pdf)."),
    ] = None,
) -> None:
    """Single-stock debate: the agents on one name, then bull/base/bear and risk controls. Stored."""
    from rotascope.agents.stock import stock_analysis
    from rotascope.errors import DataError, UnknownSymbolError
    from rotascope.monitor.data import align
    from rotascope.monitor.run import build_monitor

    name = symbol.strip().upper()

    def compute(store: Store, settings: Settings) -> Analysis:
        wanted = parse_date(as_of) if as_of else None
        if not store.has_symbol(name):
            raise UnknownSymbolError(
                f"Unknown symbol {symbol!r}: `rotascope data status` lists what is stored."
            )
        inst = store.instruments().set_index("symbol")
        if inst.at[name, "kind"] != "stock":
            raise DataError(
                f"{name} is an ETF/index; `rotascope debate` takes a single stock "
                "(use `rotascope analyze` for the universe)."
            )
        monitor = build_monitor(store, settings)
        close = align(store.close_panel([name]), monitor.panel.calendar).column(name)
        sector = inst.at[name, "sector"]
        day = monitor.at(wanted).as_of
        news = [h for h in headlines_for(store, day) if name in h.tickers or f"${name}" in h.text]
        return stock_analysis(
            monitor, name, close, str(sector) if sector else None, wanted, config_hash(settings), news
        )

    run_analysis(ctx, fmt, save, compute)
    if report is not None:
        from rotascope.report.command import make_report

        kind = {".md": "md", ".pdf": "pdf"}.get(report.suffix.lower(), "html")
        with friendly_errors():
            written = make_report(settings_of(ctx), parse_date(as_of) if as_of else None, kind, report, name)
        err.print(f"Report written to {written}")


@app.command()
def history(
    ctx: typer.Context,
    fmt: FormatOpt = "table",
    limit: Annotated[int, typer.Option(help="How many of the latest analyses to list.")] = 20,
) -> None:
    """List stored analyses (newest first)."""
    from rotascope.store.analyses import list_analyses
    from rotascope.store.db import reading

    check_format(fmt)
    with friendly_errors(), reading(settings_of(ctx)) as store:
        rows = list_analyses(store, limit=limit)
    if fmt == "json":
        emit_json([r.__dict__ for r in rows])
        return
    table = Table(title="Stored analyses")
    for col in ("id", "kind", "subject", "as of", "created (UTC)", "config", "data"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.id,
            r.kind,
            r.subject,
            str(r.as_of),
            f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            r.config_hash,
            r.data_fingerprint,
        )
    out.print(table)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2%}"


def _agent_replay_extra(monitor: Monitor) -> Callable[[MonitorResult], dict[str, float]]:
    """The agents' weekly signals for `rotascope backtest` (imported only when a backtest runs)."""
    from rotascope.agents.run import replay_extra

    return replay_extra(monitor)


def _register_commands() -> None:
    """Commands that live next to their stage (backtest, reports, web, live data) register themselves."""
    from rotascope.backtest import command as backtest_command

    backtest_command.register(app, extra=_agent_replay_extra, tilt="decision_tilt")
    from rotascope.live import command as live_command

    live_command.register(app)
    from rotascope.report import command as report_command

    report_command.register(app)
    from rotascope.web import command as web_command

    web_command.register(app)
    from rotascope.sentiment import command as sentiment_command

    sentiment_command.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless ROTASCOPE_DEBUG=1."""
    try:
        app()
    except RotascopeError as exc:
        err.print(f"Error: {exc}")
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("ROTASCOPE_DEBUG"):
            raise
        err.print(
            f"Internal error: {type(exc).__name__}: {exc}. This is a bug in rotascope; "
            "rerun with ROTASCOPE_DEBUG=1 for the traceback and report it."
        )
        sys.exit(3)
