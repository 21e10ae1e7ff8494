"""`rotascope serve` (real uvicorn on 127.0.0.1) guards its writes: foreign Host → 400, cross-origin POST →
403 (nothing stored), too many POSTs → 429, HEAD answers, health shows no paths, and a changed data
fingerprint (another process wrote the store) is picked up without a restart."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from pytest_socket import socket_allow_hosts

from realserver import rotascope_serve
from rotascope.config import Settings
from storecopy import private_home


@pytest.fixture(autouse=True)
def _local_sockets_only() -> None:
    socket_allow_hosts(["127.0.0.1"])


@pytest.fixture(scope="module")
def served(warm_cache: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = private_home(warm_cache, tmp_path_factory.mktemp("serve"), cache=True)  # guards, not a cold start
    env = {
        **os.environ,
        "ROTASCOPE_HOME": str(home),
        "ROTASCOPE_WEB_RATE_PER_MINUTE": "3",
        "ROTASCOPE_WEB_REFRESH_SECONDS": "0.5",
    }
    with rotascope_serve(env, start_timeout=180) as base:
        yield base, home / "rotascope.duckdb"


def stored(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as conn:
        return int(conn.execute("SELECT count(*) FROM analyses").fetchall()[0][0])


def test_guards(served: tuple[str, Path]) -> None:
    base, db = served
    foreign = httpx.get(f"{base}/api/health", headers={"Host": "evil.example"}, timeout=10)
    assert foreign.status_code == 400 and "evil.example" in foreign.json()["detail"]
    health = httpx.get(f"{base}/api/health", timeout=10).json()
    assert str(db.parent) not in str(health) and "/" not in health["store"]
    head = httpx.head(f"{base}/api/health", timeout=10)
    assert head.status_code == 200 and head.content == b""
    before = stored(db)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        r = httpx.post(f"{base}/api/analysis", headers=headers, timeout=120)
        assert r.status_code == 403 and "Cross-origin" in r.json()["detail"]
    assert stored(db) == before
    codes = [
        httpx.post(f"{base}/api/analysis", headers={"Origin": base}, timeout=300).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert stored(db) == before + 1  # same question, same data: one stored row


def test_fingerprint_change_is_picked_up(served: tuple[str, Path]) -> None:
    base, db = served
    httpx.get(f"{base}/api/monitor", timeout=300).raise_for_status()
    old = httpx.get(f"{base}/api/health", timeout=10).json()["data_fingerprint"]
    with duckdb.connect(str(db)) as conn:  # what `rotascope update` does: a new load fingerprint
        conn.execute("INSERT INTO loads VALUES ('live', 'feedfacefeedface', now(), 1, 0, 0)")
    time.sleep(1.0)
    httpx.get(f"{base}/api/monitor", timeout=300).raise_for_status()
    new = httpx.get(f"{base}/api/health", timeout=10).json()["data_fingerprint"]
    assert new != old and "feedfacefeedface" in new
