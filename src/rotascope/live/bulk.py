"""The bulk source (Polygon.io grouped daily): one request per session for every member, chained onto the
stored adjusted closes, one-day jumps judged by the batch's next session."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from rotascope.errors import ProviderError
from rotascope.live.state import MAX_CHAIN_DRIFT, Outcome, UpdateRun, commit_outcome, first_to_write
from rotascope.providers import polygon as polygon_mod
from rotascope.providers.base import QualityFlag
from rotascope.providers.polygon import GroupedDaily, PolygonGroupedFetcher
from rotascope.providers.quality import check_incoming_bars, glitch_mask
from rotascope.store.live import (
    UpdateLogRow,
    insert_quality_flags,
    item_transaction,
    log_update,
    upsert_bars,
    utcnow,
)

if TYPE_CHECKING:
    import pandas as pd

BULK_CLOSE_HOUR_UTC = 22
"""A grouped-daily bar of today is asked for only after this hour (UTC): the U.S. session has closed."""


def bulk_days(run: UpdateRun) -> tuple[list[date], date | None]:
    """Weekdays to fetch in bulk (after the members' last stored session, today only once closed) and that
    last session (the anchor the new closes are chained onto)."""
    rows = run.store.conn.execute(
        "SELECT max(b.date) FROM bars b JOIN instruments i USING (symbol) WHERE i.kind = 'stock'"
    ).fetchall()
    last = rows[0][0] if rows and isinstance(rows[0][0], date) else None
    first = first_to_write(run, last)
    now = run.now().astimezone(UTC)
    end = run.today if now.hour >= BULK_CLOSE_HOUR_UTC else run.today - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    return [d for d in days if d.weekday() < 5], last


@dataclass
class BulkChain:
    """The bulk fetcher and, once asked, the anchor session's bulk closes (one request for every symbol)."""

    fetcher: PolygonGroupedFetcher
    anchor: date | None
    days: tuple[date, ...] = ()
    """The batch's sessions, in order (a jump is judged by the next one)."""
    anchor_factors: dict[str, float] | None = None
    requests: int = 0
    ahead: dict[date, GroupedDaily] = field(default_factory=dict)
    """Sessions fetched early to judge the day before, kept for their own item."""

    def fetch(self, day: date) -> GroupedDaily:
        if day in self.ahead:
            return self.ahead.pop(day)
        self.requests += 1
        return self.fetcher.fetch(date=day)

    def next_session(self, day: date) -> GroupedDaily | None:
        """The batch's next day after ``day`` (asked once, kept for its own item); None when ``day`` is the
        batch's last or the next cannot be fetched now (its own item will fail and say why)."""
        later = [d for d in self.days if d > day]
        if not later:
            return None
        if later[0] not in self.ahead:
            self.requests += 1
            try:
                self.ahead[later[0]] = self.fetcher.fetch(date=later[0])
            except ProviderError:
                return None
        return self.ahead[later[0]]

    def factors(self, run: UpdateRun) -> dict[str, float]:
        """Stored / bulk close per symbol on the anchor session (absent: no common session); asked once."""
        if self.anchor is None or run.since is not None:
            return {}
        if self.anchor_factors is None:
            got = self.fetch(self.anchor).bars
            bulk = dict(zip(got["symbol"], got["close"].astype(float), strict=True))
            stored = run.store.conn.execute(
                "SELECT symbol, close FROM bars WHERE date = ?", [self.anchor]
            ).fetchall()
            self.anchor_factors = {
                str(s): float(c) / bulk[str(s)] for s, c in stored if c and bulk.get(str(s), 0) > 0
            }
        return self.anchor_factors


def polygon_item(run: UpdateRun, chain: BulkChain, day: date) -> Outcome:
    """One date of every stored member from one grouped-daily request: cleaned, chained, one transaction."""
    started = utcnow()
    item = day.isoformat()
    run.store.release()
    result = chain.fetch(day)
    members = {
        str(r[0])
        for r in run.store.conn.execute("SELECT symbol FROM instruments WHERE kind = 'stock'").fetchall()
    }
    bars = result.bars[result.bars["symbol"].isin(members)].reset_index(drop=True)
    if bars.empty:
        return commit_outcome(run, "polygon", item, started, Outcome("unchanged", 0, "no trading that day"))
    s = run.settings
    bars, flags = check_incoming_bars(bars, polygon_mod.SOURCE, s.spike_up, s.spike_down, s.spike_reversal)
    factors = chain.factors(run)
    factor = bars["symbol"].map(factors).astype(float)
    off = (factor - 1.0).abs().gt(0) & ~factor.between(math.exp(-MAX_CHAIN_DRIFT), math.exp(MAX_CHAIN_DRIFT))
    notes = [f"{len(bars)} members"]
    if off.any():
        notes.append(f"{int(off.sum())} left out: their closes do not line up with the stored ones")
        bars, factor = bars[~off].reset_index(drop=True), factor[~off].reset_index(drop=True)
    rescaled = int((factor.notna() & (factor - 1.0).abs().gt(1e-6)).sum())
    if rescaled:
        notes.append(f"{rescaled} rescaled to continue the stored adjusted closes of {chain.anchor}")
    for col in ("open", "high", "low", "close"):
        bars[col] = (bars[col] * factor.fillna(1.0)).round(6)
    bars, jumps = _drop_jumps(run, chain, bars, day)
    flags += jumps
    if jumps:
        notes.append(f"{len(jumps)} dropped: a one-day jump that reverses next day or is not confirmed yet")
    reasons = tuple(f.reason for f in flags)
    if flags:
        notes.append(f"{len(flags)} values cleaned (listed in quality_flags)")
    message = "; ".join(notes)
    with item_transaction(run.store) as conn:
        insert_quality_flags(conn, flags)
        rows = upsert_bars(conn, bars, run.today)
        log_update(conn, UpdateLogRow("polygon", item, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message, reasons)


def _drop_jumps(
    run: UpdateRun, chain: BulkChain, bars: pd.DataFrame, day: date
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """Bars whose close jumps beyond the spike limits from the member's last stored close, judged by `init`'s
    rule (``glitch_mask``) with the batch's next session: a jump the next close undoes is a one-day spike
    (dropped); one it keeps is a real move (stored); without a next close in the batch it is held back."""
    last = dict(
        run.store.conn.execute(
            "SELECT symbol, arg_max(close, date) FROM bars WHERE date < ? AND close > 0 GROUP BY symbol",
            [day],
        ).fetchall()
    )
    s = run.settings
    prev = bars["symbol"].map(last).astype(float)
    jump = bars["close"].astype(float) / prev - 1.0
    jumped = ((jump > s.spike_up) | (jump < -s.spike_down)).to_numpy()
    if not jumped.any():
        return bars, []
    symbols = bars["symbol"][jumped]
    following = chain.next_session(day)
    later = (
        {} if following is None else dict(zip(following.bars["symbol"], following.bars["close"], strict=True))
    )
    factor = symbols.map(chain.factors(run)).astype(float).fillna(1.0)  # the scale of today's stored closes
    nxt = symbols.map(later).astype(float) * factor
    triple = np.vstack([prev[jumped].to_numpy(), bars["close"][jumped].to_numpy(dtype=float), nxt.to_numpy()])
    spike = glitch_mask(triple, s.spike_up, s.spike_down, s.spike_reversal)[1]
    held = ~spike & ~(nxt.to_numpy() > 0)  # no next close to judge by: not confirmed yet
    drop = np.zeros(len(bars), dtype=bool)
    drop[np.flatnonzero(jumped)[spike | held]] = True
    why = {
        True: "one-day spike that reverses next day",
        False: "one-day jump not confirmed until the next session (the batch has no later close)",
    }
    flags = [
        QualityFlag(polygon_mod.SOURCE, str(sym), day.isoformat(), "close", float(c), "bar dropped", why[sp])
        for sym, c, sp, out in zip(symbols, bars["close"][jumped], spike, spike | held, strict=True)
        if out
    ]
    return bars[~drop].reset_index(drop=True), flags
