"""What the web app shares between requests: the lazily built monitor, the store lock, caches, errors.

* **One monitor per app.** Computing the indicator panel takes seconds; it is built once, on first use,
  under a lock (two first requests do not build it twice), then every request only slices it.
* **The store is opened per request, read-only, under one lock.** DuckDB connections are not thread-safe
  and, in one process, a file cannot be open read-only and read-write at the same time; holding no
  connection between requests also leaves the file free for `rotascope analyze` in another process.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel

from rotascope.config import Settings, config_hash
from rotascope.errors import (
    DataError,
    DateOutOfRangeError,
    RotascopeError,
    StoreError,
    UnknownSymbolError,
)
from rotascope.monitor.run import Monitor, prepare_monitor
from rotascope.store.db import Store, open_store

log = logging.getLogger("rotascope.web")
HERE = Path(__file__).resolve().parent
K = TypeVar("K")
V = TypeVar("V")


class Problem(BaseModel):
    """Every error answer: one clear sentence."""

    detail: str


class BadRequest(RotascopeError):
    """A request parameter is malformed (answered with 400)."""


class NotFound(RotascopeError):
    """The requested stored item does not exist (answered with 404)."""


class QuotaExceeded(RotascopeError):
    """The store holds as many analyses as the server may write (answered with 507)."""


def status_of(exc: RotascopeError) -> int:
    """HTTP status for a rotascope error: the user's input is wrong (4xx) or the store is unusable (503)."""
    if isinstance(exc, BadRequest):
        return 400
    if isinstance(exc, QuotaExceeded):
        return 507
    if isinstance(exc, NotFound | UnknownSymbolError):
        return 404
    if isinstance(exc, DateOutOfRangeError | DataError):
        return 422
    return 503  # StoreError, ConfigError, DatasetError, ProviderError: the server's data is unusable


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used cache (results are deterministic, so caching is safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[K, threading.Event] = {}

    def peek(self, key: K) -> V | None:
        """The cached value or None, without computing anything (cheap enough for the event loop)."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, or ``make()``'s. Concurrent misses on one key compute it once (the others
        wait for it), so a burst of identical cold requests costs one computation, not one each."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            waiting = self._inflight.get(key)
            if waiting is None:
                self._inflight[key] = threading.Event()
        if waiting is not None:
            waiting.wait()
            with self._lock:
                if key in self._data:
                    return self._data[key]
            return make()  # the first caller failed (e.g. bad input): fail the same way, uncached
        try:
            value = make()
            with self._lock:
                self._data[key] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._inflight.pop(key).set()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class WebState:
    """What the app shares between requests: settings, the cached monitor, the store lock, caches."""

    def __init__(self, settings: Settings, monitor: Monitor | None = None) -> None:
        self.settings = settings
        self._monitor = monitor
        self._monitor_lock = threading.Lock()
        self._store_lock = threading.RLock()
        self._config_hash: str | None = None
        self.json_cache: LRU[tuple[object, ...], bytes] = LRU(256)
        """Serialised JSON answers of the pure, deterministic GET endpoints."""
        self.generation = 0
        """Bumped whenever the stored data changed under the server; part of every cache key."""
        self._checked = time.monotonic()
        self._refresh_lock = threading.Lock()

    def refresh_due(self) -> bool:
        return time.monotonic() - self._checked >= self.settings.web_refresh_seconds

    def refresh(self, *, force: bool = False) -> bool:
        """Re-read the data fingerprint (at most every ``web_refresh_seconds`` unless ``force``); when
        `update` or `init` changed it, drop the monitor and every cached answer. True if it changed.

        A routine check never waits for a store another process is writing (it tries again later); a
        forced one (before a POST stores anything) waits like any other command.
        """
        if not force and not self.refresh_due():
            return False
        with self._refresh_lock:
            if not force and not self.refresh_due():
                return False
            self._checked = time.monotonic()
            current = self._monitor
            if current is None:
                return False
            try:
                with self._store_lock:
                    store = open_store(self.settings, wait=None if force else 0.0)
                    try:
                        fingerprint = store.fingerprint()
                    finally:
                        store.close()
            except StoreError:
                if force:
                    raise
                return False
            if fingerprint == current.panel.data.fingerprint:
                return False
            log.info("stored data changed (%s): rebuilding the monitor", fingerprint)
            with self._monitor_lock:
                if self._monitor is current:
                    self._monitor = None
                    self.generation += 1
                    self.json_cache.clear()
            return True

    @property
    def monitor_ready(self) -> bool:
        return self._monitor is not None

    @property
    def built_monitor(self) -> Monitor | None:
        """The monitor if built, else None, without a refresh or a build (safe on the event loop)."""
        return self._monitor

    def monitor(self) -> Monitor:
        """The monitor, built on first use from a read-only store (once, even under concurrent requests)."""
        self.refresh()
        if self._monitor is not None:
            return self._monitor
        with self._monitor_lock:
            if self._monitor is None:
                started = time.perf_counter()
                # the store is let go before a cold compute: the file stays open (and a writer such as
                # `rotascope update` locked out) only while the saved panel or the inputs are read
                with self.store() as store:
                    prepared = prepare_monitor(store, self.settings)
                self._monitor = prepared.build()
                log.info("monitor built in %.1f s", time.perf_counter() - started)
            return self._monitor

    @contextlib.contextmanager
    def store(self, *, write: bool = False) -> Iterator[Store]:
        """The store, opened for this block only and serialised with every other store access."""
        with self._store_lock:
            store = open_store(self.settings, write=write)
            try:
                store.require_data()
                yield store
            finally:
                store.close()

    def config_hash(self) -> str:
        """The same config hash the CLI stores with an analysis, so web and CLI runs share ids."""
        if self._config_hash is None:
            self._config_hash = config_hash(self.settings)
        return self._config_hash


def state_of(request: Request) -> WebState:
    """The app's shared state (set by :func:`create_app`)."""
    state = request.app.state.rotascope
    assert isinstance(state, WebState)
    return state
