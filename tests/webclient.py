"""The in-process web client shared by tests (a uniquely named module: several conftest.py files exist)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.web.app import create_app

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def make_client(settings: Settings, monitor: Monitor) -> TestClient:
    """fastapi's TestClient over a fresh app, as a localhost client (the Host allow-list refuses others;
    its import warns that starlette prefers httpx2: ignored)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(create_app(settings, monitor), base_url="http://localhost")
