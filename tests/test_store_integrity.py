"""Issue #13: `init` and `data status` find a damaged store (truncated file, overwritten pages, a dropped
table, rows that disagree with their load, a load without its record) and say in one sentence what is
wrong and that `rotascope init --force` rebuilds it; `init --force` then does. Real copies of the real
store, real subprocesses."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from rotascope.config import Settings, load_settings
from rotascope.errors import StoreCorrupt
from rotascope.store.db import open_store
from rotascope.store.integrity import verify_store
from rotascope.store.live import ensure_live_schema, item_transaction, upsert_bars, upsert_series
from storecopy import garble_bars_page, private_home

EXE = [str(Path(sys.executable).with_name("rotascope"))]


def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROTASCOPE_HOME": str(home)}
    return subprocess.run([*EXE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sql(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as conn:
        for statement in statements:
            conn.execute(statement)


def truncate(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)


def garble_header(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.write(b"\xa5" * 64)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncate, "it cannot be opened"),
    "garbled header": (garble_header, "it cannot be opened"),
    "garbled page": (garble_bars_page, "a stored page does not read back"),
    "dropped table": (lambda db: sql(db, "DROP TABLE series"), "table series is missing"),
    "rows lost": (
        lambda db: sql(db, "DELETE FROM bars WHERE symbol = 'SPY'"),
        "table bars holds",
    ),
    "load record lost": (
        lambda db: sql(db, "DELETE FROM loads WHERE source = 'bundled'"),
        "without a finished load record",
    ),
    "fundamentals table lost": (lambda db: sql(db, "DROP TABLE fund_surprises"), "table fund_surprises"),
    "no schema version": (lambda db: sql(db, "DELETE FROM meta"), "no schema version"),
}


@pytest.fixture()
def home(loaded_settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the real store (embedded dataset and fundamentals loaded)."""
    return private_home(loaded_settings, tmp_path / "home")


def settings_for(home: Path) -> Settings:
    return load_settings({"home": str(home)}, env={})


def test_a_sound_store_passes(home: Path) -> None:
    verify_store(settings_for(home))  # raises on damage
    sql(home / "rotascope.duckdb", "INSERT INTO meta VALUES ('note', 'x')")  # an extra row is not damage
    verify_store(settings_for(home))


def test_live_writes_that_replace_embedded_rows_are_not_damage(home: Path) -> None:
    """`rotascope update` replaces embedded bars and series on the dates it refetches (one live row each)."""
    settings = settings_for(home)
    store = open_store(settings, write=True)
    try:
        ensure_live_schema(store)
        bars = store.bars("SPY").tail(5).assign(symbol="SPY", close=lambda f: f["close"] + 1.0)
        series = (
            store.series("ust_10y").tail(3).assign(series_id="ust_10y", value=lambda f: f["value"] + 0.01)
        )
        with item_transaction(store) as conn:
            assert upsert_bars(conn, bars) == 5
        with item_transaction(store) as conn:
            assert upsert_series(conn, series, date.today()).rows == 3
    finally:
        store.close()
    verify_store(settings)
    sql(home / "rotascope.duckdb", "DELETE FROM bars WHERE source = 'live'")  # now rows are really gone
    with pytest.raises(StoreCorrupt, match="table bars holds"):
        verify_store(settings)


def test_a_missing_or_new_file_is_not_damage(tmp_path: Path) -> None:
    verify_store(settings_for(tmp_path / "none"))  # commands say "run `rotascope init`" instead
    duckdb.connect(str(tmp_path / "rotascope.duckdb")).close()  # an empty DuckDB file: init fills it
    verify_store(settings_for(tmp_path))


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damage_is_named_by_data_status_and_init_and_nothing_is_changed(home: Path, kind: str) -> None:
    damage, words = DAMAGE[kind]
    db = home / "rotascope.duckdb"
    damage(db)
    before = digest(db)
    with pytest.raises(StoreCorrupt, match="`rotascope init --force` rebuilds it") as caught:
        verify_store(settings_for(home))
    assert words in str(caught.value)
    for args in (("data", "status"), ("init",)):
        result = run(home, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "already up to date" not in result.stdout
        message = " ".join(result.stderr.split())
        assert message.startswith("Error: The store") and words in message, message
        assert message.endswith(("rebuilds it.", "(the damaged file is kept beside it).")), message
    assert digest(db) == before and sorted(p.name for p in home.iterdir()) == ["rotascope.duckdb"]


@pytest.mark.slow
def test_init_force_replaces_an_unreadable_store_and_keeps_the_damaged_file(home: Path) -> None:
    db = home / "rotascope.duckdb"
    truncate(db)
    damaged = digest(db)
    result = run(home, "init", "--force")
    assert result.returncode == 0, result.stderr
    assert "Moved the damaged store aside to" in result.stdout and "embedded dataset loaded" in result.stdout
    (kept,) = home.glob("rotascope.duckdb.corrupt-*")
    assert digest(kept) == damaged  # nothing deleted: the user still has the old file
    verify_store(settings_for(home))
    assert run(home, "data", "status", "-f", "json").returncode == 0


@pytest.mark.slow
def test_init_force_repairs_a_dropped_table_in_place_keeping_the_analyses(home: Path) -> None:
    db = home / "rotascope.duckdb"
    sql(
        db,
        "INSERT INTO analyses VALUES ('00000000000000ab', 'universe', NULL, DATE '2024-07-19', "
        "TIMESTAMP '2026-01-01', 'c', 'f', '{}')",
        "DROP TABLE series",
    )
    result = run(home, "init", "--force")
    assert result.returncode == 0, result.stderr
    assert "Moved" not in result.stdout and not list(home.glob("*.corrupt-*"))
    verify_store(settings_for(home))
    with duckdb.connect(str(db), read_only=True) as conn:
        assert (
            conn.execute("SELECT count(*) FROM analyses WHERE id = '00000000000000ab'").fetchall()[0][0] == 1
        )
        assert conn.execute("SELECT count(*) FROM series").fetchall()[0][0] > 0
