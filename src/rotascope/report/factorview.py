"""The factor lenses as rows a desk reads: each Fama-French factor over 1, 3, 6 and 12 months, with the
date of the factor data behind it (the library publishes monthly, weeks later). Shared by the terminal
monitor and the HTML/Markdown report so both show the same numbers the same way."""

from __future__ import annotations

from rotascope.measures import CMA, FACTOR_NAMES, HML, MOM, RMW, SMB
from rotascope.records import Snapshot

WINDOWS = ("1m", "3m", "6m", "12m")
LENSES = {"smb": SMB, "hml": HML, "rmw": RMW, "cma": CMA, "mom": MOM}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f}%"


def factor_rows(snap: Snapshot) -> list[tuple[str, ...]]:
    """(lens, 1m, 3m, 6m, 12m, data through) rows; 'n/a' where the library has no value yet."""
    rows = []
    for key, measures in LENSES.items():
        seen = snap.factors_observed.get(measures["1m"].name)
        rows.append(
            (
                FACTOR_NAMES[key],
                *(_pct(measures[w].of(snap)) for w in WINDOWS),
                str(seen) if seen else "n/a",
            )
        )
    return rows


HEAD = ("factor lens", *WINDOWS, "data through")
