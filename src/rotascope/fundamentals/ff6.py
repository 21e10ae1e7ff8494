"""Read the Fama-French 6 size x book-to-market portfolios file into monthly series, point in time.

The French library forms the portfolios at the end of June of year t from book equity of fiscal year t-1.
From the file's blocks this keeps, for SMALL (the three ME1 portfolios) and BIG (ME2), each aggregated over
its three portfolios by their market equity (number of firms x average market cap of the month):

* ``ff6_beme_{small,big}`` — the value-weighted BE/ME with **June t** market equity (the file's
  "BE_FYt-1/ME_June t" block; the other block divides by December t-1 market equity);
* ``ff6_op_{small,big}`` — value-weighted operating profitability (OP / BE of fiscal year t-1, from 1963);
* ``ff6_ret_{small,big}`` — value-weighted monthly return of the size group, percent.

Each observation is dated at its month end and known at the end of the following month (the library
publishes about a month after the month ends: the ``ff`` rule of the release dates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rotascope.errors import DataError
from rotascope.providers.release_dates import known_at

SERIES_COLUMNS = ("series_id", "date", "value", "known_at")
BLOCKS = {
    "ret": "Average Value Weighted Returns -- Monthly",
    "firms": "Number of Firms in Portfolios",
    "cap": "Average Market Cap",
    "beme": "BE_FYt-1/ME_June t",
    "op": "Value Weight Average of OP",
}
SMALL = ("SMALL LoBM", "ME1 BM2", "SMALL HiBM")
BIG = ("BIG LoBM", "ME2 BM2", "BIG HiBM")


def _block(lines: list[str], title: str, path: Path) -> pd.DataFrame:
    """The monthly table under the first heading line containing ``title`` (YYYYMM rows, -99.99 missing)."""
    try:
        start = next(i for i, line in enumerate(lines) if title in line)
        head = next(i for i in range(start, len(lines)) if lines[i].startswith(","))
    except StopIteration:
        raise DataError(f"{path.name} has no block '{title}'.") from None
    rows = []
    for line in lines[head + 1 :]:
        cells = [c.strip() for c in line.split(",")]
        if not (cells[0].isdigit() and len(cells[0]) == 6):
            break
        rows.append(cells)
    cols = [c.strip() for c in lines[head].split(",")[1:]]
    frame = pd.DataFrame([r[1:] for r in rows], columns=cols, index=[r[0] for r in rows]).astype(float)
    frame = frame.where(frame > -99.0)
    frame.index = pd.to_datetime(frame.index, format="%Y%m") + pd.offsets.MonthEnd(0)
    return frame


def read_ff6(path: Path) -> pd.DataFrame:
    """The file as long monthly series ``series_id, date, value, known_at`` (sorted; missing months out)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot read {path}: {exc}.") from None
    blocks = {key: _block(lines, title, path) for key, title in BLOCKS.items()}
    weight = blocks["firms"] * blocks["cap"]
    parts = []
    for group, cols in (("small", list(SMALL)), ("big", list(BIG))):
        w = weight[cols]
        for key in ("beme", "op", "ret"):
            x = blocks[key][cols].reindex(w.index)
            ok = x.notna().all(axis=1) & w.notna().all(axis=1)
            value = (x * w).sum(axis=1) / w.sum(axis=1)
            s = value[ok]
            parts.append(
                pd.DataFrame(
                    {
                        "series_id": f"ff6_{key}_{group}",
                        "date": s.index,
                        "value": s.to_numpy(dtype=np.float64),
                        "known_at": known_at(pd.Series(s.index), "ff").to_numpy(),
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    out["known_at"] = pd.to_datetime(out["known_at"]).dt.date
    return out.sort_values(["series_id", "date"]).reset_index(drop=True)[list(SERIES_COLUMNS)]
