"""`rotascope serve`: run the dashboard and JSON API with uvicorn (localhost only by default).

``register(app)`` adds the command to a Typer app. FastAPI and uvicorn load with this module, which the
CLI imports only for `serve` (and for the full help).
"""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer
import uvicorn

from rotascope.analysis.replay import replay_extra
from rotascope.calibration.service import calibrated_call
from rotascope.console import err, friendly_errors, in_range, settings_of
from rotascope.errors import ConfigError
from rotascope.monitor.run import build_monitor
from rotascope.store.db import reading
from rotascope.web.app import create_app

LOCALHOST = "127.0.0.1"


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[
            str, typer.Option(help="Interface to bind; the default serves this machine only.")
        ] = LOCALHOST,
        port: Annotated[int, typer.Option(help="TCP port (1-65535).", callback=in_range(1, 65535))] = 8000,
    ) -> None:
        """Serve the rotation dashboard and the JSON API (research tooling, not investment advice)."""
        settings = settings_of(ctx)
        with friendly_errors():
            if not 0 < port < 65536:
                raise ConfigError(f"--port must be between 1 and 65535, got {port}.")
            with reading(settings):
                pass  # fail now, in one sentence, if the store is missing, empty or unreadable
            try:
                with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind((host, port))
            except OSError as exc:
                reason = (
                    "is already in use"
                    if exc.errno == errno.EADDRINUSE
                    else f"cannot be used ({exc.strerror})"
                )
                raise ConfigError(
                    f"Address {host}:{port} {reason}; pick another with --host/--port."
                ) from None
            if host not in (LOCALHOST, "localhost", "::1"):
                err.print(f"Warning: serving on {host}, reachable from other machines; the API has no login.")
            err.print("Computing the monitor panel over the stored history (a few seconds)…")
            with reading(settings) as store:
                monitor = build_monitor(store, settings)
            # before uvicorn starts its threads: the calibration's weekly history may fork workers
            err.print("Calibrating the scenario probabilities (the first run on new data takes longest)…")
            calibrated_call(monitor, monitor.at(None).as_of, replay_extra)
            err.print(
                f"rotascope dashboard on http://{'[' + host + ']' if ':' in host else host}:{port}/ "
                "(API schema: /api/openapi.json); Ctrl-C stops it. Research tooling, not investment advice."
            )
            uvicorn.run(create_app(settings, monitor), host=host, port=port, log_level="warning")
