"""CLI commands for live data: `rotascope update`, `rotascope watch`, `rotascope narrate`.

Registered onto the main Typer app by :func:`register` (``cli.py`` stays thin and does not need to know
about live data). Every failure ends as one sentence through ``rotascope.console.friendly_errors``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rotascope.clock import today
from rotascope.config import Settings
from rotascope.console import err, friendly_errors, in_range, out, settings_of
from rotascope.errors import DataError
from rotascope.interrupts import Interrupted, is_interrupt
from rotascope.live.check import check_sources
from rotascope.live.narrate import label
from rotascope.live.narrate import narrate as narrate_analysis
from rotascope.live.update import SOURCES, ItemResult, run_update
from rotascope.live.watch import run_watch
from rotascope.monitor.asof import parse_date
from rotascope.report.terminal import render_analysis
from rotascope.tablefit import show_table

__all__ = ["CRON_HELP", "register"]

CRON_HELP = (
    "For a schedule without a long-running process, run one iteration from cron instead, e.g. every "
    "weekday at 22:30 UTC (after the U.S. close): "
    "`30 22 * * 1-5 ROTASCOPE_HOME=/path/to/home rotascope watch --iterations 1 "
    ">> ~/rotascope-watch.log 2>&1`."
)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [x.strip() for x in text.split(",") if x.strip()]
    return items or None


def update(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option(help=f"Comma-separated sources ({','.join(SOURCES)}); default: all.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Refetch from this date YYYY-MM-DD (default: after the last stored).")
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="Comma-separated Yahoo symbols (default: the update_symbols setting).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Ask each source once (a small request) and say whether it answers; writes nothing.",
        ),
    ] = False,
) -> None:
    """Fetch what is new from the live sources into the store, item by item (resumable). A failing source
    leaves the others updated; the summary lists what failed and which cached data is now stale."""
    settings = settings_of(ctx)
    if check:
        _check(settings)
        return
    with friendly_errors():
        start = parse_date(since, "--since") if since is not None else None
        if start is not None and start > today():  # ROTASCOPE_TODAY when set, as every other age
            raise DataError(f"--since {start} is in the future (today is {today()}).")
        done: list[ItemResult] = []
        try:
            report = run_update(
                settings, _split(source), start, _split(symbols), console=err, on_item=done.append
            )
        except BaseException as exc:
            kept = [r for r in done if r.rows]
            if kept and is_interrupt(exc):
                rows = sum(r.rows for r in kept)
                raise Interrupted(
                    f"Interrupted; kept the {len(kept)} item(s) updated before the signal ({rows:,} rows, "
                    "each item committed whole); `rotascope update` continues from there."
                ) from None
            raise
    for line in report.summary_lines():
        out.print(line, markup=False)
    if report.failed:
        err.print(
            f"[bold red]Error:[/] {len(report.failed)} item(s) failed to update; "
            "their cached data was kept (see above)."
        )
    if report.cleaned:
        err.print(
            f"[bold red]Error:[/] {len(report.cleaned)} item(s) sent values that had to be cleaned; "
            "they were left out and listed (see above)."
        )
    if not report.ok:
        raise typer.Exit(1)
    out.print(f"Update finished: {report.rows:,} rows stored.")


def _check(settings: Settings) -> None:
    """`update --check`: a table of source, endpoint, status and latency, then one sentence each; exit 0
    only when every configured source answered."""
    with friendly_errors():
        rows = check_sources(settings)
    table = Table(title="rotascope update --check (one small request per source; nothing written)")
    for name in ("source", "endpoint", "status", "latency"):
        table.add_column(name)
    for row in rows:
        latency = f"{row.latency_ms:.0f} ms" if row.latency_ms is not None else "-"
        table.add_row(row.source, row.endpoint or "-", row.status, latency)
    show_table(out, table)
    for row in rows:
        out.print(f"{row.source}: {row.sentence}", markup=False)
    configured = [r for r in rows if r.configured]
    failing = [r for r in configured if not r.answered]
    if failing:
        err.print(
            f"[bold red]Error:[/] {len(failing)} of {len(configured)} configured source(s) did not answer: "
            f"{', '.join(r.source for r in failing)}."
        )
        raise typer.Exit(1)
    out.print(f"All {len(configured)} configured sources answered.")


def watch(
    ctx: typer.Context,
    every: Annotated[str, typer.Option(help="Interval between iterations: 1d, 6h, 30m, 10s.")] = "1d",
    iterations: Annotated[
        int | None,
        typer.Option(
            help="Stop after this many iterations (default: run until Ctrl-C).",
            callback=in_range(1, 1_000_000),
        ),
    ] = None,
) -> None:
    """Loop: update, analyze (stored), compare with the previous stored analysis, alert when a ladder level
    flips, a rotation killer triggers or an invalidation level is hit. Alerts are printed, appended to
    <home>/alerts.log and POSTed to webhook_url when set."""
    settings = settings_of(ctx)
    try:
        with friendly_errors():
            results = run_watch(settings, every, iterations, console=out, progress=err)
    except typer.Exit as exc:
        if exc.exit_code == 130:
            err.print("Watch stopped; everything stored so far is kept.")
        raise
    problems = results[-1].data_problems if results else []
    if problems:
        err.print(f"Error: {' '.join(a.message for a in problems)}", markup=False)
        raise typer.Exit(1)


def narrate(
    ctx: typer.Context,
    analysis_id: Annotated[str, typer.Argument(help="A stored analysis id or unique prefix (see history).")],
) -> None:
    """Optional: ask an OpenAI-compatible LLM (llm_base_url, llm_model) to narrate a stored analysis. The
    prompt holds only the analysis JSON; the prose is stored beside it and labelled; off by default."""
    settings = settings_of(ctx)
    with friendly_errors():
        result = narrate_analysis(settings, analysis_id)
    render_analysis(result.analysis, out)
    out.print()
    out.print(label(result.row.model), style="bold", markup=False)
    out.print(result.row.text, markup=False)


def register(app: typer.Typer) -> None:
    """Add `update`, `watch` and `narrate` to ``app`` (idempotent)."""
    have = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    if "update" not in have:
        app.command("update")(update)
    if "watch" not in have:
        app.command("watch", epilog=CRON_HELP)(watch)
    if "narrate" not in have:
        app.command("narrate")(narrate)
