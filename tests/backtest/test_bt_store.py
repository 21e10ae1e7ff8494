"""Backtest runs in the store: created on demand, atomic insert, read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotascope.backtest import store as bt_store
from rotascope.config import load_settings
from rotascope.errors import StoreError
from rotascope.store import open_store


def test_save_list_load_and_atomic_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"home": str(tmp_path)}, env={})
    open_store(settings, write=True).close()  # an empty store, as `init` would create
    with open_store(settings) as s:
        assert bt_store.list_backtests(s) == [] and bt_store.load_backtest(s, "x") is None
    kw = {
        "start": date(2020, 1, 3),
        "end": date(2020, 12, 31),
        "params_json": '{"cost_bps": 5}',
        "data_fingerprint": "bundled:abc",
        "result_json": '{"weeks": 52}',
    }
    rid = bt_store.save_backtest(settings, **kw)  # type: ignore[arg-type]
    with open_store(settings) as s:
        rows = bt_store.list_backtests(s)
        assert [r["id"] for r in rows] == [rid] and rows[0]["end"] == date(2020, 12, 31)
        assert bt_store.load_backtest(s, rid) == {"weeks": 52}
    # a failing insert (here: a duplicate id) raises one clear error and leaves the table as it was
    monkeypatch.setattr(bt_store, "run_id", lambda *a: rid)
    with pytest.raises(StoreError, match="Cannot save the backtest"):
        bt_store.save_backtest(settings, **kw)  # type: ignore[arg-type]
    with open_store(settings) as s:
        assert len(bt_store.list_backtests(s)) == 1
