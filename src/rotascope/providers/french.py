"""Kenneth French data library: the 6 size x book-to-market portfolios, parsed into monthly series.

One parser serves the embedded file (``fundamentals.ff6.read_ff6``) and the live download
(``6_Portfolios_2x3_CSV.zip``, a zip holding one CSV): for SMALL (the three ME1 portfolios) and BIG (ME2),
each aggregated over its three portfolios by market equity (number of firms x average market cap):

* ``ff6_beme_{small,big}`` — value-weighted BE/ME with **June t** market equity ("BE_FYt-1/ME_June t");
* ``ff6_op_{small,big}`` — value-weighted operating profitability (from 1963);
* ``ff6_ret_{small,big}`` — value-weighted monthly return of the size group, percent.

Each month is dated at its month end and known by the ``ff`` release rule (the end of the following month).
:func:`check` refuses a reply that lacks a section, whose months are not strictly increasing or whose
values are out of range, so a bad or truncated download fails alone and stores nothing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from rotascope.errors import DataError
from rotascope.providers.base import SERIES_COLUMNS
from rotascope.providers.errors import BadResponse
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query
from rotascope.providers.release_dates import known_at

__all__ = [
    "BLOCKS",
    "DEFAULT_URL",
    "FF6_SERIES",
    "FrenchFetcher",
    "FrenchResult",
    "check",
    "parse_6_portfolios",
]

SOURCE = "Kenneth French library"
ITEM = "6_Portfolios_2x3"
DEFAULT_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/6_Portfolios_2x3_CSV.zip"
BLOCKS = {
    "ret": "Average Value Weighted Returns -- Monthly",
    "firms": "Number of Firms in Portfolios",
    "cap": "Average Market Cap",
    "beme": "BE_FYt-1/ME_June t",
    "op": "Value Weight Average of OP",
}
SMALL = ("SMALL LoBM", "ME1 BM2", "SMALL HiBM")
BIG = ("BIG LoBM", "ME2 BM2", "BIG HiBM")
FF6_SERIES = tuple(f"ff6_{key}_{group}" for group in ("small", "big") for key in ("beme", "op", "ret"))
RANGES = {"beme": (0.0, 100.0), "op": (-100.0, 100.0), "ret": (-100.0, 1000.0)}
"""Values outside (low, high] are refused: BE/ME is positive, OP a ratio (as low as -10.9 in the
2024 file), a monthly return above -100 %."""


def _block(lines: list[str], title: str, name: str) -> pd.DataFrame:
    """The monthly table under the first heading line containing ``title`` (YYYYMM rows, -99.99 missing)."""
    try:
        start = next(i for i, line in enumerate(lines) if title in line)
        head = next(i for i in range(start, len(lines)) if lines[i].startswith(","))
    except StopIteration:
        raise DataError(f"{name} has no block '{title}'.") from None
    rows = []
    for line in lines[head + 1 :]:
        cells = [c.strip() for c in line.split(",")]
        if not (cells[0].isdigit() and len(cells[0]) == 6):
            break
        rows.append(cells)
    cols = [c.strip() for c in lines[head].split(",")[1:]]
    if not rows or any(len(r) != len(cols) + 1 for r in rows) or not set(SMALL + BIG) <= set(cols):
        raise DataError(f"{name}: block '{title}' is empty or not six portfolios by month.")
    try:
        frame = pd.DataFrame([r[1:] for r in rows], columns=cols, index=[r[0] for r in rows]).astype(float)
    except ValueError:
        raise DataError(f"{name}: block '{title}' holds a value that is not a number.") from None
    frame = frame.where(frame > -99.0)
    frame.index = pd.to_datetime(frame.index, format="%Y%m") + pd.offsets.MonthEnd(0)
    if not (frame.index.is_monotonic_increasing and frame.index.is_unique):
        raise DataError(f"{name}: the months of block '{title}' are not strictly increasing.")
    return frame


def parse_6_portfolios(text: str, name: str) -> pd.DataFrame:
    """The file's text as long monthly series ``series_id, date, value, known_at`` (sorted; missing months
    out; ``known_at`` by the ``ff`` release rule). A missing or malformed section is one DataError."""
    lines = text.splitlines()
    blocks = {key: _block(lines, title, name) for key, title in BLOCKS.items()}
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


def check(frame: pd.DataFrame, name: str) -> None:
    """Every series present and every value in its range (the parser already checked sections and months)."""
    missing = sorted(set(FF6_SERIES) - set(frame["series_id"]))
    if missing:
        raise DataError(f"{name} yields no values for {', '.join(missing)}.")
    key = frame["series_id"].str.split("_").str[1]
    for kind, (low, high) in RANGES.items():
        v = frame.loc[key == kind, "value"].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(v) | (v <= low) | (v > high)
        if bad.any():
            raise DataError(f"{name}: a {kind} value {v[bad][0]:g} is outside its range ({low:g}, {high:g}].")


class FrenchQuery(BaseModel):
    """The library file to fetch (only the 6 portfolios are mapped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = ITEM


@dataclass(frozen=True)
class FrenchResult:
    """The parsed and checked series, and the last month the reply holds."""

    frame: pd.DataFrame
    last_month: date


def unzip_csv(content: bytes, item: str = ITEM) -> str:
    """The one CSV inside the library's zip, as text; anything else is one BadResponse sentence."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise BadResponse(
                    f"{SOURCE} sent a zip for {item} holding {len(names)} CSV files, expected one.",
                    source=SOURCE,
                    item=item,
                )
            raw = archive.read(names[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise BadResponse(
            f"{SOURCE} sent a reply for {item} that is not a complete zip file ({len(content):,} bytes); "
            "nothing was stored.",
            source=SOURCE,
            item=item,
        ) from None
    return raw.decode("latin-1")


@register("french")
class FrenchFetcher(Fetcher[FrenchQuery, HttpResponse, FrenchResult]):
    """The 6 size x book-to-market portfolios zip from the French library (keyless, monthly)."""

    kind = "series"
    source = SOURCE

    def __init__(self, *, client: HttpClient | None = None, url: str = DEFAULT_URL) -> None:
        self.client = client or HttpClient(SOURCE)
        self.url = url

    def transform_query(self, params: Mapping[str, Any]) -> FrenchQuery:
        return validate_query(FrenchQuery, params, SOURCE, ITEM)

    def extract_data(self, query: FrenchQuery) -> HttpResponse:
        return self.client.get(self.url, item=query.file)

    def transform_data(self, query: FrenchQuery, raw: HttpResponse) -> FrenchResult:
        text = unzip_csv(raw.content, query.file)
        try:
            frame = parse_6_portfolios(text, query.file)
            check(frame, query.file)
        except DataError as exc:
            raise BadResponse(
                f"{SOURCE} sent a file that does not read as the 6 portfolios: {exc} Nothing was stored.",
                source=SOURCE,
                item=query.file,
            ) from None
        return FrenchResult(frame, max(frame["date"]))
