"""A private, writable copy of the loaded store, for tests that write to it, break it or serve it."""

from __future__ import annotations

import shutil
from pathlib import Path

from rotascope.config import Settings


def private_home(settings: Settings, home: Path) -> Path:
    """``home`` (made if missing) holding a copy of ``settings``' store as ``rotascope.duckdb``."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(settings.db, home / "rotascope.duckdb")
    return home
