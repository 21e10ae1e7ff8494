"""Ctrl-C (SIGINT) and SIGTERM as a normal ending of a command: one line on stderr, exit code 130.

A leaf (standard library only), so the entry point can install it before any slow import. Two phases:
while the command modules import (about a second, nothing written yet), a signal ends the process at once;
from :func:`install` on, a signal raises :class:`KeyboardInterrupt` where the program is, so every open
transaction rolls back on the way out. DuckDB turns that KeyboardInterrupt into its own error when it
arrives mid-query (``RuntimeError: Query interrupted``, or ``duckdb.InterruptException``), and a caller
may wrap that once more: :func:`is_interrupt` recognises all of them, and any error after a signal.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

__all__ = [
    "EXIT_INTERRUPTED",
    "NOTHING_CHANGED",
    "Interrupted",
    "end_quietly_while_starting",
    "ignore_in_worker",
    "install",
    "is_interrupt",
    "received",
    "reraise_interrupt",
    "say",
]

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a command ended by Ctrl-C."""
NOTHING_CHANGED = "Interrupted; nothing was changed."
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []
"""Signals received since :func:`install` (a list: appended from the handler, never rebound)."""
_said: list[str] = []
"""What :func:`say` printed (once per process)."""
_installed: list[bool] = []
"""Whether :func:`install` ran (the `rotascope` program, not a library user or a test process)."""


class Interrupted(KeyboardInterrupt):
    """An interrupt whose message says what was kept (work committed before the signal)."""


def _exit_now(signum: int, frame: FrameType | None) -> None:
    """Before :func:`install`: only imports have run, nothing was written; end at once."""
    os.write(2, (NOTHING_CHANGED + "\n").encode())
    os._exit(EXIT_INTERRUPTED)


def _raise(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def end_quietly_while_starting(*, force: bool = False) -> None:
    """In the `rotascope` program (or with ``force``, from ``python -m rotascope``), end quietly on a
    signal that arrives before :func:`install`; any other program importing rotascope is left alone."""
    if (force or os.path.basename(sys.argv[0] if sys.argv else "") == "rotascope") and _main_thread():
        for sig in SIGNALS:
            signal.signal(sig, _exit_now)


def install() -> None:
    """From here on, SIGINT and SIGTERM raise KeyboardInterrupt (the command rolls back and says so)."""
    if _main_thread():
        _installed.append(True)
        for sig in SIGNALS:
            signal.signal(sig, _raise)


def ignore_in_worker() -> None:
    """In a forked worker: leave Ctrl-C to the parent (it ends the pool), and SIGTERM to its default."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is, or stems from, Ctrl-C or SIGTERM."""
    if _received or isinstance(exc, KeyboardInterrupt):
        return True
    if type(exc) is RuntimeError and str(exc) == "Query interrupted":  # DuckDB, mid-fetch
        return True
    return type(exc).__name__ == "InterruptException" and type(exc).__module__.endswith("duckdb")


def received() -> bool:
    """Whether a signal arrived since :func:`install`."""
    return bool(_received)


def say(exc: BaseException | None = None) -> None:
    """Print the interrupt's one line on stderr (what :class:`Interrupted` ``exc`` says was kept, else that
    nothing was changed); in the `rotascope` program only once, and further signals
    are ignored from here on, so a second Ctrl-C cannot break the ending with a traceback."""
    if _installed and _main_thread():
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
    if not (_said and _installed):
        message = str(exc) if isinstance(exc, Interrupted) and str(exc) else NOTHING_CHANGED
        _said.append(message)
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def reraise_interrupt(exc: BaseException) -> None:
    """Raise KeyboardInterrupt when ``exc`` is an interrupt, so no handler takes it for a failure."""
    if is_interrupt(exc) and not isinstance(exc, KeyboardInterrupt):
        raise KeyboardInterrupt from None


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
