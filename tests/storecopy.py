"""A private, writable copy of the loaded store, for tests that write to it, break it or serve it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from rotascope.config import Settings

HEADER_BYTES = 3 * 4096
"""DuckDB's file starts with three 4 KiB headers; block ``i`` starts at HEADER_BYTES + i * block_size."""


def private_home(settings: Settings, home: Path, *, cache: bool = False) -> Path:
    """``home`` (made if missing) holding a copy of ``settings``' store as ``rotascope.duckdb``; ``cache``:
    and a copy of its cache folder (the same data, so the saved panels and replays stay valid: a test that
    does not check a cold start need not pay one)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(settings.db, home / "rotascope.duckdb")
    if cache and (settings.home / "cache").is_dir():
        shutil.copytree(settings.home / "cache", home / "cache", dirs_exist_ok=True)
    return home


def garble_bars_page(db: Path) -> None:
    """Overwrite 4 KiB inside a data block that holds closes of ``bars`` (found through storage_info)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        block_size = int(conn.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0])
        block = int(
            conn.execute(
                "SELECT block_id FROM pragma_storage_info('bars') WHERE column_name = 'close' "
                "AND segment_type = 'DOUBLE' AND persistent ORDER BY row_group_id DESC LIMIT 1"
            ).fetchall()[0][0]
        )
    with db.open("r+b") as fh:
        fh.seek(HEADER_BYTES + block * block_size + 1024)
        fh.write(b"\x5a" * 4096)
