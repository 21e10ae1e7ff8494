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
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from rotascope.providers.deadline import Deadline
from rotascope.providers.errors import AccessDenied, SourceUnavailable
from rotascope.providers.http import (
    HttpResponse,
    QueryValue,
    RateLimiter,
    Retry,
    Transient,
    mask_secrets,
    too_large,
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


def _routed_session(origin: str | None, timeout: float, max_bytes: int | None) -> Any:
    """A curl_cffi browser-impersonating session; with ``origin``, Yahoo hosts are routed there. curl stops
    a reply whose body passes ``max_bytes`` (CURLOPT_MAXFILESIZE_LARGE) instead of holding it."""
    # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
    from curl_cffi import CurlOpt

    # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
    from curl_cffi import requests as curl_requests

    options = {} if max_bytes is None else {CurlOpt.MAXFILESIZE_LARGE: max_bytes}
    if origin is None:
        return curl_requests.Session(impersonate=IMPERSONATE, timeout=timeout, curl_options=options)
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

    return RoutedSession(impersonate=IMPERSONATE, timeout=timeout, curl_options=options)


class YfinanceTransport:
    """GETs through yfinance's shared ``YfData`` (cookie, crumb, consent page, impersonated TLS).

    Retries, waits, Retry-After, the overall budget and the typed errors are :class:`Retry`'s, the same
    driver as :class:`HttpClient`'s (the settings mean the same); ``max_bytes`` caps a reply body;
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
        max_retry_after: float = 60.0,
        total: float | None = None,
        max_bytes: int | None = 256 * 1024 * 1024,
        max_per_second: float | None = None,
        cache_dir: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # deferred: yfinance/curl_cffi load only when Yahoo is asked (not for other commands)
        from yfinance.data import YfData  # type: ignore[import-untyped]

        self.source = source
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.total = total
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.clock = clock
        self._limiter = RateLimiter(max_per_second, clock=clock, sleep=sleep) if max_per_second else None
        if cache_dir is not None and _CACHE_DIR is None:
            use_cache_dir(cache_dir)
        # yfinance logs its own warnings (e.g. "continuing without crumb"); rotascope reports each failure
        # once, in one sentence, so only yfinance's critical messages remain
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
        self._session = _routed_session(origin, timeout, max_bytes)
        with _SHARED:
            self._data = YfData(session=self._session)
            # a new session starts without the previous one's cookie and crumb (they belong to that jar), and
            # on yfinance's first cookie strategy: an earlier session's failures may have toggled it to csrf
            self._data._cookie = None
            self._data._crumb = None
            self._data._cookie_strategy = "basic"
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

        def send_once(each: Deadline) -> HttpResponse | Transient:
            self.requests += 1
            try:
                response = self._data.get(
                    url, params=dict(params or {}), timeout=max(each.remaining(), 0.001)
                )
            except YFRateLimitError:
                return Transient("HTTP 429", 429)
            except curl_errors.Timeout:
                return Transient(f"the request timed out after {self.timeout:g} s")
            except (curl_errors.IncompleteRead, curl_errors.ChunkedEncodingError):
                return Transient("the connection closed before the full reply arrived", answered=True)
            except curl_errors.RequestException as exc:
                text = scrub(str(exc))
                if self.max_bytes is not None and "(63)" in text:  # CURLE_FILESIZE_EXCEEDED
                    raise too_large(self.source, item, self.max_bytes) from None
                if "partial" in text.lower() or "(18)" in text:
                    return Transient("the connection closed before the full reply arrived", answered=True)
                return Transient(f"network error ({type(exc).__name__}: {text[:120]})")
            content = bytes(response.content)
            if self.max_bytes is not None and len(content) > self.max_bytes:  # decompressed past the cap
                raise too_large(self.source, item, self.max_bytes)
            status = int(response.status_code)
            if status in (401, 403):
                raise self._refused(status, content, item)
            headers = {str(k).lower(): str(v) for k, v in response.headers.items()}
            return HttpResponse(status, content, headers, mask_secrets(str(response.url)))

        return Retry.of(self, self._limiter).run(send_once, item=item, accept=accept)

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
