"""Disk cache of the calibrated tilt series that strategy 3 of `rotascope backtest` trades.

The tilt comes out of the whole walk-forward calibration (scikit-learn: ~1.5 s to import, a fit per refit),
yet is one float per week. It is saved as ``<cache>/tilt-<key>.npz`` under a key of everything it is
computed from: the feature table's own key (data fingerprint, thresholds, as-of dates), the whole
thresholds file (the calibration rules included), the code digest and the bytes of the bundled size
prior. An entry is read only for those exact inputs, so a hit gives the same values, and is written
atomically.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope._code import code_digest
from rotascope.backtest.calendar import as_index
from rotascope.backtest.replay import replay_dates
from rotascope.calibration.features import cache_key
from rotascope.monitor.run import Monitor
from rotascope.store.cache import discard, put_file

PRIOR = Path(__file__).parents[1] / "calibration" / "size_history.parquet"
"""The bundled size-factor history the calibration's base rates count (not covered by the code digest)."""


def tilt_key(monitor: Monitor) -> str:
    """The cache key of the monitor's calibrated tilt (see the module docstring)."""
    prior = hashlib.sha256(PRIOR.read_bytes()).hexdigest() if PRIOR.exists() else "no-prior"
    parts = [
        "tilt-1",
        cache_key(monitor, replay_dates(monitor), True),
        monitor.thresholds.model_dump_json(),
        code_digest(),
        prior,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _path(monitor: Monitor) -> Path | None:
    return None if monitor.cache_dir is None else monitor.cache_dir / f"tilt-{tilt_key(monitor)}.npz"


def get(monitor: Monitor) -> pd.Series | None:
    """The cached tilt series (None: no cache folder, no entry, or an unreadable one)."""
    path = _path(monitor)
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            days = npz["dates"].astype("datetime64[D]")
            values = npz["values"].astype(np.float64)
            name = str(npz["name"])
    except Exception as exc:  # any unreadable, truncated or mismatched file is a miss (issue 21)
        discard(path, exc)
        return None
    return pd.Series(values, index=as_index(days), name=name)


def put(monitor: Monitor, series: pd.Series) -> None:
    """Save ``series`` under the monitor's key (silently skipped when the folder cannot be written)."""
    path = _path(monitor)
    if path is None:
        return
    days = series.index.to_numpy().astype("datetime64[D]")
    put_file(
        path,
        lambda fh: np.savez(
            fh, dates=days, values=series.to_numpy(dtype=np.float64), name=np.array(series.name)
        ),
    )
