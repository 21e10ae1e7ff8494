"""Shared fixtures: one real store loaded from the embedded dataset per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest

from rotascope.backtest.result import BacktestParams, BacktestResult
from rotascope.config import Settings, load_settings
from rotascope.fundamentals.store import load_embedded as load_embedded_fundamentals
from rotascope.monitor.data import MarketData
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.providers import bundled
from rotascope.store.db import Store, open_store


@pytest.fixture(scope="session")
def loaded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a store that holds the whole embedded dataset."""
    home = tmp_path_factory.mktemp("home")
    settings = load_settings({"home": str(home)}, env={})
    store = open_store(settings, write=True)
    try:
        store.load(bundled.load(settings))
        load_embedded_fundamentals(store)
    finally:
        store.close()
    return settings


@pytest.fixture()
def store(loaded_settings: Settings) -> Iterator[Store]:
    s = open_store(loaded_settings)
    yield s
    s.close()


@pytest.fixture(scope="session")
def market(monitor: Monitor) -> MarketData:
    """The monitor's aligned inputs, read once."""
    return monitor.panel.data


@pytest.fixture(scope="session")
def monitor(loaded_settings: Settings) -> Monitor:
    """The full monitor panel over the embedded data, computed once."""
    s = open_store(loaded_settings)
    try:
        return build_monitor(s, loaded_settings)
    finally:
        s.close()


@pytest.fixture()
def cli_env(loaded_settings: Settings) -> dict[str, str]:
    return {**os.environ, "ROTASCOPE_HOME": str(loaded_settings.home)}


@pytest.fixture(scope="session")
def backtest_result(monitor: Monitor) -> BacktestResult:
    """A real backtest record from a short replay (2020, 1- and 4-week horizons) over the embedded data."""
    from rotascope.backtest.report import run_backtest  # matplotlib: only for the tests that store a run

    params = BacktestParams(start=date(2020, 1, 1), end=date(2020, 12, 31), horizons=[1, 4], cost_bps=5.0)
    return run_backtest(monitor, params).result
