"""Parquet files compared by what they hold: rows, column types and pandas layout, not version bytes.

A rebuild under another pandas or pyarrow release writes that release's version into the footer and the pandas
metadata; the data and the schema are what reproducibility means (issue 21), so these are compared instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_VERSION_KEYS = ("pandas_version", "creator")


def _pandas_layout(schema: pa.Schema) -> dict[str, object]:
    raw = (schema.metadata or {}).get(b"pandas")
    if raw is None:
        return {}
    layout: dict[str, object] = json.loads(raw)
    return {k: v for k, v in layout.items() if k not in _VERSION_KEYS}


def assert_same_parquet(built: Path, shipped: Path) -> None:
    """Fail, naming the file, when two Parquet files differ in rows, column types or pandas layout."""
    a, b = pq.read_table(built), pq.read_table(shipped)
    name = shipped.name
    assert a.schema.remove_metadata().equals(b.schema.remove_metadata()), f"{name}: schema differs"
    assert _pandas_layout(a.schema) == _pandas_layout(b.schema), f"{name}: pandas layout differs"
    assert a.num_rows == b.num_rows, f"{name}: {a.num_rows} rows built, {b.num_rows} shipped"
    assert a.equals(b), f"{name}: values differ"
