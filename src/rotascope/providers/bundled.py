"""The embedded real offline dataset (the default source): read, verify, clean, hand to the store."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope.config import Settings
from rotascope.errors import DatasetError
from rotascope.providers.base import DataBatch
from rotascope.providers.quality import clean_bars, clean_panel
from rotascope.universe.membership import check_membership

SOURCE = "bundled"
SOURCE_LABEL = "rotascope embedded dataset (Yahoo-sourced prices, FRED, Kenneth French library)"


def dataset_dir() -> Path:
    """Folder of the embedded Parquet files inside the installed package."""
    return Path(str(resources.files("rotascope") / "data" / "bundled"))


def manifest(folder: Path | None = None) -> dict[str, object]:
    """The dataset manifest (file hashes, ranges)."""
    path = (folder or dataset_dir()) / "manifest.json"
    try:
        loaded: dict[str, object] = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"The embedded dataset is missing ({path}); reinstall rotascope.") from None
    except json.JSONDecodeError:
        raise DatasetError(f"The embedded dataset manifest {path} is corrupt; reinstall rotascope.") from None
    return loaded


def _read(folder: Path, name: str, expected: dict[str, dict[str, str]]) -> pd.DataFrame:
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"Embedded file {name} is missing from {folder}; reinstall rotascope.") from None
    if hashlib.sha256(data).hexdigest() != expected.get(name, {}).get("sha256"):
        raise DatasetError(
            f"Embedded file {name} does not match its checksum (corrupt); reinstall rotascope."
        )
    return pd.read_parquet(path)


def members_to_bars(panel: pd.DataFrame) -> pd.DataFrame:
    """Turn the wide member close panel into long close-only bars (NaN cells dropped)."""
    values = panel.to_numpy(dtype=np.float64)
    rows, cols = np.nonzero(np.isfinite(values))
    return pd.DataFrame(
        {
            "symbol": pd.Categorical.from_codes(cols, categories=pd.Index([str(c) for c in panel.columns])),
            "date": panel.index.to_numpy()[rows],
            "open": np.nan,
            "high": np.nan,
            "low": np.nan,
            "close": values[rows, cols],
            "volume": pd.arrays.IntegerArray(
                np.zeros(len(rows), dtype=np.int64), np.ones(len(rows), dtype=bool)
            ),
        }
    )


def dataset_fingerprint(settings: Settings, folder: Path | None = None) -> str:
    """Fingerprint of the embedded files and the cleaning rules (cheap: reads only the manifest)."""
    files = manifest(folder or dataset_dir()).get("files")
    if not isinstance(files, dict):
        raise DatasetError("The embedded dataset manifest lists no files; reinstall rotascope.")
    rules = (settings.spike_up, settings.spike_down, settings.spike_reversal)
    return hashlib.sha256(
        json.dumps({k: v["sha256"] for k, v in sorted(files.items())}).encode() + repr(rules).encode()
    ).hexdigest()[:16]


def load(settings: Settings, folder: Path | None = None) -> DataBatch:
    """Read the embedded dataset, check its integrity and clean it (flags report every change)."""
    folder = folder or dataset_dir()
    meta = manifest(folder)
    files = meta.get("files")
    if not isinstance(files, dict):
        raise DatasetError("The embedded dataset manifest lists no files; reinstall rotascope.")
    etf = _read(folder, "etf_bars.parquet", files)
    members = _read(folder, "members_close.parquet", files)
    series = _read(folder, "series.parquet", files)
    instruments = _read(folder, "instruments.parquet", files)
    series_meta = _read(folder, "series_meta.parquet", files)
    rules = (settings.spike_up, settings.spike_down, settings.spike_reversal)
    etf, flags = clean_bars(etf, SOURCE, *rules)
    members, member_flags = clean_panel(members, SOURCE, *rules)
    bars = [etf, members_to_bars(members)]
    membership = None
    if "membership.parquet" in files:
        raw = _read(folder, "membership.parquet", files)
        membership, list_flags = check_membership(raw, {str(c) for c in members.columns}, SOURCE)
        flags += list_flags
    instruments = instruments.assign(universes=instruments.universes.map(list))
    fingerprint = dataset_fingerprint(settings, folder)
    return DataBatch(
        SOURCE, bars, series, instruments, series_meta, fingerprint, flags + member_flags, membership
    )
