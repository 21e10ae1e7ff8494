"""The saved monitor panel: a tree of arrays written once and memory-mapped back, equal bit for bit."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rotascope.config import Settings, load_settings
from rotascope.monitor.engine import PanelRules
from rotascope.monitor.run import Monitor, build_monitor, panel_key
from rotascope.regime import load_thresholds
from rotascope.store.arrays import TreeFormatError, load_tree, save_tree
from rotascope.store.db import open_store

HERE = ("rotascope.", __name__)


@dataclass(frozen=True)
class Leaf:
    values: np.ndarray
    when: date
    label: str
    ratio: float


@dataclass
class Tree:
    leaves: dict[str, Leaf]
    shared: tuple[np.ndarray, np.ndarray]
    by_day: dict[date, int] = field(default_factory=dict)
    nothing: None = None


def _same(a: Any, b: Any, path: str = "") -> None:
    """Structural equality, arrays bit for bit (dtype, shape, NaN positions and payloads)."""
    assert type(a) is type(b) or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


def test_round_trip_keeps_values_dtypes_and_sharing(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    shared = rng.normal(size=(5, 3))
    shared[1, 2] = np.nan
    tree = Tree(
        leaves={
            "a": Leaf(shared, date(2024, 7, 19), "x", float("nan")),
            "b": Leaf(np.arange(4, dtype=np.int64), date(2000, 1, 3), "y", -0.0),
        },
        shared=(np.array(["2024-07-19", "NaT"], dtype="datetime64[D]"), np.zeros((0, 2), np.float32)),
        by_day={date(2024, 7, 19): 3},
    )
    save_tree(tmp_path / "t.tree", tree, HERE)
    back = load_tree(tmp_path / "t.tree", HERE)
    _same(tree, back)
    assert back.leaves["a"].values is not shared
    back.leaves["a"].values[0, 0] = 99.0  # copy-on-write: the caller may write, the file does not change
    assert load_tree(tmp_path / "t.tree", HERE).leaves["a"].values[0, 0] == shared[0, 0]


def test_refuses_what_it_cannot_rebuild(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        save_tree(tmp_path / "x.tree", {"a": object()})
    with pytest.raises(TypeError):
        save_tree(tmp_path / "x.tree", np.array([object()]))
    with pytest.raises(TypeError):
        save_tree(tmp_path / "x.tree", Tree({}, (np.zeros(3), np.zeros(3))))  # not a trusted module
    save_tree(tmp_path / "ok.tree", Tree({}, (np.zeros(3), np.zeros(3))), HERE)
    with pytest.raises(TreeFormatError):
        load_tree(tmp_path / "ok.tree")  # built only from trusted modules
    data = (tmp_path / "ok.tree").read_bytes()
    (tmp_path / "short.tree").write_bytes(data[:-10])
    with pytest.raises(TreeFormatError):
        load_tree(tmp_path / "short.tree", HERE)
    (tmp_path / "junk.tree").write_bytes(b"not a tree at all")
    with pytest.raises(TreeFormatError):
        load_tree(tmp_path / "junk.tree")


def _rebuild(settings: Settings) -> Monitor:
    store = open_store(settings)
    try:
        return build_monitor(store, settings)
    finally:
        store.close()


def test_saved_monitor_panel_equals_the_computed_one(loaded_settings: Settings, monitor: Monitor) -> None:
    """The session fixture computed the panel (and saved it); a second build maps the file back."""
    saved = list((loaded_settings.home / "cache").glob("monitor-*.tree"))
    assert len(saved) == 1
    warm = _rebuild(loaded_settings)
    assert isinstance(warm.panel.data.members.values, np.memmap)
    _same(monitor.panel, warm.panel)
    for day in (date(2008, 10, 10), date(2020, 3, 20), date(2024, 7, 19), None):
        assert warm.at(day).to_json() == monitor.at(day).to_json()


def test_key_follows_data_thresholds_and_staleness(loaded_settings: Settings, tmp_path: Path) -> None:
    t = load_thresholds(None)
    base = panel_key("bundled:abc", t, 10)
    assert panel_key("bundled:abc", t, 10) == base
    assert panel_key("bundled:abd", t, 10) != base  # new data (update/init) = new key
    assert panel_key("bundled:abc", t, 11) != base
    # only the thresholds the panel reads (engine.PanelRules) move the key: any other edit keeps the panel
    read = [f"ladder.persistence.{f.name}" for f in dataclasses.fields(PanelRules)]
    assert read == [
        "ladder.persistence.lookback",
        "ladder.persistence.min_vix_jump",
        "ladder.persistence.min_spy_drawdown",
    ]
    for n, edit in enumerate(
        (
            "[ladder.persistence]\nlookback = 64\n",
            "[ladder.persistence]\nmin_vix_jump = 0.31\n",
            "[ladder.persistence]\nmin_spy_drawdown = 0.051\n",
        )
    ):
        custom = tmp_path / f"read{n}.toml"
        custom.write_text(edit)
        assert panel_key("bundled:abc", load_thresholds(custom), 10) != base, edit
    for n, edit in enumerate(
        (
            "[ladder.breadth]\nmin_pct_above_50 = 0.61\n",
            "[ladder.persistence]\nmax_ratio_drawdown = 0.04\n",
            "[killers]\nyield_spike_13w = 0.6\n",
            "[agents.macro]\nmax_claims_yoy = 0.2\n",
        )
    ):
        custom = tmp_path / f"unread{n}.toml"
        custom.write_text(edit)
        assert panel_key("bundled:abc", load_thresholds(custom), 10) == base, edit


def test_damaged_saved_panel_is_recomputed(
    loaded_settings: Settings, tmp_path: Path, monitor: Monitor
) -> None:
    """A torn or garbled cache file costs a recompute, never a wrong answer or an error."""
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    settings = load_settings({"home": str(home), "db": str(loaded_settings.db)}, env={})
    for src in (loaded_settings.home / "cache").glob("monitor-*.tree"):
        (home / "cache" / src.name).write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    rebuilt = _rebuild(settings)
    assert rebuilt.at(date(2024, 7, 19)).to_json() == monitor.at(date(2024, 7, 19)).to_json()
    assert not isinstance(rebuilt.panel.data.members.values, np.memmap)  # computed, then saved whole
    assert isinstance(_rebuild(settings).panel.data.members.values, np.memmap)


def test_a_leading_column_view_is_written_once(tmp_path: Path) -> None:
    whole = np.arange(240_000, dtype=np.float64).reshape(400, 600)
    tree = Tree({}, (whole[:, :400], whole))  # the view comes first, as today's members do in MarketData
    size = save_tree(tmp_path / "v.tree", tree, HERE)
    back = load_tree(tmp_path / "v.tree", HERE)
    _same(tree, back)
    assert size < 2 * whole.nbytes  # the view's bytes are not written again
    assert np.shares_memory(back.shared[0], back.shared[1])
