"""No reply of the web app says where files live, and every reply carries ``X-Content-Type-Options:
nosniff``: a real uvicorn server on 127.0.0.1 over a damaged store (random bytes where the store should be).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from rotascope.config import load_settings
from rotascope.web.app import create_app, running_server


def test_damaged_store_replies_name_no_path_and_all_say_nosniff(tmp_path: Path) -> None:
    home = tmp_path / "secret-home"
    home.mkdir()
    (home / "rotascope.duckdb").write_bytes(os.urandom(300_000))
    settings = load_settings({"home": str(home)}, env={})
    with running_server(create_app(settings)) as base, httpx.Client(base_url=base, timeout=120) as client:
        replies = {
            path: client.get(path)
            for path in ("/api/health", "/api/history", "/api/monitor", "/nope", "/static/style.css", "/")
        }
        replies["bad host"] = client.get("/api/health", headers={"Host": "evil.example"})
    assert replies["/api/history"].status_code == 503
    assert "corrupt" in replies["/api/history"].json()["detail"]
    assert replies["bad host"].status_code == 400 and replies["/nope"].status_code == 404
    for name, reply in replies.items():
        assert reply.headers.get("x-content-type-options") == "nosniff", name
        assert str(tmp_path) not in reply.text and "secret-home" not in reply.text, (name, reply.text[:300])
