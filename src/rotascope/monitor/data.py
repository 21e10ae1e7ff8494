"""MarketData: everything the monitor reads from the store, loaded once and aligned on one calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rotascope._typing import BoolArray, DateArray, Float64Array
from rotascope.indicators.kernels import IntArray
from rotascope.store.panel import Panel

if TYPE_CHECKING:
    import pandas as pd

    from rotascope.store.db import Store

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
    "ff_rmw",
    "ff_cma",
    "ff_mom",
    "ff_mkt_rf",
)


def align(panel: Panel, calendar: DateArray) -> Panel:
    """Put a panel on ``calendar``: rows for dates the panel lacks are NaN; extra dates are dropped.

    The values keep their dtype (a float32 member panel stays float32)."""
    pos = np.searchsorted(panel.dates, calendar)
    pos_clipped = np.minimum(pos, len(panel.dates) - 1)
    hit = (pos < len(panel.dates)) & (panel.dates[pos_clipped] == calendar)
    values = np.full((len(calendar), len(panel.symbols)), np.nan, dtype=panel.values.dtype)
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
class TradedCloses:
    """Where a universe's member closes are traded (unadjusted) prices rather than dividend-adjusted ones.

    ``columns`` index the universe's close panel (the members with any traded close); ``traded`` (T, k) is
    True where the close in use is a traded one; ``adjusted`` (T, k) keeps their dividend-adjusted closes
    and ``merged`` (T, k) the closes breadth counts, so the adjustment effect can be measured on them.
    """

    columns: IntArray
    traded: BoolArray
    adjusted: Float64Array
    merged: Float64Array

    def rows(self, n: int) -> TradedCloses:
        """The first ``n`` rows (the data up to an as-of)."""
        return TradedCloses(self.columns, self.traded[:n], self.adjusted[:n], self.merged[:n])

    def first_columns(self, n: int) -> TradedCloses | None:
        """Restricted to columns ``< n`` (today's members of a point-in-time panel); None when none is."""
        keep = self.columns < n
        if not keep.any():
            return None
        return TradedCloses(
            self.columns[keep], self.traded[:, keep], self.adjusted[:, keep], self.merged[:, keep]
        )


def with_traded(close: Panel, traded: Panel | None) -> tuple[Panel, TradedCloses | None]:
    """Closes with traded prices wherever ``traded`` has them; before a member's first traded close its
    adjusted history is scaled by traded/adjusted on that day, so the series joins without a jump."""
    if traded is None:
        return close, None
    t = align(traded, close.dates).values
    have = np.isfinite(t) & (t > 0)
    cols = np.flatnonzero(have.any(axis=0))
    if len(cols) == 0:
        return close, None
    full = close.float64()  # the merge is float64 arithmetic, whatever the panel holds
    adjusted = full[:, cols]
    tr, on = t[:, cols], have[:, cols]
    first = np.argmax(on, axis=0)
    k = np.arange(len(cols))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = tr[first, k] / adjusted[first, k]
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
    merged = np.where(on, tr, adjusted * ratio[None, :])
    values = full.copy() if full is close.values else full
    values[:, cols] = merged
    return Panel(close.dates, close.symbols, values).compact(), TradedCloses(
        cols.astype(np.int64), on, adjusted, merged
    )


@dataclass(frozen=True)
class PitUniverse:
    """A member universe with its point-in-time lists.

    ``close`` holds today's members first (``n_current`` columns, the same order as the current-member
    panel) and then the former members that have stored prices. ``listed[k, j]`` is True when column
    ``j`` is on the list dated ``list_dates[k]`` (public at ``known_at[k]``); ``list_size[k]`` counts every
    stock on that list, priced or not, so that coverage can be reported.
    """

    universe: str
    close: Panel
    n_current: int
    sectors: tuple[str, ...]
    list_dates: DateArray
    known_at: DateArray
    listed: BoolArray
    list_size: IntArray

    def upto(self, day: np.datetime64) -> PitUniverse:
        keep = self.known_at <= day
        return PitUniverse(
            self.universe,
            self.close.upto(day),
            self.n_current,
            self.sectors,
            self.list_dates[keep],
            self.known_at[keep],
            self.listed[keep],
            self.list_size[keep],
        )

    def list_row(self, calendar: DateArray) -> IntArray:
        """Index of the list in force on each calendar date (-1 before the first list is known)."""
        return np.searchsorted(self.known_at, calendar, side="right").astype(np.int64) - 1

    def mask(self, calendar: DateArray) -> BoolArray:
        """(T, N) membership: the list in force on each date, today's members before the first list."""
        k = self.list_row(calendar)
        current = np.arange(len(self.close.symbols)) < self.n_current
        if len(self.list_dates) == 0:
            return np.broadcast_to(current, (len(calendar), len(current)))
        out: BoolArray = np.where((k >= 0)[:, None], self.listed[np.maximum(k, 0)], current[None, :])
        return out


@dataclass(frozen=True)
class MarketData:
    """Aligned inputs of the monitor. ``calendar`` is SPY's trading days.

    Member close panels (``members``, ``sp500``, the point-in-time ``close``) are float32 when that holds
    the stored closes exactly (it does for the embedded data); whoever does arithmetic on them converts
    to float64 first, so every result is the one the float64 panel gives.
    """

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
    pit: dict[str, PitUniverse] = field(default_factory=dict)
    """Point-in-time universes by name (R2000, SP500, SP600) where the store holds dated lists."""
    earnings: dict[str, Float64Array] = field(default_factory=dict)
    """Earnings-breadth arrays on ``calendar`` (rotascope.fundamentals.breadth), known by each row."""
    traded: dict[str, TradedCloses] = field(default_factory=dict)
    """Per universe (R2000, SP500, SP600): where its member closes are traded prices (live updates);
    columns index the universe's point-in-time panel, or ``members``/``sp500`` without one."""

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
            self.highs_lows.upto(day) if self.highs_lows is not None else None,
            pit={k: u.upto(day) for k, u in self.pit.items()},
            earnings={k: v[: int((self.calendar <= day).sum())] for k, v in self.earnings.items()},
            traded={k: v.rows(int((self.calendar <= day).sum())) for k, v in self.traded.items()},
        )


def load_market_data(store: Store) -> MarketData:
    """Read every input of the monitor from the store (one query per kind), member panels as float32."""
    store.require_data()
    available = [s for s in ETFS if store.has_symbol(s)]
    raw = store.close_panel(available)
    spy = raw.column(CALENDAR_SYMBOL)
    calendar = raw.dates[np.isfinite(spy)]
    etf = align(raw, calendar)
    inst = store.instruments().set_index("symbol")
    traded: dict[str, TradedCloses] = {}
    pit = {u: _pit_universe(store, u, calendar, inst, traded) for u in PIT_UNIVERSES}
    r2000 = store.member_symbols("R2000")
    members = _current(pit["R2000"], r2000) or _closes(store, "R2000", r2000, calendar, traded)
    sp500_symbols = store.member_symbols("SP500")
    sp500 = _current(pit["SP500"], sp500_symbols) or _closes(store, "SP500", sp500_symbols, calendar, traded)
    sectors = tuple(str(inst.at[s, "sector"]) for s in r2000)
    weights = inst.loc[list(r2000), "weight_r2000"].to_numpy(dtype=np.float64)
    series: dict[str, SeriesData] = {}
    for sid in SERIES:
        if store.has_series(sid):
            frame = store.series(sid)
            series[sid] = SeriesData(
                _days(frame["date"]), _days(frame["known_at"]), frame["value"].to_numpy(dtype=np.float64)
            )
    fingerprint = store.fingerprint()
    data = MarketData(
        calendar,
        etf,
        members,
        sectors,
        np.nan_to_num(weights),
        sp500,
        series,
        fingerprint,
        _source_label(fingerprint),
        align(store.high_low_panel(["IWM"]), calendar),
        pit={u: p for u, p in pit.items() if p is not None},
        traded=traded,
    )
    return data


def _closes(
    store: Store, universe: str, symbols: list[str], calendar: DateArray, traded: dict[str, TradedCloses]
) -> Panel:
    """Member closes on the calendar, traded prices where stored (recorded in ``traded[universe]``)."""
    close, got = with_traded(
        align(store.close_panel(symbols, compact=True), calendar), store.traded_close_panel(symbols)
    )
    if got is not None:
        traded[universe] = got
    return close


PIT_UNIVERSES = ("R2000", "SP500", "SP600")


def _current(pit: PitUniverse | None, symbols: list[str]) -> Panel | None:
    """Today's members as a column view of the point-in-time panel (no copy)."""
    if pit is None:
        return None
    n = pit.n_current
    assert list(pit.close.symbols[:n]) == symbols
    return Panel(pit.close.dates, pit.close.symbols[:n], pit.close.values[:, :n])


def _pit_universe(
    store: Store, universe: str, calendar: DateArray, inst: pd.DataFrame, traded: dict[str, TradedCloses]
) -> PitUniverse | None:
    """Today's members plus the priced former members, and the dated lists as a (lists x columns) mask."""
    import pandas as pd  # deferred: the loaders' only pandas use; a warm run maps the saved panel instead

    lists = store.membership(universe)
    if lists.empty:
        return None
    current = store.member_symbols(universe)
    former = sorted(set(lists.symbol[lists.priced]) - set(current))
    symbols = current + former
    close = _closes(store, universe, symbols, calendar, traded)
    col = pd.Series(np.arange(len(symbols)), index=symbols)
    dates = _days(lists["date"])
    list_dates, k = np.unique(dates, return_inverse=True)
    known_at = _days(lists.groupby(k)["known_at"].max())
    j = col.reindex(lists.symbol).to_numpy()
    on = np.isfinite(j)
    listed = np.zeros((len(list_dates), len(symbols)), dtype=bool)
    listed[k[on], j[on].astype(np.int64)] = True
    size = np.bincount(k, minlength=len(list_dates)).astype(np.int64)
    sectors = tuple(str(inst.at[s, "sector"]) if s in inst.index else "None" for s in symbols)
    return PitUniverse(universe, close, len(current), sectors, list_dates, known_at, listed, size)


def _source_label(fingerprint: str) -> str:
    """'bundled', 'live' or 'bundled+live': which loads the stored data came from (the embedded company
    fundamentals and headline sample, loads 'bundled_fundamentals' and 'bundled_headlines', count as
    'bundled')."""
    parts = {part.split(":")[0].split("_")[0] for part in fingerprint.split("+") if part}
    return "+".join(sorted(parts)) or "empty"


def _days(col: pd.Series) -> DateArray:
    return np.asarray(col.to_numpy().astype("datetime64[D]"))
