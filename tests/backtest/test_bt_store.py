"""Backtest runs in the store: created on demand, atomic insert, read back as typed records; a row this
version cannot read is one clear sentence."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from rotascope.backtest import store as bt_store
from rotascope.backtest.result import BacktestResult
from rotascope.config import Settings, load_settings
from rotascope.errors import StoreError
from rotascope.store.db import open_store


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    s = load_settings({"home": str(tmp_path)}, env={})
    open_store(s, write=True).close()  # an empty store, as `init` would create
    return s


def test_save_list_load_and_atomic_failure(
    settings: Settings, backtest_result: BacktestResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(settings) as s:
        assert bt_store.list_backtests(s) == [] and bt_store.load_backtest(s, "x") is None
    rid = bt_store.save_backtest(settings, backtest_result)
    with open_store(settings) as s:
        rows = bt_store.list_backtests(s)
        loaded = bt_store.load_backtest(s, rid)
        stored_params = s.conn.execute("SELECT params FROM backtests").fetchall()[0][0]
        assert bt_store.load_backtest(s, rid + "x") is None
    assert [r.id for r in rows] == [rid]
    row = rows[0]
    assert (row.start, row.end) == (backtest_result.start, backtest_result.end)
    assert row.data_fingerprint == backtest_result.data_fingerprint
    assert row.created_at.tzinfo is UTC and row.id.startswith(f"bt-{row.created_at:%Y%m%dT%H%M%S%f}-")
    assert isinstance(loaded, BacktestResult) and loaded == backtest_result
    assert loaded.to_json() == backtest_result.to_json()  # the stored JSON reads back byte for byte
    assert json.loads(stored_params) == json.loads(backtest_result.params.to_json())
    # a failing insert (here: a duplicate id) raises one clear error and leaves the table as it was
    monkeypatch.setattr(bt_store, "run_id", lambda *a: rid)
    with pytest.raises(StoreError, match="Cannot save the backtest"):
        bt_store.save_backtest(settings, backtest_result)
    with open_store(settings) as s:
        assert len(bt_store.list_backtests(s)) == 1


def _drop_weeks(r: dict[str, Any]) -> None:
    del r["weeks"]  # an older schema without the field


def _bad_stat(r: dict[str, Any]) -> None:
    r["attribution"]["stats"][0]["ic"] = "strong"  # hand-edited


def _renamed(r: dict[str, Any]) -> None:
    r["n_weeks"] = r.pop("weeks")  # a field this version does not know


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (_drop_weeks, "1 problem, first at weeks: Field required"),
        (
            _bad_stat,
            "1 problem, first at attribution.stats.0.ic: Input should be a valid number, unable to parse "
            "string as a number",
        ),
        (_renamed, "2 problems, first at weeks: Field required"),
    ],
)
def test_a_stored_row_that_no_longer_validates_is_one_sentence(
    settings: Settings,
    backtest_result: BacktestResult,
    edit: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    rid = bt_store.save_backtest(settings, backtest_result)
    payload = json.loads(backtest_result.to_json())
    edit(payload)
    with open_store(settings, write=True) as s:
        s.conn.execute("UPDATE backtests SET result = ? WHERE id = ?", [json.dumps(payload), rid])
    with open_store(settings) as s, pytest.raises(StoreError) as info:
        bt_store.load_backtest(s, rid)
    message = str(info.value)
    assert message == (
        f"Stored backtest {rid} cannot be read by this version of rotascope ({where}); run "
        "`rotascope backtest` again to store a fresh run."
    )
    assert "\n" not in message and info.value.__cause__ is None and info.value.__suppress_context__


def test_a_listed_row_with_a_missing_date_is_one_sentence(
    settings: Settings, backtest_result: BacktestResult
) -> None:
    rid = bt_store.save_backtest(settings, backtest_result)
    with open_store(settings, write=True) as s:
        s.conn.execute('UPDATE backtests SET "end" = NULL WHERE id = ?', [rid])
    with open_store(settings) as s, pytest.raises(StoreError, match=f"Stored backtest {rid} cannot be read"):
        bt_store.list_backtests(s)
