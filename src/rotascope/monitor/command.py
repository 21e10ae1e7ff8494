"""`rotascope monitor`: the rotation monitor as of a date, as a table or JSON."""

from __future__ import annotations

import sys

import typer

from rotascope.console import AsOfOpt, FormatOpt, check_format, friendly_errors, out, settings_of
from rotascope.monitor.asof import parse_date
from rotascope.monitor.freshness import freshness, with_freshness
from rotascope.monitor.run import build_monitor, warm_monitor
from rotascope.report.terminal import render


def register(app: typer.Typer) -> None:
    """Add ``monitor`` to ``app``."""

    @app.command()
    def monitor(ctx: typer.Context, as_of: AsOfOpt = None, fmt: FormatOpt = "table") -> None:
        """The rotation monitor as of a date: relative strength, rotation, breadth, rates and credit, the
        evidence ladder, the checklist and the rotation killers."""

        check_format(fmt)
        settings = settings_of(ctx)
        with friendly_errors():
            wanted = parse_date(as_of) if as_of is not None else None
            monitor = warm_monitor(settings)  # the store unchanged since its panel was saved: no DuckDB
            if monitor is None:
                # deferred: DuckDB (~0.1 s to import and open) only when the store must be read
                from rotascope.store.db import reading

                with reading(settings) as store:
                    monitor = build_monitor(store, settings)
            result = monitor.at(wanted)
            fresh = freshness(monitor, settings)
        if fmt == "json":
            sys.stdout.write(with_freshness(result, fresh))
            return
        for line in fresh.lines():
            out.print(line, style="bold red" if fresh.stale else None)
        render(result.snapshot, result.regime, out)
