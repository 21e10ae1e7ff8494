"""Read the three company-fundamentals files into standard frames, point in time, with per-row flags.

Standard frames (one row per fact, each with the date it became known, ``known_at``):

* **annual** — one row per firm and fiscal year: ``symbol, fiscal_year, period_end, known_at`` and the
  ratios of the ExPanDaR Russell 3000 file (``ebit_sales, roa, cfoa, accoa, debt_ta, cash_ta, ...``).
  The file has no filing dates and no fiscal-year-end month, so a fiscal year ``FYyyyy`` is taken to end
  on 31 Dec yyyy and to be **known 90 days after that end** (the 10-K deadline of the slowest filers):
  conservative for December year-ends; the assumption is stated wherever the data is shown.
* **surprises** — reported vs consensus EPS: ``symbol, report_date, known_at, eps_actual, eps_estimate``;
  ``known_at`` is the business day after the report date (many companies report after the close).
* **estimates** — consensus EPS estimate for an upcoming report, re-read on snapshot dates: ``symbol,
  report_date, fiscal_end, estimate, known_at (= snapshot date)``.

Bad input never passes silently: an unreadable file, a missing column or non-UTF-8 text raises one
:class:`~rotascope.errors.DataError` sentence; a bad row (missing symbol, unparseable date, non-finite
value) is dropped and listed as a :class:`RowFlag`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from rotascope.errors import DataError
from rotascope.inputfile import check_input

KNOWN_LAG_DAYS = 90
"""A fiscal year of the annual file is known this many days after its (assumed 31 Dec) end."""
ANNUAL_RATIOS = (
    "toas",
    "sales",
    "equity",
    "debt_ta",
    "eq_ta",
    "cash_ta",
    "roe",
    "roa",
    "nioa",
    "cfoa",
    "accoa",
    "ebit_sales",
    "ni_sales",
)
"""Numeric columns kept from the annual file (definitions in russell3000_variables.csv)."""
ANNUAL_COLUMNS = ("symbol", "name", "sector", "fiscal_year", "period_end", "known_at", *ANNUAL_RATIOS)
SURPRISE_COLUMNS = ("symbol", "report_date", "known_at", "eps_actual", "eps_estimate")
ESTIMATE_COLUMNS = ("symbol", "report_date", "fiscal_end", "estimate", "known_at")

Kind = Literal["annual", "surprises", "estimates"]


@dataclass(frozen=True)
class RowFlag:
    """One input row that was dropped, and why (row numbers count data rows from 1)."""

    kind: Kind
    row: int
    symbol: str
    reason: str


def _require(frame: pd.DataFrame, needed: tuple[str, ...], path: Path) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name} lacks the column(s) {', '.join(missing)} (it has: "
            f"{', '.join(map(str, frame.columns[:12])) or 'none'})."
        )


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV file as strings; one sentence when it is missing, not a regular file of at most the default
    ``max_input_mb``, not UTF-8 text, or not a CSV table."""
    check_input(path, "CSV file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 and retry."
        ) from None
    if not text.strip():
        raise DataError(f"{path.name} is empty.")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, skip_blank_lines=True, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).splitlines()[0][:160]
        raise DataError(f"{path.name} is not a readable CSV table ({first}).") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    check_input(path, "Parquet file")
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(f"Cannot read {path}: no such file.") from None
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise DataError(f"{path.name} is not a readable Parquet file ({type(exc).__name__}).") from None


def _flag_rows(kind: Kind, frame: pd.DataFrame, bad: pd.Series, reason: str) -> list[RowFlag]:
    rows = np.flatnonzero(bad.to_numpy())
    return [RowFlag(kind, int(i) + 1, str(frame["symbol"].iloc[i]), reason) for i in rows]


def _clean(
    kind: Kind, frame: pd.DataFrame, checks: list[tuple[pd.Series, str]]
) -> tuple[pd.DataFrame, list[RowFlag]]:
    """Drop rows failing any check (the first failing reason is the flag)."""
    flags: list[RowFlag] = []
    dropped = pd.Series(False, index=frame.index)
    for bad, reason in checks:
        new = bad & ~dropped
        flags += _flag_rows(kind, frame, new, reason)
        dropped |= bad
    return frame[~dropped].reset_index(drop=True), flags


def _symbols(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper().fillna("")


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    out: pd.Series = pd.to_numeric(text.where(text != ""), errors="coerce")
    return out.astype("float64")


def tidy_annual(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """The ExPanDaR frame (``coid, period, coname, sector, <ratios>``) as the standard annual frame."""
    _require(raw, ("coid", "period", "coname", "sector", *ANNUAL_RATIOS), path)
    year = pd.to_numeric(raw["period"].astype("string").str.extract(r"^FY(\d{4})$")[0], errors="coerce")
    frame = pd.DataFrame({"symbol": _symbols(raw["coid"]), "fiscal_year": year})
    frame, flags = _clean(
        "annual",
        frame.assign(_row=np.arange(len(raw))),
        [
            (frame["symbol"] == "", "no company identifier"),
            (frame["fiscal_year"].isna(), "fiscal year is not of the form FYyyyy"),
        ],
    )
    src = raw.iloc[frame["_row"].to_numpy()].reset_index(drop=True)
    end = pd.to_datetime(frame["fiscal_year"].astype(int).astype(str) + "-12-31")
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"].astype(str),
            "name": src["coname"].astype(str),
            "sector": src["sector"].astype(str),
            "fiscal_year": frame["fiscal_year"].astype("int32"),
            "period_end": end.dt.date,
            "known_at": (end + timedelta(days=KNOWN_LAG_DAYS)).dt.date,
        }
    )
    for col in ANNUAL_RATIOS:
        out[col] = _numbers(src[col])
    dup = out.duplicated(["symbol", "fiscal_year"], keep="first")
    out, more = _clean("annual", out, [(dup, "duplicate firm-year (first kept)")])
    return out.sort_values(["symbol", "fiscal_year"]).reset_index(drop=True), flags + more


def read_annual(path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """Read the ExPanDaR Russell 3000 annual file (Parquet, or CSV with the same columns)."""
    raw = read_csv_text(path) if path.suffix.lower() == ".csv" else _read_parquet(path)
    return tidy_annual(raw, path)


def tidy_surprises(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """``date, symbol, eps_actual, eps_estimate`` rows as the standard surprises frame."""
    _require(raw, ("date", "symbol", "eps_actual", "eps_estimate"), path)
    frame = pd.DataFrame(
        {
            "symbol": _symbols(raw["symbol"]),
            "report_date": pd.to_datetime(raw["date"].astype("string").str.strip(), errors="coerce"),
            "eps_actual": _numbers(raw["eps_actual"]),
            "eps_estimate": _numbers(raw["eps_estimate"]),
        }
    )
    frame, flags = _clean(
        "surprises",
        frame,
        [
            (frame["symbol"] == "", "no symbol"),
            (frame["report_date"].isna(), "date is not YYYY-MM-DD"),
            (~np.isfinite(frame["eps_actual"]), "eps_actual is not a number"),
            (~np.isfinite(frame["eps_estimate"]), "eps_estimate is not a number"),
            (frame.duplicated(["symbol", "report_date"]), "duplicate report (first kept)"),
        ],
    )
    # many companies report after the close: a surprise is public from the next business day's close on
    frame["known_at"] = (frame["report_date"] + pd.offsets.BDay(1)).dt.date
    frame["report_date"] = frame["report_date"].dt.date
    frame = frame.sort_values(["symbol", "report_date"]).reset_index(drop=True)
    return frame[list(SURPRISE_COLUMNS)], flags


def read_surprises(path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """Read an earnings-surprises CSV (``date,symbol,eps_actual,eps_estimate``)."""
    return tidy_surprises(read_csv_text(path), path)


def tidy_estimates(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """Alpha Vantage earnings-calendar snapshots as the standard estimates frame."""
    _require(raw, ("symbol", "reportDate", "fiscalDateEnding", "estimate", "snapshot"), path)
    frame = pd.DataFrame(
        {
            "symbol": _symbols(raw["symbol"]),
            "report_date": pd.to_datetime(raw["reportDate"].astype("string"), errors="coerce"),
            "fiscal_end": pd.to_datetime(raw["fiscalDateEnding"].astype("string"), errors="coerce"),
            "estimate": _numbers(raw["estimate"]),
            "known_at": pd.to_datetime(raw["snapshot"].astype("string"), errors="coerce"),
        }
    )
    frame, flags = _clean(
        "estimates",
        frame,
        [
            (frame["symbol"] == "", "no symbol"),
            (frame["known_at"].isna(), "snapshot is not a date"),
            (frame["fiscal_end"].isna() | frame["report_date"].isna(), "report or fiscal date missing"),
            (~np.isfinite(frame["estimate"]), "no estimate"),
            (frame.duplicated(["symbol", "fiscal_end", "known_at"]), "duplicate snapshot row (first kept)"),
        ],
    )
    for col in ("report_date", "fiscal_end", "known_at"):
        frame[col] = frame[col].dt.date
    frame = frame.sort_values(["symbol", "fiscal_end", "known_at"]).reset_index(drop=True)
    return frame[list(ESTIMATE_COLUMNS)], flags


def read_estimates(path: Path) -> tuple[pd.DataFrame, list[RowFlag]]:
    """Read the EPS estimate snapshots (Parquet, or CSV with the same columns)."""
    raw = read_csv_text(path) if path.suffix.lower() == ".csv" else _read_parquet(path)
    return tidy_estimates(raw, path)
