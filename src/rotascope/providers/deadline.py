"""A total deadline for one HTTP request: connect, headers and every body read, not per read.

httpx's timeouts bound each socket operation, so a server dripping one byte a second never trips them.
:func:`fetch` streams the reply, checks the clock after every chunk, and gives each socket operation at
most the time left, so a request ends within its deadline (plus at most one small read) whatever the
server does. It also caps the body size, so a huge reply is refused instead of held in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["BodyTooLarge", "Deadline", "DeadlineExceeded", "fetch"]


class DeadlineExceeded(httpx.TimeoutException):
    """The whole request took longer than its deadline (a timeout, to every caller's handlers)."""


class BodyTooLarge(Exception):
    """The reply body is larger than the caller allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the reply is larger than {limit:,} bytes")
        self.limit = limit


@dataclass
class Deadline:
    """``seconds`` from creation on ``clock``."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    start: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.start = self.clock()

    def remaining(self) -> float:
        return self.seconds - (self.clock() - self.start)

    def expired(self) -> bool:
        return self.remaining() <= 0


def fetch(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    deadline: Deadline,
    max_bytes: int | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    read_body: bool = True,
) -> tuple[httpx.Response, bytes]:
    """One request that ends by ``deadline``: returns the response (body read) and its decoded bytes;
    with ``read_body=False`` the body is never read (the caller needs only the status) and is ``b""``."""
    left = deadline.remaining()
    if left <= 0:
        raise DeadlineExceeded("the deadline passed before the request started")
    request = client.build_request(
        method, url, params=params, json=json, headers=headers, timeout=httpx.Timeout(left)
    )
    response = client.send(request, stream=True)
    try:
        if not read_body:
            return response, b""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise BodyTooLarge(max_bytes)
            if deadline.expired():
                raise DeadlineExceeded(f"the reply was still arriving after {deadline.seconds:g} s")
        if deadline.expired():
            raise DeadlineExceeded(f"the reply was still arriving after {deadline.seconds:g} s")
        return response, b"".join(chunks)
    finally:
        response.close()
