"""A digest of rotascope's own source, so caches of computed results never outlive the code that made them."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


@functools.cache
def code_digest() -> str:
    """sha256 over every ``.py`` and ``.toml`` file of the installed package (names and bytes), 16 hex digits.

    Reading ~150 small files costs a few milliseconds; any edit or upgrade changes the digest.
    """
    root = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.toml")]):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
