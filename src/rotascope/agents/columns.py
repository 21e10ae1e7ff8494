"""The numbers the universe agents judge, as columns over calendar rows, and their claims as specs.

A :class:`Column` reads one measure from the monitor panel at any set of rows, rounded as the snapshot
rounds it. A :class:`ClaimSpec` holds one claim's thesis, weight and evidence: the regime's check records
(``regime.spec.Check``: column, comparison, thresholds.toml path or fixed line), judged by the one rule
engine (``regime.engine``, through ``agents.vector.judge``). The per-week agent reads its numbers at its one
row and words the claim (:meth:`ClaimSpec.make`); the replay reads the same columns at every weekly row
and judges the same specs with the same kernel (:meth:`ClaimSpec.judge`), so a rule lives in one place.

Member cross-sections (quality vs junk, drawdown, cyclicals vs defensives, concentration) use trailing
kernels whose value at a row depends only on the rows of its window (``indicators.kernels``), so one row
and every row give the same floats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rotascope._typing import BoolArray, Float64Array
from rotascope.agents.base import AgentContext, claim, ev, thresholds_of
from rotascope.agents.vector import IntArray, judge, rnd_array
from rotascope.indicators.breadth import FloatPanel
from rotascope.indicators.kernels import masked_median, masked_quantile
from rotascope.measures import Measure
from rotascope.monitor.columns import rule_columns
from rotascope.monitor.engine import CYCLICAL, DEFENSIVE, MonitorPanel, cyclicals_minus_defensives
from rotascope.records import Claim
from rotascope.regime.spec import Check, PairReturn, R2000Breadth, Read, bar_of
from rotascope.regime.thresholds import Thresholds

RowFn = Callable[[MonitorPanel, IntArray], Float64Array]


@dataclass(frozen=True)
class Column:
    """One measure at any calendar rows (NaN = no data), rounded to ``digits`` like the snapshot."""

    name: str
    read: RowFn
    digits: int = 6

    def at(self, panel: MonitorPanel, rows: IntArray) -> Float64Array:
        return rnd_array(self.read(panel, np.asarray(rows, dtype=np.int64)), self.digits)

    def one(self, ctx: AgentContext) -> float | None:
        """The value at the context's as-of row (None = no data)."""
        v = float(self.at(ctx.panel, np.array([ctx.row]))[0])
        return v if np.isfinite(v) else None


def read_column(name: str, read: Read) -> Column:
    """A column of what one of the regime's reads gives (``monitor.columns``, the rows of the values the
    snapshot states): the agents and the rules read a measure one way."""
    return Column(name, lambda p, rows: rule_columns(p, rows)(read))


def macro(m: Measure) -> Column:
    """A macro measure of the catalogue (``Measure.of`` on the snapshot reads the same value)."""
    return read_column(m.name, m)


def factor(m: Measure) -> Column:
    """A Fama-French factor lens of the catalogue."""
    return read_column(m.name, m)


def pair_return(pair: str, window: str) -> Column:
    return read_column(f"{pair} {window}", PairReturn(pair, window))


def pair_persistence(pair: str, weeks: int) -> Column:
    return Column(f"{pair} up {weeks}w", lambda p, rows: p.pairs[pair].persistence[weeks][rows])


def pair_vs_sma200(pair: str) -> Column:
    return Column(f"{pair} vs sma200", lambda p, rows: p.pairs[pair].trend.dist_200_pct[rows] / 100.0)


R2000_ABOVE_50 = read_column("r2000 above 50d", R2000Breadth("pct_above_50"))
R2000_AD_VS_SMA50 = read_column("r2000 A/D vs sma50", R2000Breadth("ad_line_vs_sma50"))
R2000_NET_NEW_HIGHS = Column(
    "r2000 net new highs", lambda p, rows: np.trunc(p.breadth["R2000"].panel.net_highs[rows])
)
IWM_RS_RATIO = Column("IWM RS-Ratio", lambda p, rows: p.rotation["IWM"][0][rows], digits=3)
IWM_RS_MOMENTUM = Column("IWM RS-Momentum", lambda p, rows: p.rotation["IWM"][1][rows], digits=3)


R2000_TOP10_CONCENTRATION = Column("r2000 top-10 concentration", lambda p, rows: p.concentration_at(rows))


# ------------------------------------------------------------------------ member cross-sections
QUALITY_RET_DAYS = 63
QUALITY_VOL_DAYS = 126
DRAWDOWN_DAYS = 252
MIN_RANKED = 50
"""Fewer members with a volatility and a return than this: no quality-vs-junk spread."""


@dataclass(frozen=True)
class MemberMeasures:
    """Cross-sectional member measures at a set of rows (NaN where not measurable)."""

    quality_spread: Float64Array
    """Median 63-day return of the calmest minus the most volatile quintile (vol from the prior 126 days)."""
    junk_return: Float64Array
    ranked: Float64Array
    market_63d: Float64Array
    """Median member 63-day return (50 members with a return needed)."""
    drawdown: Float64Array
    """Median member distance below its 252-day high (members with a full window)."""
    cyc_minus_def_3m: Float64Array
    """Median 63-day return of cyclical minus defensive sector members (``monitor.engine``'s one computation,
    rounded as the monitor snapshot rounds it, so the agent and the ladder's rung 4 judge the same number)."""


BLOCK = 256
"""Trailing sums restart their prefix sums at every BLOCK-th calendar row (see :func:`anchored_sums`)."""


def _block_scan(blocks: Float64Array, op: np.ufunc) -> Float64Array:
    """Running ``op`` down each block of a (blocks x rows x columns) array, in place, one row step at a
    time over all blocks and columns (an ``accumulate`` along a middle axis walks memory column by column)."""
    for i in range(1, blocks.shape[1]):
        op(blocks[:, i - 1], blocks[:, i], out=blocks[:, i])
    return blocks


CHUNK = 256
"""Columns handled at once by :func:`log_return_sums` (its buffers are reused from chunk to chunk)."""


def log_return_sums(
    close: Float64Array, first: int, ends: IntArray, n: int
) -> tuple[Float64Array, Float64Array]:
    """Sum and sum of squares of the ``n`` daily log returns ending at absolute return rows ``ends`` (return
    ``i`` runs from close row ``i`` to ``i + 1``); NaN where any of them is missing.

    ``close`` holds absolute rows ``first, first+1, ...`` with ``first`` a multiple of BLOCK. Prefix sums
    restart at every BLOCK-th absolute row and a window (n <= BLOCK) spans at most two blocks, so a row's
    sums depend only on its window and its position, not on how much history the slice holds: one row and
    every row give the same floats, in one pass instead of log(n) doublings.
    """
    if first % BLOCK or n > BLOCK:
        raise ValueError("the slice must start on a block boundary and the window fit in a block")
    rows, cols = close.shape[0] - 1, close.shape[1]
    nb = max(-(-rows // BLOCK), 1)
    e = np.asarray(ends, dtype=np.int64) - first
    s = np.maximum(e - n + 1, 0)
    start_s, start_e = s // BLOCK * BLOCK, e // BLOCK * BLOCK
    one_block = (start_s == start_e)[:, None]
    has_before = (s > start_s)[:, None]
    complete_rows = (e - n + 1 >= 0)[:, None]
    total_sum, total_sq = np.full((len(e), cols), np.nan), np.full((len(e), cols), np.nan)
    width = min(CHUNK, cols)
    logs = np.empty((rows + 1, width))
    filled = np.zeros((nb * BLOCK, 3 * width))  # returns, squares (NaN as 0), a missing count
    for c0 in range(0, cols, width):
        k = min(width, cols - c0)
        lg = logs[:, :k]
        with np.errstate(invalid="ignore", divide="ignore"):
            np.log(close[:, c0 : c0 + k], out=lg)
        filled[:] = 0.0
        r, sq, bad = filled[:rows, :k], filled[:rows, k : 2 * k], filled[:rows, 2 * k : 3 * k]
        with np.errstate(invalid="ignore"):
            np.subtract(lg[1:], lg[:-1], out=r)
        missing = ~np.isfinite(r)
        bad[missing] = 1.0
        r[missing] = 0.0
        np.multiply(r, r, out=sq)
        used = filled[:, : 3 * k] if k == width else np.ascontiguousarray(filled[:, : 3 * k])
        prefix = _block_scan(used.reshape(nb, BLOCK, 3 * k), np.add).reshape(nb * BLOCK, 3 * k)
        before = np.where(has_before, prefix[np.maximum(s - 1, 0)], 0.0)
        end = prefix[e]
        total = np.where(one_block, end - before, (prefix[start_s + BLOCK - 1] - before) + end)
        complete = complete_rows & (total[:, 2 * k :] == 0)  # counts are exact in float64
        total_sum[:, c0 : c0 + k] = np.where(complete, total[:, :k], np.nan)
        total_sq[:, c0 : c0 + k] = np.where(complete, total[:, k : 2 * k], np.nan)
    return total_sum, total_sq


def trailing_max(x: Float64Array, ends: IntArray, n: int) -> Float64Array:
    """Max of the ``n`` rows of ``x`` ending at rows ``ends`` (NaN if any is missing or the window starts
    before row 0): block prefix and suffix maxima (van Herk / Gil-Werman), exact whatever the slice."""
    rows, cols = x.shape
    nb = -(-rows // n)
    padded = np.full((nb * n, cols), np.nan)
    padded[:rows] = x
    blocks = padded.reshape(nb, n, cols)
    suffix = _block_scan(np.ascontiguousarray(blocks[:, ::-1]), np.maximum)[:, ::-1].reshape(nb * n, cols)
    prefix = _block_scan(blocks, np.maximum).reshape(nb * n, cols)  # in place: after the suffix copy
    e = np.asarray(ends, dtype=np.int64)
    s = np.maximum(e - n + 1, 0)
    aligned = (s % n == 0)[:, None]
    out: Float64Array = np.where(aligned, prefix[e], np.maximum(suffix[s], prefix[e]))
    out[e - n + 1 < 0] = np.nan
    return out


def member_measures(close: FloatPanel, sectors: tuple[str, ...], rows: IntArray) -> MemberMeasures:
    """The member cross-sections at ``rows`` of the (dates x members) close panel.

    Volatility is the population std of the 126 daily log returns ending 63 rows before the row (so the
    sort cannot be caused by the move it is judged on), from trailing sums that read only the window.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        empty = np.zeros(0)
        return MemberMeasures(empty, empty, empty, empty, empty, empty)
    need = QUALITY_RET_DAYS + QUALITY_VOL_DAYS
    lo = max(0, int(rows.min()) - max(need, DRAWDOWN_DAYS)) // BLOCK * BLOCK
    block = np.asarray(close[lo : int(rows.max()) + 1], dtype=np.float64)  # float32 panels: sums in float64
    local = rows - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        before = block[np.maximum(local - QUALITY_RET_DAYS, 0)]
        ret = block[local] / np.where((local >= QUALITY_RET_DAYS)[:, None], before, np.nan) - 1.0
    n = QUALITY_VOL_DAYS
    last = rows - QUALITY_RET_DAYS - 1  # the volatility window's last return, as an absolute return row
    s1, s2 = log_return_sums(block, lo, last, n)
    with np.errstate(invalid="ignore"):
        mean = s1 / n
        vol = np.sqrt(np.maximum(s2 / n - mean * mean, 0.0))
    ok = np.isfinite(vol) & np.isfinite(ret)
    ranked = ok.sum(axis=1)
    q_lo, q_hi = masked_quantile(vol, ok, (0.2, 0.8))
    with np.errstate(invalid="ignore"):
        calm = masked_median(ret, ok & (vol <= q_lo[:, None]))
        junk = masked_median(ret, ok & (vol >= q_hi[:, None]))
    enough = ranked >= MIN_RANKED
    fin = np.isfinite(ret)
    everyone: BoolArray = np.ones(ret.shape, dtype=bool)
    market = np.where(fin.sum(axis=1) >= MIN_RANKED, masked_median(ret, everyone), np.nan)
    high = trailing_max(block, local, DRAWDOWN_DAYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        dd = block[local] / high - 1.0
    sec = np.array(sectors)
    cyc, dfn = np.isin(sec, CYCLICAL)[None, :], np.isin(sec, DEFENSIVE)[None, :]
    return MemberMeasures(
        quality_spread=np.where(enough, calm - junk, np.nan),
        junk_return=np.where(enough, junk, np.nan),
        ranked=ranked.astype(np.float64),
        market_63d=market,
        drawdown=masked_median(dd, everyone),
        cyc_minus_def_3m=rnd_array(cyclicals_minus_defensives(ret, cyc, dfn)[2]),  # rounded as the snapshot's
    )


_MEMO: list[tuple[MonitorPanel, bytes, MemberMeasures]] = []


def members_at(p: MonitorPanel, rows: IntArray) -> MemberMeasures:
    """``member_measures`` of the panel's R2000 members at ``rows`` (the last call is remembered)."""
    key = np.asarray(rows, dtype=np.int64).tobytes()
    memo = _MEMO[-1] if _MEMO else None
    if memo is not None and memo[0] is p and memo[1] == key:
        return memo[2]
    got = member_measures(p.data.members.values, p.data.member_sectors, np.asarray(rows, dtype=np.int64))
    _MEMO[:] = [(p, key, got)]
    return got


QUALITY_SPREAD_PROXY = Column("quality spread (price proxy)", lambda p, r: members_at(p, r).quality_spread)
QUALITY_RANKED = Column("members ranked", lambda p, r: members_at(p, r).ranked)
MARKET_63D = Column("median member 63d return", lambda p, r: members_at(p, r).market_63d)
MEDIAN_DRAWDOWN = Column("median member drawdown", lambda p, r: members_at(p, r).drawdown)
CYC_MINUS_DEF_3M = Column("cyclicals minus defensives 3m", lambda p, r: members_at(p, r).cyc_minus_def_3m)


# ------------------------------------------------------------------------------------ claim specs
EvidenceSpec = Check[Column]
"""One evidence item of a claim: the regime's check record (``regime.spec.Check``) reading a column: what
is measured, the comparison, the threshold (a thresholds.toml path such as ``"agents.macro.max_claims_yoy"``,
or a fixed line), its labels."""


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of an agent: its thesis, weight and evidence."""

    agent: str
    key: str
    thesis: str
    weight: float
    evidence: tuple[EvidenceSpec, ...]
    bullish_if_passed: bool = True
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(e.read for e in self.evidence))

    def make(self, ctx: AgentContext, values: dict[str, float | None] | None = None) -> Claim:
        """The worded claim at the context's as-of (``values`` by column name, else read at its row)."""
        t = thresholds_of(ctx)
        got = values or {}
        return claim(
            self.agent,
            self.key,
            self.thesis,
            [
                ev(
                    ctx,
                    e.name,
                    got[e.read.name] if e.read.name in got else e.read.one(ctx),
                    e.op,
                    bar_of(e, t),
                    source=e.source,
                    window=e.window,
                    unit=e.unit,
                    note=e.note if isinstance(e.note, str) else e.note(ctx.result.snapshot),
                )
                for e in self.evidence
            ],
            self.weight,
            bullish_if_passed=self.bullish_if_passed,
        )

    def judge(self, values: dict[str, Float64Array], t: Thresholds) -> tuple[Float64Array, Float64Array]:
        """(direction sign, strength) on every row of the columns' ``values`` (by column name)."""
        matrix = np.column_stack([values[e.read.name] for e in self.evidence])
        return judge(
            matrix,
            [bar_of(e, t) for e in self.evidence],
            [e.op for e in self.evidence],
            [e.unit for e in self.evidence],
            self.bullish_if_passed,
        )
