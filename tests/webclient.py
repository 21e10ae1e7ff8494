"""The in-process web client shared by tests (a uniquely named module: several conftest.py files exist)."""

from __future__ import annotations

import warnings
from datetime import date
from typing import TYPE_CHECKING, Any

from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.web.app import create_app

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

TODAY = date(2026, 12, 7)
"""The day web tests pin with ROTASCOPE_TODAY: the data's age in the bodies is the same whenever they run."""


def fresh_fields(monitor: Monitor, settings: Settings) -> dict[str, Any]:
    """The freshness fields the monitor, analysis and debate bodies carry, worked out here: the embedded
    data is complete to its last session, so that session's age before TODAY against stale_days."""
    return fresh_dict(monitor.panel.calendar[-1].astype(date), settings)


def fresh_dict(last: date, settings: Settings) -> dict[str, Any]:
    """The freshness fields of a store whose last complete session is ``last``: its age in days before
    TODAY, against stale_days."""
    age = (TODAY - last).days
    return {
        "data_as_of": last.isoformat(),
        "today": TODAY.isoformat(),
        "data_age_days": age,
        "stale": age > settings.stale_days,
        "stale_days": settings.stale_days,
        "complete_note": None,
    }


def make_client(settings: Settings, monitor: Monitor) -> TestClient:
    """fastapi's TestClient over a fresh app, as a localhost client (the Host allow-list refuses others;
    its import warns that starlette prefers httpx2: ignored)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(create_app(settings, monitor), base_url="http://localhost")
