"""Check a file a user names before reading it: a regular file no larger than ``max_input_mb``.

A device (``/dev/zero``), a FIFO or a socket never ends, and a huge file would be read whole by a TOML or
CSV parser, so every reader of user input (the ``sentiment`` CSV, config, thresholds and sweep files,
company-fundamentals CSVs) asks here first and refuses in one sentence instead of filling the memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rotascope.errors import InputError

__all__ = ["DEFAULT_MAX_INPUT_MB", "check_input"]

DEFAULT_MAX_INPUT_MB = 1024
"""Default of the ``max_input_mb`` setting (MiB)."""


def check_input(path: Path | str, what: str, max_mb: float = DEFAULT_MAX_INPUT_MB) -> int:
    """The size in bytes of ``path`` when it is a regular file of at most ``max_mb`` MiB; else one
    sentence (:class:`~rotascope.errors.InputError`) naming ``what`` it is ("Config file", "CSV file"…).
    A missing file passes through (its reader says it does not exist, in its own words)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read ({exc.strerror}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{what} {path} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise InputError(f"{what} {path} is {kind}, not a regular file; give a file on disk.")
    if info.st_size > max_mb * 1024 * 1024:
        raise InputError(
            f"{what} {path} is {info.st_size / 1024 / 1024:,.0f} MiB, over the max_input_mb setting of "
            f"{max_mb:g} MiB; split it or raise the setting."
        )
    return info.st_size
