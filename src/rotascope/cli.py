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

from rotascope import __version__, interrupts
from rotascope.config import load_settings
from rotascope.console import ending, err, friendly_errors, out, resolved

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
    "weekly": ("weekly",),
}
"""Each stage's ``command`` module and the commands it registers, in help order. A run imports only the
stage of the command it was asked for (imports are most of a warm run's time); help and unknown commands
load them all. A test keeps this table equal to what the modules register."""
ROOT_OPTIONS_WITH_VALUE = ("--home", "--db")
GROUPS = frozenset({"data"})
"""Commands that are groups of subcommands (listed as such by the root help)."""
SUMMARIES: dict[str, str] = {
    "init": "Load the embedded real dataset into the store (idempotent, all-or-nothing).",
    "monitor": (
        "The rotation monitor as of a date: relative strength, rotation, breadth, rates and credit, the\n"
        "evidence ladder, the checklist and the rotation killers."
    ),
    "analyze": (
        "Universe-level analysis: the four agents, their debate, and the decision/risk agent. Stored."
    ),
    "debate": (
        "Single-name debate: the agents on one stock or regime ETF, then bull/base/bear and risk\n"
        "controls. Stored. With --all: every Russell 2000 member, ranked."
    ),
    "history": "List stored analyses (newest first).",
    "backtest": (
        "Weekly point-in-time replay of the monitor and the regime since 2000: which signals preceded\n"
        "small caps beating SPY, and how simple IWM/SPY strategies did against buy-and-hold."
    ),
    "review": (
        "Review outcomes: Brier skill and log-loss of the calibrated calls vs the expanding climatology,\n"
        'reliability, and each signal\'s out-of-sample record ("no measured edge" where that is the truth).'
    ),
    "update": (
        "Fetch what is new from the live sources into the store, item by item (resumable). A failing source\n"
        "leaves the others updated; the summary lists what failed and which cached data is now stale."
    ),
    "watch": (
        "Loop: update, analyze (stored), compare with the previous stored analysis, alert when a "
        "ladder level\n"
        "flips, a rotation killer triggers or an invalidation level is hit. Alerts are printed, appended to\n"
        "<home>/alerts.log and POSTed to webhook_url when set."
    ),
    "narrate": (
        "Optional: ask an OpenAI-compatible LLM (llm_base_url, llm_model) to narrate a stored analysis. The\n"
        "prompt holds only the analysis JSON; the prose is stored beside it and labelled; off by default."
    ),
    "report": (
        "Shareable desk report (HTML, Markdown or PDF): stance, evidence ladder, charts, agents and their\n"
        "debate, scenarios, risk controls, killers, the backtest's verdict, sources and caveats. Stored."
    ),
    "diff": "What changed between two stored analyses, and whether the rotation is broadening.",
    "serve": "Serve the rotation dashboard and the JSON API (research tooling, not investment advice).",
    "screen": (
        "Quality small caps: Russell 2000 members ranked point in time by profitability, balance sheet,\n"
        "accruals, earnings surprises and estimate revisions, plus momentum; members without\n"
        "fundamentals are listed apart."
    ),
    "sentiment": (
        "Label each row positive, negative or neutral with a score P(positive) − P(negative) in [−1, 1]\n"
        "(finance sentiment model trained on the Financial PhraseBank), one output row per input row."
    ),
    "weekly": (
        "The weekly workflow in one command: update, analyze at the last complete session, compare with\n"
        "the previous stored analysis; writes a dated HTML desk report and a short Markdown summary (with\n"
        "the alerts) to paste into a chat. Exit 1 when the update failed (the run goes on with cached data)."
    ),
    "data": "Inspect the stored data.",
}
"""Each command's first help paragraph, for the root help (``rotascope``, ``rotascope --help``): listing the
commands must not import every stage (seconds of scikit-learn, FastAPI, matplotlib…). A test keeps it
equal, and the root help it prints identical, to what the command modules register."""


def _root_app() -> typer.Typer:
    """The root command with its options, before any command is added."""
    app = typer.Typer(
        name="rotascope",
        help="Is U.S. equity leadership rotating from mega caps to small caps, and is it real? "
        "Research tooling, not investment advice.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(root)
    return app


def build_app(stages: tuple[str, ...] = tuple(STAGES)) -> typer.Typer:
    """The command tree with the given stages' commands registered (all of them by default)."""
    app = _root_app()
    for stage in STAGES:
        if stage in stages:
            _register(app, stage)
    return app


def _print_version(wanted: bool) -> None:
    """``--version``: eager, so it answers before click asks for a command."""
    if wanted:
        out.print(f"rotascope {__version__}")
        raise typer.Exit(0)


def root(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data directory (env ROTASCOPE_HOME).")] = None,
    db: Annotated[Path | None, typer.Option(help="DuckDB store file (env ROTASCOPE_DB).")] = None,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Is U.S. equity leadership rotating from mega caps to small caps, and is it real?"""
    with friendly_errors():
        ctx.obj = resolved(
            load_settings({"home": str(home) if home else None, "db": str(db) if db else None})
        )


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


def command_word(argv: list[str]) -> str | None:
    """The first word of ``argv`` after the root options (None: no command, i.e. root help/version)."""
    args = iter(argv)
    for arg in args:
        if arg in ROOT_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def stages_for(argv: list[str]) -> tuple[str, ...]:
    """The stage of the command named in ``argv`` (after the root options), or every stage."""
    word = command_word(argv)
    return tuple(stage for stage, names in STAGES.items() if word in names) or tuple(STAGES)


def help_app() -> typer.Typer:
    """The root command with every command listed from ``SUMMARIES`` (nothing of any stage imported):
    what ``rotascope`` and ``rotascope --help`` print."""
    app = _root_app()
    for name, text in SUMMARIES.items():
        if name in GROUPS:
            group = typer.Typer(help=text)
            group.command(hidden=True)(_listed_only)
            app.add_typer(group, name=name)
        else:
            app.command(name, help=text)(_listed_only)
    return app


def _listed_only() -> None:
    """Never run: ``main`` builds the real command tree whenever a command word is given."""


@functools.cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    """``rotascope.cli.app``: the whole tree, built on first use (tests and documentation tools)."""
    if name == "app":
        return _full_app()
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless ROTASCOPE_DEBUG=1; Ctrl-C and SIGTERM
    end with one line on stderr and exit code 130."""
    interrupts.install()
    try:
        argv = sys.argv[1:]
        (help_app() if command_word(argv) is None else build_app(stages_for(argv)))()
    except SystemExit as exc:
        if exc.code == interrupts.EXIT_INTERRUPTED or interrupts.received():
            interrupts.say(exc)
            sys.exit(interrupts.EXIT_INTERRUPTED)
        raise
    except BaseException as exc:
        code = ending(exc)
        if code is not None:
            sys.exit(code)
        if os.environ.get("ROTASCOPE_DEBUG") or not isinstance(exc, Exception):
            raise
        err.print(
            f"Internal error: {type(exc).__name__}: {exc}. This is a bug in rotascope; "
            "rerun with ROTASCOPE_DEBUG=1 for the traceback and report it.",
            markup=False,
        )
        sys.exit(3)
