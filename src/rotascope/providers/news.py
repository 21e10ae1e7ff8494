"""Dated news headlines from RSS 2.0 / Atom feeds, deduplicated, each with the time it became known.

Headlines feed the sentiment agent (:func:`headline_scores` rates them with the finance sentiment model);
a headline is only usable from ``known_at``: the later of its publication time and the moment rotascope first
fetched it, so a feed cannot backdate headlines into past analyses (undated items get the fetch time and are
flagged).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import feedparser  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, field_validator

from rotascope.providers.errors import BadResponse
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query

__all__ = [
    "FeedQuery",
    "NewsFetcher",
    "NewsItem",
    "NewsResult",
    "cashtags",
    "dedupe",
    "headline_scores",
    "normalise_title",
    "parse_feed",
]

SOURCE = "News feed"
DUPLICATE_WINDOW = timedelta(days=1)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:[.-][A-Za-z]{1,2})?)(?![\w])")


class FeedQuery(BaseModel):
    """One feed URL, optionally tied to a ticker (every item of a per-company feed is about it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    ticker: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("a feed URL starts with http:// or https://")
        return value

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None


@dataclass(frozen=True)
class NewsItem:
    """One headline. ``published`` is UTC; ``known_at`` is when it could first have been read."""

    id: str
    """sha256 of the normalised headline and link: stable across fetches."""
    headline: str
    source: str
    published: datetime
    published_estimated: bool
    """True when the feed gave no date and ``published`` is the fetch time."""
    known_at: datetime
    url: str
    tickers: tuple[str, ...]


@dataclass(frozen=True)
class NewsResult:
    """Deduplicated items of one feed, newest first."""

    feed_url: str
    feed_title: str
    fetched_at: datetime
    items: tuple[NewsItem, ...]
    duplicates_removed: int
    recovered: bool
    """The feed was malformed but feedparser recovered its entries."""


@dataclass(frozen=True)
class NewsRaw:
    """The feed bytes and when they were fetched."""

    response: HttpResponse
    fetched_at: datetime


def normalise_title(title: str) -> str:
    """Lower-case, accents folded, punctuation dropped, spaces collapsed: 'Fed Cuts!' → 'fed cuts'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9$%]+", " ", text).split())


def _normalise_link(link: str) -> str:
    parts = urlsplit(link.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def item_id(title: str, link: str) -> str:
    """Stable id of a headline: sha256 of its normalised title and link."""
    return hashlib.sha256(f"{normalise_title(title)}\n{_normalise_link(link)}".encode()).hexdigest()


def cashtags(text: str) -> list[str]:
    """$CASHTAGS in ``text``, upper-case, in order of appearance ('$5' and 'US$' are not tickers)."""
    seen: dict[str, None] = {}
    for match in _CASHTAG.finditer(text):
        seen.setdefault(match.group(1).upper(), None)
    return list(seen)


def dedupe(items: Iterable[NewsItem]) -> tuple[list[NewsItem], int]:
    """Drop repeats (same id, or same normalised headline within a day of a kept one); oldest kept."""
    kept: list[NewsItem] = []
    ids: set[str] = set()
    by_title: dict[str, list[datetime]] = {}
    removed = 0
    for item in sorted(items, key=lambda i: (i.published, i.id)):
        title = normalise_title(item.headline)
        times = by_title.setdefault(title, [])
        if item.id in ids or any(abs(item.published - t) < DUPLICATE_WINDOW for t in times):
            removed += 1
            continue
        ids.add(item.id)
        times.append(item.published)
        kept.append(item)
    kept.sort(key=lambda i: (i.published, i.id), reverse=True)
    return kept, removed


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            year, month, day, hour, minute, second = (int(v) for v in value[:6])
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def parse_feed(
    content: bytes,
    *,
    url: str,
    fetched_at: datetime,
    ticker: str | None = None,
    content_type: str | None = None,
) -> NewsResult:
    """Parse RSS/Atom bytes with feedparser into deduplicated :class:`NewsItem` records."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(content, response_headers=headers)
    entries: list[Mapping[str, Any]] = list(parsed.get("entries", []))
    host = urlsplit(url).netloc or url
    if parsed.get("bozo") and not entries:
        cause = parsed.get("bozo_exception")
        reason = f"{type(cause).__name__}: {cause}" if cause else "not RSS or Atom"
        raise BadResponse(
            f"The feed {host} sent a malformed feed that yields no entries ({reason}).",
            source=SOURCE,
            item=url,
        )
    feed: Mapping[str, Any] = parsed.get("feed", {})
    title = " ".join(str(feed.get("title") or host).split())
    items: list[NewsItem] = []
    for entry in entries:
        headline = " ".join(str(entry.get("title") or "").split())
        if not headline:
            continue
        link = str(entry.get("link") or "").strip()
        published = _entry_time(entry)
        estimated = published is None
        when = published or fetched_at
        tags = ([ticker] if ticker else []) + cashtags(headline)
        items.append(
            NewsItem(
                id=item_id(headline, link),
                headline=headline,
                source=title,
                published=when,
                published_estimated=estimated,
                known_at=max(when, fetched_at),
                url=link,
                tickers=tuple(dict.fromkeys(tags)),
            )
        )
    kept, removed = dedupe(items)
    return NewsResult(url, title, fetched_at, tuple(kept), removed, bool(parsed.get("bozo")))


def headline_scores(items: Sequence[NewsItem]) -> list[float]:
    """Finance sentiment of each headline, P(positive) − P(negative) in [−1, 1], in order."""
    # deferred: the sentiment model (scipy) loads only when headlines are scored, not for other fetches
    from rotascope.sentiment.scorer import load_scorer

    return [float(s) for s in load_scorer().predict([i.headline for i in items]).scores]


@register("news")
class NewsFetcher(Fetcher[FeedQuery, NewsRaw, NewsResult]):
    """RSS 2.0 / Atom headlines: bytes fetched by :class:`HttpClient`, parsed by feedparser."""

    kind = "news"
    source = SOURCE

    def __init__(
        self, *, client: HttpClient | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self.client = client or HttpClient(SOURCE)
        self.now = now or (lambda: datetime.now(UTC))

    def transform_query(self, params: Mapping[str, Any]) -> FeedQuery:
        return validate_query(FeedQuery, params, SOURCE, str(params.get("url", "feed")))

    def extract_data(self, query: FeedQuery) -> NewsRaw:
        fetched_at = self.now()
        return NewsRaw(self.client.get(query.url, item=query.url), fetched_at)

    def transform_data(self, query: FeedQuery, raw: NewsRaw) -> NewsResult:
        return parse_feed(
            raw.response.content,
            url=query.url,
            fetched_at=raw.fetched_at,
            ticker=query.ticker,
            content_type=raw.response.headers.get("content-type"),
        )
