"""Polygon.io grouped daily aggregates against replies in its documented JSON: bars, holidays, refusals, and
the key never shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
from provider_replay import ReplayServer, Reply, recording

from rotascope.providers.base import BAR_COLUMNS, TRADED_CLOSE
from rotascope.providers.errors import AccessDenied, ProviderConfigError, RateLimited
from rotascope.providers.http import HttpClient
from rotascope.providers.polygon import PolygonGroupedFetcher, grouped_path

MakeClient = Callable[..., HttpClient]
KEY = "pk_test_5ecret_DO_NOT_PRINT"
DAY = date(2020, 10, 14)


def fetcher(server: ReplayServer, make_client: MakeClient) -> PolygonGroupedFetcher:
    return PolygonGroupedFetcher(api_key=KEY, client=make_client("Polygon.io"), base_url=server.url)


def test_one_request_gives_every_stock_of_the_day(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(grouped_path(DAY), "polygon/grouped_2020-10-14.json")
    got = fetcher(server, make_client).fetch(date="2020-10-14")
    raw = json.loads(recording("polygon/grouped_2020-10-14.json"))["results"]
    assert tuple(got.bars.columns) == (*BAR_COLUMNS, TRADED_CLOSE) and got.adjusted
    assert got.bars["symbol"].tolist() == [r["T"] for r in raw]
    np.testing.assert_allclose(got.bars["close"], [r["c"] for r in raw])
    np.testing.assert_allclose(got.bars["high"], [r["h"] for r in raw])
    assert (got.bars["date"].dt.date == DAY).all()
    (request,) = server.requests
    assert request.query == {"adjusted": ["true"], "apiKey": [KEY]}


def test_a_day_without_trading_is_empty_not_an_error(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(grouped_path(date(2020, 12, 25)), "polygon/grouped_holiday.json")
    assert fetcher(server, make_client).fetch(date="2020-12-25").bars.empty


def test_refusals_name_the_cause_and_never_the_key(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(grouped_path(DAY), Reply(401, recording("polygon/unknown_key.json")))
    with pytest.raises(AccessDenied) as refused:
        fetcher(server, make_client).fetch(date=DAY)
    busy = grouped_path(date(2020, 10, 15))
    server.script(busy, Reply(429, recording("polygon/too_many.json"), {"Retry-After": "0"}))
    with pytest.raises(RateLimited) as limited:
        fetcher(server, make_client).fetch(date="2020-10-15")
    for exc in (refused.value, limited.value):
        assert KEY not in str(exc) and str(exc).count(".") >= 1
    assert "HTTP 401" in str(refused.value) and "HTTP 429" in str(limited.value)


def test_no_key_is_one_sentence() -> None:
    with pytest.raises(ProviderConfigError, match="POLYGON_API_KEY"):
        PolygonGroupedFetcher(api_key=" ")
