"""`rotascope analyze`, `debate` and `history`: run the analysis service from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from rotascope.analysis.stored import stored_single, stored_universe
from rotascope.config import Settings
from rotascope.console import (
    AsOfOpt,
    FormatOpt,
    check_format,
    emit_json,
    err,
    friendly_errors,
    in_range,
    out,
    settings_of,
)
from rotascope.errors import UsageError
from rotascope.monitor.asof import parse_date
from rotascope.monitor.freshness import with_freshness
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.monitor.session import Session, open_session
from rotascope.records import Analysis
from rotascope.report.terminal_analysis import render_analysis
from rotascope.store.analyses import list_analyses, save_analysis
from rotascope.store.db import Store, reading, writing
from rotascope.tablefit import show_table

if TYPE_CHECKING:
    from rotascope.agents.members import MembersDebate
    from rotascope.analysis.service import Analyst

Stored = Callable[[Store, Settings, Monitor, Session], Analysis | None]
"""Looks the question up among the stored analyses (None: compute it), on the run's monitor at its
session."""
Compute = Callable[["Analyst", Session], Analysis]
"""Answers the question at the run's session."""


def run_analysis(
    ctx: typer.Context,
    fmt: str,
    save: bool,
    as_of: date | None,
    compute: Compute,
    before_save: Callable[[Analyst, Session, Analysis], None] | None = None,
    stored: Stored | None = None,
) -> Analysis:
    """Compute an analysis from a read-only store, then store it in a short write window, then print it.

    The as-of and the data's freshness are resolved once, into the run's :class:`Session`, which the
    lookup, the analysis and the output all take.

    ``stored`` first looks for the same question already answered on the same data, config and code (its
    id says so): that answer is printed as it is, nothing recomputed or rewritten. Many analyses may
    compute at once (DuckDB shares a file between readers); the write lock is taken only for the insert,
    with a retry while another process holds it. ``before_save`` runs after the analysis is computed and
    before it is stored (e.g. writing a report file): if it fails, nothing is stored.
    """
    check_format(fmt)
    settings = settings_of(ctx)
    with friendly_errors():
        with reading(settings) as store:
            monitor = build_monitor(store, settings)  # once: the lookup and the analysis share it
            session = open_session(monitor, settings, as_of)
            analysis = stored(store, settings, monitor, session) if stored is not None else None
            if analysis is None:
                # deferred: the agents, the calibration and scikit-learn (~1 s of imports) load only when
                # the answer is not stored yet
                from rotascope.analysis.service import Analyst

                analyst = Analyst(store, settings, monitor)
                analysis = compute(analyst, session)
                if before_save is not None:
                    before_save(analyst, session, analysis)
            else:
                save = False  # already stored under this id
        if save:
            with writing(settings) as store:
                save_analysis(store, analysis)
    fresh = session.fresh  # said when shown, never stored with the analysis
    if fmt == "json":
        sys.stdout.write(with_freshness(analysis, fresh))
    else:
        for line in fresh.lines():
            out.print(line, style="bold red" if fresh.stale else None)
        render_analysis(analysis, out)
    return analysis


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``debate`` and ``history`` to ``app``."""

    @app.command()
    def analyze(
        ctx: typer.Context,
        as_of: AsOfOpt = None,
        fmt: FormatOpt = "table",
        save: Annotated[bool, typer.Option(help="Store the analysis in the history.")] = True,
    ) -> None:
        """Universe-level analysis: the four agents, their debate, and the decision/risk agent. Stored."""
        with friendly_errors():
            wanted = parse_date(as_of) if as_of is not None else None
        run_analysis(
            ctx, fmt, save, wanted, lambda analyst, session: analyst.universe(session), stored=stored_universe
        )

    @app.command()
    def debate(
        ctx: typer.Context,
        symbol: Annotated[
            str | None,
            typer.Argument(
                help="A stored stock (vs the Russell 2000) or regime ETF such as IWN, KRE, XLF (vs SPY)."
            ),
        ] = None,
        as_of: AsOfOpt = None,
        fmt: FormatOpt = "table",
        save: Annotated[bool, typer.Option(help="Store the analysis in the history.")] = True,
        report: Annotated[
            Path | None,
            typer.Option("--report", help="Also write a desk report of this debate (.html, .md or .pdf)."),
        ] = None,
        every: Annotated[
            bool,
            typer.Option(
                "--all",
                help="Debate every Russell 2000 member against IWM at once and print them ranked by "
                "calibrated expected relative return, then consensus (not stored).",
            ),
        ] = False,
        top: Annotated[
            int | None,
            typer.Option(
                help="With --all: show only the N highest and N lowest.", callback=in_range(1, 10_000)
            ),
        ] = None,
    ) -> None:
        """Single-name debate: the agents on one stock or regime ETF, then bull/base/bear and risk
        controls. Stored. With --all: every Russell 2000 member, ranked."""
        with friendly_errors():
            if every == (symbol is not None):
                raise UsageError("Give one SYMBOL to debate, or --all for every Russell 2000 member.")
            if every and report is not None:
                raise UsageError("--report writes one name's desk report; it does not combine with --all.")
            wanted = parse_date(as_of) if as_of is not None else None
            if report is not None:
                # deferred: the report writers (HTML/PDF) load only when a report is asked for
                from rotascope.report.command import check_target

                check_target(report)
        if every:
            debate_all(settings_of(ctx), wanted, fmt, top)
            return
        assert symbol is not None

        def write_report(analyst: Analyst, session: Session, analysis: Analysis) -> None:
            if report is not None:
                # deferred: the report writers (HTML/PDF, matplotlib charts) only when --report is given
                from rotascope.report.command import report_data, report_kind, write_analysis_report

                write_analysis_report(report_data(analyst, session, analysis), report_kind(report), report)

        run_analysis(
            ctx,
            fmt,
            save,
            wanted,
            lambda analyst, session: analyst.single(symbol, session),
            write_report,
            stored=None
            if report is not None
            else lambda st, cfg, monitor, session: stored_single(st, cfg, symbol, monitor, session),
        )
        if report is not None:
            err.print(f"Report written to {report}")

    @app.command()
    def history(
        ctx: typer.Context,
        fmt: FormatOpt = "table",
        limit: Annotated[
            int, typer.Option(help="How many of the latest analyses to list.", callback=in_range(1, 100_000))
        ] = 20,
    ) -> None:
        """List stored analyses (newest first)."""
        check_format(fmt)
        with friendly_errors(), reading(settings_of(ctx)) as store:
            rows = list_analyses(store, limit=limit)
        if fmt == "json":
            emit_json([r.__dict__ for r in rows])
            return
        table = Table(
            title="Stored analyses",
            caption="Config and data fingerprints of each: `rotascope history -f json`.",
        )
        for col in ("id", "as of", "kind", "subject", "created (UTC)"):
            table.add_column(col)
        for r in rows:
            table.add_row(r.id, str(r.as_of), r.kind, r.subject, f"{r.created_at:%Y-%m-%d %H:%M}")
        show_table(out, table)


def debate_all(settings: Settings, as_of: date | None, fmt: str, top: int | None) -> None:
    """`debate --all`: every Russell 2000 member debated at one session, ranked, printed (not stored)."""
    check_format(fmt)
    # deferred: the agents (and scikit-learn with them) load only when an analysis is computed
    from rotascope.analysis.service import Analyst

    with friendly_errors(), reading(settings) as store:
        analyst = Analyst(store, settings)
        session = analyst.session(as_of)
        ranked = analyst.members(session)
    fresh = session.fresh
    if fmt == "json":
        sys.stdout.write(with_freshness(top_and_bottom(ranked, top), fresh))
        return
    for line in fresh.lines():
        out.print(line, style="bold red" if fresh.stale else None)
    render_members(ranked, out, top)


def top_and_bottom(ranked: MembersDebate, top: int | None) -> MembersDebate:
    """Only the ``top`` first and last ranked (all when ``top`` is None or covers them all)."""
    calls = ranked.calls
    if top is None or 2 * top >= len(calls):
        return ranked
    return ranked.model_copy(update={"calls": [*calls[:top], *calls[-top:]]})


def render_members(ranked: MembersDebate, console: Console, top: int | None = None) -> None:
    """The ranked member debate as a table (``top``: the N first and N last ranked only)."""
    calls = ranked.calls
    shown = top_and_bottom(ranked, top).calls
    table = Table(
        title=f"Russell 2000 members debated vs IWM — as of {ranked.as_of} — source: {ranked.source} "
        f"(data {ranked.data_fingerprint})"
    )
    cols = ("#", "symbol", "sector", "close", "tilt", "E[rel]", "consensus", "bull/base/bear", "base rates")
    for col in cols:
        table.add_column(col, justify="right" if col in ("#", "close", "E[rel]", "consensus") else "left")
    for name in ("fundamentals", "macro", "internals", "sentiment"):
        table.add_column(name[:5], justify="right")
    rank = {c.symbol: i + 1 for i, c in enumerate(calls)}
    for c in shown:
        table.add_row(
            str(rank[c.symbol]),
            c.symbol,
            c.sector or "",
            f"{c.close:,.2f}",
            c.tilt,
            f"{c.expected_relative_return:+.2%}" if c.expected_relative_return is not None else "n/a",
            f"{c.consensus:+.3f}",
            f"{c.bull:.0%}/{c.base:.0%}/{c.bear:.0%}",
            "/".join(f"{v:.0%}" for v in (c.base_rates[2], c.base_rates[1], c.base_rates[0]))
            if c.base_rates is not None
            else "n/a",
            *(f"{c.scores[a]:+.2f}" for a in ("fundamentals", "macro", "internals", "sentiment")),
        )
    show_table(console, table)
    tilts = {k: sum(1 for c in calls if c.tilt == k) for k in ("toward", "away", "none")}
    console.print(
        f"{len(calls):,} members debated (ladder level {ranked.ladder_reached} of 5; killers triggered: "
        f"{', '.join(ranked.killers_triggered) or 'none'}): {tilts['toward']} tilt toward, "
        f"{tilts['away']} away, {tilts['none']} no tilt; {len(ranked.skipped)} skipped (fewer than 260 "
        "closes or no close on the as-of)"
        + (
            f"; {len(ranked.off_list):,} of today's members were not on the Russell 2000 list in force "
            "then and are left out (`debate SYMBOL` judges them against SPY)"
            if ranked.off_list
            else ""
        )
        + ". `rotascope debate SYMBOL` words any one of them."
    )
    uncalibrated = [c for c in calls if c.note]
    if uncalibrated:  # base rates, never the evidence score: said in one line with how many
        console.print(f"{len(uncalibrated):,} of them: {uncalibrated[0].note}.")
    for caveat in ranked.caveats:
        console.print(caveat, style="dim")
