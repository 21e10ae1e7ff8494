"""A cheap integrity check of the store, run by `rotascope init` and `rotascope data status`.

Damage used to surface only at query time (`monitor` failing while `init` said "already up to date").
The check reads the file once, read-only: it opens, records this schema version, holds the expected tables,
every stored page reads back (DuckDB verifies each block's checksum when it reads it; about 0.2 s for the
whole embedded dataset), and the rows of each load agree with what that load recorded. A damaged store is
one sentence naming what is wrong and that `rotascope init --force` rebuilds it; :func:`move_aside` keeps
an unreadable file for the user instead of deleting it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from rotascope.config import Settings
from rotascope.errors import KEPT, REBUILD, StoreCorrupt, StoreError, StoreIncomplete
from rotascope.fundamentals.store import EARNYIELD_SOURCE, SIMFIN_SOURCE
from rotascope.fundamentals.store import SOURCE as FUND_SOURCE
from rotascope.fundamentals.store import TABLES as FUND_TABLES
from rotascope.interrupts import reraise_interrupt
from rotascope.providers.bundled import SOURCE as BUNDLED
from rotascope.sentiment.sample import SAMPLE_SOURCE
from rotascope.store.db import connect, read_every_page
from rotascope.store.live import HEADLINES_LOAD, LIVE_DDL, LIVE_SOURCE
from rotascope.store.schema import DDL, SCHEMA_VERSION

__all__ = ["CORE_TABLES", "mark_unfinished", "move_aside", "unfinished_parts", "verify_store"]

_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
CORE_TABLES = tuple(_CREATE.findall(DDL))
"""Tables every store has (created with the file)."""
LIVE_TABLES = tuple(_CREATE.findall(LIVE_DDL))
"""Tables a store has once `rotascope update` wrote to it (a ``live`` load row)."""
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
UNFINISHED = "init_unfinished"
"""``meta`` key `init` sets while it loads into a store that lacks some of its parts, and deletes when
every part is in (a store without it, made whole or by an older rotascope, is checked as before)."""


@dataclass(frozen=True)
class _Damage:
    what: str
    in_place: bool
    """True: `init --force` can rebuild inside the file; False: the file must be replaced."""
    unfinished: bool = False
    """True: nothing is damaged, but a first `init` stopped before it loaded ``what``."""


@dataclass(frozen=True)
class _Load:
    """The latest ``loads`` row of one source: what it recorded storing."""

    fingerprint: str | None
    bars: int
    series: int
    flags: int


def verify_store(settings: Settings) -> None:
    """Raise :class:`StoreCorrupt` (one sentence) when the store is damaged; nothing when it is sound,
    missing (commands say "run `rotascope init`"), or a fresh file with no rotascope tables yet."""
    path = settings.db
    if not path.is_file():
        return
    conn = connect(path, read_only=True, wait=settings.store_lock_wait)  # an unopenable file raises here
    try:
        damage = _inspect(conn, path)
    except duckdb.Error as exc:
        reraise_interrupt(exc)  # Ctrl-C during the check is not damage (`init --force` would move the file)
        damage = _Damage(f"a stored page does not read back ({str(exc).splitlines()[0][:160]})", False)
    finally:
        conn.close()
    if damage is not None and damage.unfinished:
        raise StoreIncomplete(
            f"The store {path} is incomplete: `rotascope init` was cut short before it loaded {damage.what}; "
            "`rotascope init` finishes it."
        )
    if damage is not None:
        kept = "" if damage.in_place else KEPT
        raise StoreCorrupt(
            f"The store {path} is corrupt: {damage.what}; {REBUILD}{kept}.", in_place=damage.in_place
        )


def _inspect(conn: duckdb.DuckDBPyConnection, path: Path) -> _Damage | None:
    tables = {str(r[0]) for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not tables & set(CORE_TABLES):
        return None  # a new, empty file: `init` fills it
    version = (
        conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if "meta" in tables
        else []
    )
    if not version:
        return _Damage("it records no schema version", True)
    if version[0][0] != str(SCHEMA_VERSION):
        return _Damage(
            f"it has schema version {str(version[0][0])[:20]!r} where this rotascope reads version "
            f"{SCHEMA_VERSION}",
            False,
        )
    loads = _latest_loads(conn) if "loads" in tables else {}
    wanted = [
        *CORE_TABLES,
        *(FUND_TABLES.values() if FUND_SOURCE in loads else ()),
        *(LIVE_TABLES if LIVE_SOURCE in loads or HEADLINES_LOAD in loads else ()),
    ]
    missing = [t for t in wanted if t not in tables]
    if missing:
        names = ", ".join(missing)
        return _Damage(
            f"table {names} is missing" if len(missing) == 1 else f"tables {names} are missing", True
        )
    read_every_page(conn, path)
    damage = _check_loads(conn, loads)
    if (
        damage is None
        and conn.execute("SELECT count(*) FROM meta WHERE key = ?", [UNFINISHED]).fetchall()[0][0]
    ):
        parts = unfinished_parts(conn)
        return _Damage(_listed(parts), True, unfinished=True) if parts else None
    return damage


def unfinished_parts(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """What `rotascope init` loads that the store lacks: the embedded prices and series, the company
    fundamentals, the live tables and the sample headlines (empty: the store is whole)."""
    tables = {str(r[0]) for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    loads = _latest_loads(conn) if "loads" in tables else {}
    parts = []
    if BUNDLED not in loads:
        parts.append("the embedded prices and series (tables bars, series)")
    if FUND_SOURCE not in loads:
        parts.append(f"the company fundamentals (tables {', '.join(FUND_TABLES.values())})")
    if (
        "news" not in tables
        or not conn.execute("SELECT count(*) FROM news WHERE source = ?", [SAMPLE_SOURCE]).fetchall()[0][0]
    ):
        parts.append("the sample headlines (table news)")
    other = [t for t in LIVE_TABLES if t not in tables and t != "news"]
    if other:
        parts.append(f"the live {_listed(other, 'table')}")
    return parts


def mark_unfinished(conn: duckdb.DuckDBPyConnection, unfinished: bool) -> None:
    """Note that `init` is loading the parts a store lacks (``True``), or that every part is in."""
    if unfinished:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, 'true')", [UNFINISHED])
    else:
        conn.execute("DELETE FROM meta WHERE key = ?", [UNFINISHED])


def _listed(items: list[str], noun: str = "") -> str:
    """``a``, ``a and b``, ``a, b and c`` (with ``noun`` or its plural in front when given)."""
    text = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
    return f"{noun}{'s' if len(items) > 1 else ''} {text}" if noun else text


def _latest_loads(conn: duckdb.DuckDBPyConnection) -> dict[str, _Load]:
    rows = conn.execute(
        "SELECT source, arg_max(fingerprint, loaded_at), arg_max(bars, loaded_at), "
        "arg_max(series, loaded_at), arg_max(flags, loaded_at) FROM loads GROUP BY source"
    ).fetchall()
    return {str(r[0]): _Load(r[1], int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in rows}


def _check_loads(conn: duckdb.DuckDBPyConnection, loads: dict[str, _Load]) -> _Damage | None:
    """Rows of each load against what it recorded. Live writes replace embedded bars and series on the
    same dates (one live row each), so embedded <= recorded <= embedded + live; flags are never replaced."""
    counts = conn.execute(
        """SELECT
             (SELECT count(*) FROM bars WHERE source = $b), (SELECT count(*) FROM bars WHERE source = $l),
             (SELECT count(*) FROM series WHERE source = $b), (SELECT count(*) FROM series WHERE source = $l),
             (SELECT count(*) FROM quality_flags WHERE source = $b)""",
        {"b": BUNDLED, "l": LIVE_SOURCE},
    ).fetchall()[0]
    bars, live_bars, series, live_series, flags = (int(n) for n in counts)
    fund = sum(
        int(
            conn.execute(
                f"SELECT count(*) FROM {t} WHERE source IN (?, ?, ?)",
                [FUND_SOURCE, SIMFIN_SOURCE, EARNYIELD_SOURCE],
            ).fetchall()[0][0]
        )
        for t in (*FUND_TABLES.values(), "series")
        if FUND_SOURCE in loads
    )
    for source, load in loads.items():
        if load.fingerprint is None or not FINGERPRINT.fullmatch(load.fingerprint):
            return _Damage(
                f"the {source} load has no valid fingerprint ({str(load.fingerprint)[:20]!r})", True
            )
    cut_short = "holds {what} without a finished load record (a load was cut short)"
    if BUNDLED not in loads and bars + series:
        return _Damage(cut_short.format(what="embedded prices and series"), True)
    if BUNDLED in loads:
        got = loads[BUNDLED]
        for table, have, live, recorded in (
            ("bars", bars, live_bars, got.bars),
            ("series", series, live_series, got.series),
            ("quality_flags", flags, 0, got.flags),
        ):
            if not have <= recorded <= have + live:
                return _Damage(
                    f"table {table} holds {have:,} rows of the embedded dataset where its load stored "
                    f"{recorded:,}",
                    True,
                )
    if FUND_SOURCE in loads and fund != loads[FUND_SOURCE].series:
        return _Damage(
            f"the fundamentals tables hold {fund:,} embedded rows where their load stored "
            f"{loads[FUND_SOURCE].series:,}",
            True,
        )
    return None


def move_aside(path: Path) -> Path:
    """Rename a damaged store (and its write-ahead log) to ``<name>.corrupt-<UTC stamp>``; the new name."""
    target = path.with_name(f"{path.name}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    try:
        for suffix in (".wal", ""):
            src = path.with_name(path.name + suffix)
            if src.exists():
                src.rename(target.with_name(target.name + suffix))
    except OSError as exc:
        raise StoreError(
            f"Cannot move the damaged store {path} aside ({exc.strerror}); move it yourself, then run "
            "`rotascope init`."
        ) from None
    return target
