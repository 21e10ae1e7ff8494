#!/usr/bin/env python
"""Bundle the Benzinga headline sample (../shared/data/news/benzinga_headlines_sample.csv) as Parquet.

One row per distinct (headline, publication time) with its tickers, publication time in UTC; sorted, zstd,
deterministic (the same CSV gives a byte-identical file). ``rotascope init`` loads it into the news table
point in time (known_at = published) so the sentiment agent has real headlines offline (2009-2020).

Usage: python scripts/build_headline_sample.py [--csv PATH]
       [--out src/rotascope/sentiment/headlines_sample.parquet]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "news" / "benzinga_headlines_sample.csv"
DEFAULT_OUT = ROOT / "src" / "rotascope" / "sentiment" / "headlines_sample.parquet"


def build(csv: Path, out: Path) -> tuple[int, int]:
    """Write the Parquet file; its number of rows and of source rows dropped (no date or no title)."""
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    raw["headline"] = raw["title"].str.replace("\ufeff", "").str.split().str.join(" ")
    stamp = pd.to_datetime(raw["date"], utc=True, errors="coerce", format="%Y-%m-%d %H:%M:%S%z")
    raw["published"] = stamp.dt.tz_localize(None)
    ok = raw["published"].notna() & (raw["headline"] != "")
    dropped = int((~ok).sum())
    raw = raw[ok]
    grouped = (
        raw.groupby(["published", "headline"], sort=True)["stock"]
        .agg(lambda s: sorted({t.strip().upper() for t in s if t.strip()}))
        .reset_index()
        .rename(columns={"stock": "tickers"})
    )
    table = pa.Table.from_pandas(grouped[["published", "headline", "tickers"]], preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, out, compression="zstd", use_dictionary=True, write_statistics=False)
    return len(grouped), dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows, dropped = build(args.csv, args.out)
    print(f"wrote {args.out} ({rows:,} headlines, {args.out.stat().st_size:,} bytes)")
    if dropped:
        print(f"dropped {dropped} source rows without a parseable date or a title (broken lines in the CSV)")


if __name__ == "__main__":
    main()
