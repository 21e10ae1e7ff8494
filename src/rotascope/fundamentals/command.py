"""`rotascope screen` and the fundamentals pieces of `init` / `data status`.

``register(app)`` adds the command to a Typer app; the store stage's `init` and `data status` use the
fundamentals helpers here.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rotascope.console import emit_json, friendly_errors, in_range, out, settings_of
from rotascope.fundamentals.backtest import backtest_screen
from rotascope.fundamentals.screen import screen_at
from rotascope.fundamentals.store import load_embedded
from rotascope.monitor.asof import parse_date
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import reading
from rotascope.tablefit import show_table

if TYPE_CHECKING:
    from rich.console import Console

    from rotascope.fundamentals.backtest import ScreenBacktest
    from rotascope.fundamentals.screen import ScreenResult
    from rotascope.fundamentals.store import Coverage, FundLoad
    from rotascope.store.db import Store

SCREEN_FORMATS = ("table", "json", "csv")


def fund_rows(load: FundLoad) -> str:
    """'8,777 annual, 21,701 surprises, ... rows' for the init message."""
    return ", ".join(f"{n:,} {kind}" for kind, n in load.rows.items()) + " rows"


def init_fundamentals(store: Store, force: bool, out: Console) -> FundLoad:
    """`rotascope init`'s fundamentals step: load the embedded files (one transaction) and say so.

    Call it after the price dataset is committed, so a kill in between leaves a store `init` completes.
    """
    load = load_embedded(store, force=force)
    if not load.unchanged:
        out.print(f"Company fundamentals loaded ({fund_rows(load)}); `rotascope data status` lists them.")
    return load


def coverage_table(cov: list[Coverage]) -> Table:
    """The fundamentals part of `rotascope data status`."""
    table = Table(title="Company fundamentals (point in time by known_at)")
    for col in ("table", "source", "tickers", "R2000 members", "rows", "periods", "known"):
        table.add_column(col, justify="right" if col in ("tickers", "R2000 members", "rows") else "left")
    for c in cov:
        table.add_row(
            c.kind,
            c.source,
            f"{c.tickers:,}",
            f"{c.members:,}",
            f"{c.rows:,}",
            f"{c.first} to {c.last}",
            f"{c.first_known} to {c.last_known}",
        )
    return table


CSV_COLUMNS = (
    "rank",
    "symbol",
    "name",
    "sector",
    "score",
    "quality",
    "momentum",
    "profitability",
    "balance_sheet",
    "accruals",
    "surprise",
    "revisions",
    "fiscal_year",
    "fiscal_year_known_at",
    "ebit_margin",
    "roa",
    "cfo_assets",
    "accruals_assets",
    "debt_assets",
    "cash_assets",
    "reports",
    "beat_rate",
    "mean_surprise",
    "last_report",
    "estimate_revision",
    "estimates_known_at",
    "ret_12_1",
    "dist_200d",
    "above_50d_share",
    "prices_as_of",
)


def screen_csv(result: ScreenResult) -> str:
    """Ranked rows then unscored members (rank and score empty, the reason in ``name``'s place)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "status"])
    for row in result.rows:
        d = row.to_dict()
        writer.writerow([("" if d[c] is None else d[c]) for c in CSV_COLUMNS] + ["scored"])
    for u in result.unscored:
        blank = {c: "" for c in CSV_COLUMNS} | {"symbol": u.symbol, "name": u.name}
        writer.writerow([blank[c] for c in CSV_COLUMNS] + [u.reason])
    return buf.getvalue()


def _num(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+.1%}" if pct else f"{v:+.2f}"


def screen_table(result: ScreenResult) -> Table:
    table = Table(
        title=f"Quality small-cap screen as of {result.as_of}: {result.scored} of {result.members} "
        "Russell 2000 members scored"
    )
    cols = ("#", "symbol", "score", "qual", "mom", "FY", "EBIT", "ROA", "debt", "beats", "rev")
    for c in cols:
        table.add_column(c, justify="left" if c in ("symbol", "FY") else "right", no_wrap=True)
    for r in result.rows:
        table.add_row(
            str(r.rank),
            r.symbol,
            _num(r.score),
            _num(r.quality),
            _num(r.momentum),
            str(r.fiscal_year or "-"),
            _num(r.ebit_margin, True),
            _num(r.roa, True),
            _num(r.debt_assets, True),
            f"{r.beat_rate:.0%}/{r.reports}" if r.beat_rate is not None else "-",
            _num(r.estimate_revision, True),
        )
    known = sorted({str(r.fiscal_year_known_at) for r in result.rows if r.fiscal_year_known_at})
    table.caption = (
        f"FY = latest fiscal year known at the as-of (known on {', '.join(known)}); beats = share of the "
        "last 4 reports beating consensus / reports; rev = median 28-day change of consensus EPS per $ of "
        "close. -f csv or json gives every input with its date."
        if known
        else "-f csv or json gives every input with its date."
    )
    return table


BACKTEST_COLUMNS = (
    "era",
    "horizon_weeks",
    "dates",
    "top_mean",
    "bottom_mean",
    "spread_mean",
    "ci_low",
    "ci_high",
    "hit_rate",
    "verdict",
)


def emit_backtest(bt: ScreenBacktest, fmt: str) -> None:
    """Print the screen backtest as a table, JSON or CSV."""
    if fmt == "json":
        emit_json(bt.to_dict())
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(BACKTEST_COLUMNS)
        for r in bt.results:
            d = r.to_dict()
            writer.writerow(["" if d[c] is None else d[c] for c in BACKTEST_COLUMNS])
        sys.stdout.write(buf.getvalue())
        return
    table = Table(
        title=f"Screen backtest {bt.start} to {bt.end}: {bt.dates} as-ofs every {bt.step_weeks} weeks, "
        f"median {bt.median_scored} members scored"
    )
    for c in ("era", "h (w)", "dates", "top", "bottom", "top-bottom", "95 % interval", "hit rate"):
        table.add_column(c, justify="left" if c == "era" else "right", no_wrap=True)
    for r in bt.results:
        ci = f"{r.ci_low:+.2%} to {r.ci_high:+.2%}" if r.ci_low is not None and r.ci_high is not None else "-"
        table.add_row(
            r.era,
            str(r.horizon_weeks),
            str(r.dates),
            _num(r.top_mean, True),
            _num(r.bottom_mean, True),
            _num(r.spread_mean, True),
            ci,
            f"{r.hit_rate:.0%}" if r.hit_rate is not None else "-",
        )
    show_table(out, table)
    for r in bt.results:
        if r.era == "all":
            out.print(r.verdict)
    out.print(f"Intervals: {bt.bootstrap}.")
    for note in bt.notes:
        out.print(note)


def register(app: typer.Typer) -> None:
    """Add ``screen`` to ``app``."""

    @app.command("screen")
    def screen(
        ctx: typer.Context,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: latest stored).")
        ] = None,
        top: Annotated[
            int,
            typer.Option(
                "--top", help="How many ranked members to show (0 = all).", callback=in_range(0, 100_000)
            ),
        ] = 25,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
        backtest: Annotated[
            bool,
            typer.Option(
                "--backtest",
                help="Backtest the screen instead: top vs bottom quintile 1/4/13-week forward returns "
                "with block-bootstrap intervals, every --step-weeks weeks from --start to --end.",
            ),
        ] = False,
        start: Annotated[str | None, typer.Option(help="Backtest: first as-of (default 2014-03-31).")] = None,
        end: Annotated[str | None, typer.Option(help="Backtest: last as-of (default: latest).")] = None,
        step_weeks: Annotated[
            int,
            typer.Option("--step-weeks", help="Backtest: weeks between as-ofs.", callback=in_range(1, 520)),
        ] = 4,
    ) -> None:
        """Quality small caps: Russell 2000 members ranked point in time by profitability, balance sheet,
        accruals, earnings surprises and estimate revisions, plus momentum; members without
        fundamentals are listed apart."""
        if fmt not in SCREEN_FORMATS:
            raise typer.BadParameter(f"must be one of table, json, csv; got {fmt!r}", param_hint="--format")
        if top < 0:
            raise typer.BadParameter(f"must be >= 0, got {top}", param_hint="--top")
        if backtest:
            if step_weeks < 1:
                raise typer.BadParameter(f"must be >= 1, got {step_weeks}", param_hint="--step-weeks")
            with friendly_errors(), reading(settings_of(ctx)) as store:
                bt = backtest_screen(
                    store,
                    parse_date(start, "--start") if start else date(2014, 3, 31),
                    parse_date(end, "--end") if end else date(2100, 1, 1),
                    step_weeks=step_weeks,
                )
            emit_backtest(bt, fmt)
            return
        settings = settings_of(ctx)
        with friendly_errors(), reading(settings) as store:
            rules = load_thresholds(settings.thresholds).screen
            result = screen_at(store, parse_date(as_of) if as_of else None, top or None, rules)
        if fmt == "json":
            emit_json(result.to_dict())
        elif fmt == "csv":
            sys.stdout.write(screen_csv(result))
        else:
            show_table(out, screen_table(result))
            names = ", ".join(u.symbol for u in result.unscored[:40])
            more = f" and {len(result.unscored) - 40} more" if len(result.unscored) > 40 else ""
            out.print(f"No fundamentals known at {result.as_of} ({len(result.unscored)}): {names}{more}.")
            for note in result.notes:
                out.print(note)
