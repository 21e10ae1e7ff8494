"""Point-in-time index membership: normalise and check dated member lists before they reach the store.

A list dated ``D`` (a month-end holdings file of the index ETF) is taken as known at the close of ``D``
(``known_at = D``): the ETF publishes its holdings daily, and index changes are announced days (S&P) to
weeks (Russell reconstitution) before they take effect. For an as-of date the monitor uses the latest
list known on or before it; rows before the first list keep today's members (and say so).

Bad input is never a silent change of universe: every row dropped or doubtful becomes a quality flag
(table ``quality_flags``, field ``membership``), and a list whose size jumps or whose predecessor is more
than one month earlier is flagged too (the previous list stays in force until the next one).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rotascope.errors import DatasetError
from rotascope.qualityflag import QualityFlag

MEMBERSHIP_COLUMNS = ("universe", "date", "ticker", "non_equity", "origin")
TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}(-[A-Z])?$")
"""A U.S. common-stock ticker after normalisation (share classes as BRK-B, as in the price tables)."""
CLASS_ALIASES = {"BRKB": "BRK-B", "BFB": "BF-B", "LENB": "LEN-B", "HEIA": "HEI-A", "MOGA": "MOG-A"}
"""Share-class tickers that some holdings files print without the separator."""
MAX_GAP_DAYS = 35
"""Consecutive lists further apart than this (a missing month-end) are flagged as a gap."""
MAX_SIZE_CHANGE = 0.15
"""A list whose member count moves by more than this fraction from the previous one is flagged."""


def normalise_ticker(raw: pd.Series) -> pd.Series:
    """'BRK.B' / 'BRK/B' / 'BRKB' -> 'BRK-B'; whitespace stripped, upper case."""
    t = raw.astype(str).str.strip().str.upper().str.replace(r"[./ ]", "-", regex=True)
    return t.replace(CLASS_ALIASES)


def _flag(source: str, symbol: str, day: object, action: str, reason: str) -> QualityFlag:
    return QualityFlag(
        source, symbol, str(pd.Timestamp(str(day)).date()), "membership", np.nan, action, reason
    )


def _triples(first: pd.Series) -> list[tuple[str, str, object]]:
    """(universe, symbol, date) rows of a Series indexed by (universe, symbol)."""
    return [
        (str(u), str(s), d)
        for u, s, d in zip(
            first.index.get_level_values(0), first.index.get_level_values(1), first.to_numpy(), strict=True
        )
    ]


def check_membership(
    raw: pd.DataFrame, priced: set[str], source: str
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """Clean dated member lists; return ``universe, date, symbol, known_at, priced`` and the flags.

    Dropped with a flag: non-equity lines (cash, futures), malformed tickers, duplicate rows. Kept with a
    flag: members without stored prices (left the index or renamed since; breadth reports them in its
    coverage), gaps between lists and sudden changes of list size.
    """
    missing = [c for c in MEMBERSHIP_COLUMNS if c not in raw.columns]
    if missing:
        raise DatasetError(f"The membership data lacks column(s) {', '.join(missing)}.")
    flags: list[QualityFlag] = []
    frame = raw.assign(
        date=pd.to_datetime(raw["date"]).dt.normalize(),
        symbol=normalise_ticker(raw["ticker"]),
        non_equity=raw["non_equity"].fillna(False).astype(bool),
    )
    drop_non_equity = frame.non_equity
    bad = ~frame.symbol.str.match(TICKER) & ~drop_non_equity
    for mask, why in ((bad, "malformed ticker"), (drop_non_equity, "not a stock (cash, future)")):
        first = frame[mask].groupby(["universe", "symbol"], sort=True)["date"].min()
        flags += [_flag(source, s, d, "dropped", f"{u} list: {why}") for u, s, d in _triples(first)]
    frame = frame[~drop_non_equity & ~bad]
    dup = frame.duplicated(["universe", "date", "symbol"])
    for row in frame[dup].itertuples():
        flags.append(
            _flag(source, str(row.symbol), row.date, "dropped", f"{row.universe} list: duplicate row")
        )
    frame = frame[~dup]
    frame = frame.assign(priced=frame.symbol.isin(priced))
    unpriced = frame[~frame.priced].groupby(["universe", "symbol"], sort=True)["date"].min()
    for universe, sym, day in _triples(unpriced):
        flags.append(
            _flag(source, str(sym), day, "kept", f"{universe} member without stored prices (not in breadth)")
        )
    sizes = frame.groupby(["universe", "date"], sort=True).size().reset_index(name="n")
    for name, g in sizes.groupby("universe", sort=True):
        gap = g.date.diff().dt.days
        jump = (g.n / g.n.shift(1) - 1).abs()
        for day, days in zip(g.date[gap > MAX_GAP_DAYS], gap[gap > MAX_GAP_DAYS], strict=True):
            flags.append(_flag(source, str(name), day, "kept", f"gap of {int(days)} days before this list"))
        for day, n, change in zip(
            g.date[jump > MAX_SIZE_CHANGE],
            g.n[jump > MAX_SIZE_CHANGE],
            jump[jump > MAX_SIZE_CHANGE],
            strict=True,
        ):
            flags.append(
                _flag(source, str(name), day, "kept", f"list size {n} changed by {change:.0%} from the last")
            )
    out = frame.assign(known_at=frame.date)[["universe", "date", "symbol", "known_at", "priced"]]
    return out.sort_values(["universe", "date", "symbol"]).reset_index(drop=True), flags
