#!/usr/bin/env python
"""Build rotascope's embedded company-fundamentals files from ../shared/data/fundamentals.

Separate from build_dataset.py (its own folder and manifest, src/rotascope/data/fundamentals/) so the price
dataset and the fundamentals can be rebuilt independently. Deterministic: same inputs, byte-identical files.
Rows the readers drop are counted in the manifest (reason -> count).

Usage: python scripts/build_fundamentals.py [--shared ../shared/data] [--out src/rotascope/data/fundamentals]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rotascope.config import SETTINGS
from rotascope.fundamentals.earnyield import build as build_earnings_yield
from rotascope.fundamentals.ff6 import read_ff6
from rotascope.fundamentals.files import read_annual, read_estimates, read_surprises
from rotascope.fundamentals.simfin import read_simfin
from rotascope.regime.thresholds import load_thresholds

SPIKE_RULES = tuple(
    float(next(s.default for s in SETTINGS if s.name == k))
    for k in ("spike_up", "spike_down", "spike_reversal")
)
"""The default glitch rules `init` cleans the member closes with (the earnings yield's closes match)."""


def _write(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd", compression_level=12
    )


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=root.parent / "shared/data")
    parser.add_argument("--out", type=Path, default=root / "src/rotascope/data/fundamentals")
    args = parser.parse_args()
    src, out = args.shared / "fundamentals", args.out
    out.mkdir(parents=True, exist_ok=True)
    inputs = {
        "annual": (read_annual, "russell3000_annual_fy2013_2016.parquet"),
        "surprises": (read_surprises, "earnings_surprises_2018_2021.csv"),
        "estimates": (read_estimates, "eps_estimate_snapshots_2025.parquet"),
    }
    dropped: dict[str, dict[str, int]] = {}
    for kind, (reader, name) in inputs.items():
        frame, flags = reader(src / name)
        dropped[kind] = dict(sorted(Counter(f.reason for f in flags).items()))
        _write(frame, out / f"{kind}.parquet")
    # SimFin (non-commercial licence): statements of the stocks the embedded dataset holds, point in time
    bundled = root / "src/rotascope/data/bundled/instruments.parquet"
    inst = pd.read_parquet(bundled, columns=["symbol", "kind"])
    simfin, stats = read_simfin(src / "simfin", set(inst.loc[inst["kind"] == "stock", "symbol"]))
    _write(simfin, out / "simfin.parquet")
    # the size x book-to-market portfolios (valuation lens): monthly series, known a month after month end
    _write(read_ff6(args.shared / "factors/6_Portfolios_2x3.csv"), out / "ff6.parquet")
    # the SimFin earnings yield of the Russell 2000 and S&P 500 members (valuation lens): weekly series
    rules = load_thresholds().earnings_yield
    _write(
        build_earnings_yield(args.shared, root / "src/rotascope/data/bundled", rules, SPIKE_RULES),
        out / "earnyield.parquet",
    )
    files = sorted(out.glob("*.parquet"))
    manifest = {
        "dataset": "rotascope embedded company fundamentals",
        "built_from": {k: f"shared/data/fundamentals/{n}" for k, (_, n) in inputs.items()}
        | {
            "simfin": "shared/data/fundamentals/simfin (non-commercial licence)",
            "ff6": "shared/data/factors/6_Portfolios_2x3.csv",
            "earnyield": "shared/data/fundamentals/simfin quarterly export x the embedded closes and lists "
            f"(rules: {rules.model_dump()})",
        },
        "simfin_known_at": {
            "rule": "Publish Date; the later of Publish and Restated Date where the annual exports differ",
            **vars(stats),
        },
        "dropped_rows": dropped,
        "files": {
            p.name: {"bytes": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
            for p in files
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.2f} MB to {out}")


if __name__ == "__main__":
    main()
