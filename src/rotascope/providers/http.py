"""One HTTP client for every live provider: timeouts, retries, Retry-After, rate limit, typed errors.

Providers call :meth:`HttpClient.get` and get bytes back or a :mod:`rotascope.providers.errors` exception
whose message names the source, the item and the cause; httpx exceptions never escape. Sleeping and the
clock are injectable so tests replay faults in milliseconds.
"""

from __future__ import annotations

import email.utils
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import TracebackType

import httpx

from rotascope.providers.deadline import BodyTooLarge, Deadline, fetch
from rotascope.providers.errors import (
    AccessDenied,
    BadResponse,
    NotFound,
    ProviderConfigError,
    RateLimited,
    SourceUnavailable,
    Unreachable,
)
from rotascope.redact import scrub

__all__ = [
    "DEFAULT_USER_AGENT",
    "HttpClient",
    "HttpResponse",
    "RateLimiter",
    "Retry",
    "Transient",
    "mask_secrets",
    "parse_retry_after",
    "status_error",
]

DEFAULT_USER_AGENT = "rotascope/0.1 (research tooling; https://pypi.org/project/rotascope/)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_SECRET_PARAM = re.compile(r"((?:api_?key|apikey|token|access_token)=)[^&]*", re.IGNORECASE)
QueryValue = str | int | float


@dataclass(frozen=True)
class HttpResponse:
    """A successful (or explicitly accepted) reply: status, body bytes and headers (lower-case names)."""

    status: int
    content: bytes
    headers: Mapping[str, str]
    url: str
    """The final URL, with secret query values (api_key, token) masked."""

    def text(self, source: str, item: str) -> str:
        """The body decoded as UTF-8 (a BOM is dropped); undecodable bytes raise BadResponse."""
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadResponse(
                f"{source} sent a reply for {item} that is not UTF-8 text (byte {exc.start}).",
                source=source,
                item=item,
            ) from None


class RateLimiter:
    """At most ``per_second`` requests per second across threads: requests are spaced 1/rate apart."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not per_second > 0 or not math.isfinite(per_second):
            raise ValueError("per_second must be a positive finite number")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; return how long we waited (seconds)."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            self._sleep(wait)
        return wait


def mask_secrets(url: str) -> str:
    """``url`` with the values of api_key/token query parameters replaced by ``***``."""
    return _SECRET_PARAM.sub(r"\1***", url)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date); None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class CrossHostRedirect(Exception):
    """A reply redirected to another host (not followed: a key or cookie must not travel there)."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


def _same_host_redirects_only(response: httpx.Response) -> None:
    """httpx response hook, run before a redirect is followed: refuse one that leaves the request's host
    (a different host, or a downgrade from https to http)."""
    if not response.has_redirect_location:
        return
    here = response.request.url
    there = here.join(response.headers["location"])
    if there.host != here.host or (here.scheme == "https" and there.scheme != "https"):
        raise CrossHostRedirect(there.host or "an unnamed host")


@dataclass(frozen=True)
class Transient:
    """An attempt worth repeating that got no reply: a timeout, a dropped connection, a network error, or
    (``status``) a refusal a transport reports without a reply, such as yfinance's rate-limit error.
    ``answered``: the host did reply (a status, or a body cut short), so it is reachable."""

    cause: str
    status: int = 0
    answered: bool = False


SendOnce = Callable[[Deadline], HttpResponse | Transient]
"""One attempt within its deadline: the reply (any status), a :class:`Transient`, or a typed error raised."""


@dataclass(frozen=True)
class Retry:
    """The one retry driver of every transport (:class:`HttpClient`, the yfinance transport): ``retries``
    extra attempts on a :class:`Transient` or a status in ``RETRY_STATUSES``; the wait before retry *n*
    (0-based) is ``backoff * 2**n`` capped at ``max_backoff``, or the server's Retry-After (one longer than
    ``max_retry_after`` is refused at once); every attempt and wait fits in one budget, ``total`` (default
    ``timeout`` × attempts), and no attempt gets more than ``timeout``."""

    source: str
    timeout: float
    retries: int
    backoff: float
    max_backoff: float
    max_retry_after: float
    total: float | None
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    limiter: RateLimiter | None = None

    @classmethod
    def of(cls, owner: object, limiter: RateLimiter | None) -> Retry:
        """The driver with ``owner``'s settings: a transport carries fields of the same names (source,
        timeout, retries, backoff, max_backoff, max_retry_after, total, sleep, clock)."""
        names = [f.name for f in fields(cls) if f.name != "limiter"]
        return cls(**{name: getattr(owner, name) for name in names}, limiter=limiter)

    def run(self, send_once: SendOnce, *, item: str, accept: Collection[int] = ()) -> HttpResponse:
        """Call ``send_once`` until a reply is final: a 2xx or a status in ``accept`` is returned, another
        status outside ``RETRY_STATUSES`` raises its typed error, and running out of attempts or budget
        raises RateLimited (after 429s) or SourceUnavailable naming the last cause."""
        attempts = self.retries + 1
        seconds = self.total if self.total is not None else self.timeout * attempts
        budget: Deadline | None = None
        last = Transient("")
        made = 0
        answered = False  # any reply at all: an unanswered run is Unreachable (offline), not a refusal
        for attempt in range(attempts):
            if self.limiter is not None:
                self.limiter.acquire()
            if (
                budget is None
            ):  # the budget starts at the first attempt: a wait for the rate limit is not spent
                budget = Deadline(seconds, self.clock)
            elif budget.expired():
                break
            made += 1
            got = send_once(Deadline(min(self.timeout, budget.remaining()), self.clock))
            retry_after: float | None = None
            answered = answered or isinstance(got, HttpResponse) or got.answered or got.status != 0
            if isinstance(got, HttpResponse):
                if 200 <= got.status < 300 or got.status in accept:
                    return got
                if got.status not in RETRY_STATUSES:
                    raise status_error(self.source, got.status, item)
                last = Transient(f"HTTP {got.status}", got.status)
                retry_after = parse_retry_after(got.headers.get("retry-after"))
            else:
                last = got
            if attempt < attempts - 1 and not self._wait(attempt, retry_after, item, last.status, budget):
                break
        tries = f"{made} attempt{'s' if made != 1 else ''}"
        if last.status == 429:
            raise RateLimited(
                f"{self.source} kept refusing requests for {item} as too many (HTTP 429) after {tries}.",
                source=self.source,
                item=item,
            )
        cls = Unreachable if made and not answered else SourceUnavailable
        raise cls(
            f"{self.source} is unavailable for {item} after {tries}: {last.cause}.",
            source=self.source,
            item=item,
        )

    def _wait(
        self, attempt: int, retry_after: float | None, item: str, status: int, budget: Deadline
    ) -> bool:
        """Sleep before the next attempt; False when the wait would overrun the request's budget."""
        if retry_after is None:
            delay = min(self.max_backoff, self.backoff * 2**attempt)
        elif retry_after > self.max_retry_after:
            cls = RateLimited if status == 429 else SourceUnavailable
            raise cls(
                f"{self.source} asked us to wait {retry_after:.0f} s before asking again for {item} "
                f"(HTTP {status}), longer than the {self.max_retry_after:.0f} s we allow.",
                source=self.source,
                item=item,
            )
        else:
            delay = retry_after
        if delay >= budget.remaining():
            return False
        if delay > 0:
            self.sleep(delay)
        return True


def too_large(source: str, item: str, limit: int) -> BadResponse:
    """The error of a reply body over ``limit`` bytes (never held in memory whole)."""
    return BadResponse(
        f"{source} sent a reply for {item} larger than {limit:,} bytes.", source=source, item=item
    )


@dataclass
class HttpClient:
    """Thin wrapper over :class:`httpx.Client` shared by the providers.

    ``source`` is the human name used in error messages (e.g. "Yahoo Finance"). ``retries`` is the number
    of extra attempts after the first; the wait before retry *n* (0-based) is ``backoff * 2**n`` capped at
    ``max_backoff``, or the server's Retry-After when it sends one (up to ``max_retry_after``).
    """

    source: str
    base_url: str = ""
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    max_per_second: float | None = None
    user_agent: str = DEFAULT_USER_AGENT
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    transport: httpx.BaseTransport | None = None
    total: float | None = None
    """Budget of one :meth:`get` across all its attempts and waits (default: timeout × attempts)."""
    max_bytes: int | None = 256 * 1024 * 1024
    """Largest reply body accepted (a bigger one is a BadResponse, never held in memory)."""
    attempts_log: deque[tuple[str, int | str]] = field(default_factory=lambda: deque(maxlen=256), repr=False)
    """(item, status or error name) of the latest attempts, newest last; handy in tests and debugging."""

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0:
            raise ProviderConfigError(
                f"{self.source} client settings are invalid: timeout must be > 0, retries and backoff >= 0.",
                source=self.source,
                item="settings",
            )
        if not self.user_agent.strip():
            raise ProviderConfigError(
                f"{self.source} needs a non-empty User-Agent.", source=self.source, item="settings"
            )
        self._limiter = (
            RateLimiter(self.max_per_second, clock=self.clock, sleep=self.sleep)
            if self.max_per_second
            else None
        )
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", **self.headers},
            transport=self.transport,
            follow_redirects=True,
            event_hooks={"response": [_same_host_redirects_only]},
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        item: str,
        params: Mapping[str, QueryValue] | None = None,
        accept: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` (absolute, or relative to ``base_url``) for ``item``; retry transient failures.

        Statuses in ``accept`` are returned as they are (e.g. a 404 whose JSON body the provider reads);
        other non-2xx statuses raise the matching typed error.
        """
        retry = Retry.of(self, self._limiter)
        return retry.run(lambda each: self._send_once(url, item, params, each), item=item, accept=accept)

    def _send_once(
        self, url: str, item: str, params: Mapping[str, QueryValue] | None, each: Deadline
    ) -> HttpResponse | Transient:
        """One GET within ``each``: the reply, a transient failure, or a typed error for a fatal one."""
        try:
            response, content = fetch(
                self._client, "GET", url, deadline=each, max_bytes=self.max_bytes, params=params
            )
        except CrossHostRedirect as exc:
            raise SourceUnavailable(
                f"{self.source} redirected the request for {item} to another host ({exc.host}); "
                "redirects are followed only within the same host.",
                source=self.source,
                item=item,
            ) from None
        except BodyTooLarge as exc:
            raise too_large(self.source, item, exc.limit) from None
        except httpx.TimeoutException:
            self.attempts_log.append((item, "timeout"))
            return Transient(f"the request timed out after {self.timeout:g} s")
        except httpx.RemoteProtocolError:
            self.attempts_log.append((item, "protocol"))
            return Transient("the connection closed before the full reply arrived", answered=True)
        except httpx.TransportError as exc:
            self.attempts_log.append((item, "network"))
            return Transient(f"network error ({type(exc).__name__})")
        except httpx.DecodingError:
            raise BadResponse(
                f"{self.source} sent a reply for {item} whose compressed body cannot be decoded.",
                source=self.source,
                item=item,
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SourceUnavailable(
                f"{self.source} request for {item} could not be made ({type(exc).__name__}: "
                f"{scrub(str(exc))[:160]}).",
                source=self.source,
                item=item,
            ) from None
        self.attempts_log.append((item, response.status_code))
        headers = {k.lower(): v for k, v in response.headers.items()}
        return HttpResponse(response.status_code, content, headers, mask_secrets(str(response.url)))


def status_error(source: str, status: int, item: str) -> Exception:
    """The typed error of a non-retryable HTTP status (404 not found, 401/403 refused, else bad reply)."""
    if status == 404:
        return NotFound(f"{source} has no data for {item} (HTTP 404).", source=source, item=item)
    if status in (401, 403):
        return AccessDenied(
            f"{source} refused the request for {item} (HTTP {status}); check the API key or User-Agent.",
            source=source,
            item=item,
        )
    return BadResponse(
        f"{source} rejected the request for {item} with HTTP {status}.", source=source, item=item
    )
