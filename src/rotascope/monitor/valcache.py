"""The monitor's valuation lens saved beside the monitor panel, so a warm `monitor` reads it without DuckDB.

Keyed by the store's noted fingerprint, the code digest, the as-of and the rule's revisions input: any new
data, code or question misses and the lens is computed from the store again.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from rotascope._code import code_digest
from rotascope.config import Settings
from rotascope.records import Regime, ValuationLens
from rotascope.store.cache import discard, put_file
from rotascope.store.stamp import noted_fingerprint


def _path(settings: Settings, as_of: date, improve: bool | None) -> Path | None:
    fingerprint = noted_fingerprint(settings)
    if fingerprint is None:
        return None
    key = "|".join((fingerprint, code_digest(), str(as_of), str(improve)))
    return settings.home / "cache" / f"valuation-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def cached_lens(settings: Settings, as_of: date, improve: bool | None) -> ValuationLens | None:
    """The saved lens for this question on this data and code, or None (then compute and save it)."""
    path = _path(settings, as_of, improve)
    if path is None:
        return None
    try:
        return ValuationLens.model_validate_json(path.read_text())
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable, truncated or mismatched: a miss, deleted (issue 21)
        discard(path, exc)
        return None


def save_lens(settings: Settings, lens: ValuationLens, improve: bool | None) -> None:
    """Save the lens for the next warm run (best effort: a read-only home just skips it)."""
    path = _path(settings, lens.as_of, improve)
    if path is None:
        return
    payload = lens.to_json().encode()
    put_file(path, lambda fh: fh.write(payload))


def revisions_reading(regime: Regime) -> tuple[bool | None, str]:
    """The rule's revisions input: the ladder's earnings rung (level 4), labelled a proxy when it is one."""
    level = next((lvl for lvl in regime.ladder.levels if lvl.level == 4), None)
    if level is None:
        return None, "earnings revisions (ladder level 4) not evaluated"
    label = "ladder level 4 (earnings" + (
        ", proxy: no revisions stored at this date)" if level.proxy else ")"
    )
    return level.passed, label
