"""Breadth arrays of one member universe: today's members on every date, or the point-in-time lists in force
on each date (with today's members counted on the same pass, to measure the survivorship gap), and the
adjustment effect of traded closes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from rotascope._typing import DateArray, Float64Array, FloatArray
from rotascope.indicators import breadth as br
from rotascope.indicators.kernels import IntArray, sma
from rotascope.monitor.data import PitUniverse, TradedCloses

T = TypeVar("T")


@dataclass(frozen=True)
class UniverseBreadth:
    """Breadth arrays of one member universe."""

    universe: str
    panel: br.BreadthPanel
    ad_vs_sma50: Float64Array
    members_with_data: Float64Array
    sector_names: tuple[str, ...] = ()
    sectors: br.SectorParticipation | None = None
    sector_members: tuple[int, ...] = ()
    pit: PitUniverse | None = None
    """The dated lists behind the counts (None: today's members on every date)."""
    list_row: IntArray | None = None
    """Row of ``pit.listed`` in force on each date (-1: before the first list, today's members)."""
    current_pct_above_50: Float64Array | None = None
    current_pct_above_200: Float64Array | None = None
    sector_codes: IntArray | None = None
    traded_members: IntArray | None = None
    """Members counted on each date whose close is a traded (unadjusted) price (None: none anywhere)."""
    traded_minus_adjusted: dict[int, Float64Array] | None = None
    """Per SMA window (50, 200): members above it on the closes in use minus on dividend-adjusted closes,
    counted over the members with traded closes (the adjustment effect, in members)."""

    def survivorship(self, t: int) -> tuple[float, float, int]:
        """Mean of (today's members minus point-in-time) % above the 50/200-day SMA over the point-in-time
        rows up to ``t`` (pp), and the number of those rows. Causal: rows after ``t`` are not read."""
        if self.list_row is None or self.current_pct_above_50 is None or self.current_pct_above_200 is None:
            return float("nan"), float("nan"), 0
        rows = slice(0, t + 1)
        inside = self.list_row[rows] >= 0
        d50 = (self.current_pct_above_50[rows] - self.panel.pct_above_50[rows])[inside]
        d200 = (self.current_pct_above_200[rows] - self.panel.pct_above_200[rows])[inside]
        ok = np.isfinite(d50) & np.isfinite(d200)
        if not ok.any():
            return float("nan"), float("nan"), 0
        return float(d50[ok].mean()), float(d200[ok].mean()), int(ok.sum())


def _first_row(close: FloatArray) -> int:
    """First row where any member has a close (the member tables start years after SPY)."""
    rows = np.flatnonzero(np.isfinite(close).any(axis=1))
    return int(rows[0]) if len(rows) else close.shape[0]


def _pad(obj: T, start: int) -> T:
    """Prepend ``start`` empty rows to every array field of a result dataclass (0 / False / NaN)."""
    if start == 0:
        return obj
    values = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        arr = getattr(obj, f.name)
        if isinstance(arr, np.ndarray) and arr.ndim >= 1 and f.name != "codes":
            fill = np.nan if arr.dtype.kind == "f" else 0
            head = np.full((start, *arr.shape[1:]), fill, dtype=arr.dtype)
            values[f.name] = np.concatenate([head, arr])
        else:
            values[f.name] = arr
    return type(obj)(**values)


def universe_breadth(
    name: str,
    close: FloatArray,
    sectors: tuple[str, ...] | None = None,
) -> UniverseBreadth:
    """Breadth arrays of one member universe (with sector participation when sectors are given)."""
    start = _first_row(close)
    sub = close[start:]
    members = np.isfinite(close).sum(axis=1).astype(np.float64)
    if sectors is None:
        panel = _pad(br.breadth_panel(sub), start)
        ad = panel.ad_line.astype(np.float64)
        return UniverseBreadth(name, panel, ad - sma(ad, 50), members)
    names = tuple(sorted({s for s in sectors if s and s not in ("None", "Unknown", "Unassigned")}))
    code_of = {s: i for i, s in enumerate(names)}
    codes = np.array([code_of.get(s, -1) for s in sectors])
    both = br.breadth_with_sectors(sub, codes)
    panel, part = _pad(both[0], start), _pad(both[1], start)
    ad = panel.ad_line.astype(np.float64)
    counts = tuple(int((codes == code_of[s]).sum()) for s in names)
    return UniverseBreadth(
        name, panel, ad - sma(ad, 50), members, tuple(names[c] for c in part.codes), part, counts
    )


def pit_breadth(u: PitUniverse, calendar: DateArray, with_sectors: bool) -> UniverseBreadth:
    """Breadth counting, on each date, the members of the list in force (today's members before the first
    list), and the % above the SMAs of today's members on the same pass (survivorship, measured)."""
    close = u.close.values
    start = _first_row(close)
    mask = u.mask(calendar)
    current = (np.arange(close.shape[1]) < u.n_current)[None, :]
    names: tuple[str, ...] = ()
    codes = None
    if with_sectors:
        names = tuple(sorted({s for s in u.sectors if s and s not in ("None", "Unknown", "Unassigned")}))
        code_of = {s: i for i, s in enumerate(names)}
        codes = np.array([code_of.get(s, -1) for s in u.sectors])
    got = br.breadth_masked(close[start:], mask[start:], current, codes)
    panel = _pad(got.panel, start)
    nan_head = np.full(start, np.nan)
    members = (np.isfinite(close) & mask).sum(axis=1).astype(np.float64)
    ad = panel.ad_line.astype(np.float64)
    part = _pad(got.sectors, start) if got.sectors is not None else None
    return UniverseBreadth(
        u.universe,
        panel,
        ad - sma(ad, 50),
        members,
        tuple(names[c] for c in part.codes) if part is not None else (),
        part,
        (),
        pit=u,
        list_row=u.list_row(calendar),
        current_pct_above_50=np.concatenate([nan_head, got.alt_pct_above_50]),
        current_pct_above_200=np.concatenate([nan_head, got.alt_pct_above_200]),
        sector_codes=codes,
    )


def with_prices(u: UniverseBreadth, tc: TradedCloses | None, calendar: DateArray) -> UniverseBreadth:
    """Attach, per date, how many counted members had a traded close and the adjustment effect on them
    (members above the 50/200-day SMA on the closes in use minus on dividend-adjusted closes)."""
    if tc is None:
        return u
    counted = u.pit.mask(calendar)[:, tc.columns] if u.pit is not None else np.ones_like(tc.traded)
    counted = counted & np.isfinite(tc.merged)
    effect: dict[int, Float64Array] = {}
    for w in (50, 200):
        with np.errstate(invalid="ignore"):
            now = (tc.merged > sma(tc.merged, w)) & counted
            adj = (tc.adjusted > sma(tc.adjusted, w)) & counted
        effect[w] = (now.sum(axis=1) - adj.sum(axis=1)).astype(np.float64)
    traded = (counted & tc.traded).sum(axis=1).astype(np.int64)
    return dataclasses.replace(u, traded_members=traded, traded_minus_adjusted=effect)
