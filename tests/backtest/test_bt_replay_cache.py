"""The backtest's disk caches: a warm replay / membership comparison equals the computed one, keyed on the
exact inputs; the shared bootstrap draws give the numbers drawing per signal gives."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.analysis.replay import replay_extra
from rotascope.backtest import calendar, replay_cache
from rotascope.backtest.attribution import Resamples, conditional_mean_ci
from rotascope.backtest.membership import compare_membership
from rotascope.backtest.replay import Replay, replay, replay_dates
from rotascope.monitor.engine import todays_members
from rotascope.monitor.run import Monitor

START, END = date(2021, 11, 1), date(2022, 6, 30)


def _same(a: Replay, b: Replay) -> None:
    pd.testing.assert_frame_equal(a.signals, b.signals, check_exact=True)
    assert a.kinds == b.kinds and a.extra_columns == b.extra_columns
    assert a.data_fingerprint == b.data_fingerprint and a.source == b.source
    assert a.membership is not None and b.membership is not None
    pd.testing.assert_frame_equal(a.membership, b.membership)


def test_a_cached_replay_is_the_replay(monitor: Monitor, tmp_path: Path) -> None:
    mine = dataclasses.replace(monitor, cache_dir=tmp_path)
    days = replay_dates(monitor, START, END)
    computed = replay(dataclasses.replace(monitor, cache_dir=None), days, replay_extra(monitor))
    assert "decision_tilt" in computed.extra_columns and "ladder_l2" in computed.signals
    assert set(computed.membership["R2000"]) == {"current", "point_in_time"}  # type: ignore[index]
    first = replay_cache.cached_replay(mine, days, replay_extra(mine))
    entries = sorted(p.name for p in tmp_path.iterdir())
    assert entries == [f"replay-{replay_cache.replay_key(mine, days, replay_extra(mine))}.npz"]
    hit = replay_cache.cached_replay(mine, days, replay_extra(mine))
    _same(first, computed)
    _same(hit, computed)
    # other inputs, other keys: without the agents, other dates, members recounted on today's list
    key = replay_cache.replay_key
    assert key(mine, days, None) != key(mine, days, replay_extra(mine))
    assert replay_cache.replay_key(mine, days[1:], None) != replay_cache.replay_key(mine, days, None)
    alt = dataclasses.replace(mine, panel=todays_members(mine.panel))
    assert replay_cache.replay_key(alt, days, None) != replay_cache.replay_key(mine, days, None)
    # a damaged entry is a miss: deleted, recomputed, rewritten
    (tmp_path / entries[0]).write_bytes(b"not an npz")
    _same(replay_cache.cached_replay(mine, days, replay_extra(mine)), computed)
    assert (tmp_path / entries[0]).read_bytes()[:2] == b"PK"


def test_a_cached_membership_comparison_is_the_comparison(monitor: Monitor, tmp_path: Path) -> None:
    plain = dataclasses.replace(monitor, cache_dir=None)
    rep = replay(plain, replay_dates(monitor, START, END))
    computed = compare_membership(plain, rep, 5.0, 0.1, end=np.datetime64(END, "D"))
    assert computed.weeks > 0 and computed.strategies
    mine = dataclasses.replace(monitor, cache_dir=tmp_path)
    first = compare_membership(mine, rep, 5.0, 0.1, end=np.datetime64(END, "D"))
    assert [p.name[:11] for p in tmp_path.iterdir()] == ["membership-"]
    hit = compare_membership(mine, rep, 5.0, 0.1, end=np.datetime64(END, "D"))
    assert first == computed and hit == computed and hit.to_json() == computed.to_json()
    # other costs: another entry, computed afresh
    dearer = compare_membership(mine, rep, 25.0, 0.1, end=np.datetime64(END, "D"))
    assert len(list(tmp_path.iterdir())) == 2
    assert dearer == compare_membership(plain, rep, 25.0, 0.1, end=np.datetime64(END, "D"))


def test_shared_bootstrap_draws_give_the_per_signal_intervals() -> None:
    rng = np.random.default_rng(7)
    y = rng.normal(size=400)
    other = rng.normal(size=400)
    pool = Resamples()
    for values in (y, other, y):
        for block in (1, 4, 13):
            fired = rng.random(400) > 0.6
            alone = conditional_mean_ci(fired, values, block, 300)
            shared = conditional_mean_ci(fired, values, block, 300, pool=pool)
            assert alone == shared and all(np.isfinite(alone))


def test_saved_sessions_are_the_exchange_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = calendar.nyse_sessions()
    through = np.datetime64("2026-07-01", "D")
    first = calendar.saved_sessions(tmp_path, through)
    (saved,) = tmp_path.iterdir()
    assert saved.name.startswith("xnys-") and np.array_equal(first, fresh)

    def unavailable() -> None:
        raise AssertionError("the saved list should have been read")

    monkeypatch.setattr(calendar, "nyse_sessions", unavailable)
    assert np.array_equal(calendar.saved_sessions(tmp_path, through), fresh)
    # a data calendar past the saved list's end, or a damaged file: rebuilt from the exchange calendar
    monkeypatch.setattr(calendar, "nyse_sessions", lambda: fresh)
    assert np.array_equal(calendar.saved_sessions(tmp_path, fresh[-1]), fresh)
    saved.write_bytes(b"not a npy file")
    assert np.array_equal(calendar.saved_sessions(tmp_path, through), fresh)
    assert np.array_equal(np.load(saved), fresh)
