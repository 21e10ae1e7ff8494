"""Read the Fama-French 6 size x book-to-market portfolios file into monthly series, point in time.

The French library forms the portfolios at the end of June of year t from book equity of fiscal year t-1.
The parser (:func:`rotascope.providers.french.parse_6_portfolios`, shared with `update`'s download) keeps,
for SMALL (the three ME1 portfolios) and BIG (ME2), each aggregated over its three portfolios by their
market equity (number of firms x average market cap of the month):

* ``ff6_beme_{small,big}`` — the value-weighted BE/ME with **June t** market equity (the file's
  "BE_FYt-1/ME_June t" block; the other block divides by December t-1 market equity);
* ``ff6_op_{small,big}`` — value-weighted operating profitability (OP / BE of fiscal year t-1, from 1963);
* ``ff6_ret_{small,big}`` — value-weighted monthly return of the size group, percent.

Each observation is dated at its month end and known at the end of the following month (the library
publishes about a month after the month ends: the ``ff`` rule of the release dates).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from rotascope.errors import DataError
from rotascope.providers.french import check, parse_6_portfolios
from rotascope.store.db import Store


def read_ff6(path: Path) -> pd.DataFrame:
    """The file as long monthly series ``series_id, date, value, known_at`` (sorted; missing months out)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot read {path}: {exc}.") from None
    frame = parse_6_portfolios(text, path.name)
    check(frame, path.name)
    return frame


def new_months(store: Store, frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """The months of a downloaded file that the store does not hold yet (per series, after its last stored
    month), known from ``today`` — when rotascope first saw them — and never before the release rule's date.
    Earlier months are not rewritten: the stored history stays as it was first known."""
    last = dict(
        store.conn.execute(
            "SELECT series_id, max(date) FROM series WHERE series_id LIKE 'ff6\\_%' ESCAPE '\\' "
            "GROUP BY series_id"
        ).fetchall()
    )
    after = frame["series_id"].map(lambda sid: last.get(sid) or date.min)
    new = frame[frame["date"] > after].copy()
    new["known_at"] = [max(k, today) for k in new["known_at"]]
    return new.reset_index(drop=True)
