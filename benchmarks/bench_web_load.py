"""Web soak benchmark (issue 13): 200 concurrent clients for 30 s, mixed GET/POST, while a CLI `analyze`
runs against the same store. Reports the 5xx count (must be 0), p50/p99 of every answer and of
`/api/health` under load, and how many POSTs the rate limit or the quota turned away (429/507 are
designed answers, not failures). Loopback only; bounded in time and count."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

import httpx
from bench_web import _p99, start_server

CLIENTS = 200
SECONDS = 30.0
GETS = ("/api/monitor", "/api/charts", "/api/analysis?as_of=2024-07-19", "/api/history")


async def client_loop(base: str, k: int, until: float, out: list[tuple[str, int, float]]) -> None:
    """One client: a GET mix with every tenth request a POST analysis; stops by itself at ``until``."""
    headers = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False, headers=headers) as c:
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


async def health_loop(base: str, until: float, out: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as c:
        while time.monotonic() < until:
            started = time.perf_counter()
            (await c.get("/api/health")).raise_for_status()
            out.append(time.perf_counter() - started)
            await asyncio.sleep(0.5)


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
        health: list[float] = []

        async def soak() -> None:
            until = time.monotonic() + SECONDS
            await asyncio.gather(
                health_loop(base, until, health),
                *(client_loop(base, k, until, answers) for k in range(CLIENTS)),
            )

        started = time.perf_counter()
        asyncio.run(soak())
        wall = time.perf_counter() - started
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
