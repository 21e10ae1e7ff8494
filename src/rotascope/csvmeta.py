"""Research CSV files stay plain RFC 4180 (a header row, then data: what ``pandas.read_csv`` and DuckDB's
``read_csv`` read with their defaults); what a file or its columns mean goes in a sidecar beside it,
``<name>.csv-metadata.json`` (the W3C "CSV on the Web" convention), never in comment lines inside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

CSVW_CONTEXT = "http://www.w3.org/ns/csvw"


def sidecar_name(csv_name: str) -> str:
    """The metadata file of ``csv_name`` (``calls.csv`` → ``calls.csv-metadata.json``)."""
    return f"{csv_name}-metadata.json"


def sidecar(csv_name: str, description: str, columns: Mapping[str, str] | None = None) -> str:
    """CSVW metadata (JSON text) for ``csv_name``: what the file is, and notes on the named columns
    (keys may end in ``*`` for a family of columns, e.g. ``fwd_*``)."""
    doc: dict[str, object] = {
        "@context": CSVW_CONTEXT,
        "url": csv_name,
        "dc:description": description,
        "dialect": {"header": True, "delimiter": ",", "encoding": "utf-8"},
    }
    if columns:
        doc["notes"] = [{"columns": name, "dc:description": text} for name, text in columns.items()]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
