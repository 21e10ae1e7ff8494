"""CLI plumbing shared by every command module: the two consoles, one-sentence errors, output formats.

A leaf: it imports nothing from rotascope's stages, so any command module may import it and nothing
ever needs to import ``rotascope.cli`` (which only builds the command tree).
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from rotascope import interrupts
from rotascope.config import Settings
from rotascope.diskfull import no_space
from rotascope.errors import RotascopeError, StoreCorrupt, is_page_damage

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: latest stored).")]


def _duckdb(name: str, *also: type[BaseException]) -> tuple[type[BaseException], ...]:
    """``also`` and DuckDB's exception class ``name``, the latter left out when DuckDB was never imported
    (then nothing can raise it): a warm ``monitor`` runs without importing DuckDB at all."""
    module = sys.modules.get("duckdb")
    return (*also, getattr(module, name)) if module is not None else also


def ending(exc: BaseException) -> int | None:
    """Say how ``exc`` ended the command, in one line on stderr, and return its exit code: 130 for Ctrl-C,
    SIGTERM and whatever error they caused (DuckDB's "Query interrupted", a write cut short); 1 for a
    rotascope error or a damaged store met at query time. None (nothing said) for anything else."""
    if interrupts.is_interrupt(exc):
        interrupts.say(exc)
        return interrupts.EXIT_INTERRUPTED
    if is_page_damage(exc) and not isinstance(exc, RotascopeError):
        exc = StoreCorrupt.unreadable_page(_store_path(), exc)
    if isinstance(exc, RotascopeError):
        err.print(f"[bold red]Error:[/] {escape(str(exc))}", markup=True)
        return 1
    full = no_space(exc)
    if full is not None:
        err.print(f"[bold red]Error:[/] {escape(full)}", markup=True)
        return 1
    if isinstance(exc, _duckdb("Error")):  # met at query time, after the store opened fine
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        damaged = any(word in first.lower() for word in CORRUPTION_WORDS)
        advice = (
            "it may be corrupt: run `rotascope init --force` to rebuild it"
            if damaged
            else "no damage was found by this error; `rotascope data status` checks the store"
        )
        err.print(f"[bold red]Error:[/] The store cannot be read ({escape(first)}); {advice}.", markup=True)
        return 1
    return None


def _store_path() -> object:
    """The store file of the running command (for a message), or just "file" before settings resolved."""
    return _RESOLVED[-1].db if _RESOLVED else "file"


_RESOLVED: list[Settings] = []
"""The settings this invocation's root command resolved (:func:`resolved`)."""


def resolved(settings: Settings) -> Settings:
    """Remember ``settings`` as this invocation's (read by error messages outside any command)."""
    _RESOLVED.append(settings)
    return settings


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn rotascope errors into one line on stderr and exit code 1; Ctrl-C into exit code 130 (see
    :func:`ending`)."""
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, typer.Exit | SystemExit) and not interrupts.received():
            raise
        code = ending(exc)
        if code is None:
            raise
        raise typer.Exit(code) from None


CORRUPTION_WORDS = ("corrupt", "checksum", "invalid block", "serialization")
"""Words of DuckDB's own errors that report damaged pages (its integrity checks found them): only then do
we say the store may be corrupt; a limit, type or I/O error is not damage."""


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


def in_range(lo: float, hi: float, what: str = "") -> Callable[[float | None], float | None]:
    """A Typer option callback that refuses a value outside ``lo``..``hi`` (or not finite) with one
    sentence naming the valid range, exit code 2, before anything runs (a huge ``--limit`` used to reach
    DuckDB, a ``--cost-bps 1e308`` the backtest's arithmetic)."""

    def check(value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and lo <= value <= hi):
            kind = "a whole number" if isinstance(value, int) else "a number"
            unit = f" {what}" if what else ""
            got = str(value) if isinstance(value, int) else f"{value:g}"
            raise typer.BadParameter(f"must be {kind} from {lo:g} to {hi:g}{unit}; got {got}.")
        return value

    return check


def emit_json(payload: Any) -> None:
    """Canonical JSON on stdout: sorted keys, two-space indent."""
    sys.stdout.write(json.dumps(payload, sort_keys=True, indent=2, default=str) + "\n")
