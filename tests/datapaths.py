"""Paths shared by tests (a uniquely named module: several conftest.py files exist)."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
