"""MarketData: everything the monitor reads from the store, loaded once and aligned on one calendar."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rotascope._typing import DateArray, Float64Array
from rotascope.store.db import Store
from rotascope.store.panel import Panel

CALENDAR_SYMBOL = "SPY"
ETFS = (
    "SPY",
    "IWM",
    "RSP",
    "QQQ",
    "DIA",
    "IWN",
    "IWO",
    "IJR",
    "MDY",
    "KRE",
    "HYG",
    "LQD",
    "IEF",
    "SHY",
    "TLT",
    "VIX",
    "XLB",
    "XLC",
    "XLE",
    "XLF",
    "XLI",
    "XLK",
    "XLP",
    "XLRE",
    "XLU",
    "XLV",
    "XLY",
)
SERIES = (
    "ust_3m",
    "ust_2y",
    "ust_10y",
    "curve_10y_2y",
    "curve_10y_3m",
    "hy_oas",
    "baa_spread",
    "nfci",
    "claims",
    "cpi_core_yoy",
    "ff_smb",
    "ff_hml",
    "ff_mkt_rf",
)


def align(panel: Panel, calendar: DateArray) -> Panel:
    """Put a panel on ``calendar``: rows for dates the panel lacks are NaN; extra dates are dropped."""
    pos = np.searchsorted(panel.dates, calendar)
    pos_clipped = np.minimum(pos, len(panel.dates) - 1)
    hit = (pos < len(panel.dates)) & (panel.dates[pos_clipped] == calendar)
    values = np.full((len(calendar), len(panel.symbols)), np.nan)
    values[hit] = panel.values[pos_clipped[hit]]
    return Panel(calendar, panel.symbols, values)


@dataclass(frozen=True)
class SeriesData:
    """One macro/factor series with the date each value became known."""

    dates: DateArray
    known_at: DateArray
    values: Float64Array

    def known_on(self, calendar: DateArray) -> Float64Array:
        """The latest value already public on each calendar date (NaN before the first)."""
        order = np.argsort(self.known_at, kind="stable")
        known, vals = self.known_at[order], self.values[order]
        idx = np.searchsorted(known, calendar, side="right") - 1
        out = np.where(idx >= 0, vals[np.maximum(idx, 0)], np.nan)
        return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class MarketData:
    """Aligned inputs of the monitor. ``calendar`` is SPY's trading days."""

    calendar: DateArray
    etf: Panel
    members: Panel
    member_sectors: tuple[str, ...]
    member_weights: Float64Array
    sp500: Panel
    series: dict[str, SeriesData]
    fingerprint: str
    source: str
    highs_lows: Panel | None = None
    """IWM high and low (columns 'IWM_high', 'IWM_low') for ATR-based risk sizing."""
    earnings: dict[str, Float64Array] = field(default_factory=dict)
    """Earnings-breadth arrays on ``calendar`` (rotascope.fundamentals.breadth), known by each row."""

    def upto(self, day: np.datetime64) -> MarketData:
        """The data as it stood at the close of ``day``: later rows dropped, series cut at ``known_at``."""
        series = {}
        for sid, s in self.series.items():
            keep = s.known_at <= day
            series[sid] = SeriesData(s.dates[keep], s.known_at[keep], s.values[keep])
        return MarketData(
            self.calendar[self.calendar <= day],
            self.etf.upto(day),
            self.members.upto(day),
            self.member_sectors,
            self.member_weights,
            self.sp500.upto(day),
            series,
            self.fingerprint,
            self.source,
            earnings={k: v[: int((self.calendar <= day).sum())] for k, v in self.earnings.items()},
        )


def load_market_data(store: Store) -> MarketData:
    """Read every input of the monitor from the store (one query per kind)."""
    store.require_data()
    available = [s for s in ETFS if store.has_symbol(s)]
    raw = store.close_panel(available)
    spy = raw.column(CALENDAR_SYMBOL)
    calendar = raw.dates[np.isfinite(spy)]
    etf = align(raw, calendar)
    r2000 = store.member_symbols("R2000")
    members = align(store.close_panel(r2000), calendar)
    sp500 = align(store.close_panel(store.member_symbols("SP500")), calendar)
    inst = store.instruments().set_index("symbol")
    sectors = tuple(str(inst.at[s, "sector"]) for s in r2000)
    weights = inst.loc[list(r2000), "weight_r2000"].to_numpy(dtype=np.float64)
    series: dict[str, SeriesData] = {}
    for sid in SERIES:
        if store.has_series(sid):
            frame = store.series(sid)
            series[sid] = SeriesData(
                _days(frame["date"]), _days(frame["known_at"]), frame["value"].to_numpy(dtype=np.float64)
            )
    return MarketData(
        calendar,
        etf,
        members,
        sectors,
        np.nan_to_num(weights),
        sp500,
        series,
        store.fingerprint(),
        _source_label(store.fingerprint()),
    )


def _source_label(fingerprint: str) -> str:
    """'bundled', 'live' or 'bundled+live': which loads the stored data came from (the embedded company
    fundamentals, load 'bundled_fundamentals', count as 'bundled')."""
    parts = {part.split(":")[0].removesuffix("_fundamentals") for part in fingerprint.split("+") if part}
    return "+".join(sorted(parts)) or "empty"


def _days(col: pd.Series) -> DateArray:
    return np.asarray(pd.to_datetime(col).to_numpy().astype("datetime64[D]"))
