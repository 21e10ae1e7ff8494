"""The monitor engine: every indicator over the whole (dates x symbols) panel once, then sliced by as-of.

``compute`` runs the vectorised kernels over the full history; ``MonitorPanel.snapshot(as_of)`` only reads
row ``t`` (and a few rows before it for tails) of arrays that are causal by construction, so a snapshot
never sees data after its as-of date and the backtest can replay any number of dates without recomputing.

Member close panels may be float32 (exact copies of the stored closes, half the memory). Nothing is
computed in float32: the breadth kernels convert each block of columns to float64 before any sum, mean or
comparison (a close > SMA test can flip at float32 precision), and the per-as-of medians and
concentration convert the rows they read. Results are therefore those of the float64 panel, bit for bit.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rotascope._typing import BoolArray, DateArray, Float64Array
from rotascope.indicators import breadth as br
from rotascope.indicators.kernels import IntArray, masked_median, rolling_max, rolling_min, sma
from rotascope.indicators.relative_strength import RS_WINDOWS, RelativeStrength, relative_strength
from rotascope.indicators.rrg import quadrant, rrg
from rotascope.monitor.data import MarketData
from rotascope.monitor.macro import FINANCING_YIELDS, MacroSeries, macro_series
from rotascope.monitor.universe import UniverseBreadth, pit_breadth, universe_breadth, with_prices
from rotascope.records import (
    Breadth,
    Macro,
    PairStrength,
    Rotation,
    RotationPoint,
    SectorParticipation,
    Snapshot,
    rnd,
)
from rotascope.regime.thresholds import Thresholds

PAIRS: tuple[tuple[str, str], ...] = (
    ("IWM", "SPY"),
    ("RSP", "SPY"),
    ("IWM", "QQQ"),
    ("IWN", "IWO"),
    ("KRE", "SPY"),
    ("IJR", "SPY"),
)
SECTOR_ETFS: tuple[str, ...] = ("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY")
RRG_SYMBOLS: tuple[str, ...] = (*SECTOR_ETFS, "IWM", "IWN", "IWO", "RSP", "QQQ", "KRE")
CYCLICAL = ("Industrials", "Financials", "Consumer Discretionary", "Materials", "Energy")
DEFENSIVE = ("Utilities", "Consumer Staples", "Health Care", "Real Estate")
RRG_STEP = 5
"""RRG on daily closes with weekly-equivalent windows; tail points are 5 trading days apart."""
RRG_TAIL = 8
SURVIVORSHIP = (
    "Survivorship bias: before the point-in-time member lists (S&P 500 from 2018-01, S&P 600 from 2021-03, "
    "Russell 2000 from 2022-01) breadth uses today's index members; stocks that left the index are missing "
    "from the past. Where lists exist, the gap is measured and shown with each breadth figure (by year in "
    "DATA.md). Member closes are dividend-adjusted; published breadth uses traded prices."
)
STALE_LIST_DAYS = 35
"""A member list older than this on the as-of date (a missing month, or lists that ended) is called out."""
HOLDINGS_CAVEAT = "Sectors and IWM weights are as of about Nov 2025, applied to the whole history."
RRG_CAVEAT = (
    "RRG: RS-Ratio/RS-Momentum computed causally on daily closes with weekly-equivalent windows "
    "(10-week EMA = 50 days, 52-week z-score = 260 days, 1-week momentum = 5 days); tails step 5 days."
)


def cyclicals_minus_defensives(
    ret: Float64Array, cyclical: BoolArray, defensive: BoolArray
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """The one "small-cap cyclicals minus defensives": for each row of the (rows x members) returns ``ret``,
    the median cyclical member (``cyclical`` mask over members), the median defensive member, and the
    first minus the second (NaN where a group has no finite return). Unrounded; the monitor snapshot and
    the fundamentals agent's column both round the difference with ``records.rnd``."""
    cyc = masked_median(ret, np.broadcast_to(cyclical, ret.shape))
    dfn = masked_median(ret, np.broadcast_to(defensive, ret.shape))
    return cyc, dfn, cyc - dfn


@dataclass
class MonitorPanel:
    """All monitor arrays over the full calendar; ``snapshot`` slices them at an as-of date."""

    data: MarketData
    pairs: dict[str, RelativeStrength]
    sectors: dict[str, RelativeStrength]
    rotation: dict[str, tuple[Float64Array, Float64Array]]
    breadth: dict[str, UniverseBreadth]
    macro: dict[str, MacroSeries]
    factors: dict[str, MacroSeries]
    internals: dict[str, Float64Array]
    stale_after_days: int = 10
    _rows: dict[date, int] = field(default_factory=dict)

    @property
    def calendar(self) -> DateArray:
        return self.data.calendar

    def row(self, as_of: date) -> int:
        """Row of the last trading date <= as_of."""
        return int(np.searchsorted(self.calendar, np.datetime64(as_of, "D"), side="right")) - 1

    def snapshot(self, as_of: date) -> Snapshot:
        """Every measure as of ``as_of`` (which must be a calendar date: see ``resolve_as_of``); the weekly
        replay reads the rules' measures of every week as columns instead (``monitor.columns``)."""
        t = self.row(as_of)
        if t < 0:
            raise ValueError(f"{as_of} is before the first calendar date")
        day = self.calendar[t].astype(date)
        caveats = [SURVIVORSHIP, HOLDINGS_CAVEAT, RRG_CAVEAT]
        macro_vals: dict[str, float | None] = {}
        observed: dict[str, date | None] = {}
        units: dict[str, str] = {}
        for name, m in self.macro.items():
            macro_vals[name] = rnd(m.values[t])
            units[name] = m.unit
            if m.observed is not None:
                obs = m.observed[t]
                observed[name] = None if np.isnat(obs) else obs.astype(date)
        for name in sorted(observed):
            seen = observed[name]
            limit = self.macro[name].max_age_days or self.stale_after_days
            derived = "_chg" in name or "_pctile" in name or name in ("claims_yoy", *FINANCING_YIELDS)
            if derived or seen is None or (day - seen).days <= limit:
                continue
            caveats.append(
                f"Stale: {name} last observed {seen} ({(day - seen).days} days before {day}); "
                "the latest value known then is used."
            )
        factors = {k: rnd(v.values[t]) for k, v in self.factors.items()}
        factors_observed = {
            k: None if v.observed is None or np.isnat(v.observed[t]) else v.observed[t].astype(date)
            for k, v in self.factors.items()
        }
        return Snapshot(
            as_of=day,
            source=self.data.source,
            data_fingerprint=self.data.fingerprint,
            pairs=[_pair(name, rs, t) for name, rs in self.pairs.items()],
            sectors=[_pair(name, rs, t) for name, rs in self.sectors.items()],
            rotation=[self._rotation(sym, t) for sym in self.rotation],
            breadth=[self._breadth(b, t) for b in self.breadth.values()],
            macro=Macro(values=macro_vals, units=units, observed=observed),
            factors=factors,
            factors_observed=factors_observed,
            internals={**{k: rnd(v[t]) for k, v in self.internals.items()}, **self._member_medians(t)},
            caveats=caveats,
        )

    def _rotation(self, symbol: str, t: int) -> Rotation:
        ratio, mom = self.rotation[symbol]
        rows = [r for r in range(t - RRG_STEP * (RRG_TAIL - 1), t + 1, RRG_STEP) if r >= 0]
        tail = [
            RotationPoint(
                date=self.calendar[r].astype(date), rs_ratio=rnd(ratio[r], 3), rs_momentum=rnd(mom[r], 3)
            )
            for r in rows
        ]
        x, y = ratio[t], mom[t]
        quad = str(quadrant(float(x), float(y))) if np.isfinite(x) and np.isfinite(y) else None
        return Rotation(symbol=symbol, rs_ratio=rnd(x, 3), rs_momentum=rnd(y, 3), quadrant=quad, tail=tail)

    def _member_medians(self, t: int) -> dict[str, float | None]:
        """Cross-sectional medians of small-cap cyclical/defensive member returns at row ``t`` only."""
        return {k: rnd(float(v[0])) for k, v in self.member_medians_at(np.array([t])).items()}

    def member_medians_at(self, rows: IntArray) -> dict[str, Float64Array]:
        """Cross-sectional medians of small-cap cyclical/defensive member returns at each of ``rows``
        (unrounded; NaN where none).

        Computed at the rows from the two closes each return needs (rows t and t-k), so they cost
        O(members) per row instead of a full-panel sort on every date.
        """
        close = self.data.members.values
        cyc, dfn = self._sector_masks
        rows = np.asarray(rows, dtype=np.int64)

        def returns(k: int) -> Float64Array:
            """Every member's k-day return at each row, rows x members (NaN before row k)."""
            ok = rows >= k
            now, then = (np.asarray(close[np.where(ok, r, 0)], dtype=np.float64) for r in (rows, rows - k))
            with np.errstate(invalid="ignore", divide="ignore"):
                r: Float64Array = now / then - 1.0  # in float64: the panel may hold float32 closes
            r[~ok] = np.nan
            return r

        cyc_3m, def_3m, spread = cyclicals_minus_defensives(returns(63), cyc, dfn)
        return {
            "r2000_cyc_median_1m": masked_median(returns(21), np.broadcast_to(cyc, (len(rows), len(cyc)))),
            "r2000_cyc_median_3m": cyc_3m,
            "r2000_def_median_3m": def_3m,
            "r2000_cyc_minus_def_3m": spread,
        }

    @cached_property
    def _sector_masks(self) -> tuple[BoolArray, BoolArray]:
        """R2000 members in cyclical and in defensive sectors."""
        sec = np.array(self.data.member_sectors)
        return np.isin(sec, CYCLICAL), np.isin(sec, DEFENSIVE)

    def concentration_at(self, rows: IntArray, k: int = 21) -> Float64Array:
        """Top-10 share of the R2000's ``k``-day move at each of ``rows``, from rows t-k and t only (NaN
        before row k): the pair (t-k, t) stacked, so a 1-row change is the k-row return."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), np.nan)
        ok = rows >= k
        if ok.any():
            r = rows[ok]
            pairs = np.empty(2 * len(r), dtype=np.int64)
            pairs[0::2], pairs[1::2] = r - k, r
            close = self.data.members.values[pairs]
            out[ok] = br.concentration(close, self.data.member_weights, 1).share_top[1::2]
        return out

    def _concentration_at(self, u: UniverseBreadth, t: int) -> float | None:
        """Top-10 share of the R2000's 21-day move at row ``t`` (from rows t-21 and t only)."""
        if u.universe != "R2000" or t < 21:
            return None
        return rnd(float(self.concentration_at(np.array([t]))[0]))

    def _sector_counts(self, u: UniverseBreadth, t: int) -> list[int]:
        """Members per sector on the list in force at row ``t`` (point-in-time universes only)."""
        if u.pit is None or u.list_row is None or u.sector_codes is None or u.sectors is None:
            return []
        k = int(u.list_row[t])
        on = u.pit.listed[k] if k >= 0 else np.arange(len(u.pit.close.symbols)) < u.pit.n_current
        return [int((on & (u.sector_codes == c)).sum()) for c in u.sectors.codes]

    def _breadth(self, u: UniverseBreadth, t: int) -> Breadth:
        p = u.panel
        thrust_rows = np.nonzero(p.thrust_signal[: t + 1])[0]
        last_thrust = self.calendar[thrust_rows[-1]].astype(date) if len(thrust_rows) else None
        by_sector: list[SectorParticipation] = []
        share = None
        if u.sectors is not None:
            counts = self._sector_counts(u, t)
            past = t - 20
            for j, name in enumerate(u.sector_names):
                now_v = u.sectors.pct_above[t, j] / 100.0
                then_v = u.sectors.pct_above[past, j] / 100.0 if past >= 0 else np.nan
                improving = (
                    bool(u.sectors.improving[t, j]) if np.isfinite(now_v) and np.isfinite(then_v) else None
                )
                by_sector.append(
                    SectorParticipation(
                        sector=name,
                        members=u.sector_members[j] if u.sector_members else counts[j],
                        pct_above_50=rnd(now_v),
                        pct_above_50_20d_ago=rnd(then_v),
                        improving=improving,
                    )
                )
            share = rnd(u.sectors.share_improving[t])
        return Breadth(
            universe=u.universe,
            members_with_data=int(u.members_with_data[t]),
            advances=int(p.advances[t]),
            declines=int(p.declines[t]),
            ad_line=rnd(float(p.ad_line[t])),
            ad_line_vs_sma50=rnd(u.ad_vs_sma50[t]),
            mcclellan_oscillator=rnd(p.mcclellan_osc[t]),
            mcclellan_summation=rnd(p.summation[t]),
            pct_above_50=rnd(p.pct_above_50[t] / 100.0),
            pct_above_50_20d_ago=rnd(p.pct_above_50[t - 20] / 100.0) if t >= 20 else None,
            pct_above_200=rnd(p.pct_above_200[t] / 100.0),
            new_highs=int(p.new_highs[t]),
            new_lows=int(p.new_lows[t]),
            net_new_highs=int(p.net_highs[t]),
            pct_new_highs=rnd(p.pct_new_highs[t] / 100.0),
            thrust_ema=rnd(p.thrust_ema[t]),
            last_thrust=last_thrust,
            sector_participation=share,
            sectors=by_sector,
            top10_concentration_1m=self._concentration_at(u, t),
            **{**self._membership(u, t, self.calendar[t].astype(date)), **self._prices(u, t)},
        )

    def _prices(self, u: UniverseBreadth, t: int) -> dict[str, Any]:
        """Which closes breadth counted at row ``t`` (traded where live updates stored them) and the
        measured adjustment effect on those members; appends a sentence to the caveat when any is traded."""
        if u.traded_members is None or u.traded_minus_adjusted is None:
            return {}
        n = int(u.members_with_data[t])
        k = int(u.traded_members[t])
        if k == 0:
            return {"price": "adjusted", "traded_members": 0, "traded_coverage": 0.0 if n else None}
        e50, e200 = (float(u.traded_minus_adjusted[w][t]) / n * 100.0 for w in (50, 200))
        day = self.calendar[t].astype(date)
        base = self._membership(u, t, day)["caveat"]
        text = (
            f"{base} Prices: traded (unadjusted) closes for {k:,} of the {n:,} members counted on {day} "
            f"({k / n:.0%}), dividend-adjusted for the rest; before a member's first traded close its "
            "adjusted history is scaled to join it. Adjustment effect measured on those members: "
            f"{e50:+.2f} pp above the 50-day and {e200:+.2f} pp above the 200-day on traded vs adjusted "
            "closes."
        )
        return {
            "price": "traded" if k == n else "mixed",
            "traded_members": k,
            "traded_coverage": rnd(k / n),
            "traded_minus_adjusted_50": rnd(e50 / 100.0),
            "traded_minus_adjusted_200": rnd(e200 / 100.0),
            "caveat": text,
        }

    def membership_kinds(self, t: int) -> dict[str, Literal["point_in_time", "current"]]:
        """Per universe: counted on a dated list at row ``t`` ('point_in_time') or on today's members."""
        return {
            u: "point_in_time" if v[0] else "current" for u, v in self.dated_lists_at(np.array([t])).items()
        }

    def dated_lists_at(self, rows: IntArray) -> dict[str, BoolArray]:
        """Per universe: whether breadth counted a dated list at each of ``rows`` (else today's members)."""
        return {
            u.universe: np.zeros(len(rows), dtype=bool) if u.list_row is None else u.list_row[rows] >= 0
            for u in self.breadth.values()
        }

    def _membership(self, u: UniverseBreadth, t: int, day: date) -> dict[str, Any]:
        """Which members were counted at row ``t``, their coverage, and the survivorship measured so far."""
        if u.pit is None or u.list_row is None or u.list_row[t] < 0:
            return {
                "membership": "current",
                "caveat": SURVIVORSHIP
                if u.pit is None
                else f"{SURVIVORSHIP} No point-in-time {u.universe} list was known on {day}: "
                "today's members.",
            }
        k = int(u.list_row[t])
        listed_on = u.pit.list_dates[k].astype(date)
        priced = int(u.members_with_data[t])
        size = int(u.pit.list_size[k])
        now50, now200 = u.panel.pct_above_50[t], u.panel.pct_above_200[t]
        cur50 = u.current_pct_above_50[t] if u.current_pct_above_50 is not None else np.nan
        cur200 = u.current_pct_above_200[t] if u.current_pct_above_200 is not None else np.nan
        m50, m200, n = u.survivorship(t)
        text = (
            f"Point-in-time members: the {u.universe} list of {listed_on} ({priced:,} of {size:,} members "
            f"with a close on {day}, {priced / max(size, 1):.0%}); members without stored prices are "
            "left out. "
            f"Survivorship measured: today's members would read {cur50:.1f}% above the 50-day "
            f"({cur50 - now50:+.1f} pp) and {cur200:.1f}% above the 200-day ({cur200 - now200:+.1f} pp); "
            f"mean {m50:+.1f} / {m200:+.1f} pp over the {n:,} days with lists up to {day}. "
            "Closes are dividend-adjusted (published breadth uses traded prices; see DATA.md)."
        )
        age = (day - listed_on).days
        if age > STALE_LIST_DAYS:
            text += f" The list in use is {age} days old: members may have changed since."
        return {
            "membership": "point_in_time",
            "membership_date": listed_on,
            "members_listed": size,
            "coverage": rnd(priced / size) if size else None,
            "pct_above_50_current_members": rnd(cur50 / 100.0),
            "pct_above_200_current_members": rnd(cur200 / 100.0),
            "caveat": text,
        }


def _pair(name: str, rs: RelativeStrength, t: int) -> PairStrength:
    num, den = name.split("/")
    tr = rs.trend
    has50, has200 = np.isfinite(tr.sma_50[t]), np.isfinite(tr.sma_200[t])
    return PairStrength(
        pair=name,
        numerator=num,
        denominator=den,
        ratio=rnd(rs.ratio[t]),
        returns={w: rnd(rs.returns[w][t]) for w in RS_WINDOWS},
        above_sma50=bool(tr.above_50[t]) if has50 else None,
        above_sma200=bool(tr.above_200[t]) if has200 else None,
        dist_sma50=rnd(tr.dist_50_pct[t] / 100.0),
        dist_sma200=rnd(tr.dist_200_pct[t] / 100.0),
        slope_sma50_20d=rnd(tr.slope_50[t] / 100.0),
        persistence_4w=rnd(rs.persistence[4][t]),
        persistence_13w=rnd(rs.persistence[13][t]),
    )


def _run_length(flag: BoolArray) -> Float64Array:
    """Number of consecutive True values ending at each row (0 where False)."""
    idx = np.arange(len(flag))
    last_false = np.maximum.accumulate(np.where(~flag, idx, -1))
    return np.asarray(np.where(flag, idx - last_false, 0), dtype=np.float64)


def todays_members(panel: MonitorPanel) -> MonitorPanel:
    """The same panel with every point-in-time universe's breadth recounted on today's members on all dates:
    the survivorship-biased counterfactual the backtest replays to show what the dated lists change."""
    breadth = dict(panel.breadth)
    for name, u in panel.breadth.items():
        if u.pit is None:
            continue
        n = u.pit.n_current
        sectors = tuple(u.pit.sectors[:n]) if u.sectors is not None else None
        fresh = universe_breadth(name, u.pit.close.values[:, :n], sectors)
        tc = panel.data.traded.get(name)
        breadth[name] = with_prices(fresh, tc.first_columns(n) if tc is not None else None, panel.calendar)
    return dataclasses.replace(panel, breadth=breadth, _rows={})


def compute(data: MarketData, thresholds: Thresholds, stale_after_days: int = 10) -> MonitorPanel:
    """Run every indicator over the whole history (vectorised), ready to be sliced at any as-of."""
    etf = data.etf
    col = etf.column
    pairs = {f"{a}/{b}": relative_strength(col(a), col(b)) for a, b in PAIRS}
    sectors = {f"{s}/SPY": relative_strength(col(s), col("SPY")) for s in SECTOR_ETFS}
    spy = col("SPY")
    rotation: dict[str, tuple[Float64Array, Float64Array]] = {}
    graph = rrg(etf.columns(list(RRG_SYMBOLS)), spy, trend_span=50, window=260, momentum_lag=RRG_STEP)
    for j, sym in enumerate(RRG_SYMBOLS):
        rotation[sym] = (graph.rs_ratio[:, j], graph.rs_momentum[:, j])

    # the heavy, independent jobs run in threads (NumPy releases the GIL in its kernels)
    with ThreadPoolExecutor(max_workers=2) as pool:
        if "R2000" in data.pit:
            r2000 = pool.submit(pit_breadth, data.pit["R2000"], data.calendar, True)
        else:
            r2000 = pool.submit(universe_breadth, "R2000", data.members.values, data.member_sectors)
        if "SP500" in data.pit:
            sp500 = pool.submit(pit_breadth, data.pit["SP500"], data.calendar, False)
        else:
            sp500 = pool.submit(universe_breadth, "SP500", data.sp500.values)
        sp600 = (
            pool.submit(pit_breadth, data.pit["SP600"], data.calendar, False) if "SP600" in data.pit else None
        )
        internals_job = pool.submit(_internals, data, pairs["IWM/SPY"], PanelRules.of(thresholds))
        macro, factors = macro_series(data)
        breadth = {
            "R2000": r2000.result(),
            "SP500": sp500.result(),
        }
        if sp600 is not None:
            breadth["SP600"] = sp600.result()
        breadth = {k: with_prices(b, data.traded.get(k), data.calendar) for k, b in breadth.items()}
        internals = {**internals_job.result(), **data.earnings}
    return MonitorPanel(data, pairs, sectors, rotation, breadth, macro, factors, internals, stale_after_days)


@dataclass(frozen=True)
class PanelRules:
    """The only thresholds the panel computation reads (level 5's stress episode): the saved panel's key
    and a sweep's "recompute the panel?" test hash these, so editing any other threshold keeps the panel."""

    lookback: int
    min_vix_jump: float
    min_spy_drawdown: float

    @classmethod
    def of(cls, t: Thresholds) -> PanelRules:
        p = t.ladder.persistence
        return cls(p.lookback, p.min_vix_jump, p.min_spy_drawdown)

    def key(self) -> str:
        """The values as text (``repr`` of the floats: exact)."""
        return f"{self.lookback}|{self.min_vix_jump!r}|{self.min_spy_drawdown!r}"


def _internals(data: MarketData, iwm_spy: RelativeStrength, p: PanelRules) -> dict[str, Float64Array]:
    """The stress-episode measures of ladder level 5 (sector medians are computed per as-of)."""
    ratio = iwm_spy.ratio
    vix, spy = data.etf.column("VIX"), data.etf.column("SPY")
    vix_jump = rolling_max(vix, p.lookback) / rolling_min(vix, p.lookback) - 1
    spy_dd = rolling_min(spy / rolling_max(spy, p.lookback), p.lookback) - 1
    with np.errstate(invalid="ignore"):
        stress = np.where(
            np.isfinite(vix_jump) & np.isfinite(spy_dd),
            ((vix_jump >= p.min_vix_jump) | (spy_dd <= -p.min_spy_drawdown)).astype(np.float64),
            np.nan,
        )
    worst = _rolling_argmax(vix, p.lookback)
    ok = worst >= 0
    at_worst = np.where(ok, ratio[np.maximum(worst, 0)], np.nan)
    sma20 = sma(ratio, 20)
    with np.errstate(invalid="ignore"):
        above20 = np.isfinite(sma20) & (ratio > sma20)
    return {
        "vix_jump_lookback": vix_jump,
        "spy_drawdown_lookback": spy_dd,
        "stress_seen": stress,
        "iwm_spy_drawdown_lookback": 1 - ratio / rolling_max(ratio, p.lookback),
        "iwm_spy_since_stress": ratio / at_worst - 1,
        "iwm_spy_days_above_sma20": _run_length(above20),
    }


def _rolling_argmax(x: Float64Array, n: int) -> IntArray:
    """Row index of the maximum of the trailing ``n`` values (-1 without a full valid window)."""
    out = np.full(len(x), -1, dtype=np.int64)
    if len(x) < n:
        return out
    win = sliding_window_view(x, n)
    full = np.isfinite(win).all(axis=1)
    arg = np.argmax(np.where(np.isfinite(win), win, -np.inf), axis=1)
    rows = np.arange(n - 1, len(x))
    out[n - 1 :] = np.where(full, rows - (n - 1) + arg, -1)
    return out
