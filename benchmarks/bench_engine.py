"""Engine benchmarks: the whole indicator panel (warm, data in memory) vs a plain-pandas implementation.

Called by benchmarks/run.py with a home that already holds the initialised store.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import date

import pandas as pd

from rotascope.config import load_settings
from rotascope.monitor.data import MarketData, load_market_data
from rotascope.monitor.engine import PAIRS, compute
from rotascope.regime import evaluate, load_thresholds
from rotascope.store.db import open_store


def pandas_reference(data: MarketData) -> dict[str, pd.Series | pd.DataFrame]:
    """The same core indicators written the obvious pandas way (the yardstick of the ratio)."""
    etf = data.etf.to_frame()
    out: dict[str, pd.Series | pd.DataFrame] = {}
    for a, b in PAIRS:
        ratio = etf[a] / etf[b]
        for k in (5, 21, 63, 126, 252):
            out[f"{a}/{b} {k}"] = ratio / ratio.shift(k) - 1
        out[f"{a}/{b} sma50"] = ratio.rolling(50).mean()
        out[f"{a}/{b} sma200"] = ratio.rolling(200).mean()
    for name, panel in (("R2000", data.members), ("SP500", data.sp500)):
        close = panel.to_frame()
        diff = close.diff()
        adv, dec = (diff > 0).sum(axis=1), (diff < 0).sum(axis=1)
        rana = 1000 * (adv - dec) / (adv + dec)
        out[f"{name} ad"] = (adv - dec).cumsum()
        out[f"{name} mcc"] = rana.ewm(span=19, adjust=False).mean() - rana.ewm(span=39, adjust=False).mean()
        for n in (50, 200):
            ma = close.rolling(n).mean()
            out[f"{name} above{n}"] = (close > ma).sum(axis=1) / ma.notna().sum(axis=1)
        hi, lo = close.rolling(252).max(), close.rolling(252).min()
        out[f"{name} nh"] = (close >= hi).sum(axis=1) - (close <= lo).sum(axis=1)
        out[f"{name} thrust"] = (adv / (adv + dec)).ewm(span=10, adjust=False).mean()
    return out


def run(home: str) -> list[tuple[str, list[float], str]]:
    settings = load_settings({"home": home})
    store = open_store(settings)
    data = load_market_data(store)
    store.close()
    thresholds = load_thresholds()
    n_members = data.members.values.shape[1] + data.sp500.values.shape[1]
    shape = f"{len(data.calendar):,} dates x {n_members:,} members"
    compute(data, thresholds)  # warm-up (imports, caches)
    engine = [_time(lambda: compute(data, thresholds)) for _ in range(3)]
    reference = [_time(lambda: pandas_reference(data)) for _ in range(2)]
    tracemalloc.start()
    panel = compute(data, thresholds)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    day = date(2024, 7, 19)
    snaps = [_time(lambda: evaluate(panel.snapshot(day), thresholds)) for _ in range(20)]
    ratio = statistics.median(reference) / statistics.median(engine)
    return [
        ("indicator panel, all dates (warm)", engine, f"{shape}; peak {peak / 2**20:,.0f} MiB allocated"),
        (
            "same core indicators, plain pandas",
            reference,
            f"a subset of the engine's work; ratio {ratio:.1f}x",
        ),
        ("snapshot + regime at one as-of", snaps, "slicing only"),
    ]


def _time(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1]):
        print(row[0], f"{statistics.median(row[1]):.3f}s", row[2])
