"""The web app factory: one FastAPI app per settings, with a lazily built, shared monitor.

Why it is shaped this way:

* **One monitor per app.** Computing the indicator panel takes seconds; it is built once, on first use,
  under a lock (two first requests do not build it twice), then every request only slices it.
* **The store is opened per request, read-only, under one lock.** DuckDB connections are not thread-safe
  and, in one process, a file cannot be open read-only and read-write at the same time; holding no
  connection between requests also leaves the file free for `rotascope analyze` in another process.
* **Errors are one sentence.** Every :class:`~rotascope.errors.RotascopeError` and every parameter
  validation failure becomes a 4xx JSON ``{"detail": "..."}`` (store trouble is 503); an unexpected
  exception is logged and answered with a 500 in the same shape, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from rotascope import __version__
from rotascope.config import Settings
from rotascope.errors import (
    DataError,
    DateOutOfRangeError,
    RotascopeError,
    UnknownSymbolError,
)
from rotascope.monitor.run import Monitor
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


def status_of(exc: RotascopeError) -> int:
    """HTTP status for a rotascope error: the user's input is wrong (4xx) or the store is unusable (503)."""
    if isinstance(exc, BadRequest):
        return 400
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

    @property
    def monitor_ready(self) -> bool:
        return self._monitor is not None

    def monitor(self) -> Monitor:
        """The monitor, built on first use from a read-only store (once, even under concurrent requests)."""
        if self._monitor is not None:
            return self._monitor
        with self._monitor_lock:
            if self._monitor is None:
                from rotascope.monitor.run import build_monitor

                started = time.perf_counter()
                with self.store() as store:
                    self._monitor = build_monitor(store, self.settings)
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
            from rotascope.cli import config_hash

            self._config_hash = config_hash(self.settings)
        return self._config_hash


def state_of(request: Request) -> WebState:
    """The app's shared state (set by :func:`create_app`)."""
    state = request.app.state.rotascope
    assert isinstance(state, WebState)
    return state


def _validation_sentence(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request parameters are invalid."
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
    where = f"Parameter '{'.'.join(loc)}'" if loc else "The request"
    msg = str(first.get("msg", "is invalid")).rstrip(".")
    got = first.get("input")
    shown = f" (got {str(got)[:60]!r})" if isinstance(got, str | int | float) else ""
    more = f"; {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return f"{where}: {msg[0].lower() + msg[1:] if msg else 'is invalid'}{shown}{more}."


def create_app(settings: Settings, monitor: Monitor | None = None) -> FastAPI:
    """Build the app for a store. ``monitor`` may be given (tests, benchmarks) to skip building it."""
    from rotascope.web import api, pages

    app = FastAPI(
        title="rotascope",
        version=__version__,
        description=(
            "Is U.S. equity leadership rotating from mega caps to small caps (Russell 2000), and is it "
            "real? JSON API over the rotascope store, plus dashboard pages. Every number carries its "
            "as-of date and source. Breadth uses today's index members (survivorship-biased). "
            "Research tooling, not investment advice."
        ),
        docs_url=None,  # Swagger UI loads from a CDN; the app must work offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.rotascope = WebState(settings, monitor)

    @app.exception_handler(RotascopeError)
    async def rotascope_error(_request: Request, exc: RotascopeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_sentence(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            detail = f"Nothing at {request.url.path[:80]}: the API is listed in /api/openapi.json."
        elif exc.status_code == 405:
            detail = f"Method {request.method} is not allowed on {request.url.path[:80]}."
        else:
            detail = str(exc.detail).rstrip(".") + "."
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug
        log.exception("unexpected error")
        return JSONResponse(
            {"detail": f"Internal error ({type(exc).__name__}); this is a bug in rotascope."},
            status_code=500,
        )

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for test and benchmark servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields the base URL, stops on exit.

    Used by the browser/load tests and the web benchmark: a real HTTP server on loopback, in-process.
    """
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="rotascope-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The web server did not start on {host}:{port}.")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
