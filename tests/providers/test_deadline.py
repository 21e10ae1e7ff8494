"""A total deadline per HTTP request: a local server that drips one byte a second cannot hold the provider
client, the watch webhook or the narration past their deadlines (per-read timeouts never fire on it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from rotascope.live.watch import post_webhook
from rotascope.providers.deadline import Deadline, DeadlineExceeded, fetch
from rotascope.providers.errors import SourceUnavailable
from rotascope.providers.http import HttpClient


@pytest.fixture()
def drip() -> Iterator[str]:
    """A server on 127.0.0.1 that answers 200 with a 1,000-byte body, one byte per second (for at most
    40 s per connection, so it always stops by itself)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
                for _ in range(40):
                    if stop.is_set():
                        return
                    conn.sendall(b"x")
                    time.sleep(1)
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_fetch_ends_at_its_deadline(drip: str) -> None:
    started = time.monotonic()
    with httpx.Client() as client, pytest.raises(DeadlineExceeded):
        fetch(client, "GET", f"{drip}/x", deadline=Deadline(2.0))
    took = time.monotonic() - started
    assert 1.9 < took < 3.5, took


def test_provider_client_retries_stay_within_the_budget(drip: str) -> None:
    started = time.monotonic()
    with (
        HttpClient("FRED", timeout=1.5, retries=3, backoff=0.1, total=4.0) as client,
        pytest.raises(SourceUnavailable, match="FRED is unavailable for DGS10"),
    ):
        client.get(f"{drip}/series", item="DGS10")
    took = time.monotonic() - started
    assert took < 6.0, took  # total=4 s: without a total deadline this drip would hold it for 40 s x 4


def test_webhook_ends_within_its_deadline(drip: str) -> None:
    started = time.monotonic()
    message = post_webhook(f"{drip}/hook", {"alerts": []}, timeout=1.5)
    took = time.monotonic() - started
    # the drip answers 200 at once, then drips its body: a 2xx is delivered, its body never waited for
    assert message is None
    assert took < 1.5, took
