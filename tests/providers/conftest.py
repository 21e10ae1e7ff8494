"""Fixtures for the provider tests: the replay server, fast HTTP clients, and sockets limited to 127.0.0.1.

At teardown every scripted reply must have been served and no unscripted path requested (a recording that
is not fully used fails the test). Connections to any host but 127.0.0.1 are blocked (pytest-socket).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from provider_replay import FakeSleep, ReplayServer
from pytest_socket import socket_allow_hosts

from rotascope.providers.http import HttpClient


@pytest.fixture(autouse=True)
def _local_sockets_only() -> None:
    """Block connections to every host but 127.0.0.1 (pytest-socket restores sockets at teardown)."""
    socket_allow_hosts(["127.0.0.1"])


@pytest.fixture()
def server() -> Iterator[ReplayServer]:
    """A started replay server; fails the test if a scripted reply went unused or an unknown path was hit."""
    replay = ReplayServer()
    replay.start()
    try:
        yield replay
    finally:
        replay.stop()
    assert not replay.unused(), f"recorded replies never requested: {replay.unused()}"
    assert not replay.unexpected, f"requests without a recording: {replay.unexpected}"


@pytest.fixture()
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture()
def make_client(fake_sleep: FakeSleep) -> Iterator[Callable[..., HttpClient]]:
    """Factory of HttpClients with fast test defaults (short timeout, recorded sleeps), closed afterwards."""
    made: list[HttpClient] = []

    def build(source: str = "Test source", **kwargs: object) -> HttpClient:
        options: dict[str, object] = {"timeout": 1.0, "retries": 2, "backoff": 0.01, "sleep": fake_sleep}
        options.update(kwargs)
        client = HttpClient(source, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
