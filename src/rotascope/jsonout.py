"""JSON-ready rows: dates as ISO ``YYYY-MM-DD``; timestamps (ISO with a ``T``) only where there is a time."""

from __future__ import annotations

from typing import Any

import pandas as pd


def iso_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict('records')`` with datetime columns as ISO strings (dates without a time of day)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            values = pd.to_datetime(out[col])
            has_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
            fmt = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
            text = values.dt.strftime(fmt).astype(object)
            text[values.isna()] = None
            out[col] = text
    return [{str(k): v for k, v in row.items()} for row in out.to_dict(orient="records")]
