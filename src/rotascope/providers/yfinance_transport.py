"""Yahoo Finance requests through yfinance: curl_cffi browser impersonation plus Yahoo's cookie and crumb.

Since spring 2025 Yahoo answers plain HTTP clients with 429 "Too Many Requests" unless they present a
browser TLS fingerprint and a cookie+crumb; yfinance (its issues #2422 and #2472, PR #2430) keeps up with
that, so rotascope sends its chart requests through ``yfinance.data.YfData`` and keeps its own parsing,
cleaning, rate limit, retries and one-sentence errors on top. :class:`YahooTransport` is the boundary: the
fetcher needs only ``get``; :class:`rotascope.providers.http.HttpClient` (plain httpx) satisfies it too.

When ``origin`` is set (the ``yahoo_base_url`` setting pointed somewhere other than Yahoo, e.g. a mirror or
the local replay server of the tests), every Yahoo host yfinance asks — cookie (fc.yahoo.com), crumb
(query1), consent (guce), chart — is routed to that origin with the same path and query, and any other host
is refused, so nothing leaves for the internet.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from rotascope.providers.errors import AccessDenied, RateLimited, SourceUnavailable, Unreachable
from rotascope.providers.http import (
    RETRY_STATUSES,
    HttpResponse,
    QueryValue,
    RateLimiter,
    mask_secrets,
    parse_retry_after,
    status_error,
)
from rotascope.redact import scrub

__all__ = ["YahooTransport", "YfinanceTransport", "yfinance_version"]

IMPERSONATE = "chrome"


class YahooTransport(Protocol):
    """What the Yahoo fetcher needs of a transport: one GET returning the reply or a typed error."""

    def get(
        self,
        url: str,
        *,
        item: str,
        params: Mapping[str, QueryValue] | None = None,
        accept: Collection[int] = (),
    ) -> HttpResponse: ...

    def close(self) -> None: ...


def yfinance_version() -> str:
    """The installed yfinance version (for `update --check` and the docs)."""
    # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
    import yfinance  # type: ignore[import-untyped]

    return str(yfinance.__version__)


def _routed_session(origin: str | None, timeout: float) -> Any:
    """A curl_cffi browser-impersonating session; with ``origin``, Yahoo hosts are routed there."""
    # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
    from curl_cffi import requests as curl_requests

    if origin is None:
        return curl_requests.Session(impersonate=IMPERSONATE, timeout=timeout)
    target = urlsplit(origin)

    class RoutedSession(curl_requests.Session):  # type: ignore[type-arg]
        def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            host = parts.hostname or ""
            if host == "yahoo.com" or host.endswith(".yahoo.com"):
                url = urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, ""))
            elif parts.netloc != target.netloc:
                raise SourceUnavailable(
                    f"Yahoo Finance routing refused a request to {host} (only {target.netloc} is allowed).",
                    source="Yahoo Finance",
                    item=host,
                )
            return super().request(method, url, *args, **kwargs)

    return RoutedSession(impersonate=IMPERSONATE, timeout=timeout)


class YfinanceTransport:
    """GETs through yfinance's shared ``YfData`` (cookie, crumb, consent page, impersonated TLS).

    ``retries`` extra attempts on 429/5xx/network errors with exponential backoff (or Retry-After);
    ``max_per_second`` spaces requests across threads; ``cache_dir`` holds yfinance's cookie cache (inside
    rotascope's home, never the user's global cache; the first one given in a process is kept). Not a cache
    of data: every call asks Yahoo.
    """

    def __init__(
        self,
        source: str,
        *,
        origin: str | None = None,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_per_second: float | None = None,
        cache_dir: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
        from yfinance.data import YfData  # type: ignore[import-untyped]

        self.source = source
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self._limiter = RateLimiter(max_per_second, sleep=sleep) if max_per_second else None
        if cache_dir is not None and _CACHE_DIR is None:
            use_cache_dir(cache_dir)
        # yfinance logs its own warnings (e.g. "continuing without crumb"); rotascope reports each failure
        # once, in one sentence, so only yfinance's critical messages remain
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
        self._session = _routed_session(origin, timeout)
        with _SHARED:
            self._data = YfData(session=self._session)
            # a new session starts without the previous one's cookie and crumb (they belong to that jar)
            self._data._cookie = None
            self._data._crumb = None
        self.requests = 0

    def close(self) -> None:
        """Release the session's connections."""
        self._session.close()

    def get(
        self,
        url: str,
        *,
        item: str,
        params: Mapping[str, QueryValue] | None = None,
        accept: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` for ``item``; the same contract as :meth:`HttpClient.get`."""
        # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
        from curl_cffi.requests import exceptions as curl_errors

        # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
        from yfinance.exceptions import YFRateLimitError  # type: ignore[import-untyped]

        cause, last_status, made = "", 0, 0
        answered = False  # any reply at all (a status, or a body cut short): the host is reachable
        for attempt in range(self.retries + 1):
            if self._limiter is not None:
                self._limiter.acquire()
            made += 1
            self.requests += 1
            retry_after: float | None = None
            try:
                response = self._data.get(url, params=dict(params or {}), timeout=self.timeout)
            except YFRateLimitError:
                cause, last_status = "HTTP 429", 429
            except curl_errors.Timeout:
                cause, last_status = f"the request timed out after {self.timeout:g} s", 0
            except (curl_errors.IncompleteRead, curl_errors.ChunkedEncodingError):
                cause, last_status, answered = "the connection closed before the full reply arrived", 0, True
            except curl_errors.RequestException as exc:
                text = scrub(str(exc))
                if "partial" in text.lower() or "(18)" in text:
                    cause, answered = "the connection closed before the full reply arrived", True
                else:
                    cause = f"network error ({type(exc).__name__}: {text[:120]})"
                last_status = 0
            else:
                status = int(response.status_code)
                answered = True
                headers = {str(k).lower(): str(v) for k, v in response.headers.items()}
                if 200 <= status < 300 or status in accept:
                    return HttpResponse(
                        status, bytes(response.content), headers, mask_secrets(str(response.url))
                    )
                if status in (401, 403):
                    raise self._refused(status, bytes(response.content), item)
                if status not in RETRY_STATUSES:
                    raise status_error(self.source, status, item)
                cause, last_status = f"HTTP {status}", status
                retry_after = parse_retry_after(headers.get("retry-after"))
            if attempt < self.retries:
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                wait = retry_after if retry_after is not None and math.isfinite(retry_after) else delay
                self.sleep(min(wait, self.max_backoff))
        tries = f"{made} attempt{'s' if made != 1 else ''}"
        if last_status == 429:
            raise RateLimited(
                f"{self.source} kept refusing requests for {item} as too many (HTTP 429) after {tries}.",
                source=self.source,
                item=item,
            )
        cls = Unreachable if not answered else SourceUnavailable
        raise cls(
            f"{self.source} is unavailable for {item} after {tries}: {cause}.", source=self.source, item=item
        )

    def _refused(self, status: int, body: bytes, item: str) -> AccessDenied:
        """Yahoo's refusal (``{"finance": {"error": {"description": "Invalid Crumb"}}}``) in one sentence."""
        try:
            error = json.loads(body)["finance"]["error"]
            said = f": {error.get('code', '')!s} {error.get('description', '')!s}".rstrip()
        except (ValueError, KeyError, TypeError, AttributeError):
            said = ""
        return AccessDenied(
            f"{self.source} refused the request for {item} (HTTP {status}{scrub(said)[:120]}): its cookie "
            "and crumb check failed even after yfinance's retry; try again later or upgrade yfinance.",
            source=self.source,
            item=item,
        )


_SHARED = threading.Lock()
"""yfinance keeps one ``YfData`` per process: swapping its session is done under this lock."""
_CACHE_DIR: Path | None = None
"""Where yfinance's cookie cache went (set by the first transport of the process)."""


def use_cache_dir(folder: Path) -> None:
    """Point yfinance's cookie cache at ``folder`` for the rest of the process (once: yfinance keeps its
    first database open for good); later calls and transports keep the first folder."""
    # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
    import yfinance.cache as yf_cache  # type: ignore[import-untyped]

    global _CACHE_DIR
    with _SHARED:
        if _CACHE_DIR is None:
            folder.mkdir(parents=True, exist_ok=True)
            yf_cache.set_cache_location(str(folder))
            _CACHE_DIR = folder
