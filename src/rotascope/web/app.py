"""The web app factory: one FastAPI app per settings, with a lazily built, shared monitor.

The shared state (monitor, store lock, caches) lives in :mod:`rotascope.web.state`.

* **Errors are one sentence.** Every :class:`~rotascope.errors.RotascopeError` and every parameter
  validation failure becomes a 4xx JSON ``{"detail": "..."}`` (store trouble is 503); an unexpected
  exception is logged and answered with a 500 in the same shape, never a traceback.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from rotascope import __version__
from rotascope.config import Settings
from rotascope.errors import RotascopeError
from rotascope.monitor.run import Monitor
from rotascope.web import api, pages
from rotascope.web.guard import Guard
from rotascope.web.state import HERE, WebState, log, status_of


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
        return JSONResponse({"detail": without_paths(str(exc), settings)}, status_code=status_of(exc))

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

    app.add_middleware(
        Guard, allowed_hosts=settings.web_allowed_hosts, rate_per_minute=settings.web_rate_per_minute
    )
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/(?:[\w.+@~-]+/)+[\w.+@~-]*")


def without_paths(text: str, settings: Settings) -> str:
    """``text`` with every filesystem path taken out: the store and the data folder by name, any other
    absolute path as "<path>" (a reply never says where files live, as /api/health promises)."""
    text = text.replace(f"store {settings.db}", "store")
    for path, name in ((settings.db, "the store file"), (settings.home, "the data folder")):
        text = text.replace(str(path), name)
    return _ABSOLUTE_PATH.sub("<path>", text)


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
