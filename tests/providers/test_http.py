"""HttpClient against the replay server: retries, backoff, Retry-After, timeouts, rate limit, typed errors."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from provider_replay import FakeSleep, ReplayServer, Reply
from pytest_socket import SocketConnectBlockedError

from rotascope.errors import ConfigError, ProviderError
from rotascope.providers.errors import (
    AccessDenied,
    BadResponse,
    NotFound,
    ProviderConfigError,
    RateLimited,
    SourceUnavailable,
    Unreachable,
)
from rotascope.providers.http import HttpClient, RateLimiter, mask_secrets, parse_retry_after

MakeClient = Callable[..., HttpClient]


def test_success_sends_the_user_agent(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/ok", Reply(200, b"hello", {"Content-Type": "text/plain"}))
    client = make_client(base_url=server.url, user_agent="rotascope-test you@example.com")
    response = client.get("/ok", item="thing", params={"a": 1})
    assert (response.status, response.content) == (200, b"hello")
    assert response.headers["content-type"] == "text/plain"
    assert server.requests[0].headers["user-agent"] == "rotascope-test you@example.com"
    assert server.requests[0].query == {"a": ["1"]}


def test_429_with_retry_after_then_success(
    server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep
) -> None:
    server.script("/r", Reply(429, b"slow down", {"Retry-After": "2"}), Reply(200, b"ok"))
    client = make_client(base_url=server.url)
    assert client.get("/r", item="IWM").content == b"ok"
    assert fake_sleep.calls == [2.0]  # the server's wait, not our backoff


def test_503_with_retry_after_date_then_success(
    server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep
) -> None:
    server.script("/r", Reply(503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), Reply(200, b"ok"))
    assert make_client(base_url=server.url).get("/r", item="IWM").content == b"ok"
    assert fake_sleep.calls == [0.0] or fake_sleep.calls == []  # a date in the past: retry at once


def test_500_then_success_backs_off(
    server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep
) -> None:
    server.script("/r", Reply(500), Reply(502), Reply(200, b"ok"))
    client = make_client(base_url=server.url, backoff=0.01)
    assert client.get("/r", item="DGS10").content == b"ok"
    assert fake_sleep.calls == [0.01, 0.02]  # exponential
    assert [status for _, status in client.attempts_log] == [500, 502, 200]


def test_500_forever_is_source_unavailable(
    server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep
) -> None:
    server.script("/r", Reply(500, b"oops"), Reply(500), Reply(500))
    with pytest.raises(SourceUnavailable) as err:
        make_client("FRED", base_url=server.url, retries=2).get("/r", item="DGS10 (ust_10y)")
    assert str(err.value) == "FRED is unavailable for DGS10 (ust_10y) after 3 attempts: HTTP 500."
    assert (err.value.source, err.value.item) == ("FRED", "DGS10 (ust_10y)")
    assert isinstance(err.value, ProviderError)
    assert not isinstance(err.value, Unreachable)  # the source answered (with errors): not offline
    assert len(fake_sleep.calls) == 2


def test_429_forever_is_rate_limited(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/r", Reply(429, b"", {"Retry-After": "1"}), Reply(429), Reply(429))
    expected = r"^Yahoo Finance kept refusing requests for IWM as too many \(HTTP 429\) after 3 attempts\.$"
    with pytest.raises(RateLimited, match=expected):
        make_client("Yahoo Finance", base_url=server.url).get("/r", item="IWM")


def test_retry_after_longer_than_allowed_fails_at_once(
    server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep
) -> None:
    server.script("/r", Reply(429, b"", {"Retry-After": "3600"}))
    client = make_client("SEC EDGAR", base_url=server.url, max_retry_after=60)
    with pytest.raises(RateLimited) as err:
        client.get("/r", item="AAPL")
    assert str(err.value) == (
        "SEC EDGAR asked us to wait 3600 s before asking again for AAPL (HTTP 429), "
        "longer than the 60 s we allow."
    )
    assert fake_sleep.calls == []


def test_timeout_after_retries(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/slow", Reply(200, b"late", delay=0.4))
    client = make_client("FRED", base_url=server.url, timeout=0.1, retries=1)
    with pytest.raises(SourceUnavailable) as err:
        client.get("/slow", item="DGS10")
    assert str(err.value) == (
        "FRED is unavailable for DGS10 after 2 attempts: the request timed out after 0.1 s."
    )
    assert not isinstance(err.value, RateLimited)
    assert isinstance(err.value, Unreachable)  # no reply at all


def test_timeout_then_success(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/slow", Reply(200, b"late", delay=0.4), Reply(200, b"fast"))
    client = make_client(base_url=server.url, timeout=0.1)
    assert client.get("/slow", item="x").content == b"fast"
    assert [s for _, s in client.attempts_log] == ["timeout", 200]


def test_truncated_transfer_is_retried_then_unavailable(
    server: ReplayServer, make_client: MakeClient
) -> None:
    body = b'{"chart":{"result":[{"meta":{}}],"error":null}}'
    server.script("/t", Reply(200, body, truncate_to=10))
    with pytest.raises(SourceUnavailable, match="the connection closed before the full reply arrived") as err:
        make_client("Yahoo Finance", base_url=server.url, retries=1).get("/t", item="IWM")
    assert not isinstance(err.value, Unreachable)  # part of a reply came: the host is reachable


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (404, NotFound, "Test source has no data for X1 (HTTP 404)."),
        (
            403,
            AccessDenied,
            "Test source refused the request for X1 (HTTP 403); check the API key or User-Agent.",
        ),
        (400, BadResponse, "Test source rejected the request for X1 with HTTP 400."),
    ],
)
def test_client_errors_are_not_retried(
    server: ReplayServer, make_client: MakeClient, status: int, error: type[Exception], message: str
) -> None:
    server.script("/e", Reply(status, b"no"))
    client = make_client(base_url=server.url)
    with pytest.raises(error) as err:
        client.get("/e", item="X1")
    assert str(err.value) == message
    assert len(client.attempts_log) == 1


def test_accepted_status_is_returned(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/e", Reply(404, b'{"error":"x"}'))
    assert make_client(base_url=server.url).get("/e", item="X", accept=(404,)).status == 404


def test_connection_refused_is_source_unavailable(make_client: MakeClient) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client("FRED", base_url=f"http://127.0.0.1:{port}", retries=1)
    expected = r"^FRED is unavailable for DGS2 after 2 attempts: network error \(ConnectError\)\.$"
    with pytest.raises(Unreachable, match=expected):  # no reply at all: offline, not a failing source
        client.get("/x", item="DGS2")


def test_bad_url_is_typed(make_client: MakeClient) -> None:
    with pytest.raises(SourceUnavailable, match="could not be made"):
        make_client().get("http://[::1", item="X")


def test_rate_limiter_spaces_requests() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, pytest.approx(0.1), pytest.approx(0.1)]
    now[0] += 5  # idle: no wait, no burst credit beyond one slot
    assert limiter.acquire() == 0.0


def test_client_rate_limit(server: ReplayServer) -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    server.script("/a", Reply(200, b"1"))
    clock = lambda: now[0]  # noqa: E731
    with HttpClient("SEC EDGAR", base_url=server.url, max_per_second=10, sleep=sleep, clock=clock) as c:
        for _ in range(4):
            c.get("/a", item="AAPL")
    assert waits == [pytest.approx(0.1)] * 3


def test_mask_secrets() -> None:
    url = "https://api.stlouisfed.org/fred/series/observations?series_id=DGS2&api_key=abc123&file_type=json"
    assert mask_secrets(url).endswith("series_id=DGS2&api_key=***&file_type=json")


def test_parse_retry_after() -> None:
    now = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 24 Nov 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(ProviderConfigError, match="timeout must be > 0") as err:
        HttpClient("FRED", timeout=0)
    assert isinstance(err.value, ConfigError)
    with pytest.raises(ProviderConfigError, match="non-empty User-Agent"):
        HttpClient("FRED", user_agent=" ")


def test_sockets_to_other_hosts_are_blocked() -> None:
    with pytest.raises(SocketConnectBlockedError), pytest.warns(UserWarning, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_redirect_within_the_host_is_followed(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/moved", Reply(302, b"", {"Location": "/ok"}))
    server.script("/ok", Reply(200, b"hello"))
    client = make_client(base_url=server.url)
    assert client.get("/moved", item="thing").content == b"hello"


def test_redirect_to_another_host_is_not_followed(server: ReplayServer, make_client: MakeClient) -> None:
    elsewhere = server.url.replace("127.0.0.1", "localhost") + "/ok"  # another host name, same machine
    server.script("/moved", Reply(302, b"", {"Location": elsewhere}))
    client = make_client(base_url=server.url)
    with pytest.raises(
        SourceUnavailable, match=r"redirected the request for thing to another host \(localhost\)"
    ):
        client.get("/moved", item="thing")
    assert [r.path for r in server.requests] == ["/moved"]
