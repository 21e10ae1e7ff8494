"""Typed failures of the live data providers, so callers can react (retry later, use the cache, fix config).

Every error is one sentence naming the source, the item (symbol, series, CIK, feed) and the cause; no raw
httpx/json/csv error reaches a caller. Tree (all under :class:`rotascope.errors.ProviderError`)::

    ProviderError
    ├── SourceUnavailable     network error, timeout or 5xx after every retry
    │   ├── RateLimited       429 after every retry, or a Retry-After longer than we will wait
    │   └── Unreachable       no reply at all after every retry (refused, unresolved, timed out): offline
    ├── AccessDenied          401/403: the source refused us (missing key, blocked User-Agent)
    ├── BadResponse           truncated, malformed or unexpected body
    ├── NotFound              unknown symbol, series, ticker or CIK
    ├── EmptyData             the source answered but holds no usable observation
    ├── InvalidQuery          the request itself is malformed (bad date, unknown series id)
    └── ProviderConfigError   the provider is not configured well enough to ask (also a ConfigError)
"""

from __future__ import annotations

from rotascope.errors import ConfigError, ProviderError

__all__ = [
    "AccessDenied",
    "BadResponse",
    "EmptyData",
    "InvalidQuery",
    "NotFound",
    "ProviderConfigError",
    "ProviderFailure",
    "RateLimited",
    "SourceUnavailable",
    "Unreachable",
]


class ProviderFailure(ProviderError):
    """Base of the provider errors below: the message plus the source and item it concerns."""

    def __init__(self, message: str, *, source: str, item: str) -> None:
        super().__init__(message)
        self.source = source
        self.item = item


class SourceUnavailable(ProviderFailure):
    """The source could not be reached or kept failing (network, timeout, 5xx) after every retry."""


class RateLimited(SourceUnavailable):
    """The source kept answering 429 Too Many Requests, or asked us to wait longer than allowed."""


class Unreachable(SourceUnavailable):
    """No attempt got any reply (connection refused, host not resolved, timed out): the network or the host
    is down, as opposed to a source that answered with an error."""


class AccessDenied(ProviderFailure):
    """The source refused the request (401/403)."""


class BadResponse(ProviderFailure):
    """The reply was truncated, malformed or not in the expected shape."""


class NotFound(ProviderFailure):
    """The source does not know the symbol, series, ticker or CIK."""


class EmptyData(ProviderFailure):
    """The source answered but holds no usable observation for the request."""


class InvalidQuery(ProviderFailure):
    """The request is malformed (bad date, empty symbol, unmapped series id) and was not sent."""


class ProviderConfigError(ProviderFailure, ConfigError):
    """The provider lacks a setting it needs (e.g. SEC's contact User-Agent) or got an invalid one."""
