"""Memory benchmarks: peak resident memory of whole `rotascope` processes (issue #15).

`init` into a fresh home (cold), `monitor` right after it (cold: no panel cache yet) and again (warm), and
`serve` started, answering one /api/monitor and stopped. The peak is the kernel's ``ru_maxrss`` of the
process (or of the largest child it waited for), read with ``os.wait4``: the number `/usr/bin/time -v`
prints as "Maximum resident set size". Each row's timing is the process's wall time; the note has the peak.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import httpx

from rotascope.web.app import free_port

LAUNCH = (
    "import os, signal, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "for sig in (signal.SIGINT, signal.SIGTERM):\n"
    "    signal.signal(sig, lambda s, f: os.kill(pid, s))\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write(f'MAXRSS {usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)
"""A bare python that forks the measured command and reports its ``ru_maxrss``. Linux carries a process's
peak RSS across fork and exec, so a command started straight from this (large) benchmark process would
report the benchmark's own peak; started from this small launcher it reports its own."""
SERVE_START_S = 600.0
"""Longest wait for `serve` to answer /api/health (it builds the monitor and calibrates first)."""
STOP_S = 60.0


def _reap(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int, int]:
    """Wait for ``proc`` (killed after ``deadline``); return its exit code and peak RSS in KiB."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, int(usage.ru_maxrss)
        if time.monotonic() > deadline:
            proc.kill()
            deadline = float("inf")
        time.sleep(0.05)


def peak(
    home: str, *args: str, during: Callable[[subprocess.Popen[bytes]], None] | None = None
) -> tuple[float, int]:
    """Run ``rotascope ARGS`` in ``home``; ``during`` acts on the running process (and stops it).

    Returns the wall seconds and the peak RSS in KiB; fails if the process did not end cleanly.
    """
    env = {**os.environ, "ROTASCOPE_HOME": home}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errs:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, sys.executable, "-m", "rotascope", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errs,
        )
        try:
            if during is not None:
                during(proc)
        finally:
            code, _ = _reap(proc, time.monotonic() + (STOP_S if during is not None else 1800.0))
        errs.seek(0)
        lines = [ln for ln in errs.read().decode(errors="replace").splitlines() if ln.startswith("MAXRSS ")]
    if code != 0 or not lines:
        raise RuntimeError(f"rotascope {' '.join(args)} exited with {code}")
    return time.perf_counter() - started, int(lines[-1].split()[1])


def _one_monitor_request(port: int) -> Callable[[subprocess.Popen[bytes]], None]:
    def go(proc: subprocess.Popen[bytes]) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, trust_env=False) as client:
            deadline = time.monotonic() + SERVE_START_S
            while True:
                try:
                    client.get("/api/health").raise_for_status()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("rotascope serve did not start") from None
                    time.sleep(0.2)
            client.get("/api/monitor").raise_for_status()
        proc.send_signal(signal.SIGINT)  # uvicorn's graceful stop: exit code 0

    return go


def run(_home: str | None = None) -> list[tuple[str, list[float], str]]:
    """Peaks of init (fresh home), monitor cold and warm, and serve; a home of its own, removed after."""
    rows: list[tuple[str, list[float], str]] = []

    def row(name: str, result: tuple[float, int], note: str) -> None:
        wall, rss = result
        rows.append((name, [wall], f"peak RSS {rss / 1024:,.0f} MiB; {note}"))

    with tempfile.TemporaryDirectory(prefix="rotascope-mem-") as home:
        row("memory: rotascope init (cold, fresh home)", peak(home, "init"), "whole process")
        row("memory: rotascope monitor (cold panel cache)", peak(home, "monitor"), "first run after init")
        row("memory: rotascope monitor (warm)", peak(home, "monitor"), "second run")
        port = free_port()
        row(
            "memory: rotascope serve (start, 1 /api/monitor, stop)",
            peak(home, "serve", "--port", str(port), during=_one_monitor_request(port)),
            "monitor built and calibrated at start",
        )
    return rows


if __name__ == "__main__":  # `python benchmarks/bench_memory.py`
    for name, times, note in run():
        print(f"{name:<56} wall {times[0]:6.1f} s  {note}")
