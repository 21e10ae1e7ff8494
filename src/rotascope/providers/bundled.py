"""The embedded real offline dataset (the default source): read, verify, clean, hand to the store."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.parquet as pq

from rotascope.config import Settings
from rotascope.errors import DatasetError
from rotascope.providers.base import DataBatch, QualityFlag, WideCloses
from rotascope.providers.quality import cell_flags, clean_bars, glitches
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


def _verified(folder: Path, name: str, expected: dict[str, dict[str, str]]) -> Path:
    """Path of an embedded file whose SHA-256 matches the manifest (hashed as a stream, not read whole)."""
    path = folder / name
    try:
        with path.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        raise DatasetError(f"Embedded file {name} is missing from {folder}; reinstall rotascope.") from None
    if digest != expected.get(name, {}).get("sha256"):
        raise DatasetError(
            f"Embedded file {name} does not match its checksum (corrupt); reinstall rotascope."
        )
    return path


def _read(folder: Path, name: str, expected: dict[str, dict[str, str]]) -> pd.DataFrame:
    return pd.read_parquet(_verified(folder, name, expected))


MEMBER_CHUNK = 256
"""Member columns read and cleaned at a time: bounds the memory `init` needs."""


def read_members(
    path: Path, source: str, rules: tuple[float, float, float], width: int = MEMBER_CHUNK
) -> tuple[WideCloses, list[QualityFlag]]:
    """Check the wide member close file ``width`` columns at a time: what cleaning drops, and the flags.

    Flags come in the order a whole-panel clean gives them: non-positive prices, then spikes, each by date
    and then by column. The closes themselves are left in the file, for the store to unpivot.
    """
    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.pandas_metadata or {}
    index = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    if len(index) != 1:
        raise DatasetError(f"{path.name} has no date index; reinstall rotascope.")
    symbols = tuple(c for c in pf.schema_arrow.names if c != index[0])
    dates = np.asarray(pf.read(columns=index).column(0).to_numpy())
    n, kept = len(symbols), 0
    cells: dict[str, list[npt.NDArray[np.intp]]] = {"nonpos": [], "spikes": []}
    originals: dict[str, list[npt.NDArray[np.floating[Any]]]] = {"nonpos": [], "spikes": []}
    for j in range(0, n, width):
        names = list(symbols[j : j + width])
        table = pf.read(columns=names)
        block = np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in names])
        del table
        nonpos, spikes = glitches(block, *rules)
        kept += int((np.isfinite(block) & ~nonpos & ~spikes).sum())
        for key, mask in (("nonpos", nonpos), ("spikes", spikes)):
            rows, cols = np.nonzero(mask)
            cells[key].append(rows * n + cols + j)
            originals[key].append(block[rows, cols])
    flags: list[QualityFlag] = []
    dropped: list[npt.NDArray[np.intp]] = []
    for key, reason in (("nonpos", "non-positive price"), ("spikes", "one-day spike that reverses next day")):
        flat = np.concatenate([np.zeros(0, dtype=np.intp), *cells[key]])
        order = np.argsort(flat, kind="stable")
        orig = np.concatenate([np.zeros(0, dtype=np.float64), *originals[key]])[order]
        flags += cell_flags(np.divmod(flat[order], n), dates, symbols, orig, reason, source)
        dropped.append(flat)
    row, col = np.divmod(np.concatenate(dropped), n)
    gone = pd.DataFrame({"symbol": np.asarray(symbols, dtype=object)[col], "date": dates[row]})
    return WideCloses(path, index[0], symbols, kept, gone), flags


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
    series = _read(folder, "series.parquet", files)
    instruments = _read(folder, "instruments.parquet", files)
    series_meta = _read(folder, "series_meta.parquet", files)
    rules = (settings.spike_up, settings.spike_down, settings.spike_reversal)
    etf, flags = clean_bars(etf, SOURCE, *rules)
    members, member_flags = read_members(_verified(folder, "members_close.parquet", files), SOURCE, rules)
    bars: list[pd.DataFrame | WideCloses] = [etf, members]
    membership = None
    if "membership.parquet" in files:
        raw = _read(folder, "membership.parquet", files)
        membership, list_flags = check_membership(raw, set(members.symbols), SOURCE)
        flags += list_flags
    instruments = instruments.assign(universes=instruments.universes.map(list))
    fingerprint = dataset_fingerprint(settings, folder)
    return DataBatch(
        SOURCE, bars, series, instruments, series_meta, fingerprint, flags + member_flags, membership
    )
