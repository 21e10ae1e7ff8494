"""The `rotascope` command tree: the root options, then every command module's ``register``.

Nothing imports this module (the console plumbing lives in :mod:`rotascope.console`), so the command
modules can import whatever stage they need without an import cycle.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from rotascope import __version__
from rotascope.config import load_settings
from rotascope.console import err, friendly_errors, out
from rotascope.errors import RotascopeError

STAGES: dict[str, tuple[str, ...]] = {
    "store": ("init", "data"),
    "monitor": ("monitor",),
    "analysis": ("analyze", "debate", "history"),
    "backtest": ("backtest",),
    "calibration": ("review",),
    "live": ("update", "watch", "narrate"),
    "report": ("report", "diff"),
    "web": ("serve",),
    "fundamentals": ("screen",),
    "sentiment": ("sentiment",),
}
"""Each stage's ``command`` module and the commands it registers, in help order. A run imports only the
stage of the command it was asked for (imports are most of a warm run's time); help and unknown commands
load them all. A test keeps this table equal to what the modules register."""
ROOT_OPTIONS_WITH_VALUE = ("--home", "--db")


def build_app(stages: tuple[str, ...] = tuple(STAGES)) -> typer.Typer:
    """The command tree with the given stages' commands registered (all of them by default)."""
    app = typer.Typer(
        name="rotascope",
        help="Is U.S. equity leadership rotating from mega caps to small caps, and is it real? "
        "Research tooling, not investment advice.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(root)
    for stage in STAGES:
        if stage in stages:
            _register(app, stage)
    return app


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


def _register(app: typer.Typer, stage: str) -> None:
    module = importlib.import_module(f"rotascope.{stage}.command")
    if stage in ("backtest", "calibration"):
        # the replay's agent signals come from the analysis stage, which itself imports the backtest:
        # handed in here so that neither stage imports the other's command module
        replay = importlib.import_module("rotascope.analysis.replay")
        if stage == "backtest":
            module.register(
                app, extra=replay.replay_extra, tilt=replay.calibrated_tilt, tilt_label=replay.CALIBRATED_TILT
            )
        else:
            module.register(app, extra=replay.replay_extra)
        return
    module.register(app)


def stages_for(argv: list[str]) -> tuple[str, ...]:
    """The stage of the command named in ``argv`` (after the root options), or every stage."""
    args = iter(argv)
    for arg in args:
        if arg in ROOT_OPTIONS_WITH_VALUE:
            next(args, None)
        elif arg.startswith("-"):
            continue
        else:
            return tuple(stage for stage, names in STAGES.items() if arg in names) or tuple(STAGES)
    return tuple(STAGES)


@functools.cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    """``rotascope.cli.app``: the whole tree, built on first use (tests and documentation tools)."""
    if name == "app":
        return _full_app()
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless ROTASCOPE_DEBUG=1."""
    try:
        build_app(stages_for(sys.argv[1:]))()
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
