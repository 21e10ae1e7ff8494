"""The fingerprint note: a warm monitor skips DuckDB only while the store is exactly as it was noted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from importprobe import run_watching
from rotascope.config import Settings, load_settings
from rotascope.monitor.run import Monitor, build_monitor, warm_monitor
from rotascope.store.db import open_store
from rotascope.store.stamp import file_stamp, note_fingerprint, noted_fingerprint
from storecopy import private_home


@pytest.fixture()
def copy(loaded_settings: Settings, monitor: Monitor, tmp_path: Path) -> Settings:
    """A copy of the loaded store with the saved panel (the session's ``monitor`` made it) and no note."""
    private_home(loaded_settings, tmp_path)
    shutil.copytree(loaded_settings.home / "cache", tmp_path / "cache")
    for note in (tmp_path / "cache").glob("fingerprint-*.json"):
        note.unlink()
    return load_settings({"home": str(tmp_path)}, env={})


def _build(settings: Settings) -> str:
    store = open_store(settings)
    try:
        return build_monitor(store, settings).at(None).to_json()
    finally:
        store.close()


def test_note_is_used_until_the_store_changes(copy: Settings) -> None:
    assert noted_fingerprint(copy) is None and warm_monitor(copy) is None
    cold = _build(copy)  # reads the store, notes its fingerprint
    warm = warm_monitor(copy)
    assert warm is not None and warm.at(None).to_json() == cold
    store = open_store(copy, write=True)  # any write moves the stamp
    try:
        store.conn.execute("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)")
    finally:
        store.close()
    assert noted_fingerprint(copy) is None and warm_monitor(copy) is None
    assert _build(copy) == cold  # same data: the same panel, noted again
    assert warm_monitor(copy) is not None


def test_a_write_racing_the_read_leaves_no_note(copy: Settings) -> None:
    before = file_stamp(copy.db)
    os.utime(copy.db, ns=(1, 1))  # the store changed between the stamp and the read
    note_fingerprint(copy, "bundled:abc", before)
    assert noted_fingerprint(copy) is None
    note_fingerprint(copy, "bundled:abc", file_stamp(copy.db))
    assert noted_fingerprint(copy) == "bundled:abc"
    copy.db.unlink()
    assert noted_fingerprint(copy) is None  # no store, no note: the usual "run init" sentence follows


def test_warm_monitor_process_imports_no_duckdb(copy: Settings) -> None:
    env = {**os.environ, "ROTASCOPE_HOME": str(copy.home)}
    first = subprocess.run(
        [sys.executable, "-m", "rotascope", "monitor", "-f", "json"], env=env, capture_output=True, text=True
    )
    warm, loaded = run_watching(["monitor", "-f", "json"], env, ("duckdb", "pandas"))
    assert warm.stdout == first.stdout
    assert loaded == []
