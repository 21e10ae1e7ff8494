"""CLI plumbing shared by every command module: the two consoles, one-sentence errors, output formats.

A leaf: it imports nothing from rotascope's stages, so any command module may import it and nothing
ever needs to import ``rotascope.cli`` (which only builds the command tree).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console

from rotascope import interrupts
from rotascope.config import Settings
from rotascope.errors import RotascopeError

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: latest stored).")]


def _duckdb(name: str, *also: type[BaseException]) -> tuple[type[BaseException], ...]:
    """``also`` and DuckDB's exception class ``name``, the latter left out when DuckDB was never imported
    (then nothing can raise it): a warm ``monitor`` runs without importing DuckDB at all."""
    module = sys.modules.get("duckdb")
    return (*also, getattr(module, name)) if module is not None else also


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn rotascope errors into one line on stderr and exit code 1; Ctrl-C, SIGTERM and whatever error
    they cause (DuckDB's "Query interrupted", a write cut short) into one line and exit code 130."""
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, typer.Exit | SystemExit) and not interrupts.received():
            raise
        if interrupts.is_interrupt(exc):
            interrupts.say(exc)
            raise typer.Exit(interrupts.EXIT_INTERRUPTED) from None
        if isinstance(exc, RotascopeError):
            err.print(f"[bold red]Error:[/] {exc}", markup=True)
            raise typer.Exit(1) from None
        if isinstance(exc, _duckdb("Error")):  # met at query time, after the store opened: damaged pages
            first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            err.print(
                f"[bold red]Error:[/] The store cannot be read ({first}); it may be corrupt: run "
                "`rotascope init --force` to rebuild it.",
                markup=True,
            )
            raise typer.Exit(1) from None
        raise


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command resolved once for this invocation."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json")) -> str:
    """Reject an unknown --format value with one sentence."""
    if fmt not in allowed:
        choices = " or ".join(repr(a) for a in allowed)
        raise typer.BadParameter(f"must be {choices}, got {fmt!r}", param_hint="--format")
    return fmt


def emit_json(payload: Any) -> None:
    """Canonical JSON on stdout: sorted keys, two-space indent."""
    sys.stdout.write(json.dumps(payload, sort_keys=True, indent=2, default=str) + "\n")
