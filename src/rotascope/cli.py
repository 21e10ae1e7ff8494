"""The `rotascope` command tree: the root options, then every command module's ``register``.

Nothing imports this module (the console plumbing lives in :mod:`rotascope.console`), so the command
modules can import whatever stage they need without an import cycle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from rotascope import __version__
from rotascope.analysis import command as analysis_command
from rotascope.analysis.replay import CALIBRATED_TILT, calibrated_tilt, replay_extra
from rotascope.backtest import command as backtest_command
from rotascope.calibration import command as calibration_command
from rotascope.config import load_settings
from rotascope.console import err, friendly_errors, out
from rotascope.errors import RotascopeError
from rotascope.fundamentals import command as fundamentals_command
from rotascope.live import command as live_command
from rotascope.monitor import command as monitor_command
from rotascope.report import command as report_command
from rotascope.sentiment import command as sentiment_command
from rotascope.store import command as store_command
from rotascope.web import command as web_command

app = typer.Typer(
    name="rotascope",
    help="Is U.S. equity leadership rotating from mega caps to small caps, and is it real? "
    "Research tooling, not investment advice.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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


store_command.register(app)
monitor_command.register(app)
analysis_command.register(app)
backtest_command.register(app, extra=replay_extra, tilt=calibrated_tilt, tilt_label=CALIBRATED_TILT)
calibration_command.register(app, extra=replay_extra)
live_command.register(app)
report_command.register(app)
web_command.register(app)
fundamentals_command.register(app)
sentiment_command.register(app)


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
