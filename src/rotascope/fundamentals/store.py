"""Company fundamentals in the store, point in time: three tables, their coverage, and the as-of loader.

Tables (every row keeps ``known_at``, the date it became public, and its ``source``):

* ``fund_annual`` — firm-year ratios (EBIT margin, ROA, CFO/assets, accruals/assets, debt/assets,
  cash/assets, ...). Embedded: the ExPanDaR Russell 3000 file FY2013-FY2016, known 90 days after an assumed
  31 Dec fiscal year end. Live: SEC EDGAR 10-K facts, known on their filing date (:func:`annual_from_sec`).
* ``fund_surprises`` — reported vs consensus EPS, known from the business day after the report date
  (embedded: 2018-2021).
* ``fund_estimates`` — consensus EPS estimate per upcoming report, known on each snapshot date
  (embedded: 38 snapshots 2025-11-07 to 2025-12-26).

`rotascope init` loads the embedded files (:func:`load_embedded`, one transaction, skipped when the same
files are already stored). :func:`load_fundamentals` is the one reader: it returns a
:class:`Fundamentals` holding only what was known by the as-of date.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from rotascope.errors import DatasetError
from rotascope.fundamentals.files import ANNUAL_COLUMNS, ANNUAL_RATIOS, ESTIMATE_COLUMNS, SURPRISE_COLUMNS
from rotascope.providers.base import SERIES_COLUMNS
from rotascope.store.db import Store, _friendly
from rotascope.store.live import load_sec_facts

SOURCE = "bundled_fundamentals"
SIMFIN_SOURCE = "bundled_simfin"
"""Source of the SimFin rows of ``fund_annual`` (FY2019 to FY2025 Q1; non-commercial licence)."""
EARNYIELD_SOURCE = "bundled_simfin_earnings_yield"
"""Source of the ``ey_*`` weekly series in ``series`` (see :mod:`rotascope.fundamentals.earnyield`)."""
SIMFIN_FIRST_YEAR = 2019
"""Fiscal periods ending in this year or later are SimFin's (the ExPanDaR file ends FY2016)."""
SIMFIN_KNOWN = "known on their SimFin publish date"


def simfin_era(fiscal_years: Iterable[int | float]) -> bool:
    """Whether the latest of these fiscal years is SimFin's (known on its publish date, not 90 days on)."""
    years = [int(y) for y in fiscal_years if y == y]
    return bool(years) and max(years) >= SIMFIN_FIRST_YEAR


SIMFIN_LABEL = (
    "SimFin statements (annual and trailing four quarters, keyed on the period end, known from the publish "
    "date; the restated date where SimFin's two annual exports differ; no banks or insurers)"
)
ANNUAL_LABEL = "ExPanDaR Russell 3000 annual file (FY known 90 days after an assumed 31 Dec year end)"
SURPRISE_LABEL = "FMP earnings surprises (known the business day after the report date)"
ESTIMATE_LABEL = "Alpha Vantage consensus EPS snapshots (known on the snapshot date)"
SEC_COLUMNS = ("symbol", "metric", "value", "period_end", "filed")
MAX_ANNUAL_AGE_DAYS = 550
"""A fiscal year older than this at the as-of (from its end) is stale and not used."""
MAX_SURPRISE_AGE_DAYS = 365
"""Surprises reported more than this before the as-of are not used."""

_NUM = ", ".join(f"{c} DOUBLE" for c in ANNUAL_RATIOS)
DDL = f"""
CREATE TABLE IF NOT EXISTS fund_annual (
    symbol VARCHAR NOT NULL, name VARCHAR, sector VARCHAR, fiscal_year INTEGER NOT NULL,
    period_end DATE NOT NULL, known_at DATE NOT NULL, {_NUM}, source VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS fund_surprises (
    symbol VARCHAR NOT NULL, report_date DATE NOT NULL, known_at DATE NOT NULL, eps_actual DOUBLE NOT NULL,
    eps_estimate DOUBLE NOT NULL, source VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS fund_estimates (
    symbol VARCHAR NOT NULL, report_date DATE NOT NULL, fiscal_end DATE NOT NULL, estimate DOUBLE NOT NULL,
    known_at DATE NOT NULL, source VARCHAR NOT NULL);
"""
TABLES = {"annual": "fund_annual", "surprises": "fund_surprises", "estimates": "fund_estimates"}
COLUMNS = {
    "annual": ANNUAL_COLUMNS,
    "surprises": SURPRISE_COLUMNS,
    "estimates": ESTIMATE_COLUMNS,
    "ff6": SERIES_COLUMNS,
}
TARGET = {**TABLES, "ff6": "series"}
"""Where each embedded file is stored: the Fama-French 6 portfolios go to ``series`` (source SOURCE)."""
DATE_OF = {"annual": "period_end", "surprises": "report_date", "estimates": "known_at"}


def embedded_dir() -> Path:
    return Path(str(resources.files("rotascope") / "data" / "fundamentals"))


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    try:
        files = json.loads((folder / "manifest.json").read_text())["files"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        raise DatasetError(
            f"The embedded fundamentals manifest in {folder} is missing or corrupt; reinstall rotascope."
        ) from None
    assert isinstance(files, dict)
    return files


def embedded_fingerprint(folder: Path | None = None) -> str:
    files = _manifest(folder or embedded_dir())
    return hashlib.sha256(
        json.dumps({k: v["sha256"] for k, v in sorted(files.items())}).encode()
    ).hexdigest()[:16]


def ensure_schema(store: Store) -> None:
    """Create the fundamentals tables if missing (idempotent; needs a writable store)."""
    try:
        store.conn.execute(DDL)
    except duckdb.Error as exc:
        raise _friendly(exc, store.path) from None


def has_tables(store: Store) -> bool:
    rows = store.conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('fund_annual', "
        "'fund_surprises', 'fund_estimates')"
    ).fetchall()
    return bool(rows[0][0] == 3)


@dataclass(frozen=True)
class FundLoad:
    """What one embedded load stored (rows per table), or that nothing changed."""

    fingerprint: str
    rows: dict[str, int]
    unchanged: bool


def _read_embedded(
    folder: Path, kind: str, files: dict[str, dict[str, str]], name: str | None = None
) -> pd.DataFrame:
    path = folder / f"{name or kind}.parquet"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(
            f"Embedded file {path.name} is missing from {folder}; reinstall rotascope."
        ) from None
    if hashlib.sha256(data).hexdigest() != files.get(path.name, {}).get("sha256"):
        raise DatasetError(f"Embedded file {path.name} does not match its checksum; reinstall rotascope.")
    frame = pd.read_parquet(path)
    missing = [c for c in COLUMNS[kind] if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"Embedded file {path.name} lacks the column(s) {', '.join(missing)}; rebuild it with "
            "scripts/build_fundamentals.py or reinstall rotascope."
        )
    return frame


def replace_rows(store: Store, kind: str, frame: pd.DataFrame, source: str) -> int:
    """Replace the rows of ``source`` in a fundamentals table by ``frame`` (in the caller's transaction)."""
    table = TARGET[kind]
    cols = ", ".join(COLUMNS[kind])
    store.conn.execute(f"DELETE FROM {table} WHERE source = ?", [source])
    store.conn.register("fund_batch", frame[list(COLUMNS[kind])])
    try:
        store.conn.execute(f"INSERT INTO {table} ({cols}, source) SELECT {cols}, ? FROM fund_batch", [source])
    finally:
        store.conn.unregister("fund_batch")
    return len(frame)


def load_embedded(store: Store, folder: Path | None = None, force: bool = False) -> FundLoad:
    """Load the embedded fundamentals files in one transaction (skipped when already stored)."""
    folder = folder or embedded_dir()
    files = _manifest(folder)
    fp = embedded_fingerprint(folder)
    ensure_schema(store)
    if not force and store.loaded_fingerprint(SOURCE) == fp:
        return FundLoad(fp, {}, unchanged=True)
    frames = {kind: _read_embedded(folder, kind, files) for kind in TABLES}
    simfin = _read_embedded(folder, "annual", files, "simfin")
    ff6 = _read_embedded(folder, "ff6", files)
    earnyield = _read_embedded(folder, "ff6", files, "earnyield")
    conn = store.conn
    try:
        conn.execute("BEGIN TRANSACTION")
        rows = {kind: replace_rows(store, kind, frame, SOURCE) for kind, frame in frames.items()}
        rows["simfin"] = replace_rows(store, "annual", simfin, SIMFIN_SOURCE)
        rows["ff6"] = replace_rows(store, "ff6", ff6, SOURCE)
        rows["earnyield"] = replace_rows(store, "ff6", earnyield, EARNYIELD_SOURCE)
        conn.execute("DELETE FROM loads WHERE source = ?", [SOURCE])
        conn.execute(
            "INSERT INTO loads VALUES (?, ?, now()::TIMESTAMP, 0, ?, 0)", [SOURCE, fp, sum(rows.values())]
        )
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error, RuntimeError):
            conn.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise _friendly(exc, store.path) from None
        raise
    return FundLoad(fp, rows, unchanged=False)


# ------------------------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """What one fundamentals table holds: tickers, rows, the span of periods and of known_at dates."""

    kind: str
    source: str
    tickers: int
    members: int
    """Tickers that are stored Russell 2000 members with prices."""
    rows: int
    first: date | None
    last: date | None
    first_known: date | None
    last_known: date | None


def coverage(store: Store) -> list[Coverage]:
    """Coverage of each fundamentals table by source (empty when the tables do not exist)."""
    if not has_tables(store):
        return []
    members = store.member_symbols("R2000")
    store.conn.register("fund_members", pd.DataFrame({"symbol": members}))
    try:
        out = []
        for kind, table in TABLES.items():
            rows = store.conn.execute(
                f"""SELECT source, count(DISTINCT symbol),
                       count(DISTINCT symbol) FILTER (WHERE symbol IN (SELECT symbol FROM fund_members)),
                       count(*), min({DATE_OF[kind]}), max({DATE_OF[kind]}), min(known_at), max(known_at)
                    FROM {table} GROUP BY source ORDER BY source"""
            ).fetchall()
            out += [Coverage(kind, *r) for r in rows]
    finally:
        store.conn.unregister("fund_members")
    return out


# --------------------------------------------------------------------------------------------- loader
@dataclass(frozen=True)
class Fundamentals:
    """Company fundamentals known by ``as_of`` (nothing later), ready for agents and the screen.

    * ``annual``: the latest fiscal period per symbol known by the as-of and not older than
      MAX_ANNUAL_AGE_DAYS (columns of ``fund_annual``); of two sources for the same period (ends in the
      same month, give or take a week), the SEC filing.
    * ``surprises``: reports in the MAX_SURPRISE_AGE_DAYS before the as-of, with ``surprise`` =
      (actual - estimate) / max(|estimate|, 0.01) and ``beat`` (actual > estimate).
    * ``estimates``: per symbol and upcoming fiscal period, the first and latest estimate known by the
      as-of among snapshots of the last 28 days (``first_estimate, estimate, first_known, known_at``).
    """

    as_of: date
    annual: pd.DataFrame
    surprises: pd.DataFrame
    estimates: pd.DataFrame
    sec: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(SEC_COLUMNS)))
    """Latest annual SEC EDGAR facts filed by the as-of (``store.live.load_sec_facts``; long format
    ``symbol, metric, value, period_end, filed``), empty when none were fetched."""
    stale: tuple[str, ...] = ()
    """Symbols with a fiscal period known by the as-of, but none ending within MAX_ANNUAL_AGE_DAYS."""

    @property
    def empty(self) -> bool:
        return self.annual.empty and self.surprises.empty and self.estimates.empty and self.sec.empty


REVISION_DAYS = 28
"""Estimate revisions are measured over the snapshots of the last four weeks."""


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame(columns=[*COLUMNS[kind], "source"])


def load_fundamentals(store: Store, as_of: date) -> Fundamentals:
    """Everything the fundamentals tables (and the SEC facts table) knew at ``as_of``, point in time."""
    sec = load_sec_facts(store, as_of)
    if not has_tables(store):
        return Fundamentals(as_of, _empty("annual"), _empty("surprises"), _empty("estimates"), sec)
    conn = store.conn
    annual = conn.execute(
        """SELECT * EXCLUDE (r) FROM (
               SELECT *, row_number() OVER (
                   PARTITION BY symbol
                   -- one fiscal period may end a few days apart by source (SimFin: the month end, SEC:
                   -- Apple's 52/53-week 28 Sep): the same month is the same period, SEC's filing first
                   ORDER BY date_trunc('month', period_end + INTERVAL 7 DAY) DESC, (source = 'sec') DESC,
                            period_end DESC, known_at DESC, source) AS r
               FROM fund_annual WHERE known_at <= ? AND period_end >= ?)
           WHERE r = 1 ORDER BY symbol""",
        [as_of, as_of - timedelta(days=MAX_ANNUAL_AGE_DAYS)],
    ).df()
    stale = conn.execute(
        "SELECT DISTINCT symbol FROM fund_annual WHERE known_at <= ? GROUP BY symbol "
        "HAVING max(period_end) < ? ORDER BY symbol",
        [as_of, as_of - timedelta(days=MAX_ANNUAL_AGE_DAYS)],
    ).fetchall()
    surprises = conn.execute(
        """SELECT *, (eps_actual - eps_estimate) / greatest(abs(eps_estimate), 0.01) AS surprise,
                  eps_actual > eps_estimate AS beat
           FROM fund_surprises WHERE known_at <= ? AND known_at > ? ORDER BY symbol, report_date""",
        [as_of, as_of - timedelta(days=MAX_SURPRISE_AGE_DAYS)],
    ).df()
    estimates = conn.execute(
        """SELECT symbol, fiscal_end, arg_max(report_date, known_at) AS report_date,
                  arg_min(estimate, known_at) AS first_estimate, arg_max(estimate, known_at) AS estimate,
                  min(known_at) AS first_known, max(known_at) AS known_at, count(*) AS snapshots,
                  any_value(source) AS source
           FROM fund_estimates WHERE known_at <= ? AND known_at > ? AND report_date >= ?
           GROUP BY symbol, fiscal_end ORDER BY symbol, fiscal_end""",
        [as_of, as_of - timedelta(days=REVISION_DAYS), as_of],
    ).df()
    for frame, cols in (
        (annual, ("period_end", "known_at")),
        (surprises, ("report_date", "known_at")),
        (estimates, ("fiscal_end", "report_date", "first_known", "known_at")),
    ):
        for col in cols:
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return Fundamentals(as_of, annual, surprises, estimates, sec, tuple(r[0] for r in stale))


def members_covered(store: Store, days: list[date], members: list[str]) -> list[int]:
    """For each day, how many of ``members`` have a fundamental known then that load_fundamentals would
    use (a fiscal period within the age limit, a surprise of the last year, a recent estimate)."""
    if not has_tables(store) or not days:
        return [0] * len(days)
    conn = store.conn
    conn.register("cov_days", pd.DataFrame({"day": pd.to_datetime(pd.Series(days))}))
    conn.register("cov_members", pd.DataFrame({"symbol": members}))
    try:
        rows = conn.execute(
            f"""WITH d AS (SELECT CAST(day AS DATE) AS day FROM cov_days),
                 hit AS (
                   SELECT d.day, a.symbol FROM d JOIN fund_annual a
                     ON a.known_at <= d.day AND a.period_end >= d.day - INTERVAL {MAX_ANNUAL_AGE_DAYS} DAY
                   UNION SELECT d.day, s.symbol FROM d JOIN fund_surprises s
                     ON s.known_at <= d.day AND s.known_at > d.day - INTERVAL {MAX_SURPRISE_AGE_DAYS} DAY
                   UNION SELECT d.day, e.symbol FROM d JOIN fund_estimates e
                     ON e.known_at <= d.day AND e.known_at > d.day - INTERVAL {REVISION_DAYS} DAY
                        AND e.report_date >= d.day)
               SELECT d.day, count(DISTINCT h.symbol) FILTER (WHERE h.symbol IN (SELECT symbol FROM
                      cov_members)) FROM d LEFT JOIN hit h ON h.day = d.day GROUP BY d.day ORDER BY d.day"""
        ).fetchall()
    finally:
        conn.unregister("cov_days")
        conn.unregister("cov_members")
    return [int(r[1]) for r in rows]


# ------------------------------------------------------------------------------------- SEC EDGAR facts
SEC_SOURCE = "sec"


def annual_from_sec(facts: pd.DataFrame) -> pd.DataFrame:
    """SEC EDGAR 10-K facts (the provider's long frame) as rows of the standard annual frame.

    One row per symbol and full fiscal year (10-K, fiscal period FY, a period of more than 300 days) that
    has both revenue and operating income: ``ebit_sales`` = operating income / revenue, ``known_at`` = the
    filing date of the first 10-K that reported both (a later restatement does not move it). The other
    ratios need total assets, which the SEC provider does not map, and stay empty.
    """
    cols = list(ANNUAL_COLUMNS)
    if facts.empty:
        return pd.DataFrame(columns=cols)
    f = facts[
        facts["metric"].isin(["revenue", "operating_income"])
        & facts["form"].astype(str).str.startswith("10-K")
        & (facts["fiscal_period"] == "FY")
    ].copy()
    f["period_end"] = pd.to_datetime(f["period_end"])
    f["filed"] = pd.to_datetime(f["filed"])
    start = pd.to_datetime(f["period_start"])
    f = f[start.isna() | ((f["period_end"] - start).dt.days > 300)]
    first = f.sort_values("filed").groupby(["symbol", "period_end", "metric"], as_index=False).first()
    wide = first.pivot(index=["symbol", "period_end"], columns="metric", values="value")
    filed = first.pivot(index=["symbol", "period_end"], columns="metric", values="filed")
    if not {"revenue", "operating_income"} <= set(wide.columns):
        return pd.DataFrame(columns=cols)
    ok = wide["revenue"].gt(0) & wide["operating_income"].notna()
    wide, filed = wide[ok], filed[ok]
    ends = pd.DatetimeIndex(wide.index.get_level_values("period_end"))
    out = pd.DataFrame(
        {
            "symbol": wide.index.get_level_values("symbol").astype(str),
            "name": "",
            "sector": "",
            "fiscal_year": ends.year.astype("int32"),
            "period_end": ends.date,
            "known_at": filed[["revenue", "operating_income"]].max(axis=1).dt.date.to_numpy(),
        }
    )
    for col in ANNUAL_RATIOS:
        out[col] = np.nan
    out["sales"] = (wide["revenue"] / 1e6).to_numpy()  # millions, like the embedded file
    out["ebit_sales"] = (wide["operating_income"] / wide["revenue"]).to_numpy()
    return out[cols].reset_index(drop=True)


def upsert_sec_annual(conn: duckdb.DuckDBPyConnection, facts: pd.DataFrame) -> int:
    """Add the SEC-derived fiscal years not stored yet (first report wins; the caller's transaction)."""
    rows = annual_from_sec(facts)
    if rows.empty:
        return 0
    conn.execute(DDL)
    conn.register("sec_annual", rows)
    try:
        added = conn.execute(
            "SELECT count(*) FROM sec_annual r WHERE NOT EXISTS (SELECT 1 FROM fund_annual a "
            "WHERE a.source = ? AND a.symbol = r.symbol AND a.period_end = r.period_end)",
            [SEC_SOURCE],
        ).fetchall()[0][0]
        cols = ", ".join(ANNUAL_COLUMNS)
        conn.execute(
            f"INSERT INTO fund_annual ({cols}, source) SELECT {cols}, ? FROM sec_annual r WHERE NOT EXISTS "
            "(SELECT 1 FROM fund_annual a WHERE a.source = ? AND a.symbol = r.symbol "
            "AND a.period_end = r.period_end)",
            [SEC_SOURCE, SEC_SOURCE],
        )
    finally:
        conn.unregister("sec_annual")
    return int(added)
