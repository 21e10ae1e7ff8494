"""A tree of dataclasses holding NumPy arrays, saved as one file and loaded memory-mapped.

The computed monitor panel is such a tree (hundreds of arrays of the whole history). Saving it once and
mapping it back costs milliseconds instead of recomputing it, and only the pages a run touches are read.
Layout: ``MAGIC``, an 8-byte header length, the header's 8-byte CRC-32, a JSON header (the tree with
arrays replaced by references, and the CRC-32 of the array bytes), then every array's bytes at a 64-byte
aligned offset. Both checksums are verified on load (about 0.1 s for the monitor panel): a damaged byte
anywhere makes the file a cache miss instead of wrong numbers or a crash. Loaded arrays are copy-on-write
views of the file, so a caller that writes into one never changes the file. Only dataclasses defined in
``rotascope`` modules are rebuilt; anything else in the tree is refused when saving (nothing is pickled).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import zlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rotascope.atomicfile import atomic_open

MAGIC = b"RSTREE02"
ALIGN = 64


class TreeFormatError(ValueError):
    """The file is not a tree this module wrote (or it is truncated)."""


def _pad(n: int) -> int:
    return (-n) % ALIGN


TRUSTED = ("rotascope.",)
"""Module prefixes whose dataclasses may be saved and rebuilt."""


class _Writer:
    def __init__(self, trusted: tuple[str, ...]) -> None:
        self.trusted = trusted
        self.arrays: list[np.ndarray] = []
        self.seen: dict[int, int] = {}
        """id() of an array already written -> its index: an array shared by two parts of the tree is
        written once and loaded as one object (the originals stay referenced in ``arrays``)."""

    def enc(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, bool | str | int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"f": repr(obj)}
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise TypeError("object arrays cannot be saved")
            if id(obj) not in self.seen:
                self.seen[id(obj)] = len(self.arrays)
                self.arrays.append(obj)
            return {"a": self.seen[id(obj)]}
        if isinstance(obj, np.generic):
            return self.enc(obj.item())
        if isinstance(obj, datetime):
            return {"dt": obj.isoformat()}
        if isinstance(obj, date):
            return {"d": obj.isoformat()}
        if isinstance(obj, tuple):
            return {"t": [self.enc(v) for v in obj]}
        if isinstance(obj, list):
            return [self.enc(v) for v in obj]
        if isinstance(obj, dict):
            return {"m": [[self.enc(k), self.enc(v)] for k, v in obj.items()]}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            if not cls.__module__.startswith(self.trusted):
                raise TypeError(f"{cls.__module__}.{cls.__qualname__} is not from a trusted module")
            fields = {f.name: self.enc(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
            return {"c": f"{cls.__module__}:{cls.__qualname__}", "v": fields}
        raise TypeError(f"cannot save a {type(obj).__name__}")


def save_tree(path: Path, obj: Any, trusted: tuple[str, ...] = TRUSTED) -> int:
    """Write ``obj`` to ``path`` whole or not at all (:func:`atomic_open`, no fsync: the checksums turn a
    torn file into a load error); returns the bytes written."""
    writer = _Writer(trusted)
    tree = writer.enc(obj)
    views = _column_views(writer.arrays)
    specs: list[dict[str, Any]] = []
    offset = 0
    for i, arr in enumerate(writer.arrays):
        if i in views:
            specs.append({"dtype": arr.dtype.str, "shape": list(arr.shape), "of": views[i]})
            continue
        specs.append({"dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset})
        offset += arr.nbytes + _pad(arr.nbytes)
    stored = [i for i in range(len(writer.arrays)) if i not in views]
    crc = 0
    for i in stored:
        crc = zlib.crc32(_padded(writer.arrays[i]), zlib.crc32(_flat(writer.arrays[i]), crc))
    header = json.dumps(
        {"tree": tree, "arrays": specs, "end": offset, "crc": crc}, separators=(",", ":")
    ).encode()
    start = len(MAGIC) + 16 + len(header)
    start += _pad(start)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, sync=False) as fh:
        fh.write(MAGIC + len(header).to_bytes(8, "little") + zlib.crc32(header).to_bytes(8, "little"))
        fh.write(header)
        fh.write(b"\0" * (start - fh.tell()))
        for i in stored:
            fh.write(_flat(writer.arrays[i]))
            fh.write(_padded(writer.arrays[i]))
    return start + offset


def _flat(arr: np.ndarray) -> memoryview | bytes:
    """The bytes of ``arr`` as stored (C order)."""
    return np.ascontiguousarray(arr).view(np.uint8).reshape(-1).data if arr.nbytes else b""


def _padded(arr: np.ndarray) -> bytes:
    """The zeros after ``arr`` up to the next aligned offset."""
    return b"\0" * _pad(arr.nbytes)


def load_tree(path: Path, trusted: tuple[str, ...] = TRUSTED) -> Any:
    """Read a tree written by :func:`save_tree`; arrays are copy-on-write memory maps of the file."""
    with open(path, "rb") as fh:
        head = fh.read(len(MAGIC) + 16)
        if len(head) < len(MAGIC) + 16 or head[: len(MAGIC)] != MAGIC:
            raise TreeFormatError(f"{path.name} is not a saved tree")
        size = int.from_bytes(head[len(MAGIC) : len(MAGIC) + 8], "little")
        text = fh.read(min(size, 1 << 30))
        if zlib.crc32(text) != int.from_bytes(head[len(MAGIC) + 8 :], "little"):
            raise TreeFormatError(f"{path.name} has a damaged header")
        header = json.loads(text)
    start = len(MAGIC) + 16 + size
    start += _pad(start)
    specs = header["arrays"]
    total = os.path.getsize(path)
    need = start + int(header.get("end", 0))
    if total != need:
        raise TreeFormatError(f"{path.name} has {total} bytes, not the {need} it was written with")
    buf = np.memmap(path, dtype=np.uint8, mode="c") if total > start else np.zeros(0, np.uint8)
    if zlib.crc32(buf[start:].data) != header.get("crc"):
        raise TreeFormatError(f"{path.name} has damaged arrays")
    arrays = [
        buf[start + s["offset"] : start + s["offset"] + _nbytes(s)]
        .view(np.dtype(s["dtype"]))
        .reshape(s["shape"])
        if "offset" in s
        else buf[:0]
        for s in specs
    ]
    for i, s in enumerate(specs):
        if "of" in s:
            arrays[i] = arrays[s["of"]][:, : s["shape"][1]]
    return _dec(header["tree"], arrays, trusted)


def _column_views(arrays: list[np.ndarray]) -> dict[int, int]:
    """Arrays that are the leading columns of another array in the list (a panel of today's members is
    such a view of the panel with former members appended): index -> the index of the whole array.
    They are written once, as the whole array, and sliced again on load."""
    wide = [j for j, b in enumerate(arrays) if b.ndim == 2 and b.flags.c_contiguous]
    out: dict[int, int] = {}
    for i, a in enumerate(arrays):
        if a.ndim != 2 or (a.flags.c_contiguous and a.base is None):
            continue
        for j in wide:
            b = arrays[j]
            if (
                j != i
                and a.dtype == b.dtype
                and a.strides == b.strides
                and a.shape[0] == b.shape[0]
                and a.shape[1] <= b.shape[1]
                and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            ):
                out[i] = j
                break
    return out


def _nbytes(spec: dict[str, Any]) -> int:
    return int(np.dtype(spec["dtype"]).itemsize * math.prod(spec["shape"]))


def _dec(node: Any, arrays: list[np.ndarray], trusted: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_dec(v, arrays, trusted) for v in node]
    if not isinstance(node, dict):
        return node
    if "a" in node:
        return arrays[node["a"]]
    if "f" in node:
        return float(node["f"])
    if "d" in node:
        return date.fromisoformat(node["d"])
    if "dt" in node:
        return datetime.fromisoformat(node["dt"])
    if "t" in node:
        return tuple(_dec(v, arrays, trusted) for v in node["t"])
    if "m" in node:
        return {_dec(k, arrays, trusted): _dec(v, arrays, trusted) for k, v in node["m"]}
    module, _, name = node["c"].partition(":")
    if not module.startswith(trusted):
        raise TreeFormatError(f"refusing to build {node['c']}")
    cls: Any = importlib.import_module(module)
    for part in name.split("."):
        cls = getattr(cls, part)
    return cls(**{k: _dec(v, arrays, trusted) for k, v in node["v"].items()})
