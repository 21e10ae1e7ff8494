"""Web soak benchmark (issue 13): 200 concurrent clients for 30 s, mixed GET/POST, while a CLI `analyze`
runs against the same store. Reports the 5xx count (must be 0), p50/p99 of every answer and of
`/api/health` under load, and how many POSTs the rate limit or the quota turned away (429/507 are
designed answers, not failures). Loopback only; bounded in time and count.

The 200 clients are built before the clock starts (one shared TLS context: building 200 of them took
seconds and was timed as server latency), and `/api/health` is probed from a process of its own, so its
latency is the server's, not the load generator's event loop. ``ROTASCOPE_BENCH_SOAK_SECONDS`` shortens
the soak."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter

import httpx
from bench_web import _p99, start_server

CLIENTS = 200
SECONDS = float(os.environ.get("ROTASCOPE_BENCH_SOAK_SECONDS", "30"))
HEALTH_PROBE = """
import json, sys, time, httpx
until = time.monotonic() + float(sys.argv[2])
out = []
with httpx.Client(base_url=sys.argv[1], timeout=60, trust_env=False) as c:
    while time.monotonic() < until:
        started = time.perf_counter()
        c.get("/api/health").raise_for_status()
        out.append(time.perf_counter() - started)
        time.sleep(0.25)
print(json.dumps(out))
"""
GETS = ("/api/monitor", "/api/charts", "/api/analysis?as_of=2024-07-19", "/api/history")


async def client_loop(c: httpx.AsyncClient, k: int, until: float, out: list[tuple[str, int, float]]) -> None:
    """One client: a GET mix with every tenth request a POST analysis; stops by itself at ``until``."""
    i = 0
    while time.monotonic() < until and i < 10_000:
        path = GETS[(k + i) % len(GETS)]
        method = "POST" if i % 10 == 9 else "GET"
        started = time.perf_counter()
        try:
            r = await (c.post("/api/analysis?as_of=2024-07-19") if method == "POST" else c.get(path))
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        out.append((method if method == "POST" else path, status, time.perf_counter() - started))
        i += 1


async def soak(base: str, answers: list[tuple[str, int, float]]) -> None:
    """CLIENTS clients (built first, sharing one TLS context) hammering the server for SECONDS."""
    headers = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    tls = ssl.create_default_context()
    clients = [
        httpx.AsyncClient(base_url=base, timeout=60, trust_env=False, headers=headers, verify=tls)
        for _ in range(CLIENTS)
    ]
    try:
        until = time.monotonic() + SECONDS
        await asyncio.gather(*(client_loop(c, k, until, answers) for k, c in enumerate(clients)))
    finally:
        for c in clients:
            await c.aclose()


def run(home: str) -> list[tuple[str, list[float], str]]:
    server, base = start_server(home)
    try:
        with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
            client.get("/api/analysis", params={"as_of": "2024-07-19"}).raise_for_status()  # warm
        env = {**os.environ, "ROTASCOPE_HOME": home}
        cli = subprocess.Popen(
            [sys.executable, "-m", "rotascope", "analyze", "--as-of", "2020-03-20"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        answers: list[tuple[str, int, float]] = []
        probe = subprocess.Popen(
            [sys.executable, "-c", HEALTH_PROBE, base, str(SECONDS)], stdout=subprocess.PIPE, text=True
        )
        started = time.perf_counter()
        asyncio.run(soak(base, answers))
        wall = time.perf_counter() - started
        health: list[float] = json.loads(probe.communicate(timeout=600)[0])
        cli_code = cli.wait(timeout=600)
    finally:
        server.terminate()
        server.wait(timeout=30)
    codes = Counter(status for _, status, _ in answers)
    errors = sum(n for s, n in codes.items() if s >= 500 or s == 0)
    lat = [t for _, _, t in answers]
    note = (
        f"{len(answers):,} answers in {wall:.0f} s; 5xx/transport errors {errors}; "
        f"codes {dict(sorted(codes.items()))}; p50 {statistics.median(lat) * 1000:.0f} ms, "
        f"p99 {_p99(lat) * 1000:.0f} ms; CLI analyze exit {cli_code}"
    )
    return [
        (f"web soak: {CLIENTS} clients x {SECONDS:.0f} s, GET+POST, CLI analyze running", lat, note),
        ("web soak: /api/health latency under that load", health, f"p99 {_p99(health) * 1000:.0f} ms"),
    ]


if __name__ == "__main__":  # `python benchmarks/bench_web_load.py HOME`
    for name, times, note in run(sys.argv[1]):
        print(f"{name}: median {statistics.median(times):.3f} s  {note}")
