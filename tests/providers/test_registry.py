"""Registry of three-stage fetchers, and the one contract every built-in fetcher passes on a recording."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from provider_replay import ReplayServer

from rotascope.providers.base import BAR_COLUMNS, SERIES_COLUMNS, TRADED_CLOSE
from rotascope.providers.errors import ProviderConfigError
from rotascope.providers.http import HttpClient
from rotascope.providers.ishares import HOLDINGS_COLUMNS
from rotascope.providers.registry import (
    REGISTRY,
    Fetcher,
    FetcherRegistry,
    get_fetcher,
    load_builtins,
    load_entry_points,
)
from rotascope.providers.sec import FUNDAMENTAL_COLUMNS

MakeClient = Callable[..., HttpClient]
NOW = datetime(2025, 11, 24, 16, 10, tzinfo=UTC)


def test_builtins_are_registered() -> None:
    load_builtins()
    assert {"yahoo", "fred", "sec", "ishares", "news"} <= set(REGISTRY.names())
    kinds = {name: get_fetcher(name).kind for name in ("yahoo", "fred", "sec", "ishares", "news")}
    assert kinds == {
        "yahoo": "bars",
        "fred": "series",
        "sec": "fundamentals",
        "ishares": "holdings",
        "news": "news",
    }


class Echo(Fetcher[str, str, str]):
    """An outside provider: no network, just the three stages."""

    kind = "series"
    source = "Echo"

    def transform_query(self, params: Mapping[str, Any]) -> str:
        return str(params["word"]).strip()

    def extract_data(self, query: str) -> str:
        return query * 2

    def transform_data(self, query: str, raw: str) -> str:
        return raw.upper()


def test_an_outside_provider_registers_like_a_builtin() -> None:
    registry = FetcherRegistry()
    registry.register("echo")(Echo)
    fetcher_class = registry.get("echo")
    assert fetcher_class is Echo and Echo.provider == "echo"
    assert fetcher_class().fetch(word=" ab ") == "ABAB"
    assert "echo" in registry and registry.names() == ["echo"]


def test_duplicate_and_unknown_names() -> None:
    registry = FetcherRegistry()
    registry.add("echo", Echo)
    registry.add("echo", Echo)  # the same class again is harmless (re-import)

    class Other(Echo):
        pass

    with pytest.raises(ProviderConfigError, match=r"^Provider 'echo' is already registered"):
        registry.add("echo", Other)
    registry.add("echo", Other, replace=True)
    with pytest.raises(ProviderConfigError, match=r"^Unknown provider 'nope' \(registered: echo\)\.$"):
        registry.get("nope")
    with pytest.raises(ProviderConfigError, match="must be a Fetcher subclass"):
        registry.add("bad", dict)  # type: ignore[arg-type]


def test_no_entry_points_is_fine() -> None:
    assert load_entry_points(group="rotascope.providers.tests-none", registry=FetcherRegistry()) == []


@dataclass
class Contract:
    """One recorded exchange per built-in fetcher and the standard record it must produce."""

    routes: dict[str, str]
    build: Callable[[str, HttpClient], Fetcher[Any, Any, Any]]
    params: dict[str, Any]
    frame: Callable[[Any], pd.DataFrame]
    columns: tuple[str, ...]


CONTRACTS = {
    "yahoo": Contract(
        {"/v8/finance/chart/IWM": "yahoo/IWM_chart.json"},
        lambda url, c: get_fetcher("yahoo")(client=c, base_url=url, now=lambda: NOW),
        {"symbol": "IWM", "start": "2025-11-17"},
        lambda r: r.bars,
        (*BAR_COLUMNS, TRADED_CLOSE),  # the unadjusted close beside the adjusted bars (traded-price breadth)
    ),
    "fred": Contract(
        {"/graph/fredgraph.csv": "fred/DGS10.csv"},
        lambda url, c: get_fetcher("fred")(client=c, graph_base_url=url),
        {"series": "DGS10"},
        lambda r: r.frame,
        SERIES_COLUMNS,
    ),
    "sec": Contract(
        {
            "/files/company_tickers.json": "sec/company_tickers.json",
            "/api/xbrl/companyfacts/CIK0000320193.json": "sec/CIK0000320193.json",
        },
        lambda url, c: get_fetcher("sec")(
            client=c, tickers_url=f"{url}/files/company_tickers.json", data_base_url=url
        ),
        {"symbol": "AAPL"},
        lambda r: r.facts,
        FUNDAMENTAL_COLUMNS,
    ),
    "ishares": Contract(
        {"/us/products/239710/ishares-russell-2000-etf/1467271812596.ajax": "ishares/IWM_holdings.csv"},
        lambda url, c: get_fetcher("ishares")(client=c, base_url=url),
        {"fund": "IWM"},
        lambda r: r.holdings,
        HOLDINGS_COLUMNS,
    ),
    "news": Contract(
        {"/rss.xml": "news/markets_rss.xml"},
        lambda url, c: get_fetcher("news")(client=c, now=lambda: NOW),
        {"url": "{url}/rss.xml"},
        lambda r: pd.DataFrame([vars(i) for i in r.items]),
        ("id", "headline", "source", "published", "published_estimated", "known_at", "url", "tickers"),
    ),
}


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_fetcher_contract(name: str, server: ReplayServer, make_client: MakeClient) -> None:
    """Every built-in: three stages, standard record with exactly its columns, no row without a date."""
    contract = CONTRACTS[name]
    for path, recording_name in contract.routes.items():
        server.serve(path, recording_name)
    client = make_client(
        get_fetcher(name).source, user_agent="rotascope-tests research@example.com", max_per_second=10
    )
    fetcher = contract.build(server.url, client)
    params = {k: v.format(url=server.url) if isinstance(v, str) else v for k, v in contract.params.items()}
    query = fetcher.transform_query(params)
    raw = fetcher.extract_data(query)
    result = fetcher.transform_data(query, raw)
    frame = contract.frame(result)
    assert tuple(frame.columns) == contract.columns
    assert len(frame) > 0
    dated = [c for c in ("date", "filed", "as_of", "known_at") if c in frame.columns]
    assert dated and all(frame[c].notna().all() for c in dated)
