"""Fixtures for the live-data tests: the local replay server, a private copy of the real store, and
settings pointing every live source at the server. Sockets to any host but 127.0.0.1 are blocked
(pytest-socket), so no test can reach the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_replay import FRENCH, LiveReplay, MakeSettings
from pytest_socket import socket_allow_hosts

from rotascope.config import Settings, load_settings
from storecopy import private_home


@pytest.fixture(autouse=True)
def _local_sockets_only() -> None:
    """Block connections to every host but 127.0.0.1."""
    socket_allow_hosts(["127.0.0.1"])


@pytest.fixture()
def replay() -> Iterator[LiveReplay]:
    """A started replay server; fails the test if a scripted reply went unused."""
    server = LiveReplay()
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.unused(), f"recorded replies never requested: {server.unused()}"


@pytest.fixture()
def store_copy(loaded_settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the real store (embedded dataset loaded) in a fresh home folder."""
    return private_home(loaded_settings, tmp_path / "home")


@pytest.fixture()
def make_settings(store_copy: Path, replay: LiveReplay) -> MakeSettings:
    """Settings on the store copy with every live source pointed at the replay server (overridable)."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "home": str(store_copy),
            "http_timeout": 0.5,
            "http_retries": 1,
            "yahoo_base_url": replay.url,
            "yahoo_transport": "httpx",  # the update logic; yfinance's own flow: test_yfinance_update.py
            "yahoo_max_per_second": 1000.0,
            "fred_base_url": replay.url,
            "fred_api_base_url": replay.url,
            "sec_base_url": replay.url,
            "sec_tickers_url": f"{replay.url}/files/company_tickers.json",
            "ishares_base_url": replay.url,
            "french_url": f"{replay.url}{FRENCH}",
            "sec_user_agent": "rotascope-tests test@example.com",
            "sec_symbols": "AAPL",
        }
        values.update(overrides)
        return load_settings(values, env={})

    return build
