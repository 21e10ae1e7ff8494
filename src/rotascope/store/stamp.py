"""The store's data fingerprint without opening DuckDB: a note of the fingerprint beside the file stamp
(size, modification time in ns, inode of the store file and its write-ahead log) it was read under.

Any write to the store changes that stamp, so a note whose stamp no longer matches is ignored and the
store is opened as usual. A note is only written when the stamp was the same before and after the
fingerprint was read, so a write racing the read never leaves a wrong note. This keeps DuckDB (its
import and its open, ~0.1 s) out of a warm ``monitor``, which maps the saved panel of that fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rotascope.config import Settings
from rotascope.store.cache import put_file


def file_stamp(db: Path) -> str:
    """Size, mtime (ns) and inode of the store file and of its WAL ('-' for a missing WAL)."""
    parts = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            st = path.stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}")
        except FileNotFoundError:
            parts.append("-")
    return "|".join(parts)


def _note(settings: Settings) -> Path:
    name = hashlib.sha256(str(settings.db.resolve()).encode()).hexdigest()[:16]
    return settings.home / "cache" / f"fingerprint-{name}.json"


def noted_fingerprint(settings: Settings) -> str | None:
    """The fingerprint noted for the store as it is now; None when there is no valid note."""
    try:
        note = json.loads(_note(settings).read_text())
        stamp = file_stamp(settings.db)
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("stamp") != stamp or stamp.startswith("-"):
        return None
    fingerprint = note.get("fingerprint")
    return fingerprint if isinstance(fingerprint, str) and fingerprint else None


def note_fingerprint(settings: Settings, fingerprint: str, before: str) -> None:
    """Note ``fingerprint`` if the store's stamp is still ``before`` (best effort, atomic); nothing is
    written when the note already says so."""
    if file_stamp(settings.db) != before or before.startswith("-"):
        return
    if noted_fingerprint(settings) == fingerprint:
        return
    note = json.dumps({"stamp": before, "fingerprint": fingerprint}).encode()
    put_file(_note(settings), lambda fh: fh.write(note))
