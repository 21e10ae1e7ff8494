"""The analysis id changes with what changes an answer: the shipped model files (not only the source) and
whether the optional MiniLM extra is installed, so a stored answer is never served for another model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import rotascope._code as code
from rotascope.records import analysis_id


def _id() -> str:
    return analysis_id("universe", "small caps (IWM vs SPY)", date(2024, 7, 19), "cfg", "data")


def test_installing_the_nlp_extra_changes_the_analysis_id(monkeypatch: pytest.MonkeyPatch) -> None:
    code.optional_models.cache_clear()
    monkeypatch.setattr(code, "find_spec", lambda name: None)
    without = _id()
    assert code.optional_models() == "nlp:"
    code.optional_models.cache_clear()
    monkeypatch.setattr(code, "find_spec", lambda name: object())
    with_extra = _id()
    assert code.optional_models() == "nlp:" + ",".join(code.NLP_PACKAGES)
    code.optional_models.cache_clear()
    assert with_extra != without


UNHASHED = {".parquet", ".typed", ".css", ".js", ".html"}
"""Bundled data (in the store's fingerprint), the typing marker and the dashboard's page templates."""


def test_the_digest_covers_every_shipped_file_but_data_and_bytecode() -> None:
    """Every file of the package that can change an answer is hashed; what is not is data (fingerprinted
    by the store) or bytecode."""
    root = Path(code.__file__).parent
    hashed = {p for pattern in code._SHIPPED for p in root.rglob(pattern)}
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path not in hashed:
            assert path.suffix in UNHASHED, path
    assert any(p.suffix == ".npz" for p in hashed) and any(p.suffix == ".json" for p in hashed)
