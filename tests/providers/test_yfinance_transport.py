"""Yahoo through yfinance (curl_cffi chrome impersonation, cookie and crumb), every Yahoo host routed to the
local replay server: the chart arrives with the crumb, parses as the httpx path does, and each refusal is one
sentence."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from provider_replay import FakeSleep, ReplayServer, Reply, recording

from rotascope.providers.errors import (
    AccessDenied,
    BadResponse,
    RateLimited,
    SourceUnavailable,
    Unreachable,
)
from rotascope.providers.yahoo import YahooFetcher, parse_chart
from rotascope.providers.yfinance_transport import YfinanceTransport

AFTER_CLOSE = datetime(2025, 11, 22, 15, 0, tzinfo=UTC)
CRUMB = "Zx9testcrumb"
CHART = "/v8/finance/chart/IWM"


@pytest.fixture(scope="module")
def cookie_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture()
def transport(server: ReplayServer, cookie_cache: Path) -> Iterator[YfinanceTransport]:
    made = YfinanceTransport(
        "Yahoo Finance", origin=server.url, timeout=2.0, retries=1, backoff=0.0, cache_dir=cookie_cache
    )
    yield made
    made.close()


def auth(server: ReplayServer, crumb: Reply | None = None, consent: bool = False) -> None:
    """Yahoo's cookie (fc.yahoo.com) and crumb; with ``consent``, the consent page yfinance tries as its
    second strategy after a 4xx (not served here: 404)."""
    server.script("/", Reply(200, b"", {"Set-Cookie": "A3=d=AQABBtest; Max-Age=31557600; Path=/"}))
    server.script("/v1/test/getcrumb", crumb or Reply(200, CRUMB.encode(), {"Content-Type": "text/plain"}))
    if consent:
        server.script("/consent", Reply(404, b"not here"))


def fetch(server: ReplayServer, transport: YfinanceTransport) -> object:
    fetcher = YahooFetcher(client=transport, base_url=server.url, now=lambda: AFTER_CLOSE)
    return fetcher.fetch(symbol="IWM", start="2025-11-17", end="2025-11-21")


def test_chart_comes_through_yfinance_with_cookie_and_crumb(
    server: ReplayServer, transport: YfinanceTransport
) -> None:
    auth(server)
    server.serve(CHART, "yahoo/IWM_chart.json", content_type="application/json")
    got = fetch(server, transport)
    direct = parse_chart(recording("yahoo/IWM_chart.json"), 200, "IWM", AFTER_CLOSE)
    np.testing.assert_allclose(got.bars["close"], direct.bars["close"])  # type: ignore[attr-defined]
    chart = next(r for r in server.requests if r.path == CHART)
    assert chart.query["crumb"] == [CRUMB] and "A3=d=AQABBtest" in chart.headers.get("cookie", "")
    assert "Chrome" in chart.headers["user-agent"]  # curl_cffi's browser impersonation, not a script's UA


def test_429_is_rate_limited_after_the_retries(server: ReplayServer, transport: YfinanceTransport) -> None:
    auth(server, consent=True)
    server.script(CHART, Reply(429, recording("../../live/recordings/yahoo/too_many_requests.txt")))
    with pytest.raises(RateLimited, match=r"HTTP 429\) after 2 attempts"):
        fetch(server, transport)


def test_a_refused_crumb_is_one_sentence(server: ReplayServer, transport: YfinanceTransport) -> None:
    auth(server, Reply(429, b"Too Many Requests\r\n"), consent=True)
    refused = recording("../../live/recordings/yahoo/invalid_crumb.json")
    server.script(CHART, Reply(401, refused, {"Content-Type": "application/json"}))
    with pytest.raises(AccessDenied, match="HTTP 401: Unauthorized Invalid Crumb"):
        fetch(server, transport)


def test_a_truncated_body_is_unavailable(server: ReplayServer, transport: YfinanceTransport) -> None:
    auth(server)
    server.script(CHART, Reply(200, recording("yahoo/IWM_chart.json"), truncate_to=200))
    with pytest.raises(SourceUnavailable, match="closed before the full reply arrived") as err:
        fetch(server, transport)
    assert not isinstance(err.value, Unreachable)  # part of a reply came: the host is reachable


def test_no_reply_at_all_is_unreachable(cookie_cache: Path) -> None:
    """A port nobody listens on: no attempt gets any reply, which is offline, not a failing source."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    made = YfinanceTransport(
        "Yahoo Finance", origin=dead, timeout=2.0, retries=1, backoff=0.0, cache_dir=cookie_cache
    )
    try:
        fetcher = YahooFetcher(client=made, base_url=dead, now=lambda: AFTER_CLOSE)
        with pytest.raises(
            Unreachable, match=r"^Yahoo Finance is unavailable for IWM after 2 attempts: network"
        ):
            fetcher.fetch(symbol="IWM", start="2025-11-17", end="2025-11-21")
    finally:
        made.close()


def test_hosts_other_than_yahoo_and_the_origin_are_refused(
    server: ReplayServer, transport: YfinanceTransport
) -> None:
    with pytest.raises(SourceUnavailable, match=r"routing refused a request to example\.org"):
        transport._session.get("https://example.org/")


def _made(server: ReplayServer, cookie_cache: Path, **options: object) -> YfinanceTransport:
    return YfinanceTransport("Yahoo Finance", origin=server.url, cache_dir=cookie_cache, **options)  # type: ignore[arg-type]


def test_the_attempts_fit_in_one_budget(server: ReplayServer, cookie_cache: Path) -> None:
    """Slow 503s: the retries stop when the overall budget (``total``) is spent, not after all 6 attempts
    (about 3.6 s here); the same driver as HttpClient's."""
    auth(server, consent=True)
    server.script(CHART, Reply(503, b"busy", delay=0.3))
    transport = _made(server, cookie_cache, timeout=2.0, retries=5, backoff=0.0, total=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(SourceUnavailable, match=r"unavailable for IWM after [12] attempts"):
            fetch(server, transport)
    finally:
        transport.close()
    assert time.monotonic() - started < 2.0
    assert transport.requests <= 2


def test_a_retry_after_longer_than_allowed_is_refused_at_once(
    server: ReplayServer, cookie_cache: Path
) -> None:
    auth(server, consent=True)
    server.script(CHART, Reply(503, b"", {"Retry-After": "3600"}))
    slept = FakeSleep()
    transport = _made(server, cookie_cache, timeout=2.0, retries=2, max_retry_after=60, sleep=slept)
    try:
        with pytest.raises(SourceUnavailable) as err:
            fetch(server, transport)
    finally:
        transport.close()
    assert str(err.value) == (
        "Yahoo Finance asked us to wait 3600 s before asking again for IWM (HTTP 503), "
        "longer than the 60 s we allow."
    )
    assert slept.calls == [] and transport.requests == 1


def test_a_reply_over_max_bytes_is_refused(server: ReplayServer, cookie_cache: Path) -> None:
    auth(server)
    server.serve(CHART, "yahoo/IWM_chart.json", content_type="application/json")  # 1,331 bytes
    transport = _made(server, cookie_cache, timeout=2.0, retries=2, max_bytes=1000)
    try:
        with pytest.raises(
            BadResponse, match=r"^Yahoo Finance sent a reply for IWM larger than 1,000 bytes\.$"
        ):
            fetch(server, transport)
    finally:
        transport.close()
    assert transport.requests == 1
