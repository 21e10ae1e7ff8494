"""Stored analyses: every `analyze`/`debate` run, keyed by a content id, listable and diffable."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from rotascope.config import shown
from rotascope.errors import UnknownSymbolError
from rotascope.interrupts import reraise_interrupt
from rotascope.records import Analysis
from rotascope.store.db import Store, _friendly

ID_RE = re.compile(r"^[0-9a-f]{1,64}$")
"""An analysis id or a prefix of one: hexadecimal, at least one digit."""


@dataclass(frozen=True)
class StoredAnalysis:
    """A row of the analyses table (the payload parsed on demand)."""

    id: str
    kind: str
    subject: str
    as_of: date
    created_at: datetime
    config_hash: str
    data_fingerprint: str


def save_analysis(store: Store, analysis: Analysis) -> StoredAnalysis:
    """Insert or replace (same id = same question, data and config) in one statement."""
    created = datetime.now(UTC).replace(tzinfo=None)
    try:
        store.conn.execute(
            "INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                analysis.id,
                analysis.kind,
                analysis.subject,
                analysis.as_of,
                created,
                analysis.config_hash,
                analysis.data_fingerprint,
                analysis.to_json(),
            ],
        )
    except duckdb.Error as exc:
        raise _friendly(exc, store.path) from None
    return StoredAnalysis(
        analysis.id,
        analysis.kind,
        analysis.subject,
        analysis.as_of,
        created,
        analysis.config_hash,
        analysis.data_fingerprint,
    )


def list_analyses(store: Store, kind: str | None = None, limit: int = 50) -> list[StoredAnalysis]:
    rows = store.conn.execute(
        "SELECT id, kind, subject, as_of, created_at, config_hash, data_fingerprint FROM analyses "
        "WHERE kind = coalesce(?, kind) ORDER BY created_at DESC, id LIMIT ?",
        [kind, limit],
    ).fetchall()
    return [StoredAnalysis(*r) for r in rows]


def find_analysis(store: Store, ident: str) -> Analysis | None:
    """The analysis stored under exactly ``ident``; None when absent or no longer readable (an older
    layout), so the caller computes it afresh."""
    try:
        rows = store.conn.execute("SELECT payload FROM analyses WHERE id = ?", [ident]).fetchall()
        return Analysis.model_validate(json.loads(rows[0][0])) if rows else None
    except (duckdb.Error, ValueError) as exc:
        reraise_interrupt(exc)
        return None


def load_analysis(store: Store, ident: str) -> Analysis:
    """An analysis by id or unique id prefix (hexadecimal; matched literally, never as a pattern)."""
    key = ident.strip().lower()
    if not ID_RE.match(key):
        raise UnknownSymbolError(
            f"No stored analysis with id {shown(ident, 40)}: ids are hexadecimal (`rotascope history` lists "
            "them)."
        )
    rows = store.conn.execute(
        "SELECT payload FROM analyses WHERE starts_with(id, ?) ORDER BY id", [key]
    ).fetchall()
    if not rows:
        raise UnknownSymbolError(f"No stored analysis with id {key!r}: `rotascope history` lists them.")
    if len(rows) > 1:
        raise UnknownSymbolError(f"Analysis id prefix {key!r} is ambiguous ({len(rows)} matches).")
    return Analysis.model_validate(json.loads(rows[0][0]))
