"""Web benchmarks: latency of the dashboard API (`rotascope serve`) under a bounded concurrent load.

Called by benchmarks/run.py with a home that already holds the initialised store. The server runs in its
own process (uvicorn on 127.0.0.1, a free port), so the load generator does not share its interpreter;
the monitor is built before timing starts. Each row's timings are per-request latencies in seconds (the
table's "median" is the p50); the note carries p99 and the wall time of the burst.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import time

import httpx

from rotascope.web.app import free_port

REQUESTS = 200
CLIENT_CONNECTIONS = 10
DATES = ("2024-07-19", "2023-01-03", "2020-03-23", "2008-10-10", None)
SERVER = """
import sys, uvicorn
from rotascope.config import load_settings
from rotascope.web.app import create_app
uvicorn.run(create_app(load_settings({"home": sys.argv[1]}, env={})), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning")
"""


def burst_paths() -> list[str]:
    """REQUESTS dashboard requests: /api/monitor and /api/charts over several as-of dates, shuffled."""
    distinct = [f"/api/monitor?as_of={d}" if d else "/api/monitor" for d in DATES] + [
        f"/api/charts?as_of={d}" if d else "/api/charts" for d in DATES
    ]
    out = [u for u in distinct for _ in range(REQUESTS // len(distinct))]
    random.Random(7).shuffle(out)
    return out


async def burst(base_url: str, paths: list[str]) -> list[float]:
    """All requests in flight at once over small connection pools; per-request seconds (all must be 200)."""
    limits = httpx.Limits(max_connections=CLIENT_CONNECTIONS, max_keepalive_connections=CLIENT_CONNECTIONS)
    chunks = [paths[i : i + CLIENT_CONNECTIONS] for i in range(0, len(paths), CLIENT_CONNECTIONS)]
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60, trust_env=False) for _ in chunks
    ]

    async def one(client: httpx.AsyncClient, path: str) -> float:
        started = time.perf_counter()
        r = await client.get(path)
        r.raise_for_status()
        return time.perf_counter() - started

    try:
        jobs = [one(c, p) for c, chunk in zip(clients, chunks, strict=True) for p in chunk]
        return list(await asyncio.wait_for(asyncio.gather(*jobs), timeout=120))
    finally:
        for c in clients:
            await c.aclose()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def start_server(home: str) -> tuple[subprocess.Popen[bytes], str]:
    """`rotascope serve`'s app in its own process on a free loopback port, answering /api/health."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, home, str(port)])
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/api/health").raise_for_status()
                return proc, base
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.terminate()
                    raise RuntimeError("the benchmark web server did not start") from None
                time.sleep(0.1)


def run(home: str) -> list[tuple[str, list[float], str]]:
    """Start the server, build its monitor, then time a cold and two warm bursts and single requests."""
    proc, base = start_server(home)
    try:
        with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
            client.get("/api/monitor").raise_for_status()  # builds the monitor: not part of the timing
            rows: list[tuple[str, list[float], str]] = []
            for label in ("cold caches", "warm"):
                started = time.perf_counter()
                lat = asyncio.run(burst(base, burst_paths()))
                wall = time.perf_counter() - started
                rows.append(
                    (
                        f"web API, {REQUESTS} concurrent /api/monitor+/api/charts ({label})",
                        lat,
                        f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {_p99(lat) * 1000:.0f} ms, "
                        f"burst {wall:.2f} s",
                    )
                )
            single: list[float] = []
            for _ in range(20):
                started = time.perf_counter()
                client.get("/api/monitor", params={"as_of": "2024-07-19"}).raise_for_status()
                single.append(time.perf_counter() - started)
            rows.append(
                ("web API, one /api/monitor request (warm, sequential)", single, f"p99 {_p99(single):.4f} s")
            )
            return rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":  # `python benchmarks/bench_web.py HOME`
    for name, times, note in run(sys.argv[1]):
        print(f"{name}: median {statistics.median(times):.3f} s  {note}")
