"""`rotascope monitor`: the rotation monitor as of a date, as a table or JSON."""

from __future__ import annotations

import json
import sys

import typer

from rotascope.console import AsOfOpt, FormatOpt, check_format, friendly_errors, out, settings_of
from rotascope.monitor.asof import parse_date
from rotascope.monitor.freshness import fresh_payload
from rotascope.monitor.run import build_monitor, warm_monitor
from rotascope.monitor.session import open_session
from rotascope.monitor.valcache import cached_lens, revisions_reading, save_lens
from rotascope.report.terminal import render
from rotascope.report.valuationview import render_valuation


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
            session = open_session(monitor, settings, wanted)
            result = monitor.on(session.as_of)
            improve, source = revisions_reading(result.regime)
            lens = cached_lens(settings, result.as_of, improve)
            if lens is None:
                # deferred: pandas and DuckDB only when the lens is not saved yet (a warm monitor reads none)
                from rotascope.fundamentals.valuation import valuation_at
                from rotascope.store.db import reading  # deferred: DuckDB, as above

                with reading(settings) as store:
                    lens = valuation_at(store, result.as_of, improve, source)
                if lens is not None:
                    save_lens(settings, lens, improve)
            fresh = session.fresh
        if fmt == "json":
            body = fresh_payload(result.model_dump(mode="json"), fresh) | {
                "valuation": lens.model_dump(mode="json") if lens else None
            }
            sys.stdout.write(json.dumps(body, sort_keys=True, indent=2) + "\n")
            return
        for line in fresh.lines():
            out.print(line, style="bold red" if fresh.stale else None)
        render(result.snapshot, result.regime, out)
        render_valuation(lens, out)
