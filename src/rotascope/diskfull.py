"""The one sentence for a full disk: ENOSPC from Python, or DuckDB's "No space left on device".

A leaf (nothing of rotascope imported), so the store and the CLI plumbing both word it the same way. Every
write is atomic (a transaction, or a temporary file renamed into place), so a full disk loses nothing.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

__all__ = ["no_space"]

_NO_SPACE = re.compile(r'(?:file|path|directory)\s+"([^"]+)"', re.IGNORECASE)


def no_space(exc: BaseException) -> str | None:
    """The sentence for a full disk (ENOSPC from Python, or DuckDB's "No space left on device"), naming
    the mount point that is full; None for any other error. Writes are atomic, so the store is intact."""
    if isinstance(exc, OSError):
        if exc.errno != errno.ENOSPC:
            return None
        where = exc.filename
    elif "no space left on device" in str(exc).lower():
        found = _NO_SPACE.search(str(exc))
        where = found.group(1) if found else None
    else:
        return None
    device = _mount_point(Path(str(where))) if where else "the device"
    return f"No space left on {device}: free space and re-run; the store is intact."


def _mount_point(path: Path) -> str:
    """The mount point holding ``path`` (or its nearest existing parent)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    while path != path.parent and not os.path.ismount(path):
        path = path.parent
    return str(path)
