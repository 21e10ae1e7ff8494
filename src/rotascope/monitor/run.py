"""One monitor run: read the store, compute the panel (or map the saved one), slice it at the as-of date,
apply the rules.

The computed panel is saved under the store's cache folder, keyed by the data fingerprint, the thresholds
it reads (``engine.PanelRules``: editing any other threshold keeps it), the staleness setting and the code
digest, so a warm run maps it back in milliseconds instead of reading and recomputing the whole history;
new data (``update``/``init``) changes the fingerprint and so the key. Entries of other keys are pruned
to the newest ``KEEP_PANELS``.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rotascope._code import code_digest
from rotascope.config import Settings
from rotascope.errors import RotascopeError
from rotascope.monitor.asof import resolve_as_of
from rotascope.monitor.complete import Completeness, completeness
from rotascope.monitor.data import MarketData
from rotascope.monitor.engine import MonitorPanel, PanelRules, compute
from rotascope.records import Record, Regime, Snapshot
from rotascope.regime import Thresholds, evaluate, load_thresholds
from rotascope.store.arrays import TreeFormatError, load_tree, save_tree
from rotascope.store.cache import discard
from rotascope.store.stamp import file_stamp, note_fingerprint, noted_fingerprint

if TYPE_CHECKING:
    from rotascope.store.db import Store

MIN_HISTORY = 252
"""Trading days of history the monitor needs before its first as-of (the 12-month window)."""


class MonitorResult(Record):
    """What `rotascope monitor` shows: the measured snapshot and the regime verdict."""

    as_of: date
    snapshot: Snapshot
    regime: Regime
    disclaimer: str = "Research tooling, not investment advice."


@dataclass(frozen=True)
class Monitor:
    """A computed monitor panel with its thresholds, reusable for any number of as-of dates."""

    panel: MonitorPanel
    thresholds: Thresholds
    cache_dir: Path | None = None
    """Folder for derived on-disk caches (the calibration's weekly feature table); None = no disk cache."""

    @cached_property
    def complete(self) -> Completeness:
        """The last session on which every input the ladder reads is present (``monitor.complete``)."""
        return completeness(self.panel)

    def day(self, as_of: date | None) -> date:
        """The session an as-of resolves to: the last complete session by default, and never a later one
        (a date after the calendar's last session is still an error)."""
        last = self.complete.last
        cal = self.panel.calendar
        beyond = as_of is not None and as_of > cal[-1].astype(date)
        wanted = as_of if beyond or (as_of is not None and as_of < last) else last
        return resolve_as_of(cal, wanted, min_history=MIN_HISTORY)

    def at(self, as_of: date | None) -> MonitorResult:
        """The monitor at the session ``as_of`` resolves to (``day``)."""
        return self.on(self.day(as_of))

    def on(self, day: date) -> MonitorResult:
        """The snapshot and regime on ``day``, a session already resolved (``Session.as_of``)."""
        snap = self.panel.snapshot(day)
        return MonitorResult(as_of=day, snapshot=snap, regime=evaluate(snap, self.thresholds))


KEEP_PANELS = 2
"""Saved panels kept (the newest by use); one per data fingerprint x thresholds x code version."""


def panel_key(fingerprint: str, thresholds: Thresholds, stale_days: int) -> str:
    """What a computed panel depends on: the data, the thresholds it reads (``PanelRules``), the staleness
    limit and the code."""
    parts = (fingerprint, PanelRules.of(thresholds).key(), str(stale_days), code_digest())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class PreparedMonitor:
    """What an open store gave: the saved panel (warm), or the inputs to compute it from (cold). The
    store can be closed before :meth:`build`, so a cold compute never holds the file open."""

    thresholds: Thresholds
    cache_dir: Path
    path: Path
    saved: MonitorPanel | None
    inputs: MarketData | None
    stale_days: int

    def build(self) -> Monitor:
        panel = self.saved
        if panel is None:
            assert self.inputs is not None
            panel = compute(self.inputs, self.thresholds, self.stale_days)
            _save(self.path, panel)
        return Monitor(panel, self.thresholds, self.cache_dir)


def _panel_path(settings: Settings, fingerprint: str, thresholds: Thresholds) -> Path:
    return settings.home / "cache" / f"monitor-{panel_key(fingerprint, thresholds, settings.stale_days)}.tree"


def warm_monitor(settings: Settings) -> Monitor | None:
    """The monitor from the saved panel without opening the store: only when the store is unchanged since
    its fingerprint was noted (``store.stamp``) and that fingerprint's panel is saved; else None."""
    fingerprint = noted_fingerprint(settings)
    if fingerprint is None:
        return None
    thresholds = load_thresholds(settings.thresholds)
    panel = _load(_panel_path(settings, fingerprint, thresholds))
    if panel is None or panel.data.fingerprint != fingerprint:
        return None
    return Monitor(panel, thresholds, settings.home / "cache")


def prepare_monitor(store: Store, settings: Settings) -> PreparedMonitor:
    """Map the saved panel when its key matches, else read the inputs (the store is only read here)."""
    thresholds = load_thresholds(settings.thresholds)
    cache_dir = settings.home / "cache"
    before = file_stamp(settings.db)
    fingerprint = store.fingerprint()
    note_fingerprint(settings, fingerprint, before)
    path = _panel_path(settings, fingerprint, thresholds)
    saved = _load(path)
    inputs = None
    if saved is None:
        # deferred: the cold path's loaders pull in pandas and the fundamentals store (~0.4 s of imports a
        # warm run never pays)
        from rotascope.monitor.compute import load_inputs

        inputs = load_inputs(store)
    return PreparedMonitor(thresholds, cache_dir, path, saved, inputs, settings.stale_days)


def build_monitor(store: Store, settings: Settings) -> Monitor:
    """The monitor over the full history: the saved panel when its key matches, else computed and saved."""
    return prepare_monitor(store, settings).build()


def _load(path: Path) -> MonitorPanel | None:
    try:
        panel = load_tree(path)
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged or from another layout: deleted, recomputed
        discard(path, exc)
        return None
    if not isinstance(panel, MonitorPanel):
        discard(path, TreeFormatError(f"it holds a {type(panel).__name__}"))
        return None
    with contextlib.suppress(OSError):
        path.touch()  # recently used: kept by the prune
    return panel


def _save(path: Path, panel: MonitorPanel) -> None:
    """Best effort: a read-only or full cache folder only costs the next run a recompute."""
    with contextlib.suppress(OSError, RotascopeError):
        save_tree(path, panel)
        saved = sorted(path.parent.glob("monitor-*.tree"), key=_mtime, reverse=True)
        for old in saved[KEEP_PANELS:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
