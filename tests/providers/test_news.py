"""News fetcher: RSS 2.0 and Atom via feedparser, dedupe, cashtags, undated items, malformed feeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from provider_replay import ReplayServer, Reply, recording

from rotascope.providers.errors import BadResponse, InvalidQuery, SourceUnavailable
from rotascope.providers.http import HttpClient
from rotascope.providers.news import NewsFetcher, cashtags, dedupe, item_id, normalise_title, parse_feed

MakeClient = Callable[..., HttpClient]
FETCHED = datetime(2025, 11, 24, 16, 10, tzinfo=UTC)


def fetcher(make_client: MakeClient) -> NewsFetcher:
    return NewsFetcher(client=make_client("News feed"), now=lambda: FETCHED)


def test_rss_items_deduplicated_and_dated(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(
        "/markets/rss.xml", "news/markets_rss.xml", content_type="application/rss+xml; charset=utf-8"
    )
    result = fetcher(make_client).fetch(url=f"{server.url}/markets/rss.xml")
    assert result.feed_title == "Example Markets Wire"
    assert result.duplicates_removed == 2  # same link (trailing slash) and same headline a few hours later
    assert not result.recovered
    headlines = [i.headline for i in result.items]
    assert headlines == [
        "High-yield spreads hold near cycle lows, costing US$5 bn less to refinance",
        "Regional banks rally; $KRE and $ZION lead gains",
        "Small caps outpace megacaps as $IWM jumps 2.8% on rate-cut bets",
    ]  # newest first
    undated, banks, small = result.items
    assert undated.published_estimated and undated.published == FETCHED and undated.tickers == ()
    assert banks.published == datetime(2025, 11, 24, 15, 30, tzinfo=UTC)  # -0500 converted to UTC
    assert banks.tickers == ("KRE", "ZION") and not banks.published_estimated
    assert small.published == datetime(2025, 11, 21, 21, 15, tzinfo=UTC)  # the first copy is kept
    assert small.url == "https://news.example.com/markets/small-caps-outpace-megacaps"
    assert small.source == "Example Markets Wire"
    assert small.known_at == FETCHED > small.published  # known from the fetch on: a feed cannot backdate it
    assert small.id == item_id(small.headline, small.url) and len(small.id) == 64


def test_atom_feed_with_configured_ticker(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/crdo/atom.xml", "news/company_atom.xml", content_type="application/atom+xml")
    result = fetcher(make_client).fetch(url=f"{server.url}/crdo/atom.xml", ticker="crdo")
    assert result.feed_title == "Example Filings Watch: CRDO"
    assert [i.tickers for i in result.items] == [("CRDO",), ("CRDO",)]
    call, guidance = result.items
    assert guidance.published == datetime(2025, 11, 24, 13, 5, tzinfo=UTC)  # <published>, not <updated>
    assert call.published == datetime(2025, 11, 24, 21, 10, tzinfo=UTC)  # only <updated>, +01:00
    assert call.known_at == call.published > FETCHED  # dated after the fetch: the later of the two


def test_recoverable_malformed_feed_is_flagged(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/broken.xml", "news/recoverable_rss.xml")
    result = fetcher(make_client).fetch(url=f"{server.url}/broken.xml")
    assert result.recovered
    assert [i.headline for i in result.items] == [
        "Claims fall to a three-week low",
        "Treasury yields slip & the curve steepens",
    ]


def test_html_instead_of_a_feed_is_bad_response(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/feed", "news/not_a_feed.html", content_type="text/html")
    url = f"{server.url}/feed"
    with pytest.raises(BadResponse) as err:
        fetcher(make_client).fetch(url=url)
    message = str(err.value)
    assert message.startswith(
        f"The feed {url.split('//')[1].split('/')[0]} sent a malformed feed that yields no"
    )
    assert err.value.item == url


def test_truncated_feed_recovers_what_it_can(server: ReplayServer, make_client: MakeClient) -> None:
    body = recording("news/markets_rss.xml")
    cut = body.index(b"</item>") + len(b"</item>")
    server.script("/rss", Reply(200, body[:cut]))
    result = fetcher(make_client).fetch(url=f"{server.url}/rss")
    assert result.recovered and len(result.items) == 1


def test_feed_server_down(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/rss", Reply(502), Reply(502), Reply(502))
    url = f"{server.url}/rss"
    with pytest.raises(SourceUnavailable) as err:
        fetcher(make_client).fetch(url=url)
    assert str(err.value) == f"News feed is unavailable for {url} after 3 attempts: HTTP 502."


def test_bad_url_is_invalid_query() -> None:
    with pytest.raises(InvalidQuery, match="a feed URL starts with http"):
        NewsFetcher().transform_query({"url": "file:///etc/passwd"})


def test_cashtags() -> None:
    assert cashtags("$aapl beats; $BRK.B and $IWM up, US$5 and $5 are not tickers; $$X no") == [
        "AAPL",
        "BRK.B",
        "IWM",
    ]


def test_dedupe_across_feeds_keeps_items_a_day_apart() -> None:
    base = parse_feed(recording("news/markets_rss.xml"), url="https://a.example/rss", fetched_at=FETCHED)
    again = parse_feed(recording("news/markets_rss.xml"), url="https://b.example/rss", fetched_at=FETCHED)
    kept, removed = dedupe([*base.items, *again.items])
    assert len(kept) == 3 and removed == 3
    assert normalise_title("Small Caps — Outpace!  Megacaps") == "small caps outpace megacaps"
