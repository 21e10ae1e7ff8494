"""Write a file the way every output is written: whole or not at all (temporary file + ``os.replace``)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from rotascope.errors import RotascopeError


def _umask() -> int:
    """The process umask, read without changing it where Linux shows it (/proc), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The replaced file keeps its mode; a new file gets what ``open`` would give it (0o666 minus umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path: Path, payload: bytes | str) -> None:
    """Write ``payload`` (text as UTF-8) to ``path`` via a temporary file in the same folder and
    ``os.replace``: readers see the old file or the new one, never a part; on failure the temporary file is
    removed and the error is one sentence."""
    data = payload.encode() if isinstance(payload, str) else payload
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise RotascopeError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
