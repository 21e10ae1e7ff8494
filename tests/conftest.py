"""Shared fixtures: one real store loaded from the embedded dataset per test session."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rotascope.backtest.result import BacktestParams, BacktestResult
from rotascope.config import Settings, load_settings
from rotascope.fundamentals.store import load_embedded as load_embedded_fundamentals
from rotascope.monitor.data import MarketData
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.providers import bundled
from rotascope.store.db import Store, open_store

# The fast tier (`make check`) leaves these out: each starts subprocesses, servers, a browser, lint tools or a
# whole-history replay. `make test` runs everything. A module not named here is in the fast tier.
HEAVY_MODULES = frozenset(
    {
        "test_lint.py",  # ruff and mypy: make check runs them itself
        "test_cli.py",
        "test_cli_stages.py",
        "test_hardening.py",
        "test_jsonout.py",
        "test_store_integrity.py",
        "test_fingerprint_note.py",
        "test_debate_all_cli.py",
        "test_stored_answer.py",
        "test_live_cli_e2e.py",
        "test_report_command.py",
        "test_report_pdf.py",
        "test_web_browser.py",
        "test_web_fuzz.py",
        "test_web_guard.py",
        "test_web_load.py",
        "test_web_static.py",
        "test_bt_sweep.py",
        "test_calibration.py",
        "test_sent_model.py",  # fits the PhraseBank model (~20 s)
    }
)
# single tests that rebuild embedded files from ../shared (seconds each)
HEAVY_TESTS = frozenset(
    {
        "test_embedded_fundamentals_rebuild_byte_identical",
        "test_build_script_reproduces_the_embedded_files",
        "test_build_script_rebuilds_the_bundled_file",
        "test_build_script_is_deterministic",
    }
)
# fixtures that run a subprocess or a long replay: a test asking for one is heavy wherever it lives
HEAVY_FIXTURES = frozenset({"cli_env", "monitor_json", "warm_cache", "backtest_result"})
# fixtures that load the whole embedded store (and its monitor panel) into the session: `store` tests
STORE_FIXTURES = frozenset({"loaded_settings", "store", "monitor", "market"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what `make check` leaves out: ``heavy`` (module list and fixtures above) and ``store`` (tests
    on the loaded embedded store; `make test` runs them)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        heavy_test = getattr(item, "originalname", item.name) in HEAVY_TESTS
        if item.path.name in HEAVY_MODULES or fixtures & HEAVY_FIXTURES or heavy_test:
            item.add_marker(pytest.mark.heavy)
        if fixtures & STORE_FIXTURES:
            item.add_marker(pytest.mark.store)


@pytest.fixture(scope="session", autouse=True)
def _one_yfinance_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """yfinance keeps the first cookie-cache database of a process open for good, and rotascope hands it
    the home of the first transport (rotascope.providers.yfinance_transport): a test's home is deleted after
    the test, so every later test of the worker met 'unable to open database file'. One folder per session."""
    from rotascope.providers import yfinance_transport

    folder = tmp_path_factory.mktemp("yfinance-cache")
    yfinance_transport.use_cache_dir(folder)


def _load_home(home: Path) -> Settings:
    """Load the embedded dataset and fundamentals into a store in ``home``."""
    settings = load_settings({"home": str(home)}, env={})
    store = open_store(settings, write=True)
    try:
        store.load(bundled.load(settings))
        load_embedded_fundamentals(store)
    finally:
        store.close()
    return settings


@pytest.fixture(scope="session")
def loaded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a store that holds the whole embedded dataset, private to this session.

    Under pytest-xdist the workers of one run share the load: the first to get here loads the store once
    into the run's folder (under a lock) and each worker copies the file. The cache is not shared: each
    session computes and saves its own monitor panel (``monitor``; test_saved_panel compares the two)."""
    home = tmp_path_factory.mktemp("home")
    base = tmp_path_factory.getbasetemp()  # a worker's is <the run's folder>/popen-gwN
    if "PYTEST_XDIST_WORKER" not in os.environ or not base.name.startswith("popen-"):
        return _load_home(home)
    run_dir = base.parent  # this run's folder, shared by its workers only
    template = run_dir / "loaded-home"
    with (run_dir / "loaded-home.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "complete").exists():
            shutil.rmtree(template, ignore_errors=True)
            template.mkdir()
            _load_home(template)
            (template / "complete").touch()
    shutil.copy2(template / "rotascope.duckdb", home / "rotascope.duckdb")
    return load_settings({"home": str(home)}, env={})


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


@pytest.fixture(scope="session")
def warm_cache(loaded_settings: Settings, monitor: Monitor) -> Settings:
    """The loaded store's settings once its cache holds what a first `analyze` leaves there (the close
    panels, the monitor panel, the calibration's weekly history), computed once per session; copies made
    with ``private_home(..., cache=True)`` then start warm. A test that checks a cold start copies no cache.
    (``monitor`` first: the session computes its own panel.)"""
    from typer.testing import CliRunner

    from rotascope.cli import app

    result = CliRunner().invoke(
        app, ["--home", str(loaded_settings.home), "analyze", "-f", "json", "--no-save"]
    )
    assert result.exit_code == 0, result.output
    return loaded_settings


@pytest.fixture()
def cli_env(loaded_settings: Settings) -> dict[str, str]:
    return {**os.environ, "ROTASCOPE_HOME": str(loaded_settings.home)}


@pytest.fixture(scope="session")
def monitor_json(loaded_settings: Settings) -> dict[str, Any]:
    """`rotascope monitor --as-of 2024-07-19 -f json` run once, as a real subprocess on the loaded store, for
    the tests that check a block of its output (the valuation lens, the earnings yield)."""
    got = subprocess.run(
        [sys.executable, "-m", "rotascope", "monitor", "--as-of", "2024-07-19", "-f", "json"],
        env={**os.environ, "ROTASCOPE_HOME": str(loaded_settings.home)},
        capture_output=True,
        text=True,
        check=True,
    )
    out: dict[str, Any] = json.loads(got.stdout)
    return out


@pytest.fixture(scope="session")
def backtest_result(monitor: Monitor) -> BacktestResult:
    """A real backtest record from a short replay (2020, 1- and 4-week horizons) over the embedded data."""
    from rotascope.backtest.report import run_backtest  # matplotlib: only for the tests that store a run

    params = BacktestParams(start=date(2020, 1, 1), end=date(2020, 12, 31), horizons=[1, 4], cost_bps=5.0)
    return run_backtest(monitor, params).result
