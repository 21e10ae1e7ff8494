"""Disk cache of the backtest's weekly replay and of its membership re-replay, so a warm backtest skips both.

The replay (the regime rules week by week, the agents over every week) and the re-replay on today's members
are most of a backtest's time, yet each is a pure function of the computed monitor panel (data
fingerprint and thresholds), the as-of dates, the injected signals' kind and the code. An entry is saved
under ``<cache>/replay-<key>.npz`` (or ``membership-<key>.json``) with a key of all of those plus the code
digest, so it is read only for the exact inputs it was written from and a hit gives the same values. Writes
are atomic; an unreadable entry is deleted and recomputed; the newest ``KEEP`` entries of each kind stay.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope._code import code_digest
from rotascope.atomicfile import atomic_write
from rotascope.backtest.calendar import as_index
from rotascope.backtest.replay import Extra, Replay, replay, signal_kinds
from rotascope.errors import RotascopeError
from rotascope.monitor.run import Monitor
from rotascope.store.cache import discard

VERSION = "replay-1"
KEEP = 8
"""Entries of each kind kept in the cache folder (the most recently used)."""


def monitor_key(monitor: Monitor) -> str:
    """What the monitor's replay depends on: data, thresholds, staleness limit, the code, and which
    universes count dated lists (a panel recounted on today's members has the same data and thresholds)."""
    breadth = monitor.panel.breadth
    lists = ",".join(f"{k}:{'pit' if u.pit is not None else 'today'}" for k, u in breadth.items())
    parts = [
        VERSION,
        monitor.panel.data.fingerprint,
        monitor.thresholds.model_dump_json(),
        str(monitor.panel.stale_after_days),
        lists,
        code_digest(),
    ]
    return "|".join(parts)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:24]


def replay_key(monitor: Monitor, days: np.ndarray, extra: Extra | None) -> str:
    """The cache key of ``replay(monitor, days, extra)``."""
    kind = "none" if extra is None else f"{type(extra).__module__}.{type(extra).__qualname__}"
    dates = np.ascontiguousarray(np.asarray(days, dtype="datetime64[D]")).tobytes()
    return _digest(monitor_key(monitor), dates, kind)


def frame_digest(frame: pd.DataFrame) -> bytes:
    """The bytes that identify a frame: index, columns and values (a key part for results made from it)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(frame.index.to_numpy().astype("datetime64[D]")).tobytes())
    h.update("\0".join(str(c) for c in frame.columns).encode())
    h.update(np.ascontiguousarray(frame.to_numpy().astype(str)).tobytes())
    return h.digest()


def _recent(folder: Path, prefix: str) -> None:
    """Keep the ``KEEP`` most recently used ``prefix-*`` entries of ``folder``."""
    with contextlib.suppress(OSError):
        files = sorted(folder.glob(f"{prefix}-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink()


def _load(path: Path, read: Callable[[Path], object]) -> object | None:
    """``read(path)``, or None when there is no entry or it does not read back (then deleted)."""
    if not path.exists():
        return None
    try:
        value = read(path)
    except Exception as exc:  # zipfile, zlib, NumPy and pydantic raise many types for a damaged file
        discard(path, exc)
        return None
    with contextlib.suppress(OSError):
        path.touch()
    return value


def _save(path: Path, payload: bytes | str) -> None:
    """Write an entry atomically; a folder that cannot be written only costs the speed-up."""
    with contextlib.suppress(OSError, RotascopeError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, payload)
        _recent(path.parent, path.name.split("-", 1)[0])


def _read_replay(path: Path) -> Replay:
    with np.load(path, allow_pickle=False) as npz:
        days = npz["dates"].astype("datetime64[D]")
        index = as_index(days)
        signals = pd.DataFrame(npz["values"], index=index, columns=npz["names"].tolist(), dtype=np.float64)
        extra = tuple(str(c) for c in npz["extra"].tolist())
        members = pd.DataFrame(npz["members"], index=index, columns=npz["universes"].tolist(), dtype=str)
        fingerprint, source = (str(s) for s in npz["meta"].tolist())
    return Replay(
        signals=signals,
        kinds=signal_kinds(signals, set(extra)),
        data_fingerprint=fingerprint,
        source=source,
        elapsed_s=0.0,
        extra_columns=extra,
        membership=members,
    )


def _replay_bytes(rep: Replay) -> bytes:
    members = rep.membership if rep.membership is not None else pd.DataFrame(index=rep.signals.index)
    buf = io.BytesIO()
    np.savez(
        buf,
        dates=rep.asof,
        names=np.array([str(c) for c in rep.signals.columns]),
        values=rep.signals.to_numpy(dtype=np.float64),
        extra=np.array(rep.extra_columns, dtype=str),
        universes=np.array([str(c) for c in members.columns], dtype=str),
        members=members.to_numpy().astype(str).reshape(len(members), len(members.columns)),
        meta=np.array([rep.data_fingerprint, rep.source]),
    )
    return buf.getvalue()


def cached_replay(monitor: Monitor, days: np.ndarray, extra: Extra | None = None) -> Replay:
    """``replay(monitor, days, extra)``, from the disk cache when the exact inputs were seen before
    (``elapsed_s`` is then the read's time)."""
    if monitor.cache_dir is None:
        return replay(monitor, days, extra)
    began = time.perf_counter()
    path = monitor.cache_dir / f"replay-{replay_key(monitor, days, extra)}.npz"
    hit = _load(path, _read_replay)
    if isinstance(hit, Replay):
        return dataclasses.replace(hit, elapsed_s=time.perf_counter() - began)
    rep = replay(monitor, days, extra)
    if rep.membership is not None and rep.membership.shape[0] == len(rep.signals):
        _save(path, _replay_bytes(rep))
    return rep


def entry_path(monitor: Monitor, prefix: str, suffix: str, *parts: str | bytes) -> Path | None:
    """Where an entry of ``prefix`` computed from the monitor and ``parts`` lives (None: no cache folder)."""
    if monitor.cache_dir is None:
        return None
    return monitor.cache_dir / f"{prefix}-{_digest(monitor_key(monitor), *parts)}{suffix}"


def load_text(path: Path | None, parse: Callable[[str], object]) -> object | None:
    """``parse`` of the entry's text, or None (no folder, no entry, or an unreadable one: deleted)."""
    return None if path is None else _load(path, lambda p: parse(p.read_text(encoding="utf-8")))


def save_text(path: Path | None, text: str) -> None:
    """Save an entry's text atomically (nothing without a cache folder)."""
    if path is not None:
        _save(path, text)
