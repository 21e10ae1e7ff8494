"""A real `rotascope serve` (uvicorn on a free loopback port) as a context manager, shared by the tests that
drive it over HTTP (a uniquely named module: several conftest.py files exist)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from rotascope.web.app import free_port

EXE = str(Path(sys.executable).with_name("rotascope"))


@contextlib.contextmanager
def rotascope_serve(env: dict[str, str], start_timeout: float) -> Iterator[str]:
    """Start `rotascope serve` with ``env``; yield its base URL once /api/health answers (the server must
    answer within ``start_timeout`` s and stay up); stop it afterwards."""
    port = free_port()
    with subprocess.Popen(
        [EXE, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        try:
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)
