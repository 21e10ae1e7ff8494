"""`rotascope backtest --sweep FILE`: validate the sweep, replay every variant with a progress bar, print.

Kept apart from ``command`` so that the CLI's start-up imports nothing of the sweep (arch, Ray).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rotascope.backtest.sweep import SweepResult, VariantResult, load_sweep, prepare, run_sweep
from rotascope.config import Settings
from rotascope.console import err, friendly_errors, out
from rotascope.executor import ExecutorName, check_ray
from rotascope.monitor.run import build_monitor
from rotascope.store.db import reading
from rotascope.tablefit import show_table

TABLE_ROWS = 25
"""Variants shown in the terminal table (sorted by out-of-sample Sharpe); -f json has all of them."""


def run_sweep_command(settings: Settings, path: Path, executor: ExecutorName, fmt: str) -> None:
    """The whole command: every error is one sentence (exit 1), raised before any replay if it can be."""
    with friendly_errors():
        spec = load_sweep(path, settings.thresholds)  # every variant validated before any work
        if executor == "ray":
            check_ray(settings.ray_address, settings.ray_connect_timeout)
        with err.status("Computing the monitor panel and its weekly snapshots", spinner="dots"):
            with reading(settings) as store:
                monitor = build_monitor(store, settings)
            shared = prepare(monitor, spec)
        began = time.perf_counter()
        # no refresh thread: the local executor forks its workers, which a running thread makes unsafe
        with Progress(
            TextColumn("Variants"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            auto_refresh=False,
            transient=True,
        ) as progress:
            bar = progress.add_task("variants", total=len(spec.variants))

            def step() -> None:
                progress.advance(bar)
                progress.refresh()

            result = run_sweep(
                monitor,
                spec,
                executor=executor,
                ray_address=settings.ray_address,
                ray_timeout=settings.ray_connect_timeout,
                on_done=step,
                shared=shared,
            )
        elapsed = time.perf_counter() - began
    if fmt == "json":
        sys.stdout.write(result.to_json())
        err.print(f"{len(result.variants)} variants on {executor} in {elapsed:.1f} s.")
        return
    print_sweep(result, out)
    out.print(f"{len(result.variants)} variants replayed on {executor} in {elapsed:.1f} s.")


def _num(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def _short(value: bool | int | float) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


def _values(v: VariantResult) -> str:
    """The variant's own settings, compact: thresholds file stem, then the grid values in key order."""
    parts = [Path(v.variant.file).stem] if v.variant.file else []
    return " ".join([*parts, *(_short(c.value) for c in v.variant.changes)]) or "base"


def print_sweep(result: SweepResult, console: Console) -> None:
    """Variants by out-of-sample Sharpe (fits 80 columns), then the correction's verdict in words."""
    r = result

    def say(text: str) -> None:
        console.print(text, soft_wrap=False)  # wrapped at the console width

    first = r.variants[0].variant if r.variants else None
    keys = [c.key for c in first.changes] if first is not None else []
    files = "thresholds file, then " if first is not None and first.file else ""
    say(
        f"Sweep of {len(r.variants)} variants, {r.start} to {r.end}"
        + (f" (positions closed {r.last_day})" if r.last_day else "")
        + f", out of sample from {r.oos_start}, "
        f"{r.cost_bps:g} bps per leg; source: {r.source} (data {r.data_fingerprint})."
    )
    if keys or files:
        say(f"values = {files}{', '.join(keys)}")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("values", overflow="fold")
    for head in ("IS SR", "OOS SR", "ret/yr", "max DD", "in mkt"):
        table.add_column(head, justify="right", no_wrap=True)
    ranked = sorted(
        r.variants,
        key=lambda v: -(v.out_of_sample.sharpe if v.out_of_sample.sharpe is not None else -1e9),
    )
    for v in ranked[:TABLE_ROWS]:
        o = v.out_of_sample
        mark = "*" if v.variant.index == r.correction.best else ""
        table.add_row(
            f"{v.variant.index}{mark}",
            _values(v),
            _num(v.in_sample.sharpe, "+.2f"),
            _num(o.sharpe, "+.2f"),
            _num(None if o.ann_return is None else o.ann_return * 100, "+.1f") + "%",
            _num(None if o.max_drawdown is None else o.max_drawdown * 100, ".0f") + "%",
            _num(None if o.exposure is None else o.exposure * 100, ".0f") + "%",
        )
    show_table(console, table)
    if len(ranked) > TABLE_ROWS:
        say(f"{len(ranked) - TABLE_ROWS} more variants in `-f json`.")
    say(
        "SR = annualised Sharpe (rf 0) of the " + r.strategy + "; IS = before the out-of-sample start, "
        "OOS = from it; ret/yr, max DD and in mkt (share of days in a position) are out of sample; "
        "* = best out of sample."
    )
    say(r.correction.verdict)
    for caveat in r.caveats:
        say(f"Caveat: {caveat}")
    say(r.disclaimer)
