"""`rotascope init` and `rotascope data status|show`: load the embedded dataset, inspect the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rotascope.clock import today as clock_today
from rotascope.config import Settings
from rotascope.console import (
    FormatOpt,
    check_format,
    emit_json,
    err,
    friendly_errors,
    in_range,
    out,
    settings_of,
)
from rotascope.errors import DataError, StoreCorrupt, StoreIncomplete, UnknownSymbolError
from rotascope.fundamentals.command import coverage_table, init_fundamentals
from rotascope.fundamentals.store import coverage as fund_coverage
from rotascope.interrupts import Interrupted, is_interrupt
from rotascope.jsonout import iso_records
from rotascope.monitor.asof import parse_date
from rotascope.providers import bundled
from rotascope.sentiment.sample import load_headline_sample
from rotascope.store.db import LoadReport, open_store, reading
from rotascope.store.integrity import mark_unfinished, move_aside, unfinished_parts, verify_store
from rotascope.tablefit import show_table


def register(app: typer.Typer) -> None:
    """Add ``init`` and the ``data`` group to ``app``."""
    data_app = typer.Typer(help="Inspect the stored data.", no_args_is_help=True)
    app.add_typer(data_app, name="data")

    @app.command()
    def init(
        ctx: typer.Context,
        force: Annotated[
            bool, typer.Option(help="Reload even if the same dataset is already stored.")
        ] = False,
    ) -> None:
        """Load the embedded real dataset into the store (idempotent, all-or-nothing)."""

        settings = settings_of(ctx)
        with friendly_errors():
            moved = _check_before_init(settings, force)
            if moved is not None:
                out.print(
                    f"Moved the damaged store aside to {moved} (its stored analyses stay in it); "
                    "building a new one."
                )
            done = _run_init(settings, force)
        _say_init(settings, done)

    @data_app.command("status")
    def data_status(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
        """What is stored: kinds, items, ranges, and staleness of each ETF and series."""

        check_format(fmt)
        settings = settings_of(ctx)
        with friendly_errors():
            verify_store(settings)  # damage is named here, not met later at query time
        with friendly_errors(), reading(settings) as store:
            summary = store.status()
            items = store.item_ranges()
            loaded = store.last_load()
            fund = fund_coverage(store)
        today = pd.Timestamp(clock_today())  # ROTASCOPE_TODAY when set, as every other age
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
                    "fundamentals": [c.__dict__ for c in fund],
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
        show_table(out, table)
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
        show_table(out, detail)
        if fund:
            show_table(out, coverage_table(fund))
        out.print(
            "Member stocks are today's index members: breadth over past years carries survivorship bias."
        )

    @data_app.command("show")
    def data_show(
        ctx: typer.Context,
        item: Annotated[
            str, typer.Argument(help="A symbol (SPY, IWM, AAPL…) or a series id (hy_oas, ust_10y…).")
        ],
        start: Annotated[str | None, typer.Option(help="First date YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option(help="Last date YYYY-MM-DD.")] = None,
        fmt: FormatOpt = "table",
        limit: Annotated[
            int,
            typer.Option(
                help="Rows to print in table format (latest ones).", callback=in_range(1, 10_000_000)
            ),
        ] = 20,
    ) -> None:
        """Print the stored bars of a symbol or the observations of a series."""

        check_format(fmt)
        with friendly_errors(), reading(settings_of(ctx)) as store:
            first = parse_date(start, "--start") if start is not None else None
            last = parse_date(end, "--end") if end is not None else None
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
            emit_json({"item": name, "rows": iso_records(frame)})
            return
        table = Table(title=f"{name} ({len(frame):,} rows; last {min(limit, len(frame))} shown)")
        for col in frame.columns:
            table.add_column(str(col), justify="right")
        for row in frame.tail(limit).itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        show_table(out, table)


@dataclass(frozen=True)
class _InitDone:
    """What one `init` run loaded: the embedded prices (None when already current), headlines, flags."""

    current: str
    report: LoadReport | None
    headlines: int
    flags: pd.DataFrame


def _run_init(settings: Settings, force: bool) -> _InitDone:
    """Load the embedded prices, the fundamentals and the headline sample, under a progress spinner; an
    interrupt after a part was committed says which parts were kept."""
    store = open_store(settings, write=True)
    kept: list[str] = []
    unfinished = False
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("Reading and cleaning the embedded dataset")
            unfinished = bool(unfinished_parts(store.conn))
            if unfinished:
                mark_unfinished(store.conn, True)  # `data status` names what a kill leaves out
            current = bundled.dataset_fingerprint(settings)
            report = None
            if force or store.loaded_fingerprint(bundled.SOURCE) != current:
                batch = bundled.load(settings)

                def step(msg: str) -> None:
                    progress.update(task, description=f"Loading into the store: {msg}")
                    if not err.is_terminal:  # logs and pipes get plain progress lines
                        err.print(f"init: loading {msg}")
                        err.file.flush()

                report = store.load(batch, progress=step, force=force)
                kept.append("the embedded prices and series")
            if not init_fundamentals(store, force, out).unchanged:  # after the prices
                kept.append("the company fundamentals")
            progress.update(task, description="Loading the Benzinga headline sample into the news table")
            headlines = load_headline_sample(store)
            if unfinished:
                mark_unfinished(store.conn, False)
        return _InitDone(current, report, headlines, store.flag_summary())
    except BaseException as exc:
        if kept and is_interrupt(exc):
            rest = "`rotascope init` loads the rest" if unfinished else "the rest is as it was"
            loaded = " and ".join(kept)
            raise Interrupted(f"Interrupted; kept {loaded}, loaded before the signal; {rest}.") from None
        raise
    finally:
        store.close()


def _say_init(settings: Settings, done: _InitDone) -> None:
    """The lines `init` prints after a run: what was loaded, the headlines and the glitches cleaned."""
    report = done.report
    if report is None:
        out.print(
            f"Store {settings.db}: embedded dataset already up to date (fingerprint "
            f"{done.current}); `rotascope init --force` reloads it."
        )
    else:
        verb = "already up to date" if report.unchanged else "loaded"
        out.print(
            f"Store {settings.db}: embedded dataset {verb} ({report.bars:,} bars, {report.series:,} "
            f"series observations, {report.instruments:,} instruments)."
        )
    if done.headlines:
        out.print(
            f"Loaded {done.headlines:,} dated sample headlines (Benzinga, 2009-2020) into the news table."
        )
    if report is None:
        return
    if not done.flags.empty:
        out.print("Cleaned glitches (values set to missing, listed in table quality_flags):")
        for row in done.flags.itertuples():
            out.print(f"  {row.n:>5} × {row.reason} ({row.action})")
    out.print("Next: `rotascope monitor`.")


def _check_before_init(settings: Settings, force: bool) -> Path | None:
    """Refuse a damaged store (one sentence naming the damage) unless ``force``; with ``force``, move an
    unreadable file aside (returned) so a new one is built, or let the reload repair it in place. An
    incomplete store (a first `init` cut short) is not refused: this `init` finishes it."""
    try:
        verify_store(settings)
    except StoreIncomplete:
        return None  # a first `init` cut short: this one loads what is missing
    except StoreCorrupt as exc:
        if not force:
            raise
        return None if exc.in_place else move_aside(settings.db)
    return None


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    return "" if value is None else str(value)
