#!/usr/bin/env python
"""Bundle the Fama-French market and size factors of 1926-07-01 to 1999-12-31 (before IWM) as Parquet.

The calibrator's size prior (``rotascope.calibration.prior``) counts, over these weeks, how often small caps
ended above or below the outcome band against the market, the same way IWM/SPY weeks are labelled. Values
are kept exactly as published: integer hundredths of a percent (the CSV has two decimals), columns
``date, mkt, smb`` where ``mkt`` = Mkt-RF + RF (the market's total return). Sorted, zstd, deterministic.

Usage: python scripts/build_size_history.py [--csv PATH]
       [--out src/rotascope/calibration/size_history.parquet]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "factors" / "F-F_Research_Data_Factors_daily.csv"
DEFAULT_OUT = ROOT / "src" / "rotascope" / "calibration" / "size_history.parquet"
LAST = "1999-12-31"


def hundredths(text: str) -> int:
    """'-0.25' -> -25, exactly (no float rounding)."""
    whole, _, frac = text.strip().partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 100 + int((frac + "00")[:2]))


def build(csv: Path, out: Path) -> int:
    """Write the Parquet file; return its number of rows."""
    lines = csv.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date,"))
    header = [c.strip() for c in lines[start].split(",")]
    dates, mkt, smb = [], [], []
    for line in lines[start + 1 :]:
        if not line[:1].isdigit():
            continue
        row = dict(zip(header, line.split(","), strict=True))
        day = row["Date"].strip()
        if day > LAST:
            break
        dates.append(day)
        mkt.append(hundredths(row["Mkt-RF"]) + hundredths(row["RF"]))
        smb.append(hundredths(row["SMB"]))
    table = pa.table(
        {
            "date": pa.array(dates, pa.string()).cast(pa.date32()),
            "mkt": pa.array(mkt, pa.int32()),
            "smb": pa.array(smb, pa.int32()),
        }
    )
    pq.write_table(table, out, compression="zstd")
    return table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    print(f"{build(args.csv, args.out)} days written to {args.out}")


if __name__ == "__main__":
    main()
