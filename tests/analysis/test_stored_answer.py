"""A stored analysis is the answer to the same question on the same data, config and code: a warm
`analyze`/`debate` prints it without recomputing; any change to what the id covers asks afresh."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from importprobe import run_watching
from rotascope.analysis.service import Analyst
from rotascope.analysis.stored import stored_single, stored_universe
from rotascope.config import Settings, load_settings
from rotascope.monitor.run import Monitor
from rotascope.monitor.session import open_session
from rotascope.store.analyses import save_analysis
from rotascope.store.db import open_store
from storecopy import private_home

DAY = date(2024, 7, 19)


@pytest.fixture(scope="module")
def copy_settings(loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = private_home(loaded_settings, tmp_path_factory.mktemp("stored"))
    shutil.copytree(loaded_settings.home / "cache", home / "cache")
    return load_settings({"home": str(home)}, env={})


def test_stored_universe_and_single_are_found_after_saving(copy_settings: Settings, monitor: Monitor) -> None:
    store = open_store(copy_settings, write=True)
    try:
        analyst = Analyst(store, copy_settings, monitor)
        session = analyst.session(DAY)
        assert stored_universe(store, copy_settings, monitor, session) is None
        assert stored_single(store, copy_settings, "KRE", monitor, session) is None
        universe, kre = analyst.universe(session), analyst.single("KRE", session)
        save_analysis(store, universe)
        save_analysis(store, kre)
        assert stored_universe(store, copy_settings, monitor, session) == universe
        saturday = analyst.session(date(2024, 7, 20))
        assert stored_universe(store, copy_settings, monitor, saturday) == universe  # same session
        assert stored_single(store, copy_settings, " kre", monitor, session) == kre
        assert (
            stored_universe(store, copy_settings, monitor, analyst.session(date(2024, 7, 12))) is None
        )  # another
        assert stored_single(store, copy_settings, "NOPE", monitor, session) is None  # the service explains
    finally:
        store.close()


def test_a_config_change_asks_afresh(copy_settings: Settings, monitor: Monitor, tmp_path: Path) -> None:
    custom = tmp_path / "t.toml"
    custom.write_text("[ladder.breadth]\nmin_pct_above_50 = 0.61\n")
    other = load_settings({"home": str(copy_settings.home), "thresholds": str(custom)}, env={})
    store = open_store(other)
    try:
        session = open_session(monitor, copy_settings, DAY)
        assert stored_universe(store, copy_settings, monitor, session) is not None
        assert stored_universe(store, other, monitor, session) is None
    finally:
        store.close()


def test_warm_cli_analyze_prints_the_stored_answer_without_the_agents(copy_settings: Settings) -> None:
    env = {"ROTASCOPE_HOME": str(copy_settings.home), "PATH": "/usr/bin:/bin"}
    first = subprocess.run(
        [sys.executable, "-m", "rotascope", "analyze", "--as-of", "2024-07-19", "-f", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    warm, loaded = run_watching(
        ["analyze", "--as-of", "2024-07-19", "-f", "json"], env, ("sklearn", "rotascope.agents", "pandas")
    )
    assert warm.stdout == first.stdout
    assert loaded == []
