"""The weekly feature table the calibrator learns from: everything is known at its as-of.

Two sources, no new world:

* the backtest replay's per-week regime flags (ladder rungs, checklist, killers) and the injected agent
  signals (each agent's final score and the hand-set decision conviction), see ``backtest.replay``;
* predictors from the size-premium literature read from the monitor panel at each as-of row: HY OAS level
  and 13-week change, the 10y-2y curve, SPY's trailing 3-month return, IWM/SPY 1/3/12-month relative return
  (momentum vs reversal), trailing 3-month SMB and the VIX 1-year percentile.

The replay (regime week by week, agents for every week at once) takes seconds, so the table is cached on
disk (``FeatureCache``) under a key made of the data fingerprint, the thresholds, the as-of dates and
``VERSION``: an entry is only ever read for the exact inputs it was written from, and is written
atomically (temp file + rename).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope._code import code_digest
from rotascope._typing import DateArray, Float64Array
from rotascope.backtest.calendar import as_index
from rotascope.backtest.forward import closes_at
from rotascope.backtest.replay import Extra, replay, replay_dates
from rotascope.indicators.kernels import pct_change
from rotascope.monitor.engine import MonitorPanel
from rotascope.monitor.run import Monitor
from rotascope.store.cache import discard, put_file

VERSION = "features-2"
"""Bumped when the replayed signals change (2: a claim on unmeasurable data is neutral, not bearish)."""
DROPPED = ("decision_tilt",)
"""Replay columns not used as features (the tilt is sized from the conviction and the vol target)."""


def _market(panel: MonitorPanel) -> dict[str, Float64Array]:
    """Literature predictors on the daily calendar (each causal: value at row t uses rows <= t)."""
    out: dict[str, Float64Array] = {}
    for name in ("hy_oas", "hy_oas_chg_13w", "curve_10y_2y", "vix_pctile_1y"):
        if name in panel.macro:
            out[f"mkt_{name}"] = panel.macro[name].values
    out["mkt_spy_ret_3m"] = pct_change(panel.data.etf.column("SPY"), 63)
    rs = panel.pairs["IWM/SPY"].returns
    for w in ("1m", "3m", "12m"):
        out[f"mkt_iwm_spy_{w}"] = rs[w]
    if "smb_3m" in panel.factors:
        out["mkt_smb_3m"] = panel.factors["smb_3m"].values
    return out


@dataclass(frozen=True)
class FeatureTable:
    """Index ``as_of`` (weekly), one float column per feature (NaN = unknown at that week)."""

    frame: pd.DataFrame

    @property
    def asof(self) -> DateArray:
        return np.asarray(self.frame.index.to_numpy().astype("datetime64[D]"))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.frame.columns)

    def values(self) -> Float64Array:
        return np.asarray(self.frame.to_numpy(dtype=np.float64))


def build_features(monitor: Monitor, extra: Extra | None = None) -> FeatureTable:
    """Replay the regime (+ ``extra``) at every weekly as-of and add the market predictors."""
    days = replay_dates(monitor)
    rep = replay(monitor, days, extra)
    frame = rep.signals.drop(columns=[c for c in DROPPED if c in rep.signals.columns])
    cal = monitor.panel.calendar
    market = {k: closes_at(cal, v, days) for k, v in _market(monitor.panel).items()}
    both = pd.concat([frame, pd.DataFrame(market, index=as_index(days))], axis=1)
    return FeatureTable(both[sorted(both.columns)].astype(np.float64))


def cache_key(monitor: Monitor, days: DateArray, with_extra: bool) -> str:
    parts = [
        VERSION,
        code_digest(),
        monitor.panel.data.fingerprint,
        monitor.thresholds.model_dump_json(exclude={"calibration"}),
        str(len(days)),
        str(days[0]) if len(days) else "",
        str(days[-1]) if len(days) else "",
        "agents" if with_extra else "regime",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


class FeatureCache:
    """Folder of ``features-<key>.npz`` files (dates, column names, float64 values)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / f"features-{key}.npz"

    def get(self, key: str) -> FeatureTable | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                days = npz["dates"].astype("datetime64[D]")
                frame = pd.DataFrame(npz["values"], index=as_index(days), columns=npz["names"].tolist())
        except Exception as exc:  # zipfile, zlib and NumPy raise many types for a damaged file
            discard(path, exc)
            return None
        return FeatureTable(frame.astype(np.float64))

    def put(self, key: str, table: FeatureTable) -> None:
        put_file(
            self.path(key),
            lambda fh: np.savez(fh, dates=table.asof, names=np.array(table.names), values=table.values()),
        )


ExtraFactory = Callable[[Monitor], Extra | None]


def features(
    monitor: Monitor, extra: ExtraFactory | None = None, cache_dir: Path | None = None
) -> FeatureTable:
    """The weekly feature table, from the disk cache when the exact inputs were seen before."""
    days = replay_dates(monitor)
    key = cache_key(monitor, days, extra is not None)
    cache = FeatureCache(cache_dir) if cache_dir is not None else None
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    table = build_features(monitor, extra(monitor) if extra is not None else None)
    if cache is not None:
        cache.put(key, table)
    return table
