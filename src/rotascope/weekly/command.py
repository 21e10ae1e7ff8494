"""`rotascope weekly`: the weekly workflow in one command (see :mod:`rotascope.weekly.run`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rotascope.console import AsOfOpt, err, friendly_errors, settings_of
from rotascope.monitor.asof import parse_date
from rotascope.weekly.run import run_weekly


def register(app: typer.Typer) -> None:
    """Add ``weekly`` to ``app``."""

    @app.command()
    def weekly(
        ctx: typer.Context,
        as_of: AsOfOpt = None,
        no_update: Annotated[
            bool, typer.Option("--no-update", help="Skip the live update: run on the cached data.")
        ] = False,
        out_dir: Annotated[
            Path, typer.Option("--out", help="Folder for weekly-<as-of>.html and weekly-<as-of>.md.")
        ] = Path("."),
    ) -> None:
        """The weekly workflow in one command: update, analyze at the last complete session, compare with
        the previous stored analysis; writes a dated HTML desk report and a short Markdown summary (with
        the alerts) to paste into a chat. Exit 1 when the update failed (the run goes on with cached data)."""
        settings = settings_of(ctx)
        with friendly_errors():
            wanted = parse_date(as_of) if as_of is not None else None
            files = run_weekly(settings, wanted, update=not no_update, out_dir=out_dir, progress=err)
        sys.stdout.write(files.text)
        if files.run.update_failed:
            raise typer.Exit(1)
