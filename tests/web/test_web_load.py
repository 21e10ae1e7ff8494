"""Bounded load on the real server: 200 concurrent dashboard API requests on loopback, all answered.

The requests mix /api/monitor and /api/charts over several as-of dates (cold caches included: the first
requests of each date compute while the others wait), all in flight at once through one httpx
AsyncClient. Every answer must be a 200 whose body is exactly the Python API's JSON for that question, and
the whole run must end within a fixed time; an overall timeout makes it stop by itself if the server
hangs.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from datetime import date
from typing import Any

import httpx
import pytest

from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.report.chartdata import chart_data
from rotascope.web.app import create_app, running_server
from webclient import TODAY, fresh_fields

REQUESTS = 200
DATES = ("2024-07-19", "2023-01-03", "2020-03-23", "2008-10-10", None)
LOOKBACK = 252
BUDGET_S = 60.0
CLIENT_CONNECTIONS = 10


def urls() -> list[str]:
    """REQUESTS urls, 20 of each (endpoint, date), in a fixed shuffled order."""
    distinct = [f"/api/monitor?as_of={d}" if d else "/api/monitor" for d in DATES] + [
        f"/api/charts?lookback={LOOKBACK}" + (f"&as_of={d}" if d else "") for d in DATES
    ]
    out = [u for u in distinct for _ in range(REQUESTS // len(distinct))]
    random.Random(7).shuffle(out)
    return out


async def hammer(base_url: str, paths: list[str]) -> list[tuple[str, int, bytes, float]]:
    """All requests at once; (path, status, body, seconds) per request, in the order of ``paths``.

    The requests are spread over several clients of CLIENT_CONNECTIONS connections each: one httpx pool
    of 200 connections spends most of its time scanning itself (O(connections) per request), which would
    measure the client instead of the server.
    """
    limits = httpx.Limits(max_connections=CLIENT_CONNECTIONS, max_keepalive_connections=CLIENT_CONNECTIONS)
    chunks = [paths[i : i + CLIENT_CONNECTIONS] for i in range(0, len(paths), CLIENT_CONNECTIONS)]
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(BUDGET_S), trust_env=False)
        for _ in chunks
    ]

    async def one(client: httpx.AsyncClient, path: str) -> tuple[str, int, bytes, float]:
        started = time.perf_counter()
        r = await client.get(path)
        return path, r.status_code, r.content, time.perf_counter() - started

    try:
        jobs = [one(c, p) for c, chunk in zip(clients, chunks, strict=True) for p in chunk]
        return await asyncio.wait_for(asyncio.gather(*jobs), timeout=BUDGET_S)
    finally:
        for c in clients:
            await c.aclose()


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The monitor bodies carry the data's age: against a fixed today (the server runs in-process)."""
    monkeypatch.setenv("ROTASCOPE_TODAY", TODAY.isoformat())


def expected(monitor: Monitor, settings: Settings, path: str) -> Any:
    """The Python API's answer to the question behind ``path``, as parsed JSON (the monitor's with the
    data's freshness)."""
    day_text = path.split("as_of=")[1].split("&")[0] if "as_of=" in path else None
    day = date.fromisoformat(day_text) if day_text else None
    resolved = monitor.at(day).as_of
    if path.startswith("/api/monitor"):
        return json.loads(monitor.at(resolved).to_json()) | fresh_fields(monitor, settings)
    return json.loads(chart_data(monitor.panel, resolved, LOOKBACK).to_json())


def test_200_concurrent_requests_all_answered(loaded_settings: Settings, monitor: Monitor) -> None:
    paths = urls()
    assert len(paths) == REQUESTS
    with running_server(create_app(loaded_settings, monitor)) as base:
        started = time.perf_counter()
        results = asyncio.run(hammer(base, paths))
        total = time.perf_counter() - started
    assert len(results) == REQUESTS
    bad = [(p, s) for p, s, _, _ in results if s != 200]
    assert not bad, bad[:5]
    bodies: dict[str, set[bytes]] = {}
    for p, _, body, _ in results:
        bodies.setdefault(p, set()).add(body)
    assert all(len(b) == 1 for b in bodies.values())  # every copy of a question got the same bytes
    assert all(json.loads(next(iter(b))) == expected(monitor, loaded_settings, p) for p, b in bodies.items())
    latencies = sorted(t for *_, t in results)
    p50, p99 = statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"\n{REQUESTS} concurrent requests in {total:.2f} s: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    assert total < BUDGET_S


@pytest.mark.parametrize("bad", ["/api/monitor?as_of=1800-01-01", "/api/charts?lookback=1"])
def test_bad_requests_under_load_stay_4xx(loaded_settings: Settings, monitor: Monitor, bad: str) -> None:
    """Errors under concurrency are still one-sentence 4xx answers (no 5xx from contention)."""
    with running_server(create_app(loaded_settings, monitor)) as base:
        results = asyncio.run(hammer(base, [bad] * 50 + ["/api/monitor?as_of=2024-07-19"] * 50))
    assert {s for p, s, _, _ in results if p == bad} == {422}
    assert {s for p, s, _, _ in results if p != bad} == {200}
