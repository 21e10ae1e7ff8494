"""On-disk cache of big close panels, keyed by the data fingerprint: a warm run skips the pivot.

A cache entry is only ever read for the exact fingerprint and symbol list it was written for, so it can
never serve stale data; it is written atomically (:func:`put_file`) and any failure to write it is
ignored (the store is the truth; the cache is a speed-up). A file that does not read back (truncated,
damaged: NumPy checks each member's CRC-32) is a miss: :func:`discard` deletes it and says so once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from rotascope.atomicfile import atomic_open
from rotascope.errors import RotascopeError
from rotascope.store.panel import Panel

_NOTED: list[Path] = []
"""Cache files this process found damaged and deleted (the note is printed once)."""


def discard(path: Path, exc: BaseException) -> None:
    """Delete the unreadable cache file ``path`` (it is recomputed) and note it once on stderr."""
    with contextlib.suppress(OSError):
        path.unlink()
    if not _NOTED:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120].removeprefix(f"{path.name} ")
        sys.stderr.write(f"Note: cache file {path.name} was unreadable ({reason}); deleted, recomputed.\n")
        sys.stderr.flush()
    _NOTED.append(path)


def put_file(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """Write the cache file ``path`` whole or not at all (``write`` fills the open file); best effort: a
    read-only or full folder only costs the next run a recompute, so a failure returns False."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, sync=False) as fh:
            write(fh)
    except (OSError, RotascopeError):
        return False
    return True


class PanelCache:
    """Folder of ``<key>.npz`` files holding dates, symbols and float32 values."""

    def __init__(self, folder: Path, keep: int = 2) -> None:
        self.folder = folder
        self.keep = keep
        """Newest data fingerprints whose panels are kept; older ones are deleted on each write."""

    def _path(self, fingerprint: str, symbols: tuple[str, ...]) -> Path:
        fp = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
        digest = hashlib.sha256(("\\n".join(symbols) + "|" + fingerprint).encode()).hexdigest()[:24]
        return self.folder / f"panel-{fp}-{digest}.npz"

    def prune(self) -> list[Path]:
        """Delete panels of all but the ``keep`` most recently used fingerprints; returns what went."""
        groups: dict[str, list[Path]] = {}
        with contextlib.suppress(OSError):
            for path in self.folder.glob("panel-*.npz"):
                parts = path.stem.split("-")
                key = parts[1] if len(parts) == 3 else ""  # "" = an old-style name: always pruned
                groups.setdefault(key, []).append(path)

        def newest(paths: list[Path]) -> float:
            stamps = [0.0]
            for path in paths:
                with contextlib.suppress(OSError):
                    stamps.append(path.stat().st_mtime)
            return max(stamps)

        ranked = sorted((k for k in groups if k), key=lambda k: newest(groups[k]), reverse=True)
        gone = [p for k in (*ranked[self.keep :], "") for p in groups.get(k, [])]
        for path in gone:
            with contextlib.suppress(OSError):
                path.unlink()
        return gone

    def get(self, fingerprint: str, symbols: tuple[str, ...]) -> Panel | None:
        path = self._path(fingerprint, symbols)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                if tuple(npz["symbols"].tolist()) != symbols:
                    return None
                with contextlib.suppress(OSError):
                    os.utime(path)  # recently used: kept by prune()
                return Panel(npz["dates"].astype("datetime64[D]"), symbols, npz["values"].astype(np.float64))
        except Exception as exc:  # zipfile, zlib and NumPy raise many types for a damaged file
            discard(path, exc)
            return None

    def put(self, fingerprint: str, panel: Panel) -> None:
        values32 = panel.values.astype(np.float32)
        if not np.array_equal(values32.astype(np.float64), panel.values, equal_nan=True):
            return  # only cache when float32 holds the values exactly (true for the embedded data)
        put_file(
            self._path(fingerprint, panel.symbols),
            lambda fh: np.savez(fh, dates=panel.dates, symbols=np.array(panel.symbols), values=values32),
        )
        self.prune()
