"""Rules-based IWM/SPY strategies on daily closes, decided weekly, traded without look-ahead.

Timing. A strategy's target weights are decided at a weekly as-of close ``t`` from data up to ``t`` and
filled at the close of the NEXT trading day (``lag=1``, the default): the first return the new position
earns is the day after that. ``lag=0`` fills at the as-of close itself (the common "shift by one day"
convention; optimistic, since nobody trades at the close they have just seen).

Accounting (checked to 1e-9 per day against vectorbt in the tests). Equity starts at 1.0 on the first
fill. At each fill the book is rebalanced to ``weight x equity`` per leg (``rebalance=True``; with
``rebalance=False`` it trades only when the target changes and lets the legs drift otherwise); between
fills share counts are held, so a dollar-neutral pair drifts with the legs' relative move. Costs are
``cost_bps`` per unit of traded notional on each leg (turnover = sum over legs of |weight change|), paid
from cash: target weights are fractions of the equity before the fill's costs, so a fully invested long
(the buy-and-hold benchmarks) carries its entry cost as a tiny negative cash balance.
Short proceeds earn nothing and cost nothing (no borrow fee), cash earns nothing: Sharpe uses rf = 0.
Window. ``run_strategies`` trades only inside the backtest's window: prices after its last day are never
read, a decision whose fill would fall after it is not executed, and a position still open on the last day
is closed at that day's close, paying its cost (``simulate(close_at_end=True)``).
Prices are adjusted closes (dividends reinvested), forward-filled over gaps for valuation; a leg without
any price yet (IWM before 2000-05-26) is held at weight 0.

Strategies:

1. ``trend_pair_targets`` — long IWM / short SPY (weight ±1) while the IWM/SPY ratio is above its 50-day
   average at the as-of, else flat.
2. ``breadth_trigger_targets`` — enter the pair when the share of R2000 members above their 50-day average
   crosses above 60 % or a Zweig breadth thrust fired since the previous as-of; exit when it crosses below
   40 %; an entry event wins a week that has both. Survivorship bias: members are today's.
3. ``tilt_targets`` + ``simulate(stop=...)`` — an injected weight series (-1..+1 per as-of; `rotascope
   backtest` injects the decision agent's calibrated tilt, ``analysis.calibrated_tilt``) with a stop: exit
   when the drawdown of equity since entry (peak of daily closes from the entry fill to the as-of) exceeds
   the limit; stay flat until the weight changes sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from rotascope._typing import DateArray
from rotascope.backtest.calendar import as_index
from rotascope.monitor.engine import SURVIVORSHIP, MonitorPanel
from rotascope.records import Record, rnd

LEGS: tuple[str, str] = ("IWM", "SPY")
TRADING_DAYS = 252
RF_NOTE = "Sharpe with risk-free rate 0 (cash and short proceeds earn nothing)."


class StrategyStats(Record):
    """Performance of one strategy or benchmark over the daily equity curve."""

    name: str
    start: str
    end: str
    final_equity: float | None
    cagr: float | None
    vol: float | None
    """Annualised volatility of daily returns (sqrt(252))."""
    sharpe: float | None
    """Annualised, risk-free rate 0."""
    max_drawdown: float | None
    turnover_per_year: float | None
    """Traded notional per year as a multiple of equity (sum over legs)."""
    total_costs: float | None
    """Sum of costs paid, in units of the starting equity (1.0)."""
    trades: int
    """Fills where the target weights changed (entries, exits, flips, resizes); drift rebalances excluded."""
    exposure: float | None
    """Share of days with a position."""
    note: str = ""


@dataclass(frozen=True)
class SimResult:
    """A simulated strategy: daily equity and what was traded at each fill."""

    name: str
    equity: pd.Series
    """Daily equity after the fill's trades and costs, 1.0 before the first fill."""
    targets: pd.DataFrame
    """Target weights decided for each fill, after the stop (index: fill dates; columns: legs)."""
    weights: pd.DataFrame
    """Weights actually held after each fill (= ``targets`` when rebalancing; drifted otherwise)."""
    turnover: pd.Series
    costs: pd.Series
    trades: int
    stops: int
    note: str = ""

    def held_days(self) -> np.ndarray:
        """For each day after the first of the equity curve: whether a position was held over it (the
        return of day i is earned by the weights of the last fill on or before day i - 1)."""
        eq = self.equity.dropna()
        held = (self.weights.abs().sum(axis=1) > 0).to_numpy()
        fill_rows = np.searchsorted(eq.index.to_numpy(), self.weights.index.to_numpy())
        prior = np.searchsorted(fill_rows, np.arange(len(eq) - 1), side="right") - 1
        return np.asarray(np.where(prior >= 0, held[np.maximum(prior, 0)], False))

    def stats(self) -> StrategyStats:
        """CAGR, volatility, Sharpe (rf 0), max drawdown, turnover, costs and trades."""
        eq = self.equity.dropna()
        rets = eq.pct_change().dropna()
        first, last = eq.index[0], eq.index[-1]
        years = (last - first).days / 365.25
        final = float(eq.iloc[-1])
        cagr = final ** (1.0 / years) - 1.0 if years > 0 and final > 0 else float("nan")
        sd = float(rets.std(ddof=1)) if len(rets) > 1 else float("nan")
        vol = sd * np.sqrt(TRADING_DAYS)
        sharpe = float(rets.mean()) / sd * np.sqrt(TRADING_DAYS) if sd > 0 else float("nan")
        dd = float((eq / eq.cummax() - 1.0).min())
        exposure = float(self.held_days().mean()) if len(eq) > 1 else 0.0
        return StrategyStats(
            name=self.name,
            start=str(first.date()),
            end=str(last.date()),
            final_equity=rnd(final),
            cagr=rnd(cagr),
            vol=rnd(vol),
            sharpe=rnd(sharpe),
            max_drawdown=rnd(dd),
            turnover_per_year=rnd(float(self.turnover.sum()) / years if years > 0 else float("nan")),
            total_costs=rnd(float(self.costs.sum())),
            trades=self.trades,
            exposure=rnd(exposure),
            note=self.note,
        )


def leg_prices(
    panel: MonitorPanel, legs: Sequence[str] = LEGS, end: np.datetime64 | None = None
) -> pd.DataFrame:
    """Daily adjusted closes of the legs on the monitor calendar up to ``end`` (default: all), forward-filled
    over gaps."""
    etf = panel.data.etf
    rows = len(panel.calendar) if end is None else int(np.searchsorted(panel.calendar, end, side="right"))
    frame = pd.DataFrame(
        {s: etf.column(s)[:rows] for s in legs},
        index=pd.DatetimeIndex(panel.calendar[:rows].astype("datetime64[ns]")),
    )
    return frame.ffill()


def _rows(calendar: DateArray, asof: DateArray) -> np.ndarray:
    cal = np.asarray(calendar).astype("datetime64[D]")
    days = np.asarray(asof).astype("datetime64[D]")
    pos = np.searchsorted(cal, days)
    if (pos >= len(cal)).any() or (cal[np.minimum(pos, len(cal) - 1)] != days).any():
        raise ValueError("every as-of date must be a calendar date")
    return np.asarray(pos)


def pair_targets(weight: npt.ArrayLike, asof: DateArray, legs: Sequence[str] = LEGS) -> pd.DataFrame:
    """Pair weights: ``+w`` on the first leg (IWM), ``-w`` on the second (SPY), per as-of."""
    w = np.asarray(weight, dtype=np.float64)
    return pd.DataFrame({legs[0]: w, legs[1]: -w}, index=as_index(asof)) + 0.0


def trend_pair_targets(panel: MonitorPanel, asof: DateArray, pair: str = "IWM/SPY") -> pd.DataFrame:
    """Strategy 1: long the pair (±1) when its ratio is above the 50-day SMA at the as-of, else flat."""
    rs = panel.pairs[pair]
    t = _rows(panel.calendar, asof)
    ratio, sma50 = rs.ratio[t], rs.trend.sma_50[t]
    with np.errstate(invalid="ignore"):
        on = np.isfinite(ratio) & np.isfinite(sma50) & (ratio > sma50)
    return pair_targets(on.astype(np.float64), asof, tuple(pair.split("/")))


def breadth_trigger_targets(
    panel: MonitorPanel,
    asof: DateArray,
    enter_above: float = 60.0,
    exit_below: float = 40.0,
    universe: str = "R2000",
) -> pd.DataFrame:
    """Strategy 2: enter on % above 50-day MA crossing above ``enter_above`` (PERCENT) or a Zweig thrust
    since the previous as-of; exit on it crossing below ``exit_below``; hold otherwise (hysteresis)."""
    bp = panel.breadth[universe].panel
    t = _rows(panel.calendar, asof)
    pct = bp.pct_above_50[t]
    prev = np.r_[np.nan, pct[:-1]]
    # thrust days in (previous as-of, as-of]; the first as-of looks back one week of 5 sessions
    count = np.cumsum(bp.thrust_signal.astype(np.int64))
    before = np.r_[t[:1] - 5, t[:-1]]
    thrust = count[t] - np.where(before >= 0, count[np.maximum(before, 0)], 0) > 0
    with np.errstate(invalid="ignore"):
        up = (prev <= enter_above) & (pct > enter_above)
        down = (prev >= exit_below) & (pct < exit_below)
    events = np.where(up | thrust, 1.0, np.where(down, 0.0, np.nan))
    state = pd.Series(events).ffill().fillna(0.0).to_numpy(dtype=np.float64)
    return pair_targets(state, asof)


def tilt_targets(weights: pd.Series, asof: DateArray) -> pd.DataFrame:
    """Strategy 3: an injected pair weight per as-of (clipped to -1..+1; missing weeks are flat)."""
    w = weights.reindex(as_index(asof)).astype(np.float64).clip(-1.0, 1.0).fillna(0.0)
    return pair_targets(w.to_numpy(dtype=np.float64), asof)


def hold_targets(symbol: str, asof: DateArray, legs: Sequence[str] = LEGS) -> pd.DataFrame:
    """Benchmark: buy and hold one leg (weight 1 from the first fill)."""
    return pd.DataFrame({s: float(s == symbol) for s in legs}, index=as_index(asof))


def _fill_plan(
    cal: np.ndarray, targets: pd.DataFrame, lag: int, close_at_end: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(as-of rows, fill rows, target weights) of the decisions whose fill falls on ``cal``; with
    ``close_at_end`` the last day is a fill to weight 0 (replacing any fill decided for that day)."""
    asof_rows = _rows(cal, targets.index.to_numpy().astype("datetime64[D]"))
    fill = asof_rows + lag
    keep = fill < len(cal)
    asof_rows, fill = asof_rows[keep], fill[keep]
    raw = targets.to_numpy(dtype=np.float64)[keep]
    if len(fill) == 0:
        raise ValueError("no as-of date has a trading day to fill on")
    if close_at_end:
        last = len(cal) - 1
        if fill[-1] < last:
            asof_rows, fill = np.r_[asof_rows, last], np.r_[fill, last]
            raw = np.vstack([raw, np.zeros((1, raw.shape[1]))])
        raw[-1] = 0.0
    return asof_rows, fill, raw


@dataclass
class _Stop:
    """The drawdown stop's state along the path: its limit, the current position's entry row, the sign
    of the target it stopped out of (flat until the target's sign changes) and how often it fired."""

    limit: float | None
    entry: int = 0
    stopped_sign: tuple[float, ...] | None = None
    stops: int = 0

    def gate(
        self, target: np.ndarray, prev_target: np.ndarray, equity: np.ndarray, a: int, closing: bool
    ) -> np.ndarray:
        """The target after the stop, judged on the equity's drawdown from its peak since entry to as-of
        row ``a`` (``closing``: the closing fill, never stopped)."""
        sign = tuple(np.sign(target).tolist())
        if self.stopped_sign is not None:
            if sign == self.stopped_sign:
                return np.zeros_like(target)
            self.stopped_sign = None
        elif self.limit is not None and np.any(prev_target != 0) and not closing and a >= self.entry:
            peak = float(np.max(equity[self.entry : a + 1]))
            if equity[a] / peak - 1.0 <= -self.limit:
                self.stopped_sign, self.stops = sign, self.stops + 1
                return np.zeros_like(target)
        return target


def _trade(
    px: np.ndarray,
    shares: np.ndarray,
    value: float,
    target: np.ndarray,
    prev_target: np.ndarray,
    rebalance: bool,
    rate: float,
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """One fill at closes ``px``: (weights held after it, shares, cash, turnover, cost). Without
    rebalancing an unchanged target keeps the shares (no trade); costs are paid from cash."""
    now_w = px * shares / value if value != 0 else np.zeros(len(shares))
    new_w = now_w if not rebalance and np.array_equal(target, prev_target) else target
    traded = float(np.abs(new_w - now_w).sum())
    cost = rate * traded * value
    with np.errstate(divide="ignore", invalid="ignore"):
        held = np.where(new_w != 0, new_w * value / px, 0.0)
    return new_w, held, value - cost - float(px @ held), traded, cost


def simulate(
    prices: pd.DataFrame,
    targets: pd.DataFrame,
    cost_bps: float = 0.0,
    *,
    lag: int = 1,
    rebalance: bool = True,
    stop: float | None = None,
    name: str = "",
    note: str = "",
    close_at_end: bool = False,
) -> SimResult:
    """Daily equity of target weights decided at the as-of dates in ``targets.index`` (see module doc).

    ``prices``: daily closes (index: trading days, columns: legs). ``targets``: weights per as-of. The loop
    runs once per fill (weekly; the stop and the cost of drift are path dependent); daily values inside a
    period are one matrix product. ``close_at_end``: the last day of ``prices`` is a fill to weight 0
    (the position is closed at that close, with its cost), replacing any fill decided for that day.
    """
    if lag not in (0, 1):
        raise ValueError("lag must be 0 (fill at the as-of close) or 1 (next trading day's close)")
    if stop is not None and not 0 < stop < 1:
        raise ValueError(f"stop must be a drawdown fraction in (0, 1), got {stop}")
    legs = list(targets.columns)
    px = prices[legs].to_numpy(dtype=np.float64)
    cal = prices.index.to_numpy().astype("datetime64[D]")
    asof_rows, fill, raw = _fill_plan(cal, targets, lag, close_at_end)
    r0 = int(fill[0])
    n_days = len(cal) - r0
    equity = np.full(n_days, np.nan)
    px0 = np.nan_to_num(px[r0:])
    have = np.isfinite(px[r0:])
    k_n = len(fill)
    held_w = np.zeros((k_n, len(legs)))
    decided = np.zeros((k_n, len(legs)))
    turnover = np.zeros(k_n)
    costs = np.zeros(k_n)
    shares = np.zeros(len(legs))
    cash = 1.0
    prev_target = np.zeros(len(legs))
    trades = 0
    guard = _Stop(stop)
    rate = cost_bps / 1e4
    for k in range(k_n):
        r = int(fill[k]) - r0
        value = cash + float(px0[r] @ shares)
        target = np.where(have[r], raw[k], 0.0)
        target = guard.gate(
            target, prev_target, equity, int(asof_rows[k]) - r0, close_at_end and k == k_n - 1
        )
        if not np.array_equal(target, prev_target):
            trades += 1
            if np.any(np.sign(target) != np.sign(prev_target)) and np.any(target != 0):
                guard.entry = r
        new_w, shares, cash, turnover[k], costs[k] = _trade(
            px0[r], shares, value, target, prev_target, rebalance, rate
        )
        held_w[k], decided[k] = new_w, target
        prev_target = target
        end = int(fill[k + 1]) - r0 if k + 1 < k_n else n_days - 1
        equity[r] = value - costs[k]
        if end > r:
            equity[r + 1 : end + 1] = cash + px0[r + 1 : end + 1] @ shares
    fills = prices.index[fill]
    return SimResult(
        name=name,
        equity=pd.Series(equity, index=prices.index[r0:], name=name),
        targets=pd.DataFrame(decided, index=fills, columns=legs),
        weights=pd.DataFrame(held_w, index=fills, columns=legs),
        turnover=pd.Series(turnover, index=fills),
        costs=pd.Series(costs, index=fills),
        trades=trades,
        stops=guard.stops,
        note=note,
    )


STRATEGY_NOTES = {
    "trend_pair": "long IWM/short SPY while IWM/SPY > its 50-day SMA at the weekly close",
    "breadth_trigger": "pair on R2000 %>50dMA crossing 60 % or a Zweig thrust; exit below 40 %. "
    + SURVIVORSHIP,
    "decision_tilt": "injected weight per week (the CLI: the decision agent's calibrated tilt) with a "
    "drawdown stop",
    "hold_SPY": "benchmark: buy and hold SPY",
    "hold_IWM": "benchmark: buy and hold IWM",
}


def run_strategies(
    panel: MonitorPanel,
    asof: DateArray,
    cost_bps: float = 5.0,
    tilt: pd.Series | None = None,
    stop: float = 0.10,
    lag: int = 1,
    end: np.datetime64 | None = None,
) -> list[SimResult]:
    """The rules-based strategies (and the tilt when given) plus the SPY and IWM buy-and-hold benchmarks,
    traded up to ``end`` (default: the last calendar day) and closed at its close."""
    prices = leg_prices(panel, end=end)
    plans: list[tuple[str, pd.DataFrame, float | None]] = [
        ("trend_pair", trend_pair_targets(panel, asof), None),
        ("breadth_trigger", breadth_trigger_targets(panel, asof), None),
    ]
    if tilt is not None:
        plans.append(("decision_tilt", tilt_targets(tilt, asof), stop))
    plans += [("hold_SPY", hold_targets("SPY", asof), None), ("hold_IWM", hold_targets("IWM", asof), None)]
    return [
        simulate(
            prices,
            tg,
            cost_bps,
            lag=lag,
            stop=st,
            rebalance=not nm.startswith("hold_"),  # buy once and hold the shares
            name=nm,
            note=STRATEGY_NOTES[nm],
            close_at_end=True,
        )
        for nm, tg, st in plans
    ]
