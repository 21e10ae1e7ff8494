"""Guards in front of the web app (pure ASGI middleware): who may talk to it and how often it may write.

* **Host allow-list** (``web_allowed_hosts``, localhost by default): a request whose ``Host`` header names
  another machine gets 400. A page on ``evil.example`` that rebinds its DNS to 127.0.0.1 still sends
  ``Host: evil.example``, so it cannot read or write the local API (DNS rebinding).
* **Same-origin writes**: a POST whose ``Sec-Fetch-Site`` is ``cross-site``/``same-site`` or whose
  ``Origin`` is not this server gets 403 (a cross-origin form POST never stores anything).
* **Rate limit on writes**: a token bucket per client address (``web_rate_per_minute``); over it, 429 with
  ``Retry-After``. Reads are cached and cheap; writes compute and store.
* **HEAD** on every GET route: answered as the GET, without the body.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from rotascope.config import split_list

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_CLIENTS = 4096
"""Buckets kept (least recently seen dropped first): a flood of addresses cannot grow memory."""


def host_name(value: str) -> str:
    """The host part of a Host header or netloc, lower-case, without port or IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class TokenBucket:
    """Per-key token buckets: ``per_minute`` tokens, refilled continuously; thread-safe, bounded."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait


class Guard:
    """ASGI middleware applying the Host allow-list, same-origin writes, write rate limit and HEAD."""

    def __init__(self, app: ASGIApp, allowed_hosts: str, rate_per_minute: int) -> None:
        self.app = app
        hosts = [host_name(h) for h in split_list(allowed_hosts)]
        self.any_host = "*" in hosts
        self.hosts = frozenset(hosts)
        self.bucket = TokenBucket(rate_per_minute) if rate_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _nosniff(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not self.any_host and host_name(host) not in self.hosts:
            shown = host[:80] if host else "(none)"
            await _problem(send, 400, f"Host {shown!r} is not served here (setting web_allowed_hosts).")
            return
        method = scope.get("method", "GET")
        if method in UNSAFE:
            refusal = _cross_origin(headers, host)
            if refusal:
                await _problem(send, 403, refusal)
                return
            if self.bucket is not None:
                client = scope.get("client") or ("unknown", 0)
                wait = self.bucket.take(str(client[0]))
                if wait > 0:
                    retry = str(max(1, math.ceil(wait)))
                    await _problem(
                        send,
                        429,
                        f"Too many writes from this client; try again in {retry} s "
                        "(setting web_rate_per_minute).",
                        [(b"retry-after", retry.encode())],
                    )
                    return
        if method == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await self.app(scope, receive, send)


def _cross_origin(headers: dict[str, str], host: str) -> str | None:
    """Why a write is refused as cross-origin, or None when it comes from this server (or a non-browser)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"Cross-origin write refused (Sec-Fetch-Site: {site[:40]})."
    origin = headers.get("origin")
    if origin is None:
        return None  # curl, scripts, the CLI: no browser, no ambient credentials to abuse
    parts = urlsplit(origin.strip())
    if origin.strip() == "null" or parts.netloc.lower() != host.strip().lower():
        return f"Cross-origin write refused (Origin {origin[:80]!r} is not this server)."
    return None


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


def _nosniff(send: Send) -> Send:
    """``send`` that adds ``X-Content-Type-Options: nosniff`` to every response it starts (no browser may
    guess a type other than the one declared)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-content-type-options"]
            message = {**message, "headers": [*headers, (b"x-content-type-options", b"nosniff")]}
        await send(message)

    return wrapped


async def _problem(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
