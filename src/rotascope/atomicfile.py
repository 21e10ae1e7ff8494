"""Write a file the way every output and cache file is written: whole or not at all (temporary file in
the same folder + ``os.replace``). The one writer: outputs use :func:`atomic_write`, streamed files
(saved trees, ``.npz`` caches, CSV) :func:`atomic_open`."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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


@contextlib.contextmanager
def atomic_open(path: Path, sync: bool = True) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` when the block ends without an error: readers see the old file
    or the new one, never a part. On any error the temporary file is removed and ``path`` is untouched;
    an ``OSError`` becomes one sentence (:class:`RotascopeError`). ``sync=False`` skips the fsync, for
    cache files whose checksums already turn a torn write into a miss."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if sync:
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


def atomic_write(path: Path, payload: bytes | str) -> None:
    """Write ``payload`` (text as UTF-8) to ``path`` whole or not at all (:func:`atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(payload.encode() if isinstance(payload, str) else payload)
